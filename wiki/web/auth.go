package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// openPaths need no identity: health, metrics, assets and signing in.
var openPaths = []string{"/healthz", "/readyz", "/metrics", staticPrefix, "/-/signin", "/-/signout", "/-/opensearch.xml"}

// requiredRole is what a request needs: reading for GET and HEAD, editing
// for everything that changes something; a git push counts as editing.
func requiredRole(r *http.Request) wiki.Role {
	p := r.URL.Path
	for _, o := range openPaths {
		if p == o || (strings.HasSuffix(o, "/") && strings.HasPrefix(p, o)) {
			return wiki.RoleNone
		}
	}
	if strings.HasPrefix(p, "/wiki.git") {
		if strings.HasSuffix(p, "/git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack" {
			return wiki.RoleEditor
		}
		return wiki.RoleReader
	}
	if strings.HasPrefix(p, "/-/account") {
		return wiki.RoleReader
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return wiki.RoleReader
	}
	if p == "/-/api/preview" {
		return wiki.RoleReader // renders, changes nothing
	}
	return wiki.RoleEditor
}

// authorize identifies every request and refuses what its role does not
// allow: the same rules for pages, search, the API and git.
func (s *Server) authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.auth == nil {
			return next(c)
		}
		r := c.Request()
		u, err := s.auth.Identify(r)
		if err != nil {
			c.Response().Header().Set("WWW-Authenticate", `Basic realm="opswiki", charset="UTF-8"`)
			return err
		}
		if u != nil {
			c.SetRequest(r.WithContext(wiki.WithUser(r.Context(), u)))
		}
		need := requiredRole(r)
		have := s.auth.AnonymousRole()
		if u != nil {
			have = u.Role
		}
		if have >= need {
			return next(c)
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
}

func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// handleSignin serves GET and POST /-/signin.
func (s *Server) handleSignin(c echo.Context) error {
	a := s.accounts
	v := SigninView{Layout: s.layout("Sign in"), Next: safeNext(c.FormValue("next"))}
	if a == nil || a.AccessMode() == "none" {
		return c.Redirect(http.StatusSeeOther, v.Next)
	}
	v.Proxy = a.AccessMode() == "proxy"
	if c.Request().Method != http.MethodPost || v.Proxy {
		return s.html(c, http.StatusOK, "signin", v)
	}
	v.User = strings.TrimSpace(c.FormValue("user"))
	if err := a.CheckPassword(c.Request(), v.User, c.FormValue("password")); err != nil {
		v.Error = wiki.ErrorMessage(err)
		code := http.StatusUnauthorized
		if wiki.ErrorCode(err) == wiki.EUNAVAILABLE {
			code = http.StatusTooManyRequests
		}
		return s.html(c, code, "signin", v)
	}
	a.StartSession(c.Response(), c.Request(), v.User)
	return c.Redirect(http.StatusSeeOther, v.Next)
}

// handleSignout serves POST /-/signout.
func (s *Server) handleSignout(c echo.Context) error {
	if s.accounts != nil {
		s.accounts.EndSession(c.Response(), c.Request())
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// AccountView shows the signed-in user and their tokens.
type AccountView struct {
	Layout
	Name, Role, Via string
	CanSignOut      bool
	NewToken        string
	All             bool
	Tokens          []TokenRow
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
		return wiki.Errorf(wiki.ENOTFOUND, "Accounts exist only with access control on (--auth users or proxy).")
	}
	v := AccountView{Layout: s.layout("Account"), Name: u.Name, Role: u.Role.String(), Via: u.Via, CanSignOut: u.Via == "session"}
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
