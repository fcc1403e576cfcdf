package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// identify finds out who makes every request, the same way for pages,
// search, the API and git; wrong credentials are refused here. What the
// user may do is decided where each route is registered (require).
func (s *Server) identify(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.auth == nil {
			return next(c)
		}
		r := c.Request()
		u, err := s.auth.Identify(r)
		if err != nil {
			if !setRetryAfter(c, err) {
				c.Response().Header().Set("WWW-Authenticate", `Basic realm="opswiki", charset="UTF-8"`)
			}
			return err
		}
		if u != nil {
			c.SetRequest(r.WithContext(wiki.WithUser(r.Context(), u)))
		}
		return next(c)
	}
}

// require refuses the routes it guards to anyone without role need.
func (s *Server) require(need wiki.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := s.check(c, need); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// check returns nil when the request's user (or an anonymous request) has
// role need; else it sends a browser to sign in, or answers 401 or 403.
func (s *Server) check(c echo.Context, need wiki.Role) error {
	if s.auth == nil {
		return nil
	}
	r := c.Request()
	u := wiki.UserFrom(r.Context())
	have := s.auth.AnonymousRole()
	if u != nil {
		have = u.Role
	}
	if have >= need {
		return nil
	}
	if u == nil {
		if r.Method == http.MethodGet && wantsHTML(r) && !strings.HasPrefix(r.URL.Path, "/wiki.git") {
			return c.Redirect(http.StatusSeeOther, "/-/signin?"+url.Values{"next": {r.URL.RequestURI()}}.Encode())
		}
		c.Response().Header().Set("WWW-Authenticate", `Basic realm="opswiki", charset="UTF-8"`)
		return wiki.Errorf(wiki.EUNAUTHORIZED, "Sign in first: send a token or your user and password.")
	}
	return wiki.Errorf(wiki.EFORBIDDEN, "Your role (%s) may not do this; it needs %s.", u.Role, need)
}

// author returns who makes a change: the signed-in user, else (with
// access control off) the configured author.
func (s *Server) author(r *http.Request) wiki.Signature {
	if u := wiki.UserFrom(r.Context()); u != nil && u.Via != "none" {
		return u.Signature(time.Now())
	}
	return s.cfg.Author(r)
}

// SigninView is the sign-in page.
type SigninView struct {
	Layout
	Next, User, Error string
	Proxy             bool
	// Provider names the identity provider to sign in with ("" for none),
	// ProviderURL starts that sign-in; Passwords shows the password form.
	Provider, ProviderURL string
	Passwords             bool
}

// ProviderSignin is what Accounts also do when people sign in with the
// organisation's identity provider (--auth oidc).
type ProviderSignin interface {
	// ProviderName is the provider's name for people; "" when there is none.
	ProviderName() string
	// AcceptsPasswords reports whether local accounts may also sign in
	// with a password.
	AcceptsPasswords() bool
	// BeginProviderSignin starts a sign-in returning to next and returns
	// the provider's address to send the browser to. Returns EUNAVAILABLE
	// when the provider cannot be reached.
	BeginProviderSignin(w http.ResponseWriter, r *http.Request, next string) (string, error)
	// FinishProviderSignin checks the provider's answer and starts the
	// session, returning the page the sign-in was for (also when refused,
	// as far as known). Returns EUNAUTHORIZED, EFORBIDDEN or EUNAVAILABLE
	// with a message that says why.
	FinishProviderSignin(w http.ResponseWriter, r *http.Request) (string, error)
}

// provider returns the identity provider sign-in, or nil when the wiki
// has none.
func (s *Server) provider() ProviderSignin {
	if p, ok := s.accounts.(ProviderSignin); ok && p.ProviderName() != "" {
		return p
	}
	return nil
}

// signinView is the sign-in page for next: the provider's button, the
// password form, or both.
func (s *Server) signinView(next string) SigninView {
	v := SigninView{Layout: s.layout("Sign in"), Next: safeNext(next), Passwords: true}
	v.Proxy = s.accounts.AccessMode() == "proxy"
	if p := s.provider(); p != nil {
		v.Provider, v.Passwords = p.ProviderName(), p.AcceptsPasswords()
		v.ProviderURL = "/-/oidc/login?" + url.Values{"next": {v.Next}}.Encode()
	}
	return v
}

// safeNext returns next when it is a path on this site, else "/": after
// signing in the browser is sent there, and browsers take "/\t/evil",
// "/\\evil", "//evil" or "https:evil" to another host.
func safeNext(next string) string {
	if len(next) > 4096 || !strings.HasPrefix(next, "/") || !utf8.ValidString(next) {
		return "/"
	}
	if strings.ContainsFunc(next, unsafeInURL) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	// Escaped slashes, backslashes and controls must not make "//" either,
	// whichever layer decodes them.
	if strings.Contains(u.EscapedPath(), "//") || strings.Contains(u.Path, "//") || strings.ContainsFunc(u.Path, unsafeInURL) {
		return "/"
	}
	return next
}

// unsafeInURL reports characters browsers drop or read as a slash in a
// URL: spaces and controls, and backslashes.
func unsafeInURL(r rune) bool {
	return r <= ' ' || r == '\\' || unicode.IsControl(r)
}

// setRetryAfter sets Retry-After from an error that says how long to wait,
// and reports whether it did.
func setRetryAfter(c echo.Context, err error) bool {
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &ra) {
		return false
	}
	secs := int64(math.Ceil(ra.RetryAfter().Seconds()))
	c.Response().Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	return true
}

