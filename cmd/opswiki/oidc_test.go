package main_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
	"github.com/opswiki/opswiki/wiki/auth/authtest"
)

// MustServeOIDC starts the real server with --auth oidc against p, with a
// roles file, and more changes from configure.
func MustServeOIDC(tb testing.TB, p *authtest.IdP, roles string, configure func(*main.Config)) *Server {
	tb.Helper()
	dir := tb.TempDir()
	secret, rolesFile := filepath.Join(dir, "client-secret"), filepath.Join(dir, "roles.yaml")
	if err := os.WriteFile(secret, []byte(p.ClientSecret+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(rolesFile, []byte(roles), 0o600); err != nil {
		tb.Fatal(err)
	}
	return MustServeWith(tb, "", func(c *main.Config) {
		c.Auth, c.RolesFile = "oidc", rolesFile
		c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecretFile, c.OIDCProviderName = p.Issuer(), p.ClientID, secret, "Mock"
		if configure != nil {
			configure(c)
		}
	})
}

// oidcBrowser is an HTTP client with cookies that follows redirects, as a
// browser signing in does.
type oidcBrowser struct{ *http.Client }

func newOIDCBrowser(tb testing.TB) oidcBrowser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return oidcBrowser{&http.Client{Jar: jar, Timeout: time.Minute}}
}

// open fetches u, following redirects, and returns the last answer and
// where it came from.
func (b oidcBrowser) open(tb testing.TB, method, u string, form url.Values) (int, string, string) {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	}
	resp, err := b.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL.RequestURI(), string(out)
}

