package wiki

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the web layer and to one exit
// code in the command line; nothing else inspects them.
const (
	ECONFLICT       = "conflict"         // the page or ref changed since the caller read it
	EINTERNAL       = "internal"         // a fault of ours; details are logged, not shown
	EINVALID        = "invalid"          // the request is malformed
	EDOCUMENT       = "invalid_document" // the document has errors that block a save or push
	ENOTFOUND       = "not_found"        // no such page, file, commit or route
	ENOTIMPLEMENTED = "not_implemented"  // a feature this build or configuration lacks
	EUNAUTHORIZED   = "unauthorized"     // no identity where one is required
	EFORBIDDEN      = "forbidden"        // an identity without the needed role
	ETOOLARGE       = "too_large"        // a body or file over the configured limit
	EUNAVAILABLE    = "unavailable"      // temporarily unable, such as while an index rebuilds
	ETHROTTLED      = "throttled"        // too many failed sign-ins; the answer says when to try again
	EMISDIRECTED    = "misdirected"      // a request for a host name the server does not answer to
	ETIMEOUT        = "timeout"          // a request body that stalled or arrived too slowly
)

// Error is the one error type whose message is safe to show to a user.
// Code says what kind of failure it is; Message says it in plain words.
type Error struct {
	Code    string
	Message string
	// Err is the underlying cause, logged but never shown.
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("opswiki error: code=%s message=%s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("opswiki error: code=%s message=%s", e.Code, e.Message)
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or
// "Internal error." for any other error, so internals never leak to users.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// Sentinel errors for conditions callers test with errors.Is.
var (
	// ErrNotFound reports a missing page, file, commit or ref.
	ErrNotFound = &Error{Code: ENOTFOUND, Message: "Not found."}
	// ErrRefMoved reports a compare-and-swap of main that lost a race.
	ErrRefMoved = &Error{Code: ECONFLICT, Message: "The wiki changed while this change was being written; try again."}
	// ErrEmpty reports a repository that has no main branch yet.
	ErrEmpty = &Error{Code: ENOTFOUND, Message: "The wiki repository has no main branch yet."}
)
