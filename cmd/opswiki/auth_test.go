package main_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// writeAccounts writes an htpasswd file (passwords are "<name>-pw") and a
// roles file: ana admin, bo editor, cy reader.
func writeAccounts(tb testing.TB) (users, roles string) {
	tb.Helper()
	dir := tb.TempDir()
	var lines []string
	for _, n := range []string{"ana", "bo", "cy"} {
		h, _ := bcrypt.GenerateFromPassword([]byte(n+"-pw"), bcrypt.MinCost)
		lines = append(lines, n+":"+string(h))
	}
	users, roles = filepath.Join(dir, "users"), filepath.Join(dir, "roles.yaml")
	if err := os.WriteFile(users, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(roles, []byte("admin: [ana]\neditor: [bo]\nreader: [cy]\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return users, roles
}

// request sends a request with optional basic auth and headers.
func request(tb testing.TB, method, u, body string, user, pw string, header ...string) (int, http.Header, string) {
	tb.Helper()
	var r *bytes.Reader
	if body != "" {
		r = bytes.NewReader([]byte(body))
	} else {
		r = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, u, r)
	if user != "" {
		req.SetBasicAuth(user, pw)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(tb, req)
}

func TestAuthUsers(t *testing.T) {
	users, roles := writeAccounts(t)
	s := MustServeWith(t, "", func(c *main.Config) { c.Auth, c.UsersFile, c.RolesFile = "users", users, roles })
	html := []string{"Accept", "text/html"}
	save := `{"content":"# Changed\n","base":"","message":"by api"}`

	t.Run("AnonymousIsSentToSignIn", func(t *testing.T) {
		code, h, _ := request(t, "GET", s.URL+"/services/checkout", "", "", "", html...)
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/-/signin?next=%2Fservices%2Fcheckout") {
			t.Fatalf("%d %q", code, h.Get("Location"))
		}
		code, h, _ = request(t, "GET", s.URL+"/-/api/search?q=checkout", "", "", "")
		if code != http.StatusUnauthorized || !strings.Contains(h.Get("WWW-Authenticate"), "Basic") {
			t.Fatalf("API without credentials = %d %q", code, h.Get("WWW-Authenticate"))
		}
		if code, _, _ := request(t, "GET", s.URL+"/healthz", "", "", ""); code != 200 {
			t.Fatalf("healthz = %d", code)
		}
	})
	t.Run("SignInWithPassword", func(t *testing.T) {
		jar := &cookieJar{}
		client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.PostForm(s.URL+"/-/signin", url.Values{"user": {"cy"}, "password": {"wrong"}, "next": {"/"}})
		if err != nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password: %v %d", err, resp.StatusCode)
		}
		resp, err = client.PostForm(s.URL+"/-/signin", url.Values{"user": {"cy"}, "password": {"cy-pw"}, "next": {"//evil.example/"}})
		if err != nil || resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("sign in: %v %d %q", err, resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, _ = client.Get(s.URL + "/services/checkout")
		if resp.StatusCode != 200 {
			t.Fatalf("signed-in read = %d", resp.StatusCode)
		}
		req, _ := http.NewRequest("PUT", s.URL+"/-/api/pages/x", strings.NewReader(save))
		req.Header.Set("Origin", s.URL)
		resp, _ = client.Do(req)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a reader's save = %d, want 403", resp.StatusCode)
		}
	})
	t.Run("EditorWithToken", func(t *testing.T) {
		jar := &cookieJar{}
		client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		client.PostForm(s.URL+"/-/signin", url.Values{"user": {"bo"}, "password": {"bo-pw"}})
		req, _ := http.NewRequest("POST", s.URL+"/-/account/tokens", strings.NewReader("name=ci"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", s.URL)
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("make token: %v %d", err, resp.StatusCode)
		}
		var page bytes.Buffer
		page.ReadFrom(resp.Body)
		i := strings.Index(page.String(), "opw_")
		if i < 0 {
			t.Fatalf("no token shown:\n%s", page.String())
		}
		token := page.String()[i : i+strings.IndexByte(page.String()[i:], '<')]
		code, _, body := request(t, "PUT", s.URL+"/-/api/pages/by-token", save, "", "", "Authorization", "Bearer "+token)
		if code != 200 {
			t.Fatalf("save with token = %d %s", code, body)
		}
		if author := Git(t, filepath.Join(s.Data, "wiki.git"), "log", "-1", "--format=%an", "main"); author != "bo" {
			t.Errorf("commit author %q, want the signed-in user bo", author)
		}
		if code, _, _ := request(t, "PUT", s.URL+"/-/api/pages/by-password", save, "bo", "bo-pw"); code != 200 {
			t.Errorf("save with basic auth = %d", code)
		}
		if code, _, _ := request(t, "PUT", s.URL+"/-/api/pages/bad", save, "bo", "wrong"); code != 401 {
			t.Errorf("wrong password = %d", code)
		}
		var search struct{ Total int }
		_, _, body = request(t, "GET", s.URL+"/-/api/search?q=checkout", "", "cy", "cy-pw")
		if err := json.Unmarshal([]byte(body), &search); err != nil || search.Total == 0 {
			t.Errorf("a reader's search: %v %s", err, body)
		}
	})
}

func TestAuthAnonymousReadAndProxy(t *testing.T) {
	users, roles := writeAccounts(t)
	s := MustServeWith(t, "", func(c *main.Config) {
		c.Auth, c.UsersFile, c.RolesFile, c.AnonymousRead = "users", users, roles, true
	})
	if code, _, _ := request(t, "GET", s.URL+"/services/checkout", "", "", ""); code != 200 {
		t.Fatalf("anonymous read = %d", code)
	}
	if code, _, _ := request(t, "PUT", s.URL+"/-/api/pages/x", `{"content":"x"}`, "", ""); code != 401 {
		t.Fatalf("anonymous write = %d", code)
	}

	p := MustServeWith(t, "", func(c *main.Config) {
		c.Auth, c.RolesFile, c.TrustedProxy, c.DefaultRole = "proxy", roles, "127.0.0.1/32", "reader"
	})
	save := `{"content":"# By proxy\n","base":""}`
	if code, _, body := request(t, "PUT", p.URL+"/-/api/pages/proxied", save, "", "", "X-Forwarded-User", "bo", "X-Forwarded-Email", "bo@example.com"); code != 200 {
		t.Fatalf("proxied editor save = %d %s", code, body)
	}
	if who := Git(t, filepath.Join(p.Data, "wiki.git"), "log", "-1", "--format=%an <%ae>", "main"); who != "bo <bo@example.com>" {
		t.Errorf("author %q", who)
	}
	if code, _, _ := request(t, "PUT", p.URL+"/-/api/pages/proxied", save, "", "", "X-Forwarded-User", "dee"); code != 403 {
		t.Errorf("unlisted proxied user (default reader) save = %d", code)
	}
	u := MustServeWith(t, "", func(c *main.Config) { c.Auth, c.TrustedProxy = "proxy", "10.0.0.0/8" })
	if code, _, _ := request(t, "GET", u.URL+"/-/api/search?q=x", "", "", "", "X-Forwarded-User", "ana"); code != 401 {
		t.Errorf("header from an untrusted address = %d, want 401", code)
	}
}

// cookieJar is a minimal jar for one test server.
type cookieJar struct{ cookies []*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) { j.cookies = append(j.cookies, cs...) }
func (j *cookieJar) Cookies(*url.URL) []*http.Cookie          { return j.cookies }
