package main_test

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// The tests here drive the real git command against the real server over
// smart HTTP on 127.0.0.1, and check the repository with git fsck --strict
// after each.

// GitURL is the clone URL.
func (s *Server) GitURL() string { return s.URL + "/wiki.git" }

// Clone clones the wiki over HTTP into a new folder.
func (s *Server) Clone(tb testing.TB) string {
	tb.Helper()
	work := filepath.Join(tb.TempDir(), "work")
	Git(tb, "", "clone", "-q", s.GitURL(), work)
	return work
}

// Fsck runs git fsck --strict on the served repository.
func (s *Server) Fsck(tb testing.TB) {
	tb.Helper()
	if out := Git(tb, filepath.Join(s.Data, "wiki.git"), "fsck", "--strict", "--no-progress", "--no-dangling"); out != "" {
		tb.Fatalf("git fsck --strict: %s", out)
	}
}

// Main returns the commit main points at, from the repository on disk.
func (s *Server) MainCommit(tb testing.TB) string {
	tb.Helper()
	return Git(tb, filepath.Join(s.Data, "wiki.git"), "rev-parse", "main")
}

// GitErr runs git in dir like Git, returning its output and error instead
// of failing the test.
func GitErr(tb testing.TB, dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+tb.TempDir(),
		"GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func commitAll(tb testing.TB, work, msg string) string {
	tb.Helper()
	Git(tb, work, "add", "-A")
	Git(tb, work, "commit", "-qm", msg)
	return Git(tb, work, "rev-parse", "HEAD")
}

// TestGitCloneEditPush clones over HTTP, edits in a "local editor",
// commits and pushes: the change is served and searchable as soon as git
// push returns, with no waiting. Warnings are printed, never blocking.
func TestGitCloneEditPush(t *testing.T) {
	s := MustServe(t, "")
	s.WaitReady(t)
	_, _, home := s.Get(t, "/")
	if !strings.Contains(home, `git clone <a href="/wiki.git" data-clone>/wiki.git</a>`) {
		t.Error("the home page does not show the clone URL")
	}
	work := s.Clone(t)
	if _, err := os.Stat(filepath.Join(work, "runbooks", "checkout-high-error-rate.md")); err != nil {
		t.Fatalf("clone lacks the default content: %v", err)
	}
	mustWrite(t, filepath.Join(work, "runbooks", "queue-backlog.md"),
		"---\ntitle: Queue backlog\nalerts: [QueueBacklogHigh]\n---\n# Queue backlog\n\nWhen the wombat-dispatcher stalls, drain the queue.\n")
	id := commitAll(t, work, "Add the queue runbook")
	out := Git(t, work, "push", "origin", "main")
	if !strings.Contains(out, "remote: warning: runbooks/queue-backlog.md:1: no owner") {
		t.Errorf("the missing owner was not warned about:\n%s", out)
	}
	// Right after the push returns: served, searchable, in the history.
	if code, _, body := s.Get(t, "/runbooks/queue-backlog"); code != 200 || !strings.Contains(body, "wombat-dispatcher") {
		t.Fatalf("pushed page: %d", code)
	}
	if r := s.Search(t, "wombat-dispatcher", 5); len(r.Hits) == 0 || r.Hits[0].Path != "runbooks/queue-backlog" {
		t.Fatalf("pushed page not searchable on return: %+v", r.Hits)
	}
	if code, _, body := s.Get(t, "/-/api/history/runbooks/queue-backlog"); code != 200 || !strings.Contains(body, id) {
		t.Fatalf("history after push: %d %s", code, body)
	}
	if _, h, body := s.Get(t, "/-/alerts/QueueBacklogHigh"); !strings.Contains(h.Get("Location")+body, "queue-backlog") {
		t.Errorf("the alert does not find the pushed runbook: %q", h.Get("Location"))
	}
	if s.MainCommit(t) != id {
		t.Fatal("main is not the pushed commit")
	}
	s.Fsck(t)
}

// TestGitFetchAfterBrowserEdit saves in the browser (the API), then
// fetches: the clone gets the browser's commit.
func TestGitFetchAfterBrowserEdit(t *testing.T) {
	s := MustServe(t, "")
	work := s.Clone(t)
	p := s.Page(t, "services/checkout")
	text := p.Content + "\nEdited in the browser: platypus.\n"
	if code, reply := s.Put(t, "services/checkout", text, p.Blob, "Edit in the browser"); code != 200 {
		t.Fatalf("save: %d %v", code, reply)
	}
	Git(t, work, "pull", "-q", "--ff-only")
	b, err := os.ReadFile(filepath.Join(work, "services", "checkout.md"))
	if err != nil || string(b) != text {
		t.Fatalf("fetched page %q, %v", b, err)
	}
	if Git(t, work, "log", "-1", "--format=%s") != "Edit in the browser" || Git(t, work, "rev-parse", "HEAD") != s.MainCommit(t) {
		t.Fatal("the clone is not at the browser's commit")
	}
	s.Fsck(t)
}

