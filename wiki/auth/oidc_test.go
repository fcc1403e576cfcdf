package auth_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/crypto/bcrypt"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/auth"
	"github.com/opswiki/opswiki/wiki/auth/authtest"
)

// Site is a wiki's sign-in on 127.0.0.1: the provider's routes, and every
// other path answering who the request is.
type Site struct {
	URL  string
	Auth *auth.Authenticator
	Dir  string
}

// SiteOptions change a test site.
type SiteOptions struct {
	Roles     string
	Users     []string // local accounts, password "<name>-pw"
	Default   wiki.Role
	Configure func(*auth.OIDCConfig)
}

// MustOIDCSite starts an authenticator in ModeOIDC against p behind a real
// server, and stops it when the test ends.
func MustOIDCSite(tb testing.TB, p *authtest.IdP, opt SiteOptions) *Site {
	tb.Helper()
	dir := tb.TempDir()
	a := &auth.Authenticator{Mode: auth.ModeOIDC, DefaultRole: opt.Default}
	if a.DefaultRole == wiki.RoleNone {
		a.DefaultRole = wiki.RoleReader
	}
	var err error
	if opt.Roles != "" {
		write(tb, filepath.Join(dir, "roles.yaml"), opt.Roles)
		if a.Roles, err = auth.LoadRoles(filepath.Join(dir, "roles.yaml")); err != nil {
			tb.Fatal(err)
		}
	}
	if len(opt.Users) > 0 {
		var lines []string
		for _, n := range opt.Users {
			h, _ := bcrypt.GenerateFromPassword([]byte(n+"-pw"), bcrypt.MinCost)
			lines = append(lines, n+":"+string(h))
		}
		write(tb, filepath.Join(dir, "users"), strings.Join(lines, "\n")+"\n")
		if a.Users, err = auth.LoadUsers(filepath.Join(dir, "users")); err != nil {
			tb.Fatal(err)
		}
	}
	if a.Tokens, err = auth.OpenTokens(filepath.Join(dir, "tokens.json")); err != nil {
		tb.Fatal(err)
	}
	if a.Sessions, err = auth.OpenSessions(filepath.Join(dir, "sessions.json"), time.Hour); err != nil {
		tb.Fatal(err)
	}
	if a.Identities, err = auth.OpenIdentities(filepath.Join(dir, "identities.json")); err != nil {
		tb.Fatal(err)
	}
	cfg := auth.OIDCConfig{Issuer: p.Issuer(), ClientID: p.ClientID, ClientSecret: p.ClientSecret, Name: "Mock",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if opt.Configure != nil {
		opt.Configure(&cfg)
	}
	if a.OIDC, err = auth.NewOIDC(cfg); err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /-/oidc/login", func(w http.ResponseWriter, r *http.Request) {
		to, err := a.BeginProviderSignin(w, r, r.URL.Query().Get("next"))
		if err != nil {
			refuse(w, "", err)
			return
		}
		http.Redirect(w, r, to, http.StatusFound)
	})
	mux.HandleFunc("GET "+auth.OIDCCallbackPath, func(w http.ResponseWriter, r *http.Request) {
		next, err := a.FinishProviderSignin(w, r)
		if err != nil {
			refuse(w, next, err)
			return
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		u, err := a.Identify(r)
		if err != nil {
			refuse(w, "", err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(Who{Path: r.URL.RequestURI(), User: u})
	})
	srv := &http.Server{Handler: mux}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return &Site{URL: "http://" + ln.Addr().String(), Auth: a, Dir: dir}
}

// refuse answers a refused request with its error code and message.
func refuse(w http.ResponseWriter, next string, err error) {
	w.Header().Set("X-Code", wiki.ErrorCode(err))
	w.Header().Set("X-Next", next)
	w.WriteHeader(http.StatusUnauthorized)
	io.WriteString(w, wiki.ErrorMessage(err))
}

// Who is what the site answers: the path asked for and who asked.
type Who struct {
	Path string
	User *wiki.User
}

// Result is where a browser ended: who it is there, or why it was refused.
type Result struct {
	Who           Who
	Code, Message string
	Next          string
}

// Browser keeps one browser's cookies.
type Browser struct{ *http.Client }

// NewBrowser is a browser that follows redirects.
func NewBrowser(tb testing.TB) Browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return Browser{&http.Client{Jar: jar, Timeout: time.Minute}}
}

// Open fetches u following redirects and reads where it ended.
func (b Browser) Open(tb testing.TB, u string) Result {
	tb.Helper()
	resp, err := b.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if code := resp.Header.Get("X-Code"); code != "" {
		return Result{Code: code, Message: string(body), Next: resp.Header.Get("X-Next")}
	}
	var r Result
	if err := json.Unmarshal(body, &r.Who); err != nil {
		tb.Fatalf("%s answered %d %s", u, resp.StatusCode, body)
	}
	return r
}

// Step fetches u without following a redirect and returns where it leads.
func (b Browser) Step(tb testing.TB, u string) string {
	tb.Helper()
	c := *b.Client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		tb.Fatalf("%s answered %d, not a redirect (%s)", u, resp.StatusCode, resp.Header.Get("X-Code"))
	}
	return resp.Header.Get("Location")
}

