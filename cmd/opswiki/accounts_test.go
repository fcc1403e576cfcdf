package main_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// writeUsers writes an htpasswd file of user → password.
func writeUsers(tb testing.TB, path string, users map[string]string) {
	tb.Helper()
	var lines []string
	for name, pw := range users {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			tb.Fatal(err)
		}
		lines = append(lines, name+":"+string(h))
	}
	sort.Strings(lines)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// signIn signs in through the form and returns the session cookie.
func signIn(tb testing.TB, s *Server, user, pw string) *http.Cookie {
	tb.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/-/signin", strings.NewReader(url.Values{"user": {user}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	for _, c := range resp.Cookies() {
		if c.Name == "opswiki_session" && c.Value != "" {
			return c
		}
	}
	tb.Fatalf("sign-in as %s: %d, no session cookie", user, resp.StatusCode)
	return nil
}

// makeToken makes a personal access token on the account page.
func makeToken(tb testing.TB, s *Server, session *http.Cookie) string {
	tb.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/-/account/tokens", strings.NewReader("name=script"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.URL)
	req.AddCookie(session)
	code, _, page := do(tb, req)
	i := strings.Index(page, "opw_")
	if code != 200 || i < 0 {
		tb.Fatalf("make token: %d\n%s", code, page)
	}
	return page[i : i+strings.IndexByte(page[i:], '<')]
}

// saveAs saves a new page with a session cookie or a token and returns
// the status.
func saveAs(tb testing.TB, s *Server, session *http.Cookie, token string) int {
	tb.Helper()
	name := "access-check-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	req, _ := http.NewRequest("PUT", s.URL+"/-/api/pages/"+name, strings.NewReader(`{"content":"# Check\n","base":"","message":"check"}`))
	req.Header.Set("Content-Type", "application/json")
	if session != nil {
		req.AddCookie(session)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	code, _, _ := do(tb, req)
	return code
}

// eventually polls cond until it holds; the users file is re-read every
// few seconds. The limit only keeps a broken server from hanging the test.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("still not so after a minute: %s", what)
		}
	}
}