// TestGitPushNonFastForward: a push from a clone that missed a change is
// refused as git always refuses it, and main keeps the change.
func TestGitPushNonFastForward(t *testing.T) {
	s := MustServe(t, "")
	a, b := s.Clone(t), s.Clone(t)
	mustWrite(t, filepath.Join(a, "docs", "a.md"), "# A\n")
	first := commitAll(t, a, "A")
	Git(t, a, "push", "-q", "origin", "main")
	mustWrite(t, filepath.Join(b, "docs", "b.md"), "# B\n")
	commitAll(t, b, "B")
	out, err := GitErr(t, b, "push", "origin", "main")
	if err == nil || !strings.Contains(out, "! [rejected]") || !strings.Contains(out, "main -> main (fetch first)") {
		t.Fatalf("stale push: %v\n%s", err, out)
	}
	// Forced, the client sends it; the server refuses to rewind main.
	out, err = GitErr(t, b, "push", "--force", "origin", "main")
	if err == nil || !strings.Contains(out, "! [remote rejected] main -> main (non-fast-forward)") {
		t.Fatalf("forced push: %v\n%s", err, out)
	}
	if s.MainCommit(t) != first {
		t.Fatal("main moved")
	}
	// After a rebase it goes through.
	Git(t, b, "pull", "-q", "--rebase")
	Git(t, b, "push", "-q", "origin", "main")
	if s.MainCommit(t) != Git(t, b, "rev-parse", "HEAD") {
		t.Fatal("rebased push not applied")
	}
	s.Fsck(t)
}

