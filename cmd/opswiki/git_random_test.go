package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The randomized git test drives a real wiki through a seeded sequence of
// browser edits (the JSON API) and pushes, and after every step checks
// what git clients get: a fresh clone, a fetch into a clone made some
// steps before, and a mirror clone must each pass git fsck --strict and
// match the server's main (and, for the mirror, every ref), and so must
// the server's own repository.
//
//	OPSWIKI_GIT_SEED=N   the seed (default: the time)
//	OPSWIKI_GIT_STEPS=N  steps of TestRandomGit (default randomGitSteps)
//
// BenchmarkRandomGit runs b.N steps: go test ./cmd/opswiki -run '^$'
// -bench RandomGit -benchtime 2000x.
const randomGitSteps = 40

// TestRandomGit runs randomGitSteps random steps (OPSWIKI_GIT_STEPS).
func TestRandomGit(t *testing.T) {
	steps := randomGitSteps
	if v := os.Getenv("OPSWIKI_GIT_STEPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("OPSWIKI_GIT_STEPS=%q is not a positive number", v)
		}
		steps = n
	}
	runRandomGit(t, randomGitSeed(t), steps)
}

// BenchmarkRandomGit runs b.N random steps and reports the time a step
// takes with its checks.
func BenchmarkRandomGit(b *testing.B) {
	seed := randomGitSeed(b)
	start := time.Now()
	runRandomGit(b, seed, b.N)
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/step")
}

func randomGitSeed(tb testing.TB) uint64 {
	tb.Helper()
	if v := os.Getenv("OPSWIKI_GIT_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			tb.Fatalf("OPSWIKI_GIT_SEED=%q is not a number", v)
		}
		return seed
	}
	return uint64(time.Now().UnixNano())
}

// randomGit is the state of one run.
type randomGit struct {
	tb     testing.TB
	r      *rand.Rand
	s      *Server
	repo   string // the server's repository
	home   string // HOME for git
	pusher string // the worktree pushes are made from
	older  []string
	// versions holds contents each path had, to revert to.
	versions map[string][]string
	// moved holds the names pages were moved away from: the page keeps
	// them as aliases, and the API resolves them to it.
	moved   map[string]bool
	done    []string // what each step did
	started int      // steps begun
	changes []string // the changes of the push being made
	fresh   int      // names made when the few are taken
	tags    int
}

func runRandomGit(tb testing.TB, seed uint64, steps int) {
	tb.Logf("seed %d, %d steps", seed, steps)
	g := &randomGit{tb: tb, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), home: tb.TempDir(), versions: map[string][]string{}, moved: map[string]bool{}}
	failed := true
	defer func() {
		if failed || tb.Failed() {
			tb.Logf("steps done:\n%s", strings.Join(g.done, "\n"))
			if len(g.changes) > 0 {
				tb.Logf("changes of the push under way: %s", strings.Join(g.changes, ", "))
			}
			tb.Logf("reproduce: OPSWIKI_GIT_SEED=%d OPSWIKI_GIT_STEPS=%d go test ./cmd/opswiki -run 'TestRandomGit$' -v", seed, g.started)
		}
	}()
	g.s = MustServe(tb, "")
	g.s.WaitReady(tb)
	g.repo = filepath.Join(g.s.Data, "wiki.git")
	g.pusher = filepath.Join(tb.TempDir(), "pusher")
	g.git("", "clone", "-q", g.s.GitURL(), g.pusher)
	g.older = append(g.older, g.clone("older"))
	for step := range steps {
		g.started++
		what := g.step()
		g.done = append(g.done, fmt.Sprintf("%4d %s", step, what))
		g.s.WaitReady(tb)
		g.check()
		if g.r.IntN(8) == 0 {
			// Keep clones of different ages to fetch into.
			g.older = append(g.older, g.clone("older"))
			if len(g.older) > 4 {
				os.RemoveAll(g.older[0])
				g.older = g.older[1:]
			}
		}
	}
	failed = false
	kinds := map[string]int{}
	for _, d := range g.done {
		f := strings.Fields(d)[1:]
		kind := f[0]
		if kind == "api" {
			kind += " " + f[1]
		}
		kinds[strings.TrimSuffix(kind, ":")]++
	}
	tb.Logf("%d steps: %v", len(g.done), kinds)
}