// Answer begins a sign-in for next and has the provider answer it,
// returning the callback URL the provider sent the browser to.
func (b Browser) Answer(tb testing.TB, s *Site, next string) *url.URL {
	tb.Helper()
	to := b.Step(tb, s.URL+"/-/oidc/login?next="+url.QueryEscape(next))
	cb, err := url.Parse(b.Step(tb, to))
	if err != nil {
		tb.Fatal(err)
	}
	return cb
}

// SignIn signs in from a new browser and returns where it landed.
func (s *Site) SignIn(tb testing.TB, next string) (Browser, Result) {
	tb.Helper()
	b := NewBrowser(tb)
	return b, b.Open(tb, s.URL+"/-/oidc/login?next="+url.QueryEscape(next))
}

func wantRefused(tb testing.TB, r Result, code, text string) {
	tb.Helper()
	if r.Code != code || !strings.Contains(r.Message, text) {
		tb.Fatalf("refused with %q %q, want %q containing %q (landed as %+v)", r.Code, r.Message, code, text, r.Who.User)
	}
}

func TestOIDCSignIn(t *testing.T) {
	p := authtest.MustIdP(t)
	s := MustOIDCSite(t, p, SiteOptions{Roles: "editor: [\"@engineering\"]\n"})

	t.Run("GoodLogin", func(t *testing.T) {
		_, r := s.SignIn(t, "/runbooks/db?ns=payments")
		u := r.Who.User
		if r.Code != "" || u == nil {
			t.Fatalf("not signed in: %+v", r)
		}
		if r.Who.Path != "/runbooks/db?ns=payments" {
			t.Errorf("landed on %q", r.Who.Path)
		}
		if u.Name != "jane.doe" || u.Email != "jane.doe@example.com" || u.Via != "session" ||
			!slices.Equal(u.Groups, []string{"engineering", "design"}) || u.Role != wiki.RoleEditor {
			t.Errorf("signed in as %+v", u)
		}
	})
	t.Run("WrongState", func(t *testing.T) {
		b := NewBrowser(t)
		cb := b.Answer(t, s, "/x")
		forged := *cb
		q := forged.Query()
		q.Set("state", strings.Repeat("ab", 16))
		forged.RawQuery = q.Encode()
		wantRefused(t, b.Open(t, forged.String()), wiki.EUNAUTHORIZED, "state is unknown")
		// The real answer still completes the sign-in it belongs to.
		if r := b.Open(t, cb.String()); r.Who.User == nil || r.Who.Path != "/x" {
			t.Fatalf("the real answer after a forged one: %+v", r)
		}
	})
	t.Run("StateOfAnotherBrowser", func(t *testing.T) {
		cb := NewBrowser(t).Answer(t, s, "/x")
		wantRefused(t, NewBrowser(t).Open(t, cb.String()), wiki.EUNAUTHORIZED, "not belong to a sign-in begun in this browser")
	})
	t.Run("Replay", func(t *testing.T) {
		b := NewBrowser(t)
		cb := b.Answer(t, s, "/x")
		if r := b.Open(t, cb.String()); r.Who.User == nil {
			t.Fatalf("first answer: %+v", r)
		}
		wantRefused(t, b.Open(t, cb.String()), wiki.EUNAUTHORIZED, "state is unknown")
	})
	t.Run("NoState", func(t *testing.T) {
		wantRefused(t, NewBrowser(t).Open(t, s.URL+auth.OIDCCallbackPath+"?code=abc"), wiki.EINVALID, "did not come from there")
	})
	t.Run("MissingCode", func(t *testing.T) {
		b := NewBrowser(t)
		cb := b.Answer(t, s, "/x")
		q := cb.Query()
		q.Del("code")
		cb.RawQuery = q.Encode()
		wantRefused(t, b.Open(t, cb.String()), wiki.EUNAUTHORIZED, "no authorization code")
	})
	t.Run("ProviderDenied", func(t *testing.T) {
		b := NewBrowser(t)
		cb := b.Answer(t, s, "/runbooks/db")
		q := url.Values{"state": {cb.Query().Get("state")}, "error": {"access_denied"}, "error_description": {"You are not in the ops group."}}
		r := b.Open(t, s.URL+auth.OIDCCallbackPath+"?"+q.Encode())
		wantRefused(t, r, wiki.EFORBIDDEN, "Mock did not sign you in: You are not in the ops group.")
		if r.Next != "/runbooks/db" {
			t.Errorf("the refused sign-in forgot its page: next %q", r.Next)
		}
	})
	t.Run("CodeRefused", func(t *testing.T) {
		b := NewBrowser(t)
		cb := b.Answer(t, s, "/x")
		q := cb.Query()
		q.Set("code", "not-a-code")
		cb.RawQuery = q.Encode()
		wantRefused(t, b.Open(t, cb.String()), wiki.EUNAUTHORIZED, "did not accept the sign-in's authorization code (invalid_grant")
	})
	tokenCases := []struct {
		name  string
		user  mockoidc.User
		setup func() func()
		want  string
	}{
		{"WrongNonce", authtest.Shaped(mockoidc.DefaultUser(), func(c jwt.MapClaims) { c["nonce"] = "0123456789abcdef" }), nil, "its nonce differs"},
		{"NoNonce", authtest.Shaped(mockoidc.DefaultUser(), func(c jwt.MapClaims) { delete(c, "nonce") }), nil, "its nonce differs"},
		{"WrongAudience", authtest.Shaped(mockoidc.DefaultUser(), func(c jwt.MapClaims) { c["aud"] = []string{"another-app"} }), nil, "issued to another application"},
		{"WrongIssuer", authtest.Shaped(mockoidc.DefaultUser(), func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }), nil, "issued by another provider"},
		{"Expired", nil, func() func() { p.Shift(-time.Hour); return func() { p.Shift(time.Hour) } }, "expired at"},
		{"BadSignature", nil, func() func() { p.Tamper.Store(true); return func() { p.Tamper.Store(false) } }, "could not be verified"},
	}
	for _, tc := range tokenCases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.user != nil {
				p.QueueUser(tc.user)
			}
			if tc.setup != nil {
				defer tc.setup()()
			}
			_, r := s.SignIn(t, "/x")
			wantRefused(t, r, wiki.EUNAUTHORIZED, tc.want)
			if r.Next != "/x" {
				t.Errorf("next %q", r.Next)
			}
		})
	}
	t.Run("FlowExpired", func(t *testing.T) {
		short := MustOIDCSite(t, p, SiteOptions{Configure: func(c *auth.OIDCConfig) { c.FlowTTL = time.Millisecond }})
		b := NewBrowser(t)
		cb := b.Answer(t, short, "/x")
		time.Sleep(5 * time.Millisecond)
		r := b.Open(t, cb.String())
		wantRefused(t, r, wiki.EUNAUTHORIZED, "has expired")
		if r.Next != "/x" {
			t.Errorf("next %q", r.Next)
		}
	})
	t.Run("ProviderDown", func(t *testing.T) {
		// A provider down when the wiki starts is asked again later.
		p.Down.Store(true)
		late := MustOIDCSite(t, p, SiteOptions{})
		_, r := late.SignIn(t, "/x")
		wantRefused(t, r, wiki.EUNAVAILABLE, "Mock cannot be reached")
		p.Down.Store(false)
		deadline := time.Now().Add(time.Minute)
		for {
			_, r = late.SignIn(t, "/x")
			if r.Who.User != nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if r.Who.User == nil {
			t.Fatalf("still refused once the provider is back: %+v", r)
		}
	})
}

func TestOIDCConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  auth.OIDCConfig
		want string
	}{
		{"NoIssuer", auth.OIDCConfig{ClientID: "c"}, "issuer URL is empty"},
		{"PlainHTTP", auth.OIDCConfig{Issuer: "http://login.example.com", ClientID: "c"}, "must use https"},
		{"NotAURL", auth.OIDCConfig{Issuer: "login.example.com", ClientID: "c"}, "not an absolute URL"},
		{"Query", auth.OIDCConfig{Issuer: "https://login.example.com/?tenant=1", ClientID: "c"}, "query"},
		{"NoClient", auth.OIDCConfig{Issuer: "https://login.example.com"}, "client ID is empty"},
		{"RedirectElsewhere", auth.OIDCConfig{Issuer: "https://login.example.com", ClientID: "c", RedirectURL: "https://wiki.example.com/callback"}, auth.OIDCCallbackPath},
		{"RedirectPlainHTTP", auth.OIDCConfig{Issuer: "https://login.example.com", ClientID: "c", RedirectURL: "http://wiki.example.com" + auth.OIDCCallbackPath}, "must use https"},
		{"NoOpenIDScope", auth.OIDCConfig{Issuer: "https://login.example.com", ClientID: "c", Scopes: []string{"email"}}, "openid"},
		{"Loopback", auth.OIDCConfig{Issuer: "http://127.0.0.1:5556/dex", ClientID: "c", RedirectURL: "http://localhost:8080" + auth.OIDCCallbackPath}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auth.NewOIDC(tc.cfg)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestOIDCRedirectURL(t *testing.T) {
	p := authtest.MustIdP(t)
	for _, tc := range []struct {
		name, fixed, proto, want string
	}{
		{"FromTheRequest", "", "", "http://%s" + auth.OIDCCallbackPath},
		{"BehindTLSProxy", "", "https", "https://%s" + auth.OIDCCallbackPath},
		{"Fixed", "https://wiki.example.com" + auth.OIDCCallbackPath, "", "https://wiki.example.com" + auth.OIDCCallbackPath},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := MustOIDCSite(t, p, SiteOptions{Configure: func(c *auth.OIDCConfig) { c.RedirectURL = tc.fixed }})
			req, _ := http.NewRequest("GET", s.URL+"/-/oidc/login?next=/", nil)
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			to, err := url.Parse(resp.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			q := to.Query()
			want := tc.want
			if strings.Contains(want, "%s") {
				want = fmt.Sprintf(want, strings.TrimPrefix(s.URL, "http://"))
			}
			if q.Get("redirect_uri") != want || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
				len(q.Get("state")) != 32 || q.Get("nonce") == "" || q.Get("scope") != "openid profile email groups" {
				t.Fatalf("authorization URL %s", to)
			}
			var flow *http.Cookie
			for _, c := range resp.Cookies() {
				if strings.HasSuffix(c.Name, q.Get("state")) {
					flow = c
				}
			}
			if flow == nil || !flow.HttpOnly || flow.Path != "/-/oidc/" || flow.SameSite != http.SameSiteLaxMode || flow.Secure != (tc.proto == "https") {
				t.Fatalf("flow cookie %+v", flow)
			}
			if strings.Contains(flow.Value, q.Get("nonce")) || len(flow.Value) > 4000 {
				t.Fatalf("flow cookie is not sealed, or too large: %d bytes", len(flow.Value))
			}
		})
	}
}
