package auth

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

// Modes of access control (SPEC §7).
const (
	ModeNone  = "none"
	ModeUsers = "users"
	ModeProxy = "proxy"
	ModeOIDC  = "oidc"
)

// Authenticator implements the web layer's Authenticator for the four modes.
type Authenticator struct {
	Mode string
	// None is who every request is in ModeNone.
	None wiki.User
	// Users and Roles are the accounts (ModeUsers, and in ModeOIDC the
	// local accounts that sign in with a password) and everyone's roles.
	Users *Users
	Roles *Roles
	// DefaultRole is the role of a user the roles file does not list,
	// by name or by group.
	DefaultRole wiki.Role
	// Trusted are the proxy addresses whose X-Forwarded-For is believed
	// for the client's address and, in ModeProxy, whose X-Forwarded-User,
	// X-Forwarded-Email and X-Forwarded-Groups name the user.
	Trusted []netip.Prefix
	// OIDC signs people in with the organisation's identity provider
	// (ModeOIDC).
	OIDC *OIDC
	// Identities are what the provider (ModeOIDC) or the proxy (ModeProxy)
	// last said of each user: the email and groups of their tokens and
	// sessions. In ModeOIDC a user must be in it (or in Users) for their
	// tokens and sessions to work.
	Identities *Identities
	// AnonymousRead lets requests without credentials read.
	AnonymousRead bool
	Tokens        *Tokens
	Sessions      *Sessions
	// Throttle slows password guessing; nil checks every attempt.
	Throttle *Throttle
}

// AnonymousRole implements the web layer's Authenticator.
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

// Identify implements the web layer's Authenticator: a token or password in the
// Authorization header (API and git), a session cookie (browser), or the
// proxy's headers from a trusted address. Tokens and sessions of an
// account no longer in the users file are refused, and so are sessions
// begun with a password that has since changed.
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
		if x, ok := a.Sessions.Lookup(r); ok && a.current(x.User, x.Stamp) {
			return a.known(x.User, "session"), nil
		}
	}
	return nil, nil
}

// current reports whether name is still an account and, for a session,
// still has the password it signed in with, or still belongs to the
// provider's account that signed in.
func (a *Authenticator) current(name, stamp string) bool {
	if strings.HasPrefix(stamp, oidcStampPrefix) {
		id, ok := a.Identities.Lookup(name)
		return ok && a.Mode == ModeOIDC && id.Subject != "" && id.stamp() == stamp
	}
	if a.Users == nil {
		// Without a users file only the provider's sign-ins make sessions.
		return a.Mode != ModeOIDC
	}
	now, ok := a.Users.Stamp(name)
	return ok && now == stamp
}

// tokenOwner returns the live account a token belongs to. Tokens are not
// passwords: they are never throttled, since they cannot be guessed.
func (a *Authenticator) tokenOwner(token string) (string, bool) {
	name, ok := a.Tokens.Verify(token)
	if !ok {
		return "", false
	}
	if a.Mode == ModeOIDC {
		_, known := a.Identities.Lookup(name)
		if !known && (a.Users == nil || !a.Users.Exists(name)) {
			return "", false
		}
	} else if a.Users != nil && !a.Users.Exists(name) {
		return "", false
	}
	return name, true
}

// fromHeader checks "Bearer <token>" and "Basic user:password|token".
func (a *Authenticator) fromHeader(r *http.Request, h string) (*wiki.User, error) {
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		if name, ok := a.tokenOwner(strings.TrimSpace(tok)); ok {
			return a.known(name, "token"), nil
		}
		return nil, errBadCredentials
	}
	name, secret, ok := r.BasicAuth()
	if !ok {
		return nil, wiki.Errorf(wiki.EUNAUTHORIZED, "Send a token as Authorization: Bearer, or a user and password or token as basic auth.")
	}
	if strings.HasPrefix(secret, TokenPrefix) {
		if owner, ok := a.tokenOwner(secret); ok && owner == name {
			return a.known(name, "token"), nil
		}
		return nil, errBadCredentials
	}
	if err := a.CheckPassword(r, name, secret); err != nil {
		return nil, err
	}
	return a.known(name, "password"), nil
}