// git runs git in dir and fails the run on an error.
func (g *randomGit) git(dir string, args ...string) string {
	g.tb.Helper()
	out, err := g.gitErr(dir, args...)
	if err != nil {
		g.tb.Fatalf("step %d: git %s: %v\n%s", len(g.done), strings.Join(args, " "), err, out)
	}
	return out
}

func (g *randomGit) gitErr(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+g.home, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Rand", "GIT_AUTHOR_EMAIL=rand@example.com", "GIT_COMMITTER_NAME=Rand", "GIT_COMMITTER_EMAIL=rand@example.com")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (g *randomGit) clone(name string, args ...string) string {
	g.tb.Helper()
	dir, err := os.MkdirTemp(g.home, name+"-")
	if err != nil {
		g.tb.Fatal(err)
	}
	g.git("", append(append([]string{"-c", "gc.auto=0", "clone", "-q"}, args...), g.s.GitURL(), dir)...)
	return dir
}

// check compares what git clients get with the server's repository.
func (g *randomGit) check() {
	g.tb.Helper()
	main := g.git(g.repo, "rev-parse", "main")
	tree := g.git(g.repo, "rev-parse", "main^{tree}")
	g.fsckServer()

	fresh := g.clone("fresh")
	if got := g.git(fresh, "rev-parse", "HEAD"); got != main {
		g.tb.Fatalf("step %d: a fresh clone's HEAD is %s, main is %s", len(g.done), got, main)
	}
	if got := g.git(fresh, "rev-parse", "HEAD^{tree}"); got != tree {
		g.tb.Fatalf("step %d: a fresh clone's tree is %s, main's is %s", len(g.done), got, tree)
	}
	g.fsck(fresh)
	os.RemoveAll(fresh)

	old := g.older[g.r.IntN(len(g.older))]
	g.git(old, "fetch", "-q", "--tags", "origin")
	if got := g.git(old, "rev-parse", "origin/main"); got != main {
		g.tb.Fatalf("step %d: a fetch brought main to %s, the server's is %s", len(g.done), got, main)
	}
	g.fsck(old)

	mirror := g.clone("mirror", "--mirror")
	refs := func(dir string) string { return g.git(dir, "for-each-ref", "--format=%(objectname) %(refname)") }
	if got, want := refs(mirror), refs(g.repo); got != want {
		g.tb.Fatalf("step %d: the mirror's refs:\n%s\nthe server's:\n%s", len(g.done), got, want)
	}
	g.fsck(mirror)
	os.RemoveAll(mirror)
}

// fsckServer runs git fsck --strict on the server's repository. The
// server packs its loose objects meanwhile (Repack) and removes them once
// packed: git fsck, which lists the loose objects first, then finds one
// gone. It is asked again then; a missing object stays missing.
func (g *randomGit) fsckServer() {
	g.tb.Helper()
	for try := 0; ; try++ {
		out, err := g.gitErr(g.repo, "fsck", "--strict", "--no-progress", "--no-dangling")
		if err == nil && out == "" {
			return
		}
		if try < 5 && strings.Contains(out, "unable to mmap") && strings.Contains(out, "No such file or directory") {
			continue
		}
		g.tb.Fatalf("step %d: git fsck --strict in the server's repository: %v\n%s", len(g.done), err, out)
	}
}

func (g *randomGit) fsck(dir string) {
	g.tb.Helper()
	if out := g.git(dir, "fsck", "--strict", "--no-progress", "--no-dangling"); out != "" {
		g.tb.Fatalf("step %d: git fsck --strict in %s: %s", len(g.done), dir, out)
	}
}

// files returns the server's files at main, path → blob.
func (g *randomGit) files() map[string]string {
	out := map[string]string{}
	for line := range strings.SplitSeq(g.git(g.repo, "ls-tree", "-r", "main"), "\n") {
		meta, p, ok := strings.Cut(line, "\t")
		if f := strings.Fields(meta); ok && len(f) == 3 {
			out[p] = f[2]
		}
	}
	return out
}

