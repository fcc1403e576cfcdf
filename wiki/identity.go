package wiki

import (
	"context"
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
	// Groups are the teams the identity provider says the user is in
	// (an OIDC groups claim, a proxy's X-Forwarded-Groups, the roles
	// file's groups), as "org/team" or "team".
	Groups []string
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