// handleSignin serves GET and POST /-/signin.
func (s *Server) handleSignin(c echo.Context) error {
	a := s.accounts
	if a == nil || a.AccessMode() == "none" {
		return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
	}
	v := s.signinView(c.FormValue("next"))
	if c.Request().Method != http.MethodPost || v.Proxy {
		return s.html(c, http.StatusOK, "signin", v)
	}
	if !v.Passwords {
		v.Error = "This wiki signs people in with " + v.Provider + ", not with passwords."
		return s.html(c, http.StatusBadRequest, "signin", v)
	}
	v.User = strings.TrimSpace(c.FormValue("user"))
	if err := a.CheckPassword(c.Request(), v.User, c.FormValue("password")); err != nil {
		code := statusOf[wiki.ErrorCode(err)]
		if code == 0 || code >= 500 {
			return err
		}
		setRetryAfter(c, err)
		v.Error = wiki.ErrorMessage(err)
		return s.html(c, code, "signin", v)
	}
	if err := a.StartSession(c.Response(), c.Request(), v.User); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, v.Next)
}

// handleProviderSignin serves GET /-/oidc/login: it sends the browser to
// the identity provider, to come back to next.
func (s *Server) handleProviderSignin(c echo.Context) error {
	p := s.provider()
	if p == nil {
		return wiki.Errorf(wiki.ENOTFOUND, "This wiki does not sign people in with an identity provider.")
	}
	v := s.signinView(c.QueryParam("next"))
	c.Response().Header().Set("Cache-Control", "no-store")
	to, err := p.BeginProviderSignin(c.Response(), c.Request(), v.Next)
	if err != nil {
		return s.signinRefused(c, v, err)
	}
	return c.Redirect(http.StatusFound, to)
}

// handleProviderCallback serves GET /-/oidc/callback, where the identity
// provider sends the browser back: signed in, it goes on to the page the
// sign-in was for; refused, it sees why, with the way to try again.
func (s *Server) handleProviderCallback(c echo.Context) error {
	p := s.provider()
	if p == nil {
		return wiki.Errorf(wiki.ENOTFOUND, "This wiki does not sign people in with an identity provider.")
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	next, err := p.FinishProviderSignin(c.Response(), c.Request())
	if err != nil {
		return s.signinRefused(c, s.signinView(next), err)
	}
	return c.Redirect(http.StatusSeeOther, safeNext(next))
}

// signinRefused shows the sign-in page with why the provider's sign-in did
// not happen; faults of the wiki itself go to the error page.
func (s *Server) signinRefused(c echo.Context, v SigninView, err error) error {
	code := statusOf[wiki.ErrorCode(err)]
	if code == 0 || code == http.StatusInternalServerError {
		return err
	}
	s.log.Warn("identity provider sign-in refused", "err", err, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	v.Error = wiki.ErrorMessage(err)
	return s.html(c, code, "signin", v)
}

// handleSignout serves POST /-/signout: it ends this browser's session,
// or with everywhere=1 every session of the signed-in user (who may also
// be identified by a token or password, to end sessions on a lost device).
func (s *Server) handleSignout(c echo.Context) error {
	if s.accounts == nil {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	if c.FormValue("everywhere") != "" {
		u := wiki.UserFrom(c.Request().Context())
		if u == nil || u.Via == "none" || u.Via == "proxy" {
			return wiki.Errorf(wiki.EUNAUTHORIZED, "Sign in first to sign out everywhere.")
		}
		if err := s.accounts.EndAllSessions(u.Name); err != nil {
			return err
		}
	}
	if err := s.accounts.EndSession(c.Response(), c.Request()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// AccountView shows the signed-in user and their tokens.
type AccountView struct {
	Layout
	Name, Role, Via string
	// Email and Groups are what the identity provider or proxy said.
	Email      string
	Groups     []string
	CanSignOut bool
	NewToken   string
	All        bool
	Tokens     []TokenRow
}

// TokenRow is one token, without its secret.
type TokenRow struct {
	ID, User, Name, Created, LastUsed string
}

// handleAccount serves GET /-/account and POST /-/account/tokens and
// /-/account/tokens/revoke: who you are, and your personal access tokens.
func (s *Server) handleAccount(c echo.Context) error {
	u := wiki.UserFrom(c.Request().Context())
	a := s.accounts
	if u == nil || a == nil || a.AccessMode() == "none" {
		return wiki.Errorf(wiki.ENOTFOUND, "Accounts exist only with access control on (--auth users, proxy or oidc).")
	}
	v := AccountView{Layout: s.layout("Account"), Name: u.Name, Role: u.Role.String(), Via: u.Via,
		Email: u.Email, Groups: u.Groups, CanSignOut: u.Via == "session"}
	switch c.Request().URL.Path {
	case "/-/account/tokens":
		if u.Via == "token" {
			return wiki.Errorf(wiki.EFORBIDDEN, "A token cannot make tokens; sign in.")
		}
		plain, err := a.CreateToken(u.Name, c.FormValue("name"))
		if err != nil {
			return err
		}
		v.NewToken = plain
	case "/-/account/tokens/revoke":
		owner := u.Name
		if u.Can(wiki.RoleAdmin) {
			owner = ""
		}
		if err := a.RevokeToken(owner, c.FormValue("id")); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/-/account")
	}
	owner := u.Name
	if u.Can(wiki.RoleAdmin) {
		owner, v.All = "", true
	}
	for _, t := range a.ListTokens(owner) {
		row := TokenRow{ID: t.ID, User: t.User, Name: t.Name, Created: t.Created.Format(time.DateOnly), LastUsed: "never"}
		if !t.LastUsed.IsZero() {
			row.LastUsed = t.LastUsed.Format(time.DateOnly)
		}
		v.Tokens = append(v.Tokens, row)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.html(c, http.StatusOK, "account", v)
}
