package web

import (
	"net/http"

	"github.com/opswiki/opswiki/wiki"
)

// Authenticator identifies who makes a request, the same way for the
// browser, the JSON API and git over HTTP.
type Authenticator interface {
	// Identify returns the request's user, or nil for an anonymous request.
	// Returns EUNAUTHORIZED for credentials that are present but wrong.
	Identify(r *http.Request) (*wiki.User, error)
	// AnonymousRole is what a request without credentials may do.
	AnonymousRole() wiki.Role
}

// Accounts is what the web pages for signing in and managing tokens need.
type Accounts interface {
	// AccessMode is "none", "users" or "proxy".
	AccessMode() string
	// CheckPassword verifies a password, counting failed attempts.
	CheckPassword(r *http.Request, name, password string) error
	// StartSession signs the user in on this browser; EndSession signs
	// this browser out, and EndAllSessions every browser of user.
	StartSession(w http.ResponseWriter, r *http.Request, name string) error
	EndSession(w http.ResponseWriter, r *http.Request) error
	EndAllSessions(user string) error
	// CreateToken makes a token for user and returns it, once.
	CreateToken(user, name string) (string, error)
	// RevokeToken deletes a token of owner ("" for any owner).
	RevokeToken(owner, id string) error
	// ListTokens returns owner's tokens ("" for everyone's).
	ListTokens(owner string) []wiki.TokenInfo
}