// CheckPassword verifies a user's password. While the throttle holds the
// attempt back it is not checked at all, and the error (code ETHROTTLED)
// says how long to wait; its cause has a RetryAfter method for the
// Retry-After header.
func (a *Authenticator) CheckPassword(r *http.Request, name, password string) error {
	if a.Users == nil {
		return wiki.Errorf(wiki.EUNAUTHORIZED, "Passwords are not used here; use a token.")
	}
	if len(name) > maxNameBytes {
		// No account has such a name, and the throttle keeps names.
		return errBadCredentials
	}
	if a.Throttle == nil {
		if !a.Users.Check(name, password) {
			return errBadCredentials
		}
		return nil
	}
	wait, done := a.Throttle.Begin(a.ClientAddr(r), name)
	if wait > 0 {
		return throttled(wait)
	}
	ok := a.Users.Check(name, password)
	done(ok)
	if !ok {
		return errBadCredentials
	}
	return nil
}

// maxNameBytes bounds the user names a password is checked for.
const maxNameBytes = 256

// RetryAfter is the cause of an ETHROTTLED error: how long to wait.
type RetryAfter time.Duration

// Error implements error.
func (d RetryAfter) Error() string { return "retry after " + time.Duration(d).String() }

// RetryAfter returns the wait, for the Retry-After header.
func (d RetryAfter) RetryAfter() time.Duration { return time.Duration(d) }

func throttled(wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
	when := fmt.Sprintf("%d seconds", secs)
	if secs == 1 {
		when = "a second"
	} else if secs >= 120 {
		when = fmt.Sprintf("%d minutes", (secs+59)/60)
	}
	return &wiki.Error{Code: wiki.ETHROTTLED, Err: RetryAfter(wait),
		Message: "Too many failed sign-ins for this account from here; wait " + when + " and try again. Personal access tokens keep working."}
}

// fromProxy reads the user a trusted proxy names, with their email and
// groups (X-Forwarded-Groups, comma-separated, as oauth2-proxy sends them).
// What it says is remembered, so the user's tokens get the same groups.
func (a *Authenticator) fromProxy(r *http.Request) *wiki.User {
	name := strings.TrimSpace(r.Header.Get("X-Forwarded-User"))
	if name == "" || !a.trusted(peerAddr(r)) {
		return nil
	}
	email := strings.TrimSpace(r.Header.Get("X-Forwarded-Email"))
	groups := proxyGroups(r.Header.Values("X-Forwarded-Groups"))
	if a.Identities != nil {
		// Only tokens use what is remembered; this request is identified
		// by its headers even when the file cannot be written.
		_ = a.Identities.Remember(Identity{Name: name, Email: email, Groups: groups})
	}
	return a.user(name, email, groups, "proxy")
}

// maxProxyGroups bounds the groups read from a proxy's headers.
const maxProxyGroups = 1000

// proxyGroups splits X-Forwarded-Groups headers at commas, dropping blanks
// and repeats.
func proxyGroups(headers []string) []string {
	var out []string
	for _, h := range headers {
		for _, g := range strings.Split(h, ",") {
			if g = strings.TrimSpace(g); g != "" && !slices.Contains(out, g) && len(out) < maxProxyGroups {
				out = append(out, g)
			}
		}
	}
	return out
}

