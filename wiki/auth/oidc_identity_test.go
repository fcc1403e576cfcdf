package auth_test

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/auth"
	"github.com/opswiki/opswiki/wiki/auth/authtest"
)

func TestOIDCIdentity(t *testing.T) {
	p := authtest.MustIdP(t)
	roles := "admin: [ana]\neditor: [\"@platform/sre\"]\nreader: [\"@everyone\"]\n"
	user := func(sub, name, email string, verified bool, groups ...string) *mockoidc.MockUser {
		return &mockoidc.MockUser{Subject: sub, PreferredUsername: name, Email: email, EmailVerified: verified, Groups: groups}
	}
	shaped := func(u *mockoidc.MockUser, f func(jwt.MapClaims)) mockoidc.User { return authtest.Shaped(u, f) }
	cases := []struct {
		name        string
		user        mockoidc.User
		groupsClaim string
		wantName    string
		wantGroups  []string
		wantRole    wiki.Role
		refused     string
	}{
		{name: "GroupGivesEditor", user: user("s1", "bo", "bo@example.com", true, "platform/sre", "everyone"),
			wantName: "bo", wantGroups: []string{"platform/sre", "everyone"}, wantRole: wiki.RoleEditor},
		{name: "NameOutranksGroup", user: user("s2", "ana", "ana@example.com", true, "everyone"),
			wantName: "ana", wantGroups: []string{"everyone"}, wantRole: wiki.RoleAdmin},
		{name: "GroupGivesReaderOnly", user: user("s3", "cy", "cy@example.com", true, "everyone"),
			wantName: "cy", wantGroups: []string{"everyone"}, wantRole: wiki.RoleReader},
		{name: "NoGroupsClaim", user: user("s4", "dee", "dee@example.com", true),
			wantName: "dee", wantRole: wiki.RoleEditor},
		{name: "OneGroupAsString", user: shaped(user("s5", "eve", "", true), func(c jwt.MapClaims) { c["groups"] = "platform/sre" }),
			wantName: "eve", wantGroups: []string{"platform/sre"}, wantRole: wiki.RoleEditor},
		{name: "NestedClaim", groupsClaim: "realm_access.roles",
			user:     shaped(user("s6", "fay", "", true), func(c jwt.MapClaims) { c["realm_access"] = map[string]any{"roles": []string{"platform/sre"}} }),
			wantName: "fay", wantGroups: []string{"platform/sre"}, wantRole: wiki.RoleEditor},
		{name: "GroupsFromUserinfo", user: shaped(user("s7", "gus", "", true, "platform/sre"), func(c jwt.MapClaims) { delete(c, "groups") }),
			wantName: "gus", wantGroups: []string{"platform/sre"}, wantRole: wiki.RoleEditor},
		{name: "NameFromEmail", user: user("s8", "", "hal@example.com", true),
			wantName: "hal@example.com", wantRole: wiki.RoleEditor},
		{name: "UnverifiedEmailIsNoName", user: shaped(user("s9", "", "ivy@example.com", false), func(c jwt.MapClaims) { c["email_verified"] = false }),
			wantName: "s9", wantRole: wiki.RoleEditor},
		{name: "UnusableNameSkipped", user: user("s10", "jo<script>", "jo@example.com", true),
			wantName: "jo@example.com", wantRole: wiki.RoleEditor},
		{name: "GroupsNotStrings", user: shaped(user("s11", "kim", "", true), func(c jwt.MapClaims) { c["groups"] = []any{"ok", 7} }),
			refused: `The "groups" claim from Mock is not a list of group names`},
		{name: "GroupsAnObject", user: shaped(user("s12", "lu", "", true), func(c jwt.MapClaims) { c["groups"] = map[string]any{"a": 1} }),
			refused: "Set --oidc-groups-claim"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Everyone the roles file does not list is an editor, so
			// the file's reader entry shows a group listed wins over it.
			s := MustOIDCSite(t, p, SiteOptions{Roles: roles, Default: wiki.RoleEditor, Configure: func(c *auth.OIDCConfig) {
				c.GroupsClaim = tc.groupsClaim
			}})
			p.QueueUser(tc.user)
			_, r := s.SignIn(t, "/")
			if tc.refused != "" {
				wantRefused(t, r, wiki.EUNAUTHORIZED, tc.refused)
				return
			}
			u := r.Who.User
			if u == nil {
				t.Fatalf("not signed in: %+v", r)
			}
			if u.Name != tc.wantName || !slices.Equal(u.Groups, tc.wantGroups) || u.Role != tc.wantRole {
				t.Errorf("signed in as %q %q %s, want %q %q %s", u.Name, u.Groups, u.Role, tc.wantName, tc.wantGroups, tc.wantRole)
			}
		})
	}
	t.Run("NoGroupsScope", func(t *testing.T) {
		s := MustOIDCSite(t, p, SiteOptions{Roles: roles, Configure: func(c *auth.OIDCConfig) { c.Scopes = []string{"openid", "profile", "email"} }})
		p.QueueUser(user("s13", "mo", "mo@example.com", true, "platform/sre"))
		_, r := s.SignIn(t, "/")
		if u := r.Who.User; u == nil || len(u.Groups) != 0 || u.Role != wiki.RoleReader {
			t.Fatalf("without the groups scope: %+v", r)
		}
	})
}