func listObjects(tb testing.TB, repo string) string {
	tb.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(repo, "objects"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestGitPushBrokenFrontMatter: errors refuse the push with file and line
// in git's output, main does not move, and nothing is written.
func TestGitPushBrokenFrontMatter(t *testing.T) {
	s := MustServe(t, "")
	work := s.Clone(t)
	head := s.MainCommit(t)
	repo := filepath.Join(s.Data, "wiki.git")
	before := listObjects(t, repo)
	mustWrite(t, filepath.Join(work, "runbooks", "broken.md"), "---\ntitle: Broken\n  owner: sre\n---\n# Broken\n")
	mustWrite(t, filepath.Join(work, "postmortems", "2026", "bad-date.md"), "---\nincident: INC-9\nstarted: yesterday-ish\n---\n# INC-9\n")
	commitAll(t, work, "Broken pages")
	out, err := GitErr(t, work, "push", "origin", "main")
	if err == nil {
		t.Fatalf("push with errors accepted:\n%s", out)
	}
	for _, want := range []string{
		"remote: error: runbooks/broken.md:3: front matter is not valid YAML",
		"remote: error: postmortems/2026/bad-date.md:3: ",
		"! [remote rejected] main -> main (2 errors in the pushed pages; see the messages above)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if s.MainCommit(t) != head {
		t.Fatal("main moved")
	}
	if after := listObjects(t, repo); after != before {
		t.Fatalf("the refused push left files in objects/:\n%s", after)
	}
	if code, _, _ := s.Get(t, "/runbooks/broken"); code != 404 {
		t.Errorf("refused page served: %d", code)
	}
	s.Fsck(t)
}

// TestGitPush3000Files pushes one commit of 3,000 new pages with a small
// http.postBuffer, so git first probes with a flush-pkt and then streams
// the pack chunked; every page is served when the push returns.
func TestGitPush3000Files(t *testing.T) {
	s := MustServe(t, "")
	work := s.Clone(t)
	const n = 3000
	for i := range n {
		mustWrite(t, filepath.Join(work, "bulk", fmt.Sprintf("d%02d", i%30), fmt.Sprintf("page-%04d.md", i)),
			fmt.Sprintf("---\ntitle: Bulk page %d\n---\n# Bulk page %d\n\nThe marker word is bulkmarker%dx.\n", i, i, i))
	}
	id := commitAll(t, work, "Import 3,000 pages")
	start := time.Now()
	out := Git(t, work, "-c", "http.postBuffer=65536", "push", "origin", "main")
	t.Logf("push of %d pages took %s", n, time.Since(start).Round(time.Millisecond))
	if !strings.Contains(out, "main -> main") {
		t.Fatalf("push: %s", out)
	}
	if s.MainCommit(t) != id {
		t.Fatal("main is not the pushed commit")
	}
	// Every page is served: each folder's listing links all of its pages.
	for d := range 30 {
		code, _, body := s.Get(t, fmt.Sprintf("/bulk/d%02d", d))
		if code != 200 {
			t.Fatalf("folder %d: %d", d, code)
		}
		for i := d; i < n; i += 30 {
			if !strings.Contains(body, fmt.Sprintf(`href="/bulk/d%02d/page-%04d"`, d, i)) {
				t.Fatalf("folder %d does not list page %d", d, i)
			}
		}
	}
	if code, _, body := s.Get(t, "/bulk/d29/page-2999"); code != 200 || !strings.Contains(body, "bulkmarker2999x") {
		t.Fatalf("last page: %d", code)
	}
	if r := s.Search(t, "bulkmarker2999x", 5); len(r.Hits) != 1 {
		t.Fatalf("last page not searchable: %+v", r)
	}
	s.Fsck(t)
	// A clone gets them all back.
	again := s.Clone(t)
	if m, _ := filepath.Glob(filepath.Join(again, "bulk", "*", "*.md")); len(m) != n {
		t.Fatalf("clone has %d bulk pages", len(m))
	}
}

// TestGitDraftBranch keeps other branches as drafts: stored, listed,
// deletable, never the wiki.
func TestGitDraftBranch(t *testing.T) {
	s := MustServe(t, "")
	work := s.Clone(t)
	head := s.MainCommit(t)
	Git(t, work, "checkout", "-qb", "drafts/new-runbook")
	mustWrite(t, filepath.Join(work, "runbooks", "draft.md"), "---\nowner: sre\n---\n# Draft runbook\n")
	id := commitAll(t, work, "Draft")
	Git(t, work, "push", "-q", "origin", "drafts/new-runbook")
	if s.MainCommit(t) != head {
		t.Fatal("a draft moved main")
	}
	if !strings.Contains(Git(t, work, "ls-remote", "origin"), id+"\trefs/heads/drafts/new-runbook") {
		t.Fatal("draft branch not kept")
	}
	if code, _, _ := s.Get(t, "/runbooks/draft"); code != 404 {
		t.Fatalf("a draft page is served: %d", code)
	}
	// Merging the draft into main publishes it.
	Git(t, work, "push", "-q", "origin", "drafts/new-runbook:main", ":drafts/new-runbook")
	if code, _, _ := s.Get(t, "/runbooks/draft"); code != 200 {
		t.Fatalf("published draft: %d", code)
	}
	if strings.Contains(Git(t, work, "ls-remote", "origin"), "drafts/") {
		t.Fatal("deleted draft branch still listed")
	}
	s.Fsck(t)
}

// TestGitShallowClone refuses shallow clones with a message that says so;
// protocol v2, which git 2.39 asks for, falls back to v0.
func TestGitShallowClone(t *testing.T) {
	s := MustServe(t, "")
	out, err := GitErr(t, "", "clone", "--depth", "1", s.GitURL(), filepath.Join(t.TempDir(), "shallow"))
	if err == nil || !strings.Contains(out, "shallow clones (--depth") || !strings.Contains(out, "clone without --depth") {
		t.Fatalf("shallow clone: %v\n%s", err, out)
	}
	work := filepath.Join(t.TempDir(), "v2")
	Git(t, "", "-c", "protocol.version=2", "clone", "-q", s.GitURL(), work)
	if Git(t, work, "rev-parse", "HEAD") != s.MainCommit(t) {
		t.Fatal("v2 clone not at main")
	}
}

// TestGitAccessControl clones and pushes with the browser's users and
// roles: a reader may clone but not push, an editor may push, and pushed
// commits keep their own author.
func TestGitAccessControl(t *testing.T) {
	users, roles := writeAccounts(t)
	s := MustServeWith(t, "", func(c *main.Config) { c.Auth, c.UsersFile, c.RolesFile = "users", users, roles })
	withUser := func(user string) string {
		return strings.Replace(s.GitURL(), "http://", "http://"+user+":"+user+"-pw@", 1)
	}
	if out, err := GitErr(t, "", "clone", s.GitURL(), filepath.Join(t.TempDir(), "anon")); err == nil || !strings.Contains(out, "could not read Username") {
		t.Fatalf("anonymous clone: %v\n%s", err, out)
	}
	reader := filepath.Join(t.TempDir(), "reader")
	Git(t, "", "clone", "-q", withUser("cy"), reader)
	mustWrite(t, filepath.Join(reader, "docs", "by-reader.md"), "# By a reader\n")
	commitAll(t, reader, "By a reader")
	if out, err := GitErr(t, reader, "push", "origin", "main"); err == nil || !strings.Contains(out, "403") {
		t.Fatalf("reader push: %v\n%s", err, out)
	}
	editor := filepath.Join(t.TempDir(), "editor")
	Git(t, "", "clone", "-q", withUser("bo"), editor)
	mustWrite(t, filepath.Join(editor, "docs", "by-editor.md"), "# By an editor\n")
	id := commitAll(t, editor, "By an editor")
	Git(t, editor, "push", "-q", "origin", "main")
	if s.MainCommit(t) != id {
		t.Fatal("editor push not applied")
	}
	if who := Git(t, filepath.Join(s.Data, "wiki.git"), "log", "-1", "--format=%an", "main"); who != "Test" {
		t.Fatalf("pushed commit authored by %q, want its own author", who)
	}
	s.Fsck(t)
}
