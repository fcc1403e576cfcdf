package wiki

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Role is what a user may do. Each role includes the ones below it.
type Role int

// Roles, from least to most.
const (
	RoleNone   Role = iota // may do nothing: not signed in
	RoleReader             // may read pages, search, clone
	RoleEditor             // may also save, move, delete, push
	RoleAdmin              // may also see the content report of everyone's tokens
)

// String returns the role's name as written in the roles file.
func (r Role) String() string {
	switch r {
	case RoleReader:
		return "reader"
	case RoleEditor:
		return "editor"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// ParseRole reads a role name.
func ParseRole(s string) (Role, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "reader":
		return RoleReader, true
	case "editor":
		return RoleEditor, true
	case "admin":
		return RoleAdmin, true
	}
	return RoleNone, false
}

// User is who makes a request.
type User struct {
	Name  string
	Email string
	Role  Role
	// Via says how the user was identified: "session", "password",
	// "token", "proxy" or "none" (--auth none).
	Via string
}

// Can reports whether the user has at least role r.
func (u *User) Can(r Role) bool { return u != nil && u.Role >= r }

// Signature is the user as a commit author.
func (u *User) Signature(now time.Time) Signature {
	email := u.Email
	if email == "" {
		email = u.Name + "@users.opswiki"
	}
	return Signature{Name: u.Name, Email: email, When: now}
}

// Authenticator identifies who makes a request, the same way for the
// browser, the JSON API and git over HTTP.
type Authenticator interface {
	// Identify returns the request's user, or nil for an anonymous request.
	// Returns EUNAUTHORIZED for credentials that are present but wrong.
	Identify(r *http.Request) (*User, error)
	// AnonymousRole is what a request without credentials may do.
	AnonymousRole() Role
}

type userKey struct{}

// WithUser returns a context carrying the request's user.
func WithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the user a context carries, or nil.
func UserFrom(ctx context.Context) *User {
	u, _ := ctx.Value(userKey{}).(*User)
	return u
}

// TokenInfo describes a personal access token, without its secret.
type TokenInfo struct {
	ID       string
	User     string
	Name     string
	Created  time.Time
	LastUsed time.Time
}

// Accounts is what the web pages for signing in and managing tokens need.
type Accounts interface {
	// AccessMode is "none", "users" or "proxy".
	AccessMode() string
	// CheckPassword verifies a password, counting failed attempts.
	CheckPassword(r *http.Request, name, password string) error
	// StartSession signs the user in on this browser; EndSession signs out.
	StartSession(w http.ResponseWriter, r *http.Request, name string)
	EndSession(w http.ResponseWriter, r *http.Request)
	// CreateToken makes a token for user and returns it, once.
	CreateToken(user, name string) (string, error)
	// RevokeToken deletes a token of owner ("" for any owner).
	RevokeToken(owner, id string) error
	// ListTokens returns owner's tokens ("" for everyone's).
	ListTokens(owner string) []TokenInfo
}