func TestOIDCTokensAndSessions(t *testing.T) {
	p := authtest.MustIdP(t)
	s := MustOIDCSite(t, p, SiteOptions{Roles: "editor: [\"@platform/sre\"]\n", Users: []string{"root"}})
	bo := &mockoidc.MockUser{Subject: "sub-bo", PreferredUsername: "bo", Email: "bo@example.com", EmailVerified: true, Groups: []string{"platform/sre"}}
	p.QueueUser(bo)
	browser, r := s.SignIn(t, "/")
	if r.Who.User == nil || r.Who.User.Role != wiki.RoleEditor {
		t.Fatalf("sign in: %+v", r)
	}
	token, _, err := s.Auth.Tokens.Create("bo", "laptop git")
	if err != nil {
		t.Fatal(err)
	}
	identify := func(t *testing.T, header ...string) *wiki.User {
		t.Helper()
		req := httptest.NewRequest("GET", "/", nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		u, _ := s.Auth.Identify(req)
		return u
	}

	t.Run("TokenHasTheGroupsRole", func(t *testing.T) {
		u := identify(t, "Authorization", "Bearer "+token)
		if u == nil || u.Via != "token" || u.Role != wiki.RoleEditor || u.Email != "bo@example.com" || !slices.Equal(u.Groups, []string{"platform/sre"}) {
			t.Fatalf("token user %+v", u)
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.SetBasicAuth("bo", token)
		if u, _ := s.Auth.Identify(req); u == nil || u.Role != wiki.RoleEditor {
			t.Fatalf("token as git's password: %+v", u)
		}
		req.SetBasicAuth("bo", "a password")
		if _, err := s.Auth.Identify(req); wiki.ErrorCode(err) != wiki.EUNAUTHORIZED {
			t.Fatalf("a password for a provider's user: %v", err)
		}
	})
	t.Run("LatestSignInDecides", func(t *testing.T) {
		p.QueueUser(&mockoidc.MockUser{Subject: "sub-bo", PreferredUsername: "bo", Email: "bo@example.com", EmailVerified: true, Groups: []string{"sales"}})
		if _, r := s.SignIn(t, "/"); r.Who.User == nil || r.Who.User.Role != wiki.RoleReader {
			t.Fatalf("second sign-in: %+v", r)
		}
		if u := identify(t, "Authorization", "Bearer "+token); u == nil || u.Role != wiki.RoleReader {
			t.Fatalf("the token after leaving the group: %+v", u)
		}
		if r := browser.Open(t, s.URL+"/"); r.Who.User == nil || r.Who.User.Role != wiki.RoleReader {
			t.Fatalf("the first browser's session after leaving the group: %+v", r)
		}
	})
	t.Run("NameTakenByAnotherAccount", func(t *testing.T) {
		p.QueueUser(&mockoidc.MockUser{Subject: "sub-impostor", PreferredUsername: "bo", Groups: []string{"platform/sre"}})
		_, r := s.SignIn(t, "/")
		wantRefused(t, r, wiki.EFORBIDDEN, `The user name "bo" belongs to another account`)
		if u := identify(t, "Authorization", "Bearer "+token); u == nil || u.Role != wiki.RoleReader {
			t.Fatalf("the refused impostor changed bo: %+v", u)
		}
	})
	t.Run("NameOfALocalAccount", func(t *testing.T) {
		p.QueueUser(&mockoidc.MockUser{Subject: "sub-root", PreferredUsername: "root"})
		_, r := s.SignIn(t, "/")
		wantRefused(t, r, wiki.EFORBIDDEN, "belongs to a local account")
	})
	t.Run("PasswordSessionsOnlyForLocalAccounts", func(t *testing.T) {
		w := httptest.NewRecorder()
		if err := s.Auth.StartSession(w, httptest.NewRequest("GET", "/", nil), "root"); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/", nil)
		for _, c := range w.Result().Cookies() {
			req.AddCookie(c)
		}
		if u, _ := s.Auth.Identify(req); u == nil || u.Name != "root" {
			t.Fatalf("the local account's session: %+v", u)
		}
		if err := s.Auth.StartSession(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), "bo"); err == nil {
			t.Fatal("a password session for a provider's user")
		}
	})
	t.Run("RemovedIdentityEndsSessionsAndTokens", func(t *testing.T) {
		path := filepath.Join(s.Dir, "identities.json")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var list []auth.Identity
		if err := json.Unmarshal(b, &list); err != nil {
			t.Fatal(err)
		}
		list = slices.DeleteFunc(list, func(id auth.Identity) bool { return id.Name == "bo" })
		b, _ = json.Marshal(list)
		write(t, path, string(b))
		if changed, err := s.Auth.Identities.Reload(); err != nil || !changed {
			t.Fatalf("reload: %v %v", changed, err)
		}
		if r := browser.Open(t, s.URL+"/"); r.Who.User != nil {
			t.Errorf("session after removal: %+v", r.Who.User)
		}
		if u := identify(t, "Authorization", "Bearer "+token); u != nil {
			t.Errorf("token after removal: %+v", u)
		}
		// The name is free again: another account of the provider may take it.
		p.QueueUser(&mockoidc.MockUser{Subject: "sub-new-bo", PreferredUsername: "bo"})
		if _, r := s.SignIn(t, "/"); r.Who.User == nil || r.Who.User.Name != "bo" {
			t.Fatalf("sign in with the released name: %+v", r)
		}
	})
	t.Run("DamagedIdentitiesFile", func(t *testing.T) {
		write(t, filepath.Join(s.Dir, "identities.json"), "{not json")
		p.QueueUser(&mockoidc.MockUser{Subject: "sub-zed", PreferredUsername: "zed"})
		_, r := s.SignIn(t, "/")
		wantRefused(t, r, wiki.EUNAVAILABLE, "could not keep the sign-in")
		if _, err := s.Auth.Identities.Reload(); err == nil || !strings.Contains(err.Error(), "is damaged") {
			t.Fatalf("reload of a damaged file: %v", err)
		}
		if u := identify(t, "Authorization", "Bearer "+token); u == nil || u.Name != "bo" {
			t.Fatalf("the identities read before stay in force: %+v", u)
		}
	})
}
