package main_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// withHost sends a request with the Host header set to host.
func withHost(tb testing.TB, method, u, host, body string) (int, http.Header, string) {
	tb.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Host = host
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(tb, req)
}

// hostRoutes are requests to every kind of route, git's included.
var hostRoutes = []struct{ method, path, body string }{
	{"GET", "/", ""},
	{"GET", "/services/checkout", ""},
	{"GET", "/healthz", ""},
	{"GET", "/readyz", ""},
	{"GET", "/metrics", ""},
	{"GET", "/-/search?q=checkout", ""},
	{"GET", "/-/api/search?q=checkout", ""},
	{"GET", "/-/api/pages/services/checkout", ""},
	{"PUT", "/-/api/pages/rebound", `{"content":"# Rebound\n","base":""}`},
	{"GET", "/-/changes.atom", ""},
	{"GET", "/-/opensearch.xml", ""},
	{"GET", "/-/signin", ""},
	{"GET", "/wiki.git", ""},
	{"GET", "/wiki.git/info/refs?service=git-upload-pack", ""},
	{"GET", "/wiki.git/info/refs?service=git-receive-pack", ""},
	{"POST", "/wiki.git/git-upload-pack", "0000"},
}

// TestHostCheck refuses requests for host names that are not the wiki's
// (DNS rebinding), on every route and before anything runs, and answers
// the loopback names and the base URL's host.
func TestHostCheck(t *testing.T) {
	s := MustServe(t, "")
	head := s.MainCommit(t)
	port := s.URL[strings.LastIndexByte(s.URL, ':'):]
	for _, host := range []string{"evil.example", "evil.example" + port, "EVIL.example.", "localhost.evil.example", "127.0.0.1.nip.io" + port, "wiki.example.com"} {
		for _, rt := range hostRoutes {
			t.Run("Foreign/"+host+"/"+rt.method+rt.path, func(t *testing.T) {
				code, _, body := withHost(t, rt.method, s.URL+rt.path, host, rt.body)
				if code != http.StatusMisdirectedRequest {
					t.Fatalf("%s %s for Host %q = %d, want 421\n%s", rt.method, rt.path, host, code, body)
				}
				if !strings.Contains(body, "does not answer to the name") {
					t.Fatalf("421 without a clear message: %s", body)
				}
			})
		}
	}
	if s.MainCommit(t) != head {
		t.Fatal("a request for a foreign host changed the wiki")
	}
	for _, host := range []string{"localhost", "localhost" + port, "LOCALHOST.", "127.0.0.1" + port, "[::1]" + port, "[::1]", "127.0.0.2"} {
		t.Run("Loopback/"+host, func(t *testing.T) {
			if code, _, body := withHost(t, "GET", s.URL+"/services/checkout", host, ""); code != 200 {
				t.Fatalf("Host %q = %d\n%s", host, code, body)
			}
		})
	}
	t.Run("GitWithForeignHost", func(t *testing.T) {
		out, err := GitErr(t, "", "-c", "http.extraHeader=Host: evil.example", "ls-remote", s.GitURL())
		if err == nil || !strings.Contains(out, "421") {
			t.Fatalf("git with a foreign Host: %v\n%s", err, out)
		}
		if out := Git(t, "", "ls-remote", strings.Replace(s.GitURL(), "127.0.0.1", "localhost", 1), "main"); !strings.Contains(out, "refs/heads/main") {
			t.Fatalf("git via localhost: %s", out)
		}
	})
}

// TestBaseURL answers the base URL's host and writes absolute links with
// it, whichever accepted name the request used.
func TestBaseURL(t *testing.T) {
	s := MustServeWith(t, "", func(c *main.Config) { c.BaseURL = "https://Wiki.Example.com:443/" })
	port := s.URL[strings.LastIndexByte(s.URL, ':'):]
	for _, host := range []string{"wiki.example.com", "WIKI.example.com:443", "wiki.example.com" + port, "localhost" + port} {
		if code, _, body := withHost(t, "GET", s.URL+"/services/checkout", host, ""); code != 200 {
			t.Errorf("Host %q = %d\n%s", host, code, body)
		}
	}
	code, _, body := withHost(t, "GET", s.URL+"/", "evil.example", "")
	if code != http.StatusMisdirectedRequest || !strings.Contains(body, "https://wiki.example.com") {
		t.Errorf("foreign host: %d, want 421 naming the base URL\n%s", code, body)
	}
	for _, tt := range []struct{ path, want string }{
		{"/-/changes.atom", `href="https://wiki.example.com/-/changes.atom"`},
		{"/-/opensearch.xml", `template="https://wiki.example.com/-/search?q={searchTerms}"`},
		{"/wiki.git", "git clone https://wiki.example.com/wiki.git"},
		{"/runbooks", `<a href="https://wiki.example.com/wiki.git" data-clone>`},
	} {
		for _, host := range []string{"localhost" + port, "127.0.0.1" + port, "wiki.example.com"} {
			_, _, body := withHost(t, "GET", s.URL+tt.path, host, "")
			if !strings.Contains(body, tt.want) {
				t.Errorf("%s asked as %s lacks %s:\n%s", tt.path, host, tt.want, body)
			}
			if strings.Contains(body, host+"/") && !strings.HasPrefix(host, "wiki.example.com") {
				t.Errorf("%s asked as %s still links to it:\n%s", tt.path, host, body)
			}
		}
	}
	t.Run("Clone", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "clone")
		Git(t, "", "clone", "-q", s.GitURL(), dir)
	})
	t.Run("SecureCookie", func(t *testing.T) {
		users, roles := writeAccounts(t)
		u := MustServeWith(t, "", func(c *main.Config) {
			c.Auth, c.UsersFile, c.RolesFile, c.BaseURL = "users", users, roles, "https://wiki.example.com"
		})
		if c := signIn(t, u, "bo", "bo-pw"); !c.Secure {
			t.Fatalf("the session cookie of an https wiki reached over a loopback address is not Secure: %+v", c)
		}
	})
}

func TestBaseURLFlag(t *testing.T) {
	for _, tt := range []struct{ value, want string }{
		{"https://wiki.example.com", ""},
		{"https://wiki.example.com/", ""},
		{"http://10.0.0.5:8080", ""},
		{"http://[2001:db8::1]:8080", ""},
		{"wiki.example.com", "http:// or https://"},
		{"ftp://wiki.example.com", "http:// or https://"},
		{"https://", "no host name"},
		{"https://wiki.example.com/wiki", "must not have a path"},
		{"https://wiki.example.com/?x=1", "must not have a path"},
		{"https://wiki.example.com/#top", "must not have a path"},
		{"https://ana:pw@wiki.example.com", "user or password"},
		{"https://wiki.example.com:port", "is not a URL"},
	} {
		t.Run(tt.value, func(t *testing.T) {
			c := main.DefaultConfig()
			c.BaseURL = tt.value
			err := c.ValidateServe()
			if tt.want == "" && err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
