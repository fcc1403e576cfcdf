package auth_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/auth"
)

func TestRolesGroups(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "roles.yaml")
	write(t, path, "admin: [ana, \"@platform/admins\"]\neditor: [\"@platform/sre\", \"@ ops \"]\nreader: [bo, \"@everyone\", \"@platform/sre\"]\n")
	r, err := auth.LoadRoles(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		user   string
		groups []string
		role   wiki.Role
		listed bool
	}{
		{"ByName", "ana", nil, wiki.RoleAdmin, true},
		{"ByGroup", "cy", []string{"platform/sre"}, wiki.RoleEditor, true},
		{"HighestOfGroups", "cy", []string{"everyone", "platform/admins", "platform/sre"}, wiki.RoleAdmin, true},
		{"GroupOutranksName", "bo", []string{"platform/sre"}, wiki.RoleEditor, true},
		{"NameOutranksGroup", "ana", []string{"everyone"}, wiki.RoleAdmin, true},
		{"GroupNameTrimmed", "cy", []string{"ops"}, wiki.RoleEditor, true},
		{"GroupIsNotAUser", "everyone", nil, wiki.RoleNone, false},
		{"UserIsNotAGroup", "cy", []string{"ana"}, wiki.RoleNone, false},
		{"ExactMatchOnly", "cy", []string{"Platform/SRE", "platform"}, wiki.RoleNone, false},
		{"Unlisted", "dee", []string{"sales"}, wiki.RoleNone, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			role, listed := r.RoleOf(tt.user, tt.groups)
			if role != tt.role || listed != tt.listed {
				t.Fatalf("RoleOf(%q, %q) = %s %v, want %s %v", tt.user, tt.groups, role, listed, tt.role, tt.listed)
			}
		})
	}
	t.Run("Reload", func(t *testing.T) {
		write(t, path, "reader: [\"@platform/sre\"]\n")
		if changed, err := r.Reload(); !changed || err != nil {
			t.Fatalf("reload: %v %v", changed, err)
		}
		if role, _ := r.RoleOf("cy", []string{"platform/sre"}); role != wiki.RoleReader {
			t.Fatalf("after reload: %s", role)
		}
		write(t, path, "editor: [@platform/sre]\n")
		if _, err := r.Reload(); err == nil || !strings.Contains(err.Error(), `write groups in quotes, such as "@platform/sre"`) {
			t.Fatalf("unquoted group: %v", err)
		}
		if role, _ := r.RoleOf("cy", []string{"platform/sre"}); role != wiki.RoleReader {
			t.Fatalf("a broken file changed the roles: %s", role)
		}
	})
	for _, tt := range []struct{ name, file, want string }{
		{"EmptyGroup", "editor: [\"@\"]\n", "a group without a name"},
		{"EmptyUser", "editor: [\"\"]\n", "empty user name"},
		{"UnknownRole", "owner: [\"@sre\"]\n", "unknown role"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "roles.yaml")
			write(t, p, tt.file)
			if _, err := auth.LoadRoles(p); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// whoServer answers every request with the user a identifies, from a real
// server on 127.0.0.1.
func whoServer(tb testing.TB, a *auth.Authenticator) string {
	tb.Helper()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := a.Identify(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(u)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func whoAt(tb testing.TB, u string, header ...string) *wiki.User {
	tb.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var user *wiki.User
	if resp.StatusCode != 200 {
		tb.Fatalf("%s answered %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&user); err != nil {
		tb.Fatal(err)
	}
	return user
}

func TestProxyGroups(t *testing.T) {
	proxyAuth := func(t *testing.T, trusted string) *auth.Authenticator {
		a := MustAuth(t)
		roles := filepath.Join(t.TempDir(), "roles.yaml")
		write(t, roles, "admin: [ana]\neditor: [\"@platform/sre\"]\n")
		var err error
		if a.Roles, err = auth.LoadRoles(roles); err != nil {
			t.Fatal(err)
		}
		if a.Identities, err = auth.OpenIdentities(filepath.Join(t.TempDir(), "identities.json")); err != nil {
			t.Fatal(err)
		}
		a.Mode, a.Users, a.DefaultRole = auth.ModeProxy, nil, wiki.RoleReader
		a.Trusted = []netip.Prefix{netip.MustParsePrefix(trusted)}
		return a
	}
	t.Run("Trusted", func(t *testing.T) {
		a := proxyAuth(t, "127.0.0.1/32")
		u := whoServer(t, a)
		for _, tt := range []struct {
			name    string
			headers []string
			groups  []string
			role    wiki.Role
		}{
			{"OneHeader", []string{"X-Forwarded-Groups", "sales, platform/sre,,sales "}, []string{"sales", "platform/sre"}, wiki.RoleEditor},
			{"SeveralHeaders", []string{"X-Forwarded-Groups", "sales", "X-Forwarded-Groups", "platform/sre"}, []string{"sales", "platform/sre"}, wiki.RoleEditor},
			{"NoGroups", nil, nil, wiki.RoleReader},
			{"OtherGroups", []string{"X-Forwarded-Groups", "platform"}, []string{"platform"}, wiki.RoleReader},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got := whoAt(t, u, append([]string{"X-Forwarded-User", "bo", "X-Forwarded-Email", "bo@example.com"}, tt.headers...)...)
				if got == nil || got.Name != "bo" || got.Via != "proxy" || !slices.Equal(got.Groups, tt.groups) || got.Role != tt.role {
					t.Fatalf("user %+v, want groups %q role %s", got, tt.groups, tt.role)
				}
			})
		}
		// A token of bo's, sent through the proxy without its headers (git,
		// scripts), has the groups the proxy gave last.
		whoAt(t, u, "X-Forwarded-User", "bo", "X-Forwarded-Groups", "platform/sre")
		tok, _, err := a.Tokens.Create("bo", "ci")
		if err != nil {
			t.Fatal(err)
		}
		if got := whoAt(t, u, "Authorization", "Bearer "+tok); got == nil || got.Via != "token" || got.Role != wiki.RoleEditor {
			t.Fatalf("token user %+v", got)
		}
	})
	t.Run("Untrusted", func(t *testing.T) {
		u := whoServer(t, proxyAuth(t, "10.0.0.0/8"))
		if got := whoAt(t, u, "X-Forwarded-User", "bo", "X-Forwarded-Groups", "platform/sre"); got != nil {
			t.Fatalf("headers from an untrusted address were believed: %+v", got)
		}
	})
	t.Run("IgnoredOutsideProxyMode", func(t *testing.T) {
		a := MustAuth(t)
		roles := filepath.Join(t.TempDir(), "roles.yaml")
		write(t, roles, "reader: [cy]\nadmin: [\"@admins\"]\n")
		var err error
		if a.Roles, err = auth.LoadRoles(roles); err != nil {
			t.Fatal(err)
		}
		a.Trusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		u := whoServer(t, a)
		req, _ := http.NewRequest("GET", u, nil)
		req.SetBasicAuth("cy", "cy-pw")
		got := whoAt(t, u, "Authorization", req.Header.Get("Authorization"), "X-Forwarded-Groups", "admins")
		if got == nil || got.Name != "cy" || got.Role != wiki.RoleReader || len(got.Groups) != 0 {
			t.Fatalf("a password user took groups from a header: %+v", got)
		}
	})
}
