package auth_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opswiki/opswiki/wiki/auth"
)

func hash(tb testing.TB, pw string, cost int) string {
	tb.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		tb.Fatal(err)
	}
	return string(h)
}

// TestDummyHashCost checks that an unknown user's password is compared
// against a hash as costly as the file's own, so names cannot be told
// apart by how long a failed sign-in takes.
func TestDummyHashCost(t *testing.T) {
	for _, tt := range []struct {
		name  string
		costs []int
		want  int
	}{
		{"HtpasswdDefault", []int{5}, 5},
		{"Mixed", []int{4, 6, 5}, 6},
		{"Minimum", []int{bcrypt.MinCost}, bcrypt.MinCost},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var lines []string
			for i, c := range tt.costs {
				lines = append(lines, string(rune('a'+i))+":"+hash(t, "pw", c))
			}
			p := filepath.Join(t.TempDir(), "users")
			write(t, p, strings.Join(lines, "\n")+"\n")
			u, err := auth.LoadUsers(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.DummyCost(); got != tt.want {
				t.Fatalf("dummy hash cost %d, want %d (the highest in the file)", got, tt.want)
			}
			if u.Check("nobody", "pw") {
				t.Fatal("an unknown user signed in")
			}
		})
	}
}

func TestReloadAccounts(t *testing.T) {
	dir := t.TempDir()
	users, roles := filepath.Join(dir, "users"), filepath.Join(dir, "roles.yaml")
	write(t, users, "ana:"+hash(t, "ana-pw", 4)+"\neve:"+hash(t, "eve-pw", 4)+"\n")
	write(t, roles, "admin: [ana]\n")
	u, err := auth.LoadUsers(users)
	if err != nil {
		t.Fatal(err)
	}
	r, err := auth.LoadRoles(roles)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := u.Reload(); changed || err != nil {
		t.Fatalf("unchanged file: changed=%v err=%v", changed, err)
	}

	write(t, users, "ana:"+hash(t, "ana-pw", 4)+"\n")
	if changed, err := u.Reload(); !changed || err != nil {
		t.Fatalf("eve removed: changed=%v err=%v", changed, err)
	}
	if u.Exists("eve") || !u.Exists("ana") {
		t.Fatalf("after removing eve: %v", u.Names())
	}

	for _, tt := range []struct{ name, content, want string }{
		{"NotBcrypt", "ana:$apr1$abc$def\n", "htpasswd -B"},
		{"Empty", "# nobody\n", "has no users"},
		{"NoColon", "ana\n", "want name:hash"},
		{"DamagedHash", "ana:$2y$05$short\n", "damaged"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			write(t, users, tt.content)
			if _, err := u.Reload(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if !u.Check("ana", "ana-pw") {
				t.Fatal("a broken users file took away the accounts read before")
			}
		})
	}
	os.Remove(users)
	if _, err := u.Reload(); err == nil || !u.Check("ana", "ana-pw") {
		t.Fatalf("missing users file: err=%v; the accounts read before must stay", err)
	}

	write(t, roles, "reader: [ana]\n")
	if changed, err := r.Reload(); !changed || err != nil {
		t.Fatalf("roles changed: %v %v", changed, err)
	}
	if role, _ := r.Role("ana"); role.String() != "reader" {
		t.Fatalf("ana is %s after the roles file made her a reader", role)
	}
	write(t, roles, "owner: [ana]\n")
	if _, err := r.Reload(); err == nil || !strings.Contains(err.Error(), "unknown role") {
		t.Fatalf("bad roles file: %v", err)
	}
	if role, _ := r.Role("ana"); role.String() != "reader" {
		t.Fatalf("a broken roles file changed ana's role to %s", role)
	}
}

