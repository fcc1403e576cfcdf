package auth_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/auth"
)

// MustAuth returns an authenticator in users mode with ana (admin), bo
// (editor, by default) and cy (reader), whose passwords are their names
// with "-pw".
func MustAuth(tb testing.TB) *auth.Authenticator {
	tb.Helper()
	dir := tb.TempDir()
	var lines []string
	for _, n := range []string{"ana", "bo", "cy"} {
		h, _ := bcrypt.GenerateFromPassword([]byte(n+"-pw"), bcrypt.MinCost)
		lines = append(lines, n+":"+string(h))
	}
	write(tb, filepath.Join(dir, "users"), "# accounts\n"+strings.Join(lines, "\n")+"\n")
	write(tb, filepath.Join(dir, "roles.yaml"), "admin: [ana]\nreader: [cy]\n")
	users, err := auth.LoadUsers(filepath.Join(dir, "users"))
	if err != nil {
		tb.Fatal(err)
	}
	roles, err := auth.LoadRoles(filepath.Join(dir, "roles.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	tokens, err := auth.OpenTokens(filepath.Join(dir, "tokens.json"))
	if err != nil {
		tb.Fatal(err)
	}
	sessions, err := auth.OpenSessions(filepath.Join(dir, "sessions.json"), time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return &auth.Authenticator{Mode: auth.ModeUsers, Users: users, Roles: roles, DefaultRole: wiki.RoleEditor,
		Tokens: tokens, Sessions: sessions, Throttle: auth.NewThrottle(auth.DefaultThrottlePolicy)}
}

func write(tb testing.TB, p, s string) {
	tb.Helper()
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		tb.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "md5"), "ana:$apr1$abc$def\n")
	if _, err := auth.LoadUsers(filepath.Join(dir, "md5")); err == nil || !strings.Contains(err.Error(), "htpasswd -B") {
		t.Errorf("md5 hash: %v", err)
	}
	write(t, filepath.Join(dir, "roles"), "owner: [ana]\n")
	if _, err := auth.LoadRoles(filepath.Join(dir, "roles")); err == nil || !strings.Contains(err.Error(), "unknown role") {
		t.Errorf("bad role: %v", err)
	}
}

func TestIdentify(t *testing.T) {
	a := MustAuth(t)
	tok, _, err := a.Tokens.Create("bo", "laptop")
	if err != nil || !strings.HasPrefix(tok, auth.TokenPrefix) {
		t.Fatal(tok, err)
	}
	rec := httptest.NewRecorder()
	if err := a.StartSession(rec, httptest.NewRequest("POST", "/-/signin", nil), "cy"); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie %+v", cookie)
	}
	forged := *cookie
	forged.Value = "YW5h" + cookie.Value[4:]
	for _, tt := range []struct {
		name  string
		setup func(r *http.Request)
		user  string
		role  wiki.Role
		code  string
	}{
		{"Anonymous", func(*http.Request) {}, "", wiki.RoleNone, ""},
		{"Password", func(r *http.Request) { r.SetBasicAuth("ana", "ana-pw") }, "ana", wiki.RoleAdmin, ""},
		{"WrongPassword", func(r *http.Request) { r.SetBasicAuth("ana", "nope") }, "", wiki.RoleNone, wiki.EUNAUTHORIZED},
		{"UnknownUser", func(r *http.Request) { r.SetBasicAuth("eve", "x") }, "", wiki.RoleNone, wiki.EUNAUTHORIZED},
		{"Bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }, "bo", wiki.RoleEditor, ""},
		{"TokenAsPassword", func(r *http.Request) { r.SetBasicAuth("bo", tok) }, "bo", wiki.RoleEditor, ""},
		{"TokenOfAnother", func(r *http.Request) { r.SetBasicAuth("ana", tok) }, "", wiki.RoleNone, wiki.EUNAUTHORIZED},
		{"BadBearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer opw_nope") }, "", wiki.RoleNone, wiki.EUNAUTHORIZED},
		{"Session", func(r *http.Request) { r.AddCookie(cookie) }, "cy", wiki.RoleReader, ""},
		{"ForgedSession", func(r *http.Request) { r.AddCookie(&forged) }, "", wiki.RoleNone, ""},
		{"ProxyHeaderIgnored", func(r *http.Request) { r.Header.Set("X-Forwarded-User", "ana") }, "", wiki.RoleNone, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			tt.setup(r)
			u, err := a.Identify(r)
			if wiki.ErrorCode(err) != tt.code {
				t.Fatalf("err = %v, want code %q", err, tt.code)
			}
			if (u == nil) != (tt.user == "") || (u != nil && (u.Name != tt.user || u.Role != tt.role)) {
				t.Fatalf("user = %+v, want %q %v", u, tt.user, tt.role)
			}
		})
	}
	if err := a.Tokens.Revoke("ana", a.Tokens.List("bo")[0].ID); err == nil {
		t.Error("a user revoked another's token")
	}
	if err := a.Tokens.Revoke("bo", a.Tokens.List("bo")[0].ID); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if u, err := a.Identify(r); u != nil || err == nil {
		t.Error("a revoked token still works")
	}
}

func TestProxyMode(t *testing.T) {
	a := MustAuth(t)
	a.Mode, a.Users = auth.ModeProxy, nil
	a.Trusted = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	a.DefaultRole = wiki.RoleReader
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:5555"
	r.Header.Set("X-Forwarded-User", "ana")
	r.Header.Set("X-Forwarded-Email", "ana@example.com")
	if u, _ := a.Identify(r); u == nil || u.Name != "ana" || u.Role != wiki.RoleAdmin || u.Email != "ana@example.com" {
		t.Fatalf("trusted proxy: %+v", u)
	}
	r.Header.Set("X-Forwarded-User", "dee")
	if u, _ := a.Identify(r); u == nil || u.Role != wiki.RoleReader {
		t.Fatalf("unlisted user gets the default role: %+v", u)
	}
	r.RemoteAddr = "192.0.2.9:5555"
	if u, _ := a.Identify(r); u != nil {
		t.Fatalf("an untrusted address was believed: %+v", u)
	}
}
