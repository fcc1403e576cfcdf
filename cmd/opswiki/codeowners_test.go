package main_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// The CODEOWNERS of these tests: the database runbooks are dana's (and
// the DBA list's, which no account has as its email), and only ana may
// change the file itself.
const (
	ownedCodeOwners = "# Who may change what\n/runbooks/db/ @dana dba@example.com\n/.github/CODEOWNERS @ana\n"
	failoverRunbook = "---\nkind: runbook\nowner: dba\nalerts: [PostgresPrimaryDown]\n---\n# Failover\n\nPromote the replica.\n"
	failoverRefusal = "runbooks/db/failover.md is owned by @dana dba@example.com (.github/CODEOWNERS:2); you are not one of them."
)

// mustServeOwned starts a wiki with --auth users (ana admin, dana and eve
// editors; passwords "<name>-pw") and pushes, as ana, the CODEOWNERS
// file and the database runbook.
func mustServeOwned(t *testing.T) *Server {
	t.Helper()
	dir := t.TempDir()
	users, roles := filepath.Join(dir, "users"), filepath.Join(dir, "roles.yaml")
	writeUsers(t, users, map[string]string{"ana": "ana-pw", "dana": "dana-pw", "eve": "eve-pw"})
	if err := os.WriteFile(roles, []byte("admin: [ana]\neditor: [dana, eve]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := MustServeWith(t, "", func(c *main.Config) { c.Auth, c.UsersFile, c.RolesFile = "users", users, roles })
	work := cloneAs(t, s, "ana")
	mustWrite(t, filepath.Join(work, ".github", "CODEOWNERS"), ownedCodeOwners)
	mustWrite(t, filepath.Join(work, "runbooks", "db", "failover.md"), failoverRunbook)
	commitAll(t, work, "Give the database runbooks to their owners")
	Git(t, work, "push", "-q", "origin", "main")
	return s
}

// cloneAs clones the wiki with user's password in the remote's URL.
func cloneAs(t *testing.T, s *Server, user string) string {
	t.Helper()
	u, _ := url.Parse(s.GitURL())
	u.User = url.UserPassword(user, user+"-pw")
	work := filepath.Join(t.TempDir(), user)
	Git(t, "", "clone", "-q", u.String(), work)
	return work
}

// pageBlob returns the blob of a page as user sees it through the API.
func pageBlob(t *testing.T, s *Server, user, name string) string {
	t.Helper()
	code, _, body := request(t, "GET", s.URL+"/-/api/pages/"+name, "", user, user+"-pw")
	var page struct{ Blob string }
	if code != 200 || json.Unmarshal([]byte(body), &page) != nil {
		t.Fatalf("read %s: %d %s", name, code, body)
	}
	return page.Blob
}

// formSave posts the editor's form for an existing page as a signed-in user.
func formSave(t *testing.T, s *Server, session *http.Cookie, name, content, base string) (int, string) {
	t.Helper()
	form := url.Values{"path": {name + ".md"}, "content": {content}, "base": {base}, "message": {"form save"}}
	req, _ := http.NewRequest("POST", s.URL+"/-/edit/"+name, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(session)
	code, _, body := do(t, req)
	return code, body
}

// apiSave saves a page through the JSON API with a user's password.
func apiSave(t *testing.T, s *Server, user, name, content, base string) (int, string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"content": content, "base": base, "message": "api save"})
	code, _, body := request(t, "PUT", s.URL+"/-/api/pages/"+name, string(b), user, user+"-pw", "Content-Type", "application/json")
	return code, body
}

// pushEdit clones as user, appends a line to each file and pushes;
// it returns git's output and error.
func pushEdit(t *testing.T, s *Server, user string, files ...string) (string, error) {
	t.Helper()
	work := cloneAs(t, s, user)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(work, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if len(b) == 0 {
			b = []byte("# " + filepath.Base(f) + "\n")
		}
		mustWrite(t, filepath.Join(work, f), string(b)+"\nPushed by "+user+".\n")
	}
	commitAll(t, work, "Edit by "+user)
	return GitErr(t, work, "push", "origin", "main")
}

// TestCodeOwnersEnforced: an editor outside a path's owners is refused on
// every way a change arrives (a browser form, the JSON API, git push),
// with a message naming the path, its owners and the CODEOWNERS line,
// and nothing changes on main; the owner and an admin are not; a push
// that touches only paths the pusher may change goes through.
func TestCodeOwnersEnforced(t *testing.T) {
	s := mustServeOwned(t)
	edited := failoverRunbook + "\nCheck replication lag first.\n"

	t.Run("RefusedInTheBrowser", func(t *testing.T) {
		main0 := s.MainCommit(t)
		session := signIn(t, s, "eve", "eve-pw")
		req, _ := http.NewRequest("GET", s.URL+"/-/edit/runbooks/db/failover", nil)
		req.AddCookie(session)
		code, _, page := do(t, req)
		if code != 200 || !strings.Contains(page, failoverRefusal) || !strings.Contains(page, `id="save" disabled`) {
			t.Fatalf("the editor does not say up front that eve may not save (%d):\n%s", code, page)
		}
		code, page = formSave(t, s, session, "runbooks/db/failover", edited, pageBlob(t, s, "eve", "runbooks/db/failover"))
		if code != http.StatusForbidden || !strings.Contains(page, "Not saved: "+failoverRefusal) || !strings.Contains(page, "Check replication lag first.") {
			t.Fatalf("form save by eve = %d, want 403 with the reason and her text:\n%s", code, page)
		}
		if s.MainCommit(t) != main0 {
			t.Fatal("a refused form save moved main")
		}
	})
	t.Run("RefusedInTheAPI", func(t *testing.T) {
		main0 := s.MainCommit(t)
		code, body := apiSave(t, s, "eve", "runbooks/db/failover", edited, pageBlob(t, s, "eve", "runbooks/db/failover"))
		if code != http.StatusForbidden || !strings.Contains(body, failoverRefusal) {
			t.Fatalf("API save by eve = %d %s", code, body)
		}
		code, _, body = request(t, "DELETE", s.URL+"/-/api/pages/runbooks/db/failover?base="+pageBlob(t, s, "eve", "runbooks/db/failover"), "", "eve", "eve-pw")
		if code != http.StatusForbidden || !strings.Contains(body, failoverRefusal) {
			t.Fatalf("API delete by eve = %d %s", code, body)
		}
		if s.MainCommit(t) != main0 {
			t.Fatal("a refused API write moved main")
		}
	})
	t.Run("RefusedOnPush", func(t *testing.T) {
		main0 := s.MainCommit(t)
		out, err := pushEdit(t, s, "eve", "runbooks/db/failover.md", "runbooks/web.md")
		if err == nil || !strings.Contains(out, "remote: error: "+failoverRefusal) ||
			!strings.Contains(out, "! [remote rejected] main -> main (1 file you may not change (CODEOWNERS); see the messages above)") {
			t.Fatalf("push by eve: %v\n%s", err, out)
		}
		if strings.Contains(out, "runbooks/web.md is owned") {
			t.Errorf("a file eve may change was named:\n%s", out)
		}
		if s.MainCommit(t) != main0 {
			t.Fatal("a refused push moved main")
		}
	})
	t.Run("PushJudgedByTheOldCODEOWNERS", func(t *testing.T) {
		// Eve gives herself the runbooks in the push that changes them.
		main0 := s.MainCommit(t)
		work := cloneAs(t, s, "eve")
		mustWrite(t, filepath.Join(work, ".github", "CODEOWNERS"), strings.Replace(ownedCodeOwners, "@dana", "@dana @eve", 1))
		mustWrite(t, filepath.Join(work, "runbooks", "db", "failover.md"), edited)
		commitAll(t, work, "Mine now")
		out, err := GitErr(t, work, "push", "origin", "main")
		if err == nil || !strings.Contains(out, "remote: error: "+failoverRefusal) ||
			!strings.Contains(out, "remote: error: .github/CODEOWNERS is owned by @ana (.github/CODEOWNERS:3); you are not one of them.") ||
			!strings.Contains(out, "(2 files you may not change (CODEOWNERS)") {
			t.Fatalf("push by eve: %v\n%s", err, out)
		}
		if s.MainCommit(t) != main0 {
			t.Fatal("a refused push moved main")
		}
	})
	t.Run("UnownedPushPasses", func(t *testing.T) {
		out, err := pushEdit(t, s, "eve", "runbooks/web.md", "docs/eve.md")
		if err != nil || strings.Contains(out, "is owned by") {
			t.Fatalf("push of unowned files by eve: %v\n%s", err, out)
		}
	})
	for _, user := range []string{"dana", "ana"} {
		t.Run("AllowedTo_"+user, func(t *testing.T) {
			session := signIn(t, s, user, user+"-pw")
			req, _ := http.NewRequest("GET", s.URL+"/-/edit/runbooks/db/failover", nil)
			req.AddCookie(session)
			if code, _, page := do(t, req); code != 200 || strings.Contains(page, "is owned by") || strings.Contains(page, `id="save" disabled`) {
				t.Fatalf("the editor refuses %s (%d)", user, code)
			}
			text := failoverRunbook + "\nForm save by " + user + ".\n"
			if code, page := formSave(t, s, session, "runbooks/db/failover", text, pageBlob(t, s, user, "runbooks/db/failover")); code != http.StatusSeeOther {
				t.Fatalf("form save by %s = %d:\n%s", user, code, page)
			}
			text += "API save by " + user + ".\n"
			if code, body := apiSave(t, s, user, "runbooks/db/failover", text, pageBlob(t, s, user, "runbooks/db/failover")); code != 200 {
				t.Fatalf("API save by %s = %d %s", user, code, body)
			}
			if out, err := pushEdit(t, s, user, "runbooks/db/failover.md"); err != nil {
				t.Fatalf("push by %s: %v\n%s", user, err, out)
			}
			_, _, raw := request(t, "GET", s.URL+"/runbooks/db/failover.md", "", user, user+"-pw")
			for _, want := range []string{"Form save by " + user, "API save by " + user, "Pushed by " + user} {
				if !strings.Contains(raw, want) {
					t.Errorf("%q is not on main:\n%s", want, raw)
				}
			}
		})
	}
	t.Run("ShownWhereItApplies", func(t *testing.T) {
		_, _, page := request(t, "GET", s.URL+"/runbooks/db/failover", "", "eve", "eve-pw")
		if !strings.Contains(page, `Owned by <code>@dana</code> <code>dba@example.com</code> (<a href="/-/settings#codeowners" title="Who may change this page">.github/CODEOWNERS:2</a>)`) {
			t.Errorf("the page does not show its owners:\n%s", page)
		}
		if _, _, page := request(t, "GET", s.URL+"/runbooks/web", "", "eve", "eve-pw"); strings.Contains(page, "Owned by") {
			t.Error("a page without owners shows owners")
		}
		_, _, page = request(t, "GET", s.URL+"/-/settings", "", "eve", "eve-pw")
		for _, want := range []string{`id="codeowners"`, `<a href="/.github/CODEOWNERS"><code>.github/CODEOWNERS</code></a>`,
			"<td>2</td><td><code>/runbooks/db/</code></td><td>@dana dba@example.com</td>", `<a href="/runbooks/db/failover">runbooks/db/failover.md</a>`} {
			if !strings.Contains(page, want) {
				t.Errorf("the settings page lacks %q", want)
			}
		}
		if strings.Contains(page, "not enforced") {
			t.Error("the settings page says CODEOWNERS is not enforced under --auth users")
		}
		if code, _, raw := request(t, "GET", s.URL+"/.github/CODEOWNERS", "", "eve", "eve-pw"); code != 200 || raw != ownedCodeOwners {
			t.Errorf("the settings page's link to the file: %d %q", code, raw)
		}
	})
	t.Run("MistakesRefused", func(t *testing.T) {
		main0 := s.MainCommit(t)
		work := cloneAs(t, s, "ana")
		mustWrite(t, filepath.Join(work, ".github", "CODEOWNERS"), ownedCodeOwners+"!/runbooks/db/public/ @dana\n/services/ sre-team\n")
		commitAll(t, work, "Broken")
		out, err := GitErr(t, work, "push", "origin", "main")
		if err == nil || !strings.Contains(out, `remote: error: .github/CODEOWNERS:4: "!/runbooks/db/public/": negation with ! is not supported`) ||
			!strings.Contains(out, `remote: error: .github/CODEOWNERS:5: "sre-team" is not an owner`) {
			t.Fatalf("push of a broken CODEOWNERS by ana: %v\n%s", err, out)
		}
		if s.MainCommit(t) != main0 {
			t.Fatal("a CODEOWNERS file with mistakes reached main")
		}
	})
}

// TestCodeOwnersProxyGroups: behind a proxy that names the user's groups,
// "@org/team" owners are the team's members whether the proxy sends
// "org/team" or "team", in the browser's API and on git push alike.
func TestCodeOwnersProxyGroups(t *testing.T) {
	s := MustServeWith(t, "", func(c *main.Config) { c.Auth, c.TrustedProxy = "proxy", "127.0.0.1/32" })
	as := func(user, groups string) []string {
		return []string{"X-Forwarded-User", user, "X-Forwarded-Groups", groups}
	}
	gitAs := func(user, groups string, args ...string) []string {
		return append([]string{"-c", "http.extraHeader=X-Forwarded-User: " + user, "-c", "http.extraHeader=X-Forwarded-Groups: " + groups}, args...)
	}
	work := filepath.Join(t.TempDir(), "work")
	Git(t, "", gitAs("ana", "acme/dba", "clone", "-q", s.GitURL(), work)...)
	mustWrite(t, filepath.Join(work, "CODEOWNERS"), "/runbooks/db/ @acme/dba\n")
	mustWrite(t, filepath.Join(work, "runbooks", "db", "failover.md"), failoverRunbook)
	commitAll(t, work, "Owners")
	Git(t, work, gitAs("ana", "acme/dba", "push", "-q", "origin", "main")...)

	refusal := "runbooks/db/failover.md is owned by @acme/dba (CODEOWNERS:1); you are not one of them."
	save := func(user, groups, text string) (int, string) {
		_, _, body := request(t, "GET", s.URL+"/-/api/pages/runbooks/db/failover", "", "", "", as(user, groups)...)
		var page struct{ Blob, Content string }
		json.Unmarshal([]byte(body), &page)
		b, _ := json.Marshal(map[string]string{"content": page.Content + text, "base": page.Blob})
		code, _, body := request(t, "PUT", s.URL+"/-/api/pages/runbooks/db/failover", string(b), "", "", append(as(user, groups), "Content-Type", "application/json")...)
		return code, body
	}
	for _, tc := range []struct {
		user, groups string
		ok           bool
	}{
		{"eve", "acme/web, everyone", false},
		{"eve", "", false},
		{"dan", "everyone, acme/dba", true},
		{"dee", "dba", true},
	} {
		t.Run(tc.user+"_"+strings.ReplaceAll(tc.groups, " ", ""), func(t *testing.T) {
			main0 := s.MainCommit(t)
			code, body := save(tc.user, tc.groups, "\nSaved by "+tc.user+".\n")
			if tc.ok != (code == 200) || (!tc.ok && (code != http.StatusForbidden || !strings.Contains(body, refusal))) {
				t.Fatalf("API save by %s in %q = %d %s", tc.user, tc.groups, code, body)
			}
			clone := filepath.Join(t.TempDir(), "clone")
			Git(t, "", gitAs(tc.user, tc.groups, "clone", "-q", s.GitURL(), clone)...)
			mustWrite(t, filepath.Join(clone, "runbooks", "db", "failover.md"), failoverRunbook+"\nPushed by "+tc.user+".\n")
			commitAll(t, clone, "Push by "+tc.user)
			out, err := GitErr(t, clone, gitAs(tc.user, tc.groups, "push", "origin", "main")...)
			if tc.ok != (err == nil) || (!tc.ok && !strings.Contains(out, "remote: error: "+refusal)) {
				t.Fatalf("push by %s in %q: %v\n%s", tc.user, tc.groups, err, out)
			}
			if !tc.ok && s.MainCommit(t) != main0 {
				t.Fatal("a refused write moved main")
			}
		})
	}
}

// TestCodeOwnersWithoutIdentities: with --auth none there is no one to
// tell apart, so a CODEOWNERS file (here brought in with the repository,
// mistakes and all) restricts nobody, and the wiki says so: once when it
// starts, on the settings page and in the content report, which lists
// the file's mistakes.
func TestCodeOwnersWithoutIdentities(t *testing.T) {
	s, _ := MustInitFrom(t, map[string][]byte{
		"CODEOWNERS":              []byte("* @everyone\n/runbooks/db/ @dba\n!runbooks/db/public/ @x\n"),
		"docs/CODEOWNERS":         []byte("* @someone-else\n"),
		"runbooks/db/failover.md": []byte(failoverRunbook),
	})
	if logs := s.logs.String(); strings.Count(logs, "CODEOWNERS is not enforced") != 1 || !strings.Contains(logs, "file=CODEOWNERS") {
		t.Errorf("the start does not say once that CODEOWNERS is not enforced:\n%s", logs)
	}
	p := s.Page(t, "runbooks/db/failover")
	if code, reply := s.Put(t, "runbooks/db/failover", p.Content+"\nAnyone may save.\n", p.Blob, ""); code != 200 {
		t.Fatalf("save without identities = %d %v", code, reply)
	}
	_, _, page := s.Get(t, "/-/settings")
	if !strings.Contains(page, `id="codeowners-off"`) || !strings.Contains(page, "<code>docs/CODEOWNERS</code> is not read") {
		t.Errorf("the settings page does not say the file is not enforced, or which one is not read:\n%s", page)
	}
	if !strings.Contains(page, `&#34;!runbooks/db/public/&#34;: negation with ! is not supported`) {
		t.Errorf("the settings page does not list the file's mistake:\n%s", page)
	}
	_, _, page = s.Get(t, "/-/report")
	for _, want := range []string{`id="codeowners-off"`, `<a href="/-/settings#codeowners">CODEOWNERS</a>`, "negation with ! is not supported",
		`<a href="/-/settings#codeowners">docs/CODEOWNERS</a>`, "this CODEOWNERS file is not in force: CODEOWNERS is, and only one is read"} {
		if !strings.Contains(page, want) {
			t.Errorf("the report lacks %q:\n%s", want, page)
		}
	}
}