func TestOIDCServe(t *testing.T) {
	p := authtest.MustIdP(t)
	s := MustServeOIDC(t, p, "editor: [\"@engineering\"]\nreader: [\"@contractors\"]\n", nil)
	repo := filepath.Join(s.Data, "wiki.git")

	t.Run("SigninPageOffersTheProvider", func(t *testing.T) {
		code, h, _ := request(t, "GET", s.URL+"/services/checkout", "", "", "", "Accept", "text/html")
		if code != http.StatusSeeOther || h.Get("Location") != "/-/signin?next=%2Fservices%2Fcheckout" {
			t.Fatalf("anonymous page view: %d %q", code, h.Get("Location"))
		}
		code, _, body := s.Get(t, "/-/signin?next=%2Fservices%2Fcheckout")
		if code != 200 || !strings.Contains(body, `href="/-/oidc/login?next=%2Fservices%2Fcheckout">Sign in with Mock</a>`) || strings.Contains(body, `type="password"`) {
			t.Fatalf("sign-in page %d:\n%s", code, body)
		}
		code, _, body = request(t, "POST", s.URL+"/-/signin", "user=jane.doe&password=x", "", "", "Content-Type", "application/x-www-form-urlencoded")
		if code != http.StatusBadRequest || !strings.Contains(body, "signs people in with Mock, not with passwords") {
			t.Fatalf("a password sent to a provider's wiki: %d", code)
		}
	})
	var token string
	t.Run("SignInSaveTokenGit", func(t *testing.T) {
		b := newOIDCBrowser(t)
		code, at, body := b.open(t, "GET", s.URL+"/-/oidc/login?next="+url.QueryEscape("/services/checkout?tab=1"), nil)
		if code != 200 || at != "/services/checkout?tab=1" || !strings.Contains(body, `class="page`) {
			t.Fatalf("signed in to %d %s", code, at)
		}
		code, _, body = b.open(t, "GET", s.URL+"/-/account", nil)
		if code != 200 || !strings.Contains(body, "jane.doe</h1>") || !strings.Contains(body, "<code>engineering</code>, <code>design</code>") ||
			!strings.Contains(body, "<strong>editor</strong>") || !strings.Contains(body, "Sign out") {
			t.Fatalf("account page %d:\n%s", code, body)
		}
		code, _, body = b.open(t, "POST", s.URL+"/-/account/tokens", url.Values{"name": {"laptop git"}})
		token = regexp.MustCompile(`opw_[a-z0-9]+`).FindString(body)
		if code != 200 || token == "" {
			t.Fatalf("make a token: %d", code)
		}
		// A script saves with the token, as the user.
		if code, _, out := request(t, "PUT", s.URL+"/-/api/pages/notes/by-token", `{"content":"# By token\n"}`, "", "", "Authorization", "Bearer "+token); code != 200 {
			t.Fatalf("save with the token: %d %s", code, out)
		}
		if who := Git(t, repo, "log", "-1", "--format=%an <%ae>", "main"); who != "jane.doe <jane.doe@example.com>" {
			t.Errorf("author %q", who)
		}
		// git clones and pushes with the token as the password.
		u, _ := url.Parse(s.GitURL())
		u.User = url.UserPassword("jane.doe", token)
		work := filepath.Join(t.TempDir(), "work")
		Git(t, "", "clone", "-q", u.String(), work)
		if err := os.WriteFile(filepath.Join(work, "notes", "pushed.md"), []byte("# Pushed\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		Git(t, work, "add", ".")
		Git(t, work, "commit", "-qm", "Pushed with a token")
		Git(t, work, "push", "-q", "origin", "HEAD:main")
		if msg := Git(t, repo, "log", "-1", "--format=%s", "main"); msg != "Pushed with a token" {
			t.Errorf("pushed commit %q", msg)
		}
		// Signing out ends the session; the token goes on working.
		if code, at, _ := b.open(t, "POST", s.URL+"/-/signout", url.Values{}); code != 200 || !strings.HasPrefix(at, "/-/signin") {
			t.Fatalf("sign out led to %d %s", code, at)
		}
		if code, at, _ := b.open(t, "GET", s.URL+"/services/checkout", nil); !strings.HasPrefix(at, "/-/signin") {
			t.Fatalf("after signing out: %d %s", code, at)
		}
		if code, _, _ := request(t, "GET", s.URL+"/-/api/search?q=checkout", "", "", "", "Authorization", "Bearer "+token); code != 200 {
			t.Fatalf("token after signing out: %d", code)
		}
	})
	t.Run("ReaderGroupRefusedOnSave", func(t *testing.T) {
		p.QueueUser(authtest.User("sub-kim", "kim", "kim@example.com", "contractors"))
		b := newOIDCBrowser(t)
		if code, at, _ := b.open(t, "GET", s.URL+"/-/oidc/login?next=/", nil); code != 200 || at != "/" {
			t.Fatalf("signed in to %d %s", code, at)
		}
		req, _ := http.NewRequest("PUT", s.URL+"/-/api/pages/notes/kim", strings.NewReader(`{"content":"# Kim\n"}`))
		req.Header.Set("Origin", s.URL)
		resp, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !bytes.Contains(out, []byte("Your role (reader) may not do this")) {
			t.Fatalf("a reader's save: %d %s", resp.StatusCode, out)
		}
	})
	t.Run("RefusalsArePages", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			setup  func(q url.Values) url.Values
			status int
			text   string
		}{
			{"AccessDenied", func(q url.Values) url.Values {
				return url.Values{"state": q["state"], "error": {"access_denied"}, "error_description": {"Not <b>allowed</b>."}}
			}, http.StatusForbidden, "Mock did not sign you in: Not &lt;b&gt;allowed&lt;/b&gt;."},
			{"WrongState", func(q url.Values) url.Values { q.Set("state", strings.Repeat("0", 32)); return q }, http.StatusUnauthorized, "state is unknown here"},
			{"NoState", func(q url.Values) url.Values { q.Del("state"); return q }, http.StatusBadRequest, "did not come from there"},
			{"UnknownCode", func(q url.Values) url.Values { q.Set("code", "forged"); return q }, http.StatusUnauthorized, "did not accept the sign-in"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := newOIDCBrowser(t)
				c := *b.Client
				c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
				step := func(u string) string {
					resp, err := c.Get(u)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					return resp.Header.Get("Location")
				}
				cb, _ := url.Parse(step(step(s.URL + "/-/oidc/login?next=%2Frunbooks%2Fcheckout-high-error-rate")))
				code, _, body := b.open(t, "GET", s.URL+cb.Path+"?"+tc.setup(cb.Query()).Encode(), nil)
				if code != tc.status || !strings.Contains(body, tc.text) {
					t.Fatalf("%d, want %d with %q:\n%s", code, tc.status, tc.text, body)
				}
				if tc.name != "WrongState" && tc.name != "NoState" && !strings.Contains(body, `href="/-/oidc/login?next=%2Frunbooks%2Fcheckout-high-error-rate">Sign in with Mock</a>`) {
					t.Errorf("the refusal does not offer to sign in again for the same page:\n%s", body)
				}
			})
		}
	})
	t.Run("NextStaysOnSite", func(t *testing.T) {
		p.QueueUser(authtest.User("sub-lee", "lee", "lee@example.com", "engineering"))
		code, at, _ := newOIDCBrowser(t).open(t, "GET", s.URL+"/-/oidc/login?next="+url.QueryEscape("//evil.example/x"), nil)
		if code != 200 || at != "/" {
			t.Fatalf("signed in to %d %s", code, at)
		}
	})
}