// pages returns the server's pages the API can name unambiguously.
func (g *randomGit) pages(files map[string]string) []string {
	var out []string
	for p := range files {
		if strings.HasSuffix(p, ".md") && !slices.Contains([]string{"README.md", "index.md", "_index.md"}, path.Base(p)) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

var (
	randomDirs  = []string{"ops", "svc", "team", "notes", "deep/er"}
	randomNames = []string{"alpha", "beta", "gamma", "delta", "omega", "disk", "queue"}
	randomWords = strings.Fields("drain the queue restart the consumer check disk usage page the on call rotate the certificate scale the pool")
)

// randomPath returns a path for a new file, up to three folders deep,
// that no existing file is in the way of and no moved page answers to.
// Names are drawn from a few, so that paths come back; when they are all
// taken, a name never used before.
func (g *randomGit) randomPath(files map[string]string, ext string) string {
	for try := 0; ; try++ {
		if try == 200 {
			g.fresh++
			return fmt.Sprintf("fresh-%d%s", g.fresh, ext)
		}
		var parts []string
		for range g.r.IntN(4) {
			parts = append(parts, randomDirs[g.r.IntN(len(randomDirs))])
		}
		parts = append(parts, randomNames[g.r.IntN(len(randomNames))]+strconv.Itoa(g.r.IntN(20))+ext)
		p := strings.Join(parts, "/")
		if _, taken := files[p]; taken || blocked(files, p) || g.moved[strings.TrimSuffix(p, ext)] {
			continue
		}
		return p
	}
}

// blocked reports whether a file sits where p needs a folder, or a folder
// where p would be a file.
func blocked(files map[string]string, p string) bool {
	for f := range files {
		if strings.HasPrefix(p, f+"/") || strings.HasPrefix(f, p+"/") {
			return true
		}
	}
	return false
}

// content makes a page: some lines of text, longer now and then, so that
// git stores versions as deltas.
func (g *randomGit) content(title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", title)
	for range 3 + g.r.IntN(40) {
		for j := range 6 + g.r.IntN(8) {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(randomWords[g.r.IntN(len(randomWords))])
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// edit changes a page a little, below its front matter, or back to a
// version it had.
func (g *randomGit) edit(p, old string) string {
	if vs := g.versions[p]; len(vs) > 1 && g.r.IntN(4) == 0 {
		if v := vs[g.r.IntN(len(vs))]; v != old {
			return v
		}
	}
	lines := strings.SplitAfter(old, "\n")
	first := 0
	if len(lines) > 0 && lines[0] == "---\n" {
		for j := 1; j < len(lines); j++ {
			if lines[j] == "---\n" {
				first = j + 1
				break
			}
		}
	}
	i := first + g.r.IntN(len(lines)-first+1)
	lines = slices.Insert(lines, i, fmt.Sprintf("Changed: %s %d.\n", randomWords[g.r.IntN(len(randomWords))], g.r.IntN(1000)))
	if i+2 < len(lines) && g.r.IntN(2) == 0 {
		lines = slices.Delete(lines, i+1, i+2)
	}
	return strings.Join(lines, "")
}

func (g *randomGit) remember(p, content string) {
	if !slices.Contains(g.versions[p], content) {
		g.versions[p] = append(g.versions[p], content)
	}
}

// step makes one random change and says what it was.
func (g *randomGit) step() string {
	files := g.files()
	pages := g.pages(files)
	switch n := g.r.IntN(100); {
	case n < 15 || len(pages) == 0:
		p := g.randomPath(files, ".md")
		c := g.content(p)
		g.api("PUT", "/-/api/pages/"+strings.TrimSuffix(p, ".md"), map[string]string{"content": c, "base": "", "message": "Create " + p})
		g.remember(p, c)
		return "api create " + p
	case n < 30:
		p := pages[g.r.IntN(len(pages))]
		c := g.edit(p, g.git(g.repo, "cat-file", "blob", files[p]))
		g.api("PUT", "/-/api/pages/"+strings.TrimSuffix(p, ".md"), map[string]string{"content": c, "base": files[p], "message": "Edit " + p})
		g.remember(p, c)
		return "api edit " + p
	case n < 38:
		p := pages[g.r.IntN(len(pages))]
		g.api("DELETE", "/-/api/pages/"+strings.TrimSuffix(p, ".md")+"?base="+files[p], nil)
		return "api delete " + p
	case n < 45:
		p := pages[g.r.IntN(len(pages))]
		to := g.randomPath(files, ".md")
		g.api("POST", "/-/api/move/"+strings.TrimSuffix(p, ".md"), map[string]string{"to": strings.TrimSuffix(to, ".md"), "base": files[p], "message": "Move " + p})
		g.moved[strings.TrimSuffix(p, ".md")] = true
		return "api move " + p + " → " + to
	case n < 85:
		return g.push(files)
	case n < 95:
		return g.merge(files)
	default:
		return g.tag()
	}
}

// api calls the JSON API as a script would and requires a 200.
func (g *randomGit) api(method, route string, body any) {
	g.tb.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	u, err := url.Parse(g.s.URL + route)
	if err != nil {
		g.tb.Fatal(err)
	}
	req, err := http.NewRequest(method, u.String(), rd)
	if err != nil {
		g.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if code, _, out := do(g.tb, req); code != http.StatusOK {
		g.tb.Fatalf("step %d: %s %s: %d %s", len(g.done), method, route, code, out)
	}
}

// sync brings the pusher's worktree to the server's main.
func (g *randomGit) sync() {
	g.git(g.pusher, "fetch", "-q", "origin")
	g.git(g.pusher, "checkout", "-q", "-B", "main", "origin/main")
	g.git(g.pusher, "reset", "-q", "--hard", "origin/main")
	g.git(g.pusher, "clean", "-qfdx")
}

func (g *randomGit) write(p, content string) {
	name := filepath.Join(g.pusher, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		g.tb.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		g.tb.Fatal(err)
	}
}

// remove removes a file or folder from the pusher's worktree; the commit
// takes in whatever the worktree holds.
func (g *randomGit) remove(p string) {
	if err := os.RemoveAll(filepath.Join(g.pusher, filepath.FromSlash(p))); err != nil {
		g.tb.Fatal(err)
	}
}

// change makes one random change in the pusher's worktree.
func (g *randomGit) change(files map[string]string) string {
	var existing []string
	for p := range files {
		existing = append(existing, p)
	}
	slices.Sort(existing)
	pick := func() string { return existing[g.r.IntN(len(existing))] }
	switch n := g.r.IntN(100); {
	case n < 25 || len(existing) == 0:
		p := g.randomPath(files, ".md")
		c := g.content(p)
		g.write(p, c)
		g.remember(p, c)
		files[p] = ""
		return "new " + p
	case n < 35:
		p := g.randomPath(files, ".txt")
		g.write(p, g.content("attachment"))
		files[p] = ""
		return "new attachment " + p
	case n < 55:
		p := pick()
		b, err := os.ReadFile(filepath.Join(g.pusher, filepath.FromSlash(p)))
		if err != nil {
			g.tb.Fatal(err)
		}
		c := g.edit(p, string(b))
		g.write(p, c)
		g.remember(p, c)
		return "edit " + p
	case n < 68:
		p := pick()
		g.remove(p)
		delete(files, p)
		return "delete " + p
	case n < 78:
		// A file becomes a folder of the same name, or a folder a file.
		p := pick()
		if g.r.IntN(2) == 0 {
			g.remove(p)
			delete(files, p)
			q := p + "/" + randomNames[g.r.IntN(len(randomNames))] + ".md"
			g.write(q, g.content(q))
			files[q] = ""
			return "file " + p + " → folder"
		}
		dir := path.Dir(p)
		if dir == "." {
			return "nothing"
		}
		g.remove(dir)
		for f := range files {
			if strings.HasPrefix(f, dir+"/") {
				delete(files, f)
			}
		}
		g.write(dir, g.content(dir))
		files[dir] = ""
		return "folder " + dir + " → file"
	case n < 90:
		// Undo what the last commit did to a file: a folder's tree goes
		// back to an earlier state, which clones must still get whole.
		changed := strings.Fields(g.git(g.pusher, "diff-tree", "-r", "--name-only", "--no-commit-id", "--root", "HEAD"))
		if len(changed) == 0 {
			return "nothing"
		}
		p := changed[g.r.IntN(len(changed))]
		if _, err := g.gitErr(g.pusher, "cat-file", "-e", "HEAD~1:"+p); err != nil {
			g.remove(p)
			delete(files, p)
			return "undo the addition of " + p
		}
		if blocked(files, p) {
			return "nothing"
		}
		g.remove(p)
		g.git(g.pusher, "checkout", "-q", "HEAD~1", "--", p)
		files[p] = ""
		return "undo the change of " + p
	default:
		// Back to what the file was some commits ago.
		p := pick()
		commits := strings.Fields(g.git(g.pusher, "rev-list", "--max-count=50", "HEAD", "--", p))
		if len(commits) < 2 {
			return "nothing"
		}
		c := commits[1+g.r.IntN(len(commits)-1)]
		if _, err := g.gitErr(g.pusher, "cat-file", "-e", c+":"+p); err != nil {
			return "nothing"
		}
		g.git(g.pusher, "checkout", "-q", c, "--", p)
		return "revert " + p + " to " + c[:8]
	}
}

// push pushes a commit of a few changes.
func (g *randomGit) push(files map[string]string) string {
	g.sync()
	g.changes = g.changes[:0]
	for range 1 + g.r.IntN(5) {
		g.changes = append(g.changes, g.change(files))
	}
	what := strings.Join(g.changes, ", ")
	g.git(g.pusher, "add", "-A")
	g.git(g.pusher, "commit", "-q", "--allow-empty", "-m", "Push: "+what)
	g.git(g.pusher, "push", "-q", "origin", "main")
	g.changes = g.changes[:0]
	return "push: " + what
}

// merge pushes a merge of a side line started some commits back, and now
// and then the side line as a draft branch too.
func (g *randomGit) merge(files map[string]string) string {
	g.sync()
	depth := len(strings.Fields(g.git(g.pusher, "rev-list", "--first-parent", "--max-count=8", "HEAD")))
	if depth < 2 {
		return g.push(files)
	}
	back := 1 + g.r.IntN(depth-1)
	g.git(g.pusher, "checkout", "-q", "-b", "side", fmt.Sprintf("HEAD~%d", back))
	// New files on the side line are free both there and on main, so
	// that the merge is clean.
	both := maps.Clone(files)
	for _, p := range strings.Split(g.git(g.pusher, "ls-files"), "\n") {
		both[p] = ""
	}
	for range 1 + g.r.IntN(3) {
		p := g.randomPath(both, ".md")
		c := g.content(p)
		g.write(p, c)
		g.remember(p, c)
		files[p], both[p] = "", ""
	}
	g.git(g.pusher, "add", "-A")
	g.git(g.pusher, "commit", "-q", "-m", "Side line")
	g.git(g.pusher, "checkout", "-q", "main")
	p := g.randomPath(files, ".md")
	g.write(p, g.content(p))
	g.git(g.pusher, "add", "-A")
	g.git(g.pusher, "commit", "-q", "-m", "Main line")
	// Files the wiki moved can make git take a folder for renamed and
	// move the side line's new files after it (directory rename
	// detection), a conflict; the model's merge is of new files only.
	g.git(g.pusher, "-c", "merge.directoryRenames=false", "merge", "-q", "--no-edit", "side")
	refs := []string{"main"}
	what := fmt.Sprintf("merge of a line from %d commits back", back)
	if g.r.IntN(3) == 0 {
		refs = append(refs, "side:drafts/side")
		what += ", with the draft branch"
	}
	g.git(g.pusher, append([]string{"push", "-q", "-f", "origin"}, refs...)...)
	g.git(g.pusher, "branch", "-q", "-D", "side")
	return what
}

// tag pushes an annotated tag of main, or of an older commit.
func (g *randomGit) tag() string {
	g.sync()
	g.tags++
	name := fmt.Sprintf("v%d", g.tags)
	target := "HEAD"
	if n := len(strings.Fields(g.git(g.pusher, "rev-list", "--first-parent", "--max-count=5", "HEAD"))); n > 1 {
		target = fmt.Sprintf("HEAD~%d", g.r.IntN(n))
	}
	g.git(g.pusher, "tag", "-a", "-m", "Release "+name, name, target)
	g.git(g.pusher, "push", "-q", "origin", name)
	return "tag " + name + " at " + target
}
