package auth

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/opswiki/opswiki/wiki"
)

// Modes of access control (SPEC §7).
const (
	ModeNone  = "none"
	ModeUsers = "users"
	ModeProxy = "proxy"
)

// Authenticator implements wiki.Authenticator for the three modes.
type Authenticator struct {
	Mode string
	// None is who every request is in ModeNone.
	None wiki.User
	// Users and Roles are the accounts (ModeUsers) and everyone's roles.
	Users *Users
	Roles Roles
	// DefaultRole is the role of a proxied user the roles file does not list.
	DefaultRole wiki.Role
	// Trusted are the proxy addresses whose X-Forwarded-User is believed.
	Trusted []netip.Prefix
	// AnonymousRead lets requests without credentials read.
	AnonymousRead bool
	Tokens        *Tokens
	Sessions      *Sessions
	// Limiter bounds password attempts; nil allows all.
	Limiter *Limiter
}

var _ wiki.Authenticator = (*Authenticator)(nil)

// AnonymousRole implements wiki.Authenticator.
func (a *Authenticator) AnonymousRole() wiki.Role {
	if a.Mode == ModeNone {
		return a.None.Role
	}
	if a.AnonymousRead {
		return wiki.RoleReader
	}
	return wiki.RoleNone
}

var errBadCredentials = wiki.Errorf(wiki.EUNAUTHORIZED, "The user name, password or token is wrong.")

// Identify implements wiki.Authenticator: a token or password in the
// Authorization header (API and git), a session cookie (browser), or the
// proxy's headers from a trusted address.
func (a *Authenticator) Identify(r *http.Request) (*wiki.User, error) {
	if a.Mode == ModeNone {
		u := a.None
		return &u, nil
	}
	if h := r.Header.Get("Authorization"); h != "" {
		return a.fromHeader(r, h)
	}
	if a.Mode == ModeProxy {
		if u := a.fromProxy(r); u != nil {
			return u, nil
		}
	}
	if a.Sessions != nil {
		if name, ok := a.Sessions.User(r); ok {
			return a.user(name, "session"), nil
		}
	}
	return nil, nil
}

// fromHeader checks "Bearer <token>" and "Basic user:password|token".
func (a *Authenticator) fromHeader(r *http.Request, h string) (*wiki.User, error) {
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		if name, ok := a.Tokens.Verify(strings.TrimSpace(tok)); ok {
			return a.user(name, "token"), nil
		}
		return nil, errBadCredentials
	}
	name, secret, ok := r.BasicAuth()
	if !ok {
		return nil, wiki.Errorf(wiki.EUNAUTHORIZED, "Send a token as Authorization: Bearer, or a user and password or token as basic auth.")
	}
	if strings.HasPrefix(secret, TokenPrefix) {
		if owner, ok := a.Tokens.Verify(secret); ok && owner == name {
			return a.user(name, "token"), nil
		}
		return nil, errBadCredentials
	}
	if err := a.CheckPassword(r, name, secret); err != nil {
		return nil, err
	}
	return a.user(name, "password"), nil
}

// CheckPassword verifies a user's password, counting attempts against the
// limiter per address and per user.
func (a *Authenticator) CheckPassword(r *http.Request, name, password string) error {
	if a.Users == nil {
		return wiki.Errorf(wiki.EUNAUTHORIZED, "Passwords are not used here; use a token.")
	}
	ip := clientIP(r)
	if a.Limiter != nil && a.Limiter.Blocked(ip, name) {
		return wiki.Errorf(wiki.EUNAVAILABLE, "Too many failed sign-in attempts; wait a minute and try again.")
	}
	if !a.Users.Check(name, password) {
		if a.Limiter != nil {
			a.Limiter.Fail(ip, name)
		}
		return errBadCredentials
	}
	return nil
}

func (a *Authenticator) fromProxy(r *http.Request) *wiki.User {
	name := strings.TrimSpace(r.Header.Get("X-Forwarded-User"))
	if name == "" || !a.trusted(r) {
		return nil
	}
	u := a.user(name, "proxy")
	u.Email = strings.TrimSpace(r.Header.Get("X-Forwarded-Email"))
	return u
}

func (a *Authenticator) trusted(r *http.Request) bool {
	ip, err := netip.ParseAddr(clientIP(r))
	if err != nil {
		return false
	}
	for _, p := range a.Trusted {
		if p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

// user builds the user with their role: from the roles file, else the
// default (editors when there is no roles file, so a users file alone
// gives everyone in it write access).
func (a *Authenticator) user(name, via string) *wiki.User {
	role, ok := a.Roles[name]
	if !ok {
		role = a.DefaultRole
	}
	return &wiki.User{Name: name, Role: role, Via: via}
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Limiter allows a burst of failed sign-in attempts per address and per
// user, then one every few seconds, so passwords cannot be guessed at
// speed; successful ones cost nothing, so scripts using a password work.
type Limiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	buckets map[string]*bucket
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

// NewLimiter allows burst attempts, then one per interval.
func NewLimiter(burst int, interval time.Duration) *Limiter {
	return &Limiter{every: rate.Every(interval), burst: burst, buckets: map[string]*bucket{}}
}

// Blocked reports whether attempts from ip or for user must wait.
func (l *Limiter) Blocked(ip, user string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	for _, k := range []string{"ip:" + ip, "user:" + user} {
		if b := l.buckets[k]; b != nil && b.l.TokensAt(now) < 1 {
			return true
		}
	}
	return false
}

// Fail counts a failed attempt from ip for user.
func (l *Limiter) Fail(ip, user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if len(l.buckets) > 10000 {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
	}
	for _, k := range []string{"ip:" + ip, "user:" + user} {
		b := l.buckets[k]
		if b == nil {
			b = &bucket{l: rate.NewLimiter(l.every, l.burst)}
			l.buckets[k] = b
		}
		b.seen = now
		b.l.AllowN(now, 1)
	}
}

var _ wiki.Accounts = (*Authenticator)(nil)

// AccessMode implements wiki.Accounts.
func (a *Authenticator) AccessMode() string { return a.Mode }

// StartSession implements wiki.Accounts.
func (a *Authenticator) StartSession(w http.ResponseWriter, r *http.Request, name string) {
	a.Sessions.Issue(w, r, name)
}

// EndSession implements wiki.Accounts.
func (a *Authenticator) EndSession(w http.ResponseWriter, r *http.Request) {
	if a.Sessions != nil {
		a.Sessions.Clear(w, r)
	}
}

// CreateToken implements wiki.Accounts.
func (a *Authenticator) CreateToken(user, name string) (string, error) {
	plain, _, err := a.Tokens.Create(user, name)
	return plain, err
}

// RevokeToken implements wiki.Accounts.
func (a *Authenticator) RevokeToken(owner, id string) error { return a.Tokens.Revoke(owner, id) }

// ListTokens implements wiki.Accounts.
func (a *Authenticator) ListTokens(owner string) []wiki.TokenInfo {
	var out []wiki.TokenInfo
	for _, t := range a.Tokens.List(owner) {
		out = append(out, wiki.TokenInfo{ID: t.ID, User: t.User, Name: t.Name, Created: t.Created, LastUsed: t.LastUsed})
	}
	return out
}