func TestOIDCProviderDownAtStart(t *testing.T) {
	p := authtest.MustIdP(t)
	p.Down.Store(true)
	s := MustServeOIDC(t, p, "", func(c *main.Config) { c.AnonymousRead = true })
	if code, _, _ := s.Get(t, "/services/checkout"); code != 200 {
		t.Fatalf("the wiki does not serve while its provider is down: %d", code)
	}
	code, _, body := newOIDCBrowser(t).open(t, "GET", s.URL+"/-/oidc/login?next=/", nil)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "Mock cannot be reached to sign you in") {
		t.Fatalf("sign in while the provider is down: %d\n%s", code, body)
	}
	if logs := s.logs.String(); !strings.Contains(logs, "identity provider cannot be reached") {
		t.Errorf("no warning logged at start:\n%s", logs)
	}
}

func TestOIDCConfigErrors(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := func(c *main.Config) {
		c.Auth, c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecretFile = "oidc", "https://login.example.com/realms/ops", "opswiki", secret
	}
	for _, tc := range []struct {
		name   string
		change func(*main.Config)
		want   string
	}{
		{"Good", func(*main.Config) {}, ""},
		{"GoodLoopbackHTTP", func(c *main.Config) { c.OIDCIssuer = "http://127.0.0.1:5556/dex" }, ""},
		{"Missing", func(c *main.Config) { c.OIDCIssuer, c.OIDCClientSecretFile = "", "" }, "--auth oidc needs --oidc-issuer, --oidc-client-secret-file"},
		{"PlainHTTPIssuer", func(c *main.Config) { c.OIDCIssuer = "http://login.example.com" }, "--oidc-issuer: the OIDC issuer \"http://login.example.com\" must use https"},
		{"RedirectPath", func(c *main.Config) { c.OIDCRedirectURL = "https://wiki.example.com/callback" }, "--oidc-redirect-url"},
		{"ScopesWithoutOpenID", func(c *main.Config) { c.OIDCScopes = "profile,email" }, "must include openid"},
		{"EmptyGroupsClaim", func(c *main.Config) { c.OIDCGroupsClaim = " " }, "--oidc-groups-claim"},
		{"OIDCFlagsWithoutOIDC", func(c *main.Config) { c.Auth = "proxy"; c.TrustedProxy = "10.0.0.1" }, "the --oidc-* settings are for --auth oidc, and --auth is proxy"},
		{"BadTrustedProxy", func(c *main.Config) { c.TrustedProxy = "nonsense" }, "--trusted-proxy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := main.DefaultConfig()
			c.Data = t.TempDir()
			good(&c)
			tc.change(&c)
			err := c.ValidateServe()
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("EmptySecretFile", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "empty")
		os.WriteFile(empty, []byte("\n"), 0o600)
		c := main.DefaultConfig()
		c.Addr, c.Data = "127.0.0.1:0", filepath.Join(t.TempDir(), "data")
		good(&c)
		c.OIDCClientSecretFile = empty
		m := &main.Main{Config: c, Stderr: io.Discard}
		if err := m.Serve(t.Context()); err == nil || !strings.Contains(err.Error(), "is empty") {
			t.Fatalf("serve with an empty secret: %v", err)
		}
	})
}

// Local accounts (--users) sign in with a password beside the provider,
// for when it is down; their names are not the provider's to take.
func TestOIDCWithLocalAccounts(t *testing.T) {
	p := authtest.MustIdP(t)
	users, _ := writeAccounts(t)
	s := MustServeOIDC(t, p, "admin: [ana]\n", func(c *main.Config) { c.UsersFile = users })
	code, _, body := s.Get(t, "/-/signin?next=%2F-%2Freport")
	if code != 200 || !strings.Contains(body, ">Sign in with Mock</a>") || !strings.Contains(body, `type="password"`) {
		t.Fatalf("sign-in page %d:\n%s", code, body)
	}
	b := newOIDCBrowser(t)
	code, at, body := b.open(t, "POST", s.URL+"/-/signin", url.Values{"user": {"ana"}, "password": {"ana-pw"}, "next": {"/-/account"}})
	if code != 200 || at != "/-/account" || !strings.Contains(body, "<strong>admin</strong>") {
		t.Fatalf("password sign-in led to %d %s", code, at)
	}
	p.QueueUser(authtest.User("sub-ana", "ana", "ana@example.com"))
	code, _, body = newOIDCBrowser(t).open(t, "GET", s.URL+"/-/oidc/login?next=/", nil)
	if code != http.StatusForbidden || !strings.Contains(body, "belongs to a local account") {
		t.Fatalf("the provider's ana took the local account: %d", code)
	}
}
