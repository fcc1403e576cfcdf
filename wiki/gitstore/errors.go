package gitstore

import (
	"errors"
	"fmt"

	"github.com/opswiki/opswiki/wiki"
)

// ErrNotRepository reports a directory that does not hold a git repository.
var ErrNotRepository = errors.New("not a git repository")

// notFound returns an ENOTFOUND error that still matches wiki.ErrNotFound with
// errors.Is, so callers can test either the code or the sentinel.
func notFound(format string, args ...any) error {
	return &wiki.Error{Code: wiki.ENOTFOUND, Message: fmt.Sprintf(format, args...), Err: wiki.ErrNotFound}
}

// invalid returns an EINVALID error with a message safe to show.
func invalid(format string, args ...any) error {
	return wiki.Errorf(wiki.EINVALID, format, args...)
}