// signIn starts a session for name and returns a request carrying its
// cookie.
func signIn(tb testing.TB, a *auth.Authenticator, name string) *http.Request {
	tb.Helper()
	rec := httptest.NewRecorder()
	if err := a.StartSession(rec, httptest.NewRequest("POST", "/-/signin", nil), name); err != nil {
		tb.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	for _, c := range rec.Result().Cookies() {
		r.AddCookie(c)
	}
	return r
}

func who(tb testing.TB, a *auth.Authenticator, r *http.Request) string {
	tb.Helper()
	u, err := a.Identify(r)
	if err != nil {
		tb.Fatal(err)
	}
	if u == nil {
		return ""
	}
	return u.Name
}

func TestSessions(t *testing.T) {
	t.Run("SignOutEndsTheSession", func(t *testing.T) {
		a := MustAuth(t)
		laptop, phone := signIn(t, a, "bo"), signIn(t, a, "bo")
		if who(t, a, laptop) != "bo" || who(t, a, phone) != "bo" {
			t.Fatal("sessions do not identify bo")
		}
		rec := httptest.NewRecorder()
		if err := a.EndSession(rec, laptop); err != nil {
			t.Fatal(err)
		}
		if c := rec.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
			t.Errorf("sign-out does not remove the cookie: %+v", c)
		}
		if got := who(t, a, laptop); got != "" {
			t.Fatalf("the signed-out cookie still identifies %q", got)
		}
		if who(t, a, phone) != "bo" {
			t.Fatal("signing out on one browser ended another")
		}
	})
	t.Run("SignOutEverywhere", func(t *testing.T) {
		a := MustAuth(t)
		laptop, phone, other := signIn(t, a, "bo"), signIn(t, a, "bo"), signIn(t, a, "cy")
		if err := a.EndAllSessions("bo"); err != nil {
			t.Fatal(err)
		}
		if who(t, a, laptop) != "" || who(t, a, phone) != "" {
			t.Fatal("a session of bo outlived signing out everywhere")
		}
		if who(t, a, other) != "cy" {
			t.Fatal("signing bo out everywhere ended cy's session")
		}
	})
	t.Run("SurviveRestart", func(t *testing.T) {
		dir := t.TempDir()
		a := MustAuth(t)
		var err error
		if a.Sessions, err = auth.OpenSessions(filepath.Join(dir, "sessions.json"), time.Hour); err != nil {
			t.Fatal(err)
		}
		kept, ended := signIn(t, a, "bo"), signIn(t, a, "bo")
		if err := a.EndSession(httptest.NewRecorder(), ended); err != nil {
			t.Fatal(err)
		}
		if a.Sessions, err = auth.OpenSessions(filepath.Join(dir, "sessions.json"), time.Hour); err != nil {
			t.Fatal(err)
		}
		if who(t, a, kept) != "bo" || who(t, a, ended) != "" {
			t.Fatal("sessions not as they were before the restart")
		}
		b, _ := os.ReadFile(filepath.Join(dir, "sessions.json"))
		c, _ := kept.Cookie(auth.SessionCookie)
		if strings.Contains(string(b), c.Value) {
			t.Fatal("the sessions file holds the cookie's secret")
		}
		if fi, _ := os.Stat(filepath.Join(dir, "sessions.json")); fi.Mode().Perm() != 0o600 {
			t.Errorf("sessions file mode %v", fi.Mode().Perm())
		}
	})
	t.Run("Expire", func(t *testing.T) {
		a := MustAuth(t)
		var err error
		if a.Sessions, err = auth.OpenSessions(filepath.Join(t.TempDir(), "sessions.json"), -time.Second); err != nil {
			t.Fatal(err)
		}
		if got := who(t, a, signIn(t, a, "bo")); got != "" {
			t.Fatalf("an expired session identifies %q", got)
		}
	})
	t.Run("PasswordChangeAndRemoval", func(t *testing.T) {
		dir := t.TempDir()
		users := filepath.Join(dir, "users")
		write(t, users, "bo:"+hash(t, "bo-pw", 4)+"\neve:"+hash(t, "eve-pw", 4)+"\n")
		a := MustAuth(t)
		var err error
		if a.Users, err = auth.LoadUsers(users); err != nil {
			t.Fatal(err)
		}
		bo, eve := signIn(t, a, "bo"), signIn(t, a, "eve")
		tok, _, err := a.Tokens.Create("eve", "script")
		if err != nil {
			t.Fatal(err)
		}
		bearer := httptest.NewRequest("GET", "/", nil)
		bearer.Header.Set("Authorization", "Bearer "+tok)
		if who(t, a, bearer) != "eve" || who(t, a, eve) != "eve" {
			t.Fatal("eve's token or session does not work")
		}
		write(t, users, "bo:"+hash(t, "new-pw", 4)+"\n")
		if _, err := a.Users.Reload(); err != nil {
			t.Fatal(err)
		}
		if got := who(t, a, bo); got != "" {
			t.Fatalf("a session begun with bo's old password identifies %q", got)
		}
		if got := who(t, a, eve); got != "" {
			t.Fatalf("a removed account's session identifies %q", got)
		}
		if u, err := a.Identify(bearer); u != nil || err == nil {
			t.Fatalf("a removed account's token: %+v %v", u, err)
		}
		if who(t, a, signIn(t, a, "bo")) != "bo" {
			t.Fatal("bo cannot sign in again after changing his password")
		}
		rec := httptest.NewRecorder()
		if err := a.StartSession(rec, httptest.NewRequest("POST", "/", nil), "eve"); err == nil {
			t.Fatal("a session was started for a removed account")
		}
	})
}
