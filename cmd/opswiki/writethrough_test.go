package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// gitHost is a bare repository served by git http-backend: the team's git
// host in the upstream tests.
type gitHost struct {
	*HTTPBackend
	Dir  string // the bare repository
	Repo string // its URL
}

// mustGitHost serves a bare repository holding files, on branch master as
// many hosts still name it (the wiki must not assume main).
func mustGitHost(t testing.TB, files map[string][]byte) *gitHost {
	t.Helper()
	root := t.TempDir()
	src := MustHistoryRepo(t, files, max(2, len(files)))
	dir := filepath.Join(root, "runbooks.git")
	Git(t, "", "clone", "-q", "--bare", src, dir)
	// A git host takes pushes over HTTP; http-backend does once told to.
	Git(t, dir, "config", "http.receivepack", "true")
	b := MustServeHTTPBackend(t, root)
	return &gitHost{HTTPBackend: b, Dir: dir, Repo: b.URL + "/runbooks.git"}
}

// Main is the host's default branch tip.
func (h *gitHost) Main(t testing.TB) string {
	t.Helper()
	return Git(t, h.Dir, "rev-parse", "master")
}

// Show returns a file on the host's default branch.
func (h *gitHost) Show(t testing.TB, path string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", h.Dir, "show", "master:"+path).Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// Push commits a change of one file straight to the host, as a person
// with a clone does.
func (h *gitHost) Push(t testing.TB, path, content, msg string) {
	t.Helper()
	work := filepath.Join(t.TempDir(), "work")
	Git(t, "", "clone", "-q", h.Dir, work)
	mustWrite(t, filepath.Join(work, filepath.FromSlash(path)), content)
	commitAll(t, work, msg)
	Git(t, work, "push", "-q", "origin", "HEAD:master")
}

// Fsck checks the host's repository as strictly as git can.
func (h *gitHost) Fsck(t testing.TB) {
	t.Helper()
	Git(t, h.Dir, "fsck", "--strict", "--no-dangling")
}

func serveWithUpstream(t testing.TB, host *gitHost, configure func(*main.Config)) *Server {
	t.Helper()
	return MustServeWith(t, "", func(c *main.Config) {
		c.Upstream, c.UpstreamPoll = host.Repo, time.Hour
		if configure != nil {
			configure(c)
		}
	})
}

const diskFull = "---\nalerts: [DiskFull]\nowner: sre\n---\n# Disk full\n\n## Mitigation\n\nDelete old logs.\n"

// TestWriteThrough: a wiki whose repository of record is a git host. It
// starts from the host's branch; every save is on the host when it is
// acknowledged; when the host moved meanwhile, the save is merged onto it
// page by page, and a true conflict comes back as a 409 with both sides;
// a git push to the wiki is taken only when the host takes it; a host
// that refuses the change (a hook) refuses the save, and nothing moves.
func TestWriteThrough(t *testing.T) {
	host := mustGitHost(t, map[string][]byte{"README.md": []byte("# Runbooks\n"), "runbooks/disk-full.md": []byte(diskFull)})
	s := serveWithUpstream(t, host, nil)
	if got, want := s.MainCommit(t), host.Main(t); got != want {
		t.Fatalf("the wiki started at %s, the host is at %s", got, want)
	}

	t.Run("save reaches the host", func(t *testing.T) {
		page := s.Page(t, "runbooks/disk-full")
		edited := strings.Replace(page.Content, "Delete old logs.", "Delete old logs, then rotate.", 1)
		if code, out := s.Put(t, "runbooks/disk-full", edited, page.Blob, "rotate"); code != http.StatusOK {
			t.Fatalf("save = %d %v", code, out)
		}
		if got, want := host.Main(t), s.MainCommit(t); got != want {
			t.Errorf("acknowledged save: host at %s, wiki at %s", got, want)
		}
		if !strings.Contains(host.Show(t, "runbooks/disk-full.md"), "then rotate") {
			t.Error("the host's file lacks the save")
		}
	})

	t.Run("host moved: merged page by page", func(t *testing.T) {
		host.Push(t, "runbooks/cpu.md", "# CPU\n\nPushed to the host.\n", "cpu")
		page := s.Page(t, "README")
		if code, out := s.Put(t, "README", page.Content+"\nSaved in the wiki.\n", page.Blob, "readme"); code != http.StatusOK {
			t.Fatalf("save = %d %v", code, out)
		}
		if !strings.Contains(host.Show(t, "README.md"), "Saved in the wiki.") || host.Show(t, "runbooks/cpu.md") == "" {
			t.Errorf("the host lacks one side: README %q, cpu %q", host.Show(t, "README.md"), host.Show(t, "runbooks/cpu.md"))
		}
		if got, want := host.Main(t), s.MainCommit(t); got != want {
			t.Errorf("host at %s, wiki at %s", got, want)
		}
		if !strings.Contains(s.Page(t, "runbooks/cpu").Content, "Pushed to the host.") {
			t.Error("the wiki does not show the host's page")
		}
	})

	t.Run("true conflict is a 409 with both sides", func(t *testing.T) {
		page := s.Page(t, "runbooks/disk-full")
		host.Push(t, "runbooks/disk-full.md", strings.Replace(page.Content, "then rotate", "then page the storage team", 1), "host edit")
		mine := strings.Replace(page.Content, "then rotate", "then grow the volume", 1)
		code, out := s.Put(t, "runbooks/disk-full", mine, page.Blob, "mine")
		if code != http.StatusConflict {
			t.Fatalf("conflicting save = %d %v", code, out)
		}
		if !strings.Contains(fmt.Sprint(out["yours"]), "grow the volume") || !strings.Contains(fmt.Sprint(out["theirs"]), "page the storage team") {
			t.Errorf("the 409 does not carry both sides: %v", out)
		}
		if strings.Contains(host.Show(t, "runbooks/disk-full.md"), "grow the volume") {
			t.Error("the refused save reached the host")
		}
	})

	t.Run("git push is taken only when the host takes it", func(t *testing.T) {
		work := s.Clone(t)
		host.Push(t, "runbooks/net.md", "# Network\n", "net")
		mustWrite(t, filepath.Join(work, "runbooks", "dns.md"), "# DNS\n")
		commitAll(t, work, "dns")
		out, err := GitErr(t, work, "push", "origin", "HEAD:main")
		if err == nil || !strings.Contains(out, "The upstream has commits this push does not") {
			t.Fatalf("push behind the host: err %v\n%s", err, out)
		}
		Git(t, work, "pull", "-q", "--no-rebase", "origin", "main")
		Git(t, work, "push", "-q", "origin", "HEAD:main")
		if host.Show(t, "runbooks/dns.md") == "" || host.Show(t, "runbooks/net.md") == "" {
			t.Error("after pull and push the host lacks a side")
		}
		if got, want := host.Main(t), s.MainCommit(t); got != want {
			t.Errorf("host at %s, wiki at %s", got, want)
		}
	})

	t.Run("host refuses: the save is refused and nothing moves", func(t *testing.T) {
		hook := filepath.Join(host.Dir, "hooks", "pre-receive")
		if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'GH006: Protected branch update failed for refs/heads/master.' >&2\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(hook)
		before, hostBefore := s.MainCommit(t), host.Main(t)
		page := s.Page(t, "README")
		code, out := s.Put(t, "README", page.Content+"\nRefused.\n", page.Blob, "refused")
		if code != http.StatusForbidden || !strings.Contains(fmt.Sprint(out["error"]), "Protected branch") {
			t.Errorf("save refused by the host = %d %v", code, out)
		}
		if s.MainCommit(t) != before || host.Main(t) != hostBefore {
			t.Error("a refused save moved main or the host")
		}
	})
	host.Fsck(t)
	s.Fsck(t)
}

// saveFresh saves name with edit applied to its current content, reading
// it again after a conflict; it returns whether a save was acknowledged
// and the content acknowledged.
func saveFresh(t *testing.T, s *Server, name string, edit func(string) string) (bool, string) {
	for range 10 {
		code, _, body := s.Get(t, "/-/api/pages/"+name)
		var p Page
		if code == http.StatusOK {
			if err := json.Unmarshal([]byte(body), &p); err != nil {
				t.Error(err)
				return false, ""
			}
		}
		content := edit(p.Content)
		code, out := s.Put(t, name, content, p.Blob, "edit "+name)
		switch code {
		case http.StatusOK:
			return true, content
		case http.StatusConflict:
			continue
		default:
			t.Errorf("save %s = %d %v", name, code, out)
			return false, ""
		}
	}
	return false, ""
}

// TestTwoInstancesConverge runs two wikis on one git host, with saves on
// both and pushes straight to the host, all at once. Every acknowledged
// write ends in the host's branch, both wikis converge on it, and every
// repository passes git fsck --strict.
func TestTwoInstancesConverge(t *testing.T) {
	shared := "# Shared\n\nw0: start\n\nw1: start\n\nw2: start\n\nw3: start\n\nw4: start\n\nw5: start\n"
	host := mustGitHost(t, map[string][]byte{"README.md": []byte("# Runbooks\n"), "shared.md": []byte(shared)})
	secret := filepath.Join(t.TempDir(), "hook-secret")
	mustWrite(t, secret, hookSecret)
	a := serveWithUpstream(t, host, func(c *main.Config) { c.UpstreamHookSecretFile = secret })
	b := serveWithUpstream(t, host, func(c *main.Config) { c.UpstreamHookSecretFile = secret })

	var mu sync.Mutex
	acked := map[string]string{} // file -> content acknowledged
	lines := map[string]string{} // worker -> its last acknowledged line of shared.md
	ack := func(k, v string, into map[string]string) {
		mu.Lock()
		into[k] = v
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for w := range 6 {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 6 {
				name := fmt.Sprintf("conv/w%d-%d", w, i)
				content := fmt.Sprintf("# Page %d of worker %d\n", i, w)
				if ok, _ := saveFresh(t, s, name, func(string) string { return content }); ok {
					ack(name+".md", content, acked)
				}
				prefix := fmt.Sprintf("w%d: ", w)
				line := fmt.Sprintf("w%d: save %d", w, i)
				ok, _ := saveFresh(t, s, "shared", func(c string) string {
					var out []string
					for l := range strings.SplitSeq(c, "\n") {
						if strings.HasPrefix(l, prefix) {
							l = line
						}
						out = append(out, l)
					}
					return strings.Join(out, "\n")
				})
				if ok {
					ack(fmt.Sprint(w), line, lines)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		work := filepath.Join(t.TempDir(), "direct")
		Git(t, "", "clone", "-q", host.Dir, work)
		for i := range 6 {
			name := fmt.Sprintf("conv/direct-%d.md", i)
			content := fmt.Sprintf("# Pushed %d\n", i)
			mustWrite(t, filepath.Join(work, filepath.FromSlash(name)), content)
			commitAll(t, work, name)
			// The wikis push to the host all the time: a person's push
			// may lose the race a few times, as on a busy host.
			for try := 0; ; try++ {
				out, err := GitErr(t, work, "push", "-q", "origin", "HEAD:master")
				if err == nil {
					ack(name, content, acked)
					break
				}
				if try == 100 {
					t.Errorf("push %s refused 100 times, last: %s", name, out)
					return
				}
				Git(t, work, "pull", "-q", "--rebase", "origin", "master")
			}
		}
	}()
	wg.Wait()

	// The host's webhook tells both wikis to fetch.
	for _, s := range []*Server{a, b} {
		req, _ := http.NewRequest("POST", s.URL+"/-/api/upstream/hook", strings.NewReader("{}"))
		req.Header.Set("X-Gitlab-Token", hookSecret)
		if code, _, out := do(t, req); code != http.StatusAccepted {
			t.Fatalf("hook = %d %s", code, out)
		}
	}
	eventually(t, "both wikis at the host's branch", func() bool {
		h := host.Main(t)
		return a.MainCommit(t) == h && b.MainCommit(t) == h
	})
	if len(acked) < 30 || len(lines) < 6 {
		t.Fatalf("only %d pages and %d shared lines acknowledged", len(acked), len(lines))
	}
	for name, content := range acked {
		if got := host.Show(t, name); got != content {
			t.Errorf("acknowledged %s: the host has %q, want %q", name, got, content)
		}
	}
	sharedNow := host.Show(t, "shared.md")
	for w, line := range lines {
		if !strings.Contains(sharedNow, line+"\n") {
			t.Errorf("worker %s's last acknowledged line %q is not in shared.md:\n%s", w, line, sharedNow)
		}
	}
	host.Fsck(t)
	a.Fsck(t)
	b.Fsck(t)
	t.Logf("%d files and %d shared-page lines acknowledged; host at %s", len(acked), len(lines), host.Main(t)[:12])
}

// metric returns one sample's value from /metrics, or -1.
func metric(t *testing.T, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for l := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// TestUpstreamDown takes the git host down: the wiki goes on taking saves,
// says on every page, in /readyz and in /metrics how far ahead it is, keeps
// them across a SIGKILL, and delivers them in order once the host is back;
// a page changed on both sides meanwhile keeps both versions.
func TestUpstreamDown(t *testing.T) {
	host := mustGitHost(t, map[string][]byte{"README.md": []byte("# Runbooks\n"), "runbooks/disk-full.md": []byte(diskFull)})
	data := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	flags := []string{"--upstream", host.Repo, "--upstream-poll", "1s"}
	p := startProcess(t, data, addr, flags...)
	kill := func() {
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.cmd.Wait()
	}
	defer func() { kill() }()
	s := &Server{URL: p.url, Data: data}
	acked := map[string]string{}
	save := func(name, content string) {
		t.Helper()
		if code, out := s.Put(t, name, content, "", "save "+name); code != http.StatusOK {
			t.Fatalf("save %s = %d %v\n%s", name, code, out, p.logs.String())
		}
		acked[name+".md"] = content
	}
	save("down/before", "# Before\n")
	if host.Show(t, "down/before.md") == "" {
		t.Fatal("the save while the host is up is not on the host")
	}

	host.Down()
	for i := range 3 {
		save(fmt.Sprintf("down/while-%d", i), fmt.Sprintf("# Saved while the host is down, %d\n", i))
	}
	// Changed in the wiki and, below, on the host: the same line.
	page := s.Page(t, "runbooks/disk-full")
	if code, out := s.Put(t, "runbooks/disk-full", strings.Replace(page.Content, "Delete old logs.", "Delete old logs from the wiki.", 1), page.Blob, "wiki side"); code != http.StatusOK {
		t.Fatalf("save = %d %v", code, out)
	}
	code, _, body := s.Get(t, "/readyz")
	var ready struct {
		Ready    bool
		Upstream struct {
			Ahead     int
			Down      string
			Conflicts []string
		}
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || code != http.StatusOK || !ready.Ready {
		t.Fatalf("/readyz with the host down = %d %s (%v)", code, body, err)
	}
	if ready.Upstream.Down == "" || ready.Upstream.Ahead != 4 {
		t.Errorf("/readyz says %+v, want the host down and 4 commits ahead", ready.Upstream)
	}
	if up, ahead := metric(t, s.URL, "opswiki_upstream_up"), metric(t, s.URL, "opswiki_upstream_ahead_commits"); up != 0 || ahead != 4 {
		t.Errorf("metrics: up %v, ahead %v", up, ahead)
	}
	if _, _, html := s.Get(t, "/runbooks/disk-full"); !strings.Contains(html, "cannot be reached") || !strings.Contains(html, "4 changes saved here are kept") {
		t.Errorf("the page does not say the host is down and 4 changes wait")
	}

	// Killed while writes wait; started again while the host is still down.
	kill()
	p = startProcess(t, data, addr, flags...)
	save("down/after-restart", "# Saved after the restart, host still down\n")
	host.Push(t, "runbooks/disk-full.md", strings.Replace(diskFull, "Delete old logs.", "Delete old logs on the host.", 1), "host side")
	hostOnly := host.Main(t)

	host.Up()
	eventually(t, "the host has every write and the wiki is level with it", func() bool {
		return host.Main(t) != hostOnly && host.Main(t) == Git(t, filepath.Join(data, "wiki.git"), "rev-parse", "main")
	})
	for name, content := range acked {
		if got := host.Show(t, name); got != content {
			t.Errorf("acknowledged %s: the host has %q", name, got)
		}
	}
	merged := host.Show(t, "runbooks/disk-full.md")
	for _, want := range []string{"<<<<<<< saved in this wiki\nDelete old logs from the wiki.\n=======\nDelete old logs on the host.\n>>>>>>> upstream\n"} {
		if !strings.Contains(merged, want) {
			t.Errorf("the page changed on both sides does not keep both:\n%s", merged)
		}
	}
	// Delivered in order: the wiki's commits are ancestors of the merge,
	// oldest first, each one parent of the next.
	log := Git(t, host.Dir, "log", "--format=%s", "--first-parent", "master")
	order := []string{"save down/after-restart", "wiki side", "save down/while-2", "save down/while-1", "save down/while-0", "save down/before"}
	pos := 0
	for _, subject := range order {
		j := strings.Index(log[pos:], subject+"\n")
		if j < 0 {
			t.Fatalf("%q is not in the host's first-parent history in order:\n%s", subject, log)
		}
		pos += j
	}
	eventually(t, "the wiki names the page with both versions", func() bool {
		_, _, body := s.Get(t, "/readyz")
		return strings.Contains(body, "runbooks/disk-full.md")
	})
	if _, _, html := s.Get(t, "/runbooks/disk-full"); !strings.Contains(html, "conflict marker") {
		t.Errorf("the page does not point out the conflict markers")
	}
	if up := metric(t, s.URL, "opswiki_upstream_up"); up != 1 {
		t.Errorf("metrics after the host returned: up %v", up)
	}
	host.Fsck(t)
	Git(t, filepath.Join(data, "wiki.git"), "fsck", "--strict", "--no-dangling")
}

// TestEmptyUpstream: a wiki started on an empty repository of the git host
// gives it the default content, and then follows it like any other.
func TestEmptyUpstream(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "runbooks.git")
	Git(t, "", "init", "-q", "--bare", dir) // HEAD names master, which nobody pushes
	Git(t, dir, "config", "http.receivepack", "true")
	host := &gitHost{HTTPBackend: MustServeHTTPBackend(t, root), Dir: dir}
	host.Repo = host.URL + "/runbooks.git"
	s := serveWithUpstream(t, host, nil)
	if got, want := Git(t, dir, "rev-parse", "refs/heads/main"), s.MainCommit(t); got != want {
		t.Fatalf("the host's main is %s, the wiki's %s", got, want)
	}
	work := filepath.Join(t.TempDir(), "work")
	Git(t, "", "clone", "-q", "-b", "main", dir, work)
	mustWrite(t, filepath.Join(work, "pushed.md"), "# Pushed to the host\n")
	commitAll(t, work, "pushed")
	Git(t, work, "push", "-q", "origin", "HEAD:main")
	req, _ := http.NewRequest("POST", s.URL+"/-/api/upstream/hook", strings.NewReader("{}"))
	if code, _, _ := do(t, req); code != http.StatusNotFound {
		t.Errorf("hook without a secret = %d, want 404", code)
	}
	p := s.Page(t, "README")
	if code, out := s.Put(t, "README", p.Content+"\nSaved.\n", p.Blob, "save"); code != http.StatusOK {
		t.Fatalf("save = %d %v", code, out)
	}
	if out, _ := exec.Command("git", "-C", dir, "show", "main:pushed.md").Output(); string(out) != "# Pushed to the host\n" {
		t.Errorf("the host lost its own push: %q", out)
	}
	if !strings.Contains(s.Page(t, "pushed").Content, "Pushed to the host") {
		t.Error("the wiki did not merge the host's push when saving")
	}
	host.Fsck(t)
}