func (a *Authenticator) trusted(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range a.Trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// known builds a user identified by name alone (a token, a session, a
// password), with the email and groups the provider or proxy last gave.
func (a *Authenticator) known(name, via string) *wiki.User {
	id, _ := a.Identities.Lookup(name)
	return a.user(name, id.Email, id.Groups, via)
}

// user builds the user with their role: the highest the roles file gives
// their name or one of their groups, else the default (editors when there
// is no roles file, so a users file alone gives everyone in it write
// access).
func (a *Authenticator) user(name, email string, groups []string, via string) *wiki.User {
	role, ok := a.Roles.RoleOf(name, groups)
	if !ok {
		role = a.DefaultRole
	}
	return &wiki.User{Name: name, Email: email, Groups: groups, Role: role, Via: via}
}

// ClientAddr returns the address a request came from: its peer, or, when
// the peer is a trusted proxy, the nearest address in X-Forwarded-For that
// is not one, so people behind the proxy are told apart.
func (a *Authenticator) ClientAddr(r *http.Request) string {
	addr := peerAddr(r)
	if !a.trusted(addr) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		if _, err := netip.ParseAddr(hop); err != nil {
			return addr
		}
		addr = hop
		if !a.trusted(hop) {
			break
		}
	}
	return addr
}

func peerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Watch re-reads the users, roles and identities files every interval
// until ctx ends, so adding, removing or changing an account, a role or an
// identity takes effect without a restart: a removed account's sessions
// and tokens stop working, and a changed password ends the sessions begun
// with the old one. A file that cannot be read or parsed leaves what was
// last read in force; the problem is logged once, and again when it
// changes.
func (a *Authenticator) Watch(ctx context.Context, interval time.Duration, log *slog.Logger) {
	type file struct {
		what    string
		reload  func() (bool, error)
		lastErr string
	}
	var files []*file
	if a.Users != nil {
		files = append(files, &file{what: "users", reload: a.Users.Reload})
	}
	if a.Roles != nil {
		files = append(files, &file{what: "roles", reload: a.Roles.Reload})
	}
	if a.Identities != nil {
		files = append(files, &file{what: "identities", reload: a.Identities.Reload})
	}
	if len(files) == 0 {
		return
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, f := range files {
			changed, err := f.reload()
			switch {
			case err != nil && err.Error() != f.lastErr:
				log.Error("the "+f.what+" file cannot be used; the accounts and roles read before stay in force until it is fixed", "err", err)
				f.lastErr = err.Error()
			case err == nil && (changed || f.lastErr != ""):
				f.lastErr = ""
				if f.what == "users" {
					log.Info("users file reloaded", "users", len(a.Users.Names()))
				} else {
					log.Info(f.what + " file reloaded")
				}
			}
		}
	}
}

// AccessMode implements the web layer's Accounts.
func (a *Authenticator) AccessMode() string { return a.Mode }

// StartSession implements the web layer's Accounts: the session remembers the
// password it began with, so changing the password ends it.
func (a *Authenticator) StartSession(w http.ResponseWriter, r *http.Request, name string) error {
	var stamp string
	if a.Users != nil {
		var ok bool
		if stamp, ok = a.Users.Stamp(name); !ok {
			return errBadCredentials
		}
	}
	return a.Sessions.Issue(w, r, name, stamp)
}

// EndSession implements the web layer's Accounts.
func (a *Authenticator) EndSession(w http.ResponseWriter, r *http.Request) error {
	if a.Sessions == nil {
		return nil
	}
	return a.Sessions.End(w, r)
}

// EndAllSessions implements the web layer's Accounts.
func (a *Authenticator) EndAllSessions(user string) error {
	if a.Sessions == nil {
		return nil
	}
	_, err := a.Sessions.EndAll(user)
	return err
}

// CreateToken implements the web layer's Accounts.
func (a *Authenticator) CreateToken(user, name string) (string, error) {
	plain, _, err := a.Tokens.Create(user, name)
	return plain, err
}

// RevokeToken implements the web layer's Accounts.
func (a *Authenticator) RevokeToken(owner, id string) error { return a.Tokens.Revoke(owner, id) }

// ListTokens implements the web layer's Accounts.
func (a *Authenticator) ListTokens(owner string) []wiki.TokenInfo {
	var out []wiki.TokenInfo
	for _, t := range a.Tokens.List(owner) {
		out = append(out, wiki.TokenInfo{ID: t.ID, User: t.User, Name: t.Name, Created: t.Created, LastUsed: t.LastUsed})
	}
	return out
}