// TestAccountChanges edits the users file while the server runs: a
// removed account loses its sessions and tokens, a changed password ends
// sessions, a broken file changes nothing; sign-out ends a session at once
// and sessions survive a restart.
func TestAccountChanges(t *testing.T) {
	dir := t.TempDir()
	users, data := filepath.Join(dir, "users"), filepath.Join(dir, "data")
	writeUsers(t, users, map[string]string{"ana": "ana-pw", "bo": "bo-pw", "eve": "eve-pw"})
	configure := func(c *main.Config) { c.Auth, c.UsersFile = "users", users }
	s := MustServeWith(t, data, configure)

	eve := signIn(t, s, "eve", "eve-pw")
	eveToken := makeToken(t, s, eve)
	if saveAs(t, s, eve, "") != 200 || saveAs(t, s, nil, eveToken) != 200 {
		t.Fatal("eve cannot save before her account is removed")
	}
	ana := signIn(t, s, "ana", "ana-pw")
	writeUsers(t, users, map[string]string{"ana": "ana-new-pw", "bo": "bo-pw"})
	eventually(t, "eve's session refused after her account was removed", func() bool { return saveAs(t, s, eve, "") == 401 })
	if code := saveAs(t, s, nil, eveToken); code != 401 {
		t.Errorf("removed account's token: %d, want 401", code)
	}
	if code := saveAs(t, s, ana, ""); code != 401 {
		t.Errorf("session begun with ana's old password: %d, want 401", code)
	}
	ana = signIn(t, s, "ana", "ana-new-pw")
	if code := saveAs(t, s, ana, ""); code != 200 {
		t.Errorf("ana with her new password: %d", code)
	}

	t.Run("BrokenFileKeepsAccounts", func(t *testing.T) {
		good, err := os.ReadFile(users)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(users, []byte("ana:plaintext-password\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the broken users file logged", func() bool { return strings.Contains(s.logs.String(), "users file cannot be used") })
		if code := saveAs(t, s, ana, ""); code != 200 {
			t.Errorf("ana's session after the users file broke: %d", code)
		}
		if code, _, _ := request(t, "GET", s.URL+"/-/api/search?q=x", "", "bo", "bo-pw"); code != 200 {
			t.Errorf("bo's password after the users file broke: %d", code)
		}
		reloads := strings.Count(s.logs.String(), "users file reloaded")
		if err := os.WriteFile(users, good, 0o600); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the mended users file reloaded", func() bool { return strings.Count(s.logs.String(), "users file reloaded") > reloads })
	})

	t.Run("SignOut", func(t *testing.T) {
		bo := signIn(t, s, "bo", "bo-pw")
		req, _ := http.NewRequest("POST", s.URL+"/-/signout", nil)
		req.Header.Set("Origin", s.URL)
		req.AddCookie(bo)
		if code, _, _ := do(t, req); code != http.StatusSeeOther {
			t.Fatalf("sign out: %d", code)
		}
		if code := saveAs(t, s, bo, ""); code != 401 {
			t.Fatalf("the cookie of a signed-out session: %d, want 401", code)
		}
	})
	t.Run("SignOutEverywhere", func(t *testing.T) {
		laptop, phone, other := signIn(t, s, "bo", "bo-pw"), signIn(t, s, "bo", "bo-pw"), signIn(t, s, "ana", "ana-new-pw")
		req, _ := http.NewRequest("POST", s.URL+"/-/signout", strings.NewReader("everywhere=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", s.URL)
		req.AddCookie(laptop)
		if code, _, _ := do(t, req); code != http.StatusSeeOther {
			t.Fatalf("sign out everywhere: %d", code)
		}
		if saveAs(t, s, laptop, "") != 401 || saveAs(t, s, phone, "") != 401 {
			t.Fatal("a session of bo outlived signing out everywhere")
		}
		if saveAs(t, s, other, "") != 200 {
			t.Fatal("signing bo out everywhere ended ana's session")
		}
	})
	t.Run("Restart", func(t *testing.T) {
		kept := signIn(t, s, "bo", "bo-pw")
		s.Stop(t)
		s2 := MustServeWith(t, data, configure)
		if code := saveAs(t, s2, kept, ""); code != 200 {
			t.Fatalf("a session after a restart: %d", code)
		}
		if code := saveAs(t, s2, eve, ""); code != 401 {
			t.Fatalf("the removed account's session after a restart: %d", code)
		}
	})
}

// TestSigninThrottle guesses passwords from one address: the guessed
// account is held back with 429 and Retry-After (never 503), while others
// at the same address sign in with their right passwords, and tokens are
// never held back.
func TestSigninThrottle(t *testing.T) {
	users, roles := writeAccounts(t)
	s := MustServeWith(t, "", func(c *main.Config) { c.Auth, c.UsersFile, c.RolesFile = "users", users, roles })
	anaToken := makeToken(t, s, signIn(t, s, "ana", "ana-pw"))
	api := s.URL + "/-/api/search?q=checkout"

	throttled := false
	for range 40 {
		code, h, body := request(t, "GET", api, "", "ana", "guess")
		if code == http.StatusTooManyRequests {
			if secs, err := strconv.Atoi(h.Get("Retry-After")); err != nil || secs < 1 {
				t.Fatalf("429 with Retry-After %q", h.Get("Retry-After"))
			}
			if !strings.Contains(body, `"code":"throttled"`) {
				t.Fatalf("429 body: %s", body)
			}
			throttled = true
			break
		}
		if code != http.StatusUnauthorized {
			t.Fatalf("a wrong password: %d %s, want 401 or 429", code, body)
		}
	}
	if !throttled {
		t.Fatal("40 wrong passwords for ana from one address were never held back")
	}
	req, _ := http.NewRequest("POST", s.URL+"/-/signin", strings.NewReader("user=ana&password=ana-pw"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if code, h, _ := do(t, req); code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("sign-in form for the held-back account: %d Retry-After %q", code, h.Get("Retry-After"))
	}

	// A password sprayer at the same address: one wrong guess each for
	// many names, existing or not. Afterwards the address holds back every
	// name it failed on.
	for i := range 25 {
		if code, _, body := request(t, "GET", api, "", "sprayed"+strconv.Itoa(i), "Summer2026!"); code != 401 {
			t.Fatalf("first guess for a fresh name: %d %s", code, body)
		}
	}
	if code, h, _ := request(t, "GET", api, "", "sprayed0", "Winter2026!"); code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("second guess for a sprayed name from the spraying address: %d, want 429", code)
	}

	for _, tt := range []struct{ name, user, pw string }{
		{"OtherEditorPassword", "bo", "bo-pw"},
		{"OtherReaderPassword", "cy", "cy-pw"},
		{"TokenOfHeldBackAccount", "ana", anaToken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, body := request(t, "GET", api, "", tt.user, tt.pw); code != 200 {
				t.Fatalf("%s from the throttled address: %d %s", tt.user, code, body)
			}
		})
	}
	if code, _, _ := request(t, "GET", api, "", "", "", "Authorization", "Bearer "+anaToken); code != 200 {
		t.Fatalf("ana's bearer token while her password is held back: %d", code)
	}
	if c := signIn(t, s, "bo", "bo-pw"); saveAs(t, s, c, "") != 200 {
		t.Fatal("bo's browser sign-in from the throttled address")
	}
	t.Run("Git", func(t *testing.T) {
		u := strings.Replace(s.GitURL(), "http://", "http://bo:bo-pw@", 1)
		if out := Git(t, "", "ls-remote", u, "main"); !strings.Contains(out, "refs/heads/main") {
			t.Fatalf("git with bo's password: %s", out)
		}
		u = strings.Replace(s.GitURL(), "http://", "http://ana:ana-pw@", 1)
		if out, err := GitErr(t, "", "ls-remote", u, "main"); err == nil || !strings.Contains(out, "429") {
			t.Fatalf("git with ana's held-back password: %v\n%s", err, out)
		}
	})
}
