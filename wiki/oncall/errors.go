package oncall

import (
	"errors"
	"fmt"
)

// Codes of the errors the engine returns; they read as the wiki's own
// (wiki.EINVALID and so on), and the wiki's callers map them.
const (
	EINVALID     = "invalid"
	ENOTFOUND    = "not_found"
	ETOOLARGE    = "too_large"
	EUNAVAILABLE = "unavailable"
)

// Error is an error with a code and a message for people. The engine sits
// below package wiki (which validates on-call front matter with it), so it
// has its own error type of the same shape.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for
// nil, and "internal" for any other error.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return "internal"
}

// ErrorMessage returns the message of the first *Error in err's chain, or
// err's own text.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if err == nil {
		return ""
	}
	return err.Error()
}
