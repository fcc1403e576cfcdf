package githttp_test

import (
	"bytes"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// gitStdin runs git in dir with stdin and returns its trimmed output.
func gitStdin(tb testing.TB, dir, stdin string, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv(tb)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// treeEntry is a file of a tree crafted for a test: its mode and object.
type treeEntry struct{ mode, id string }

// craftTree writes the tree holding files (path → entry) bottom up with
// git hash-object --literally, which checks nothing, so it can hold what
// git add refuses, and returns its id.
func craftTree(tb testing.TB, work string, files map[string]treeEntry) string {
	tb.Helper()
	type item struct{ name, mode, id string }
	var items []item
	sub := map[string]map[string]treeEntry{}
	for p, e := range files {
		name, rest, ok := strings.Cut(p, "/")
		if !ok {
			items = append(items, item{name, e.mode, e.id})
			continue
		}
		if sub[name] == nil {
			sub[name] = map[string]treeEntry{}
		}
		sub[name][rest] = e
	}
	for name, fs := range sub {
		items = append(items, item{name, "40000", craftTree(tb, work, fs)})
	}
	key := func(it item) string {
		if it.mode == "40000" {
			return it.name + "/"
		}
		return it.name
	}
	sort.Slice(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
	var raw bytes.Buffer
	for _, it := range items {
		id, _ := hex.DecodeString(it.id)
		raw.WriteString(it.mode + " " + it.name + "\x00")
		raw.Write(id)
	}
	return gitStdin(tb, work, raw.String(), "hash-object", "-w", "-t", "tree", "--literally", "--stdin")
}

// mainFiles returns the files of origin/main as tree entries.
func mainFiles(tb testing.TB, work string) map[string]treeEntry {
	tb.Helper()
	files := map[string]treeEntry{}
	for _, l := range strings.Split(Git(tb, work, "ls-tree", "-r", "--full-tree", "origin/main"), "\n") {
		meta, p, _ := strings.Cut(l, "\t")
		f := strings.Fields(meta)
		files[p] = treeEntry{f[0], f[2]}
	}
	return files
}

// TestPushPathRule pushes, with the real git client, commits whose trees
// hold what git refuses to check out or fsck refuses, and names the
// wiki's own routes take: each is refused with the path in a "remote:
// error:" line, nothing is written, and git fsck --strict stays clean.
// Drafts may hold route names, never what breaks git.
func TestPushPathRule(t *testing.T) {
	r := MustRepo(t, nil)
	work := r.Clone(t)
	blob := func(content string) string {
		return gitStdin(t, work, content, "hash-object", "-w", "--stdin")
	}
	page := blob("# Page\n")
	modules := func(body string) treeEntry { return treeEntry{"100644", blob(body)} }
	folder := craftTree(t, work, map[string]treeEntry{"a.md": {"100644", page}})
	for _, tc := range []struct {
		name  string
		files map[string]treeEntry
		want  string // in the remote error line
		draft bool   // also refused on a draft branch
	}{
		{"GIT~1", map[string]treeEntry{"h/GIT~1/z": {"100644", page}}, "h/GIT~1:", true},
		{"ZeroWidthNonJoiner", map[string]treeEntry{".git\u200c/x": {"100644", page}}, ".git\u200c:", true},
		{"DotGITShortName", map[string]treeEntry{".GIT~1/u": {"100644", page}}, ".GIT~1:", true},
		{"ZeroWidthJoiner", map[string]treeEntry{".gi\u200dt/y": {"100644", page}}, ".gi\u200dt:", true},
		{"DotGit", map[string]treeEntry{"docs/.git/config": {"100644", page}}, "docs/.git:", true},
		{"DotGitStream", map[string]treeEntry{".git::$INDEX_ALLOCATION/x": {"100644", page}}, ".git::$INDEX_ALLOCATION:", true},
		{"DotGitTrailingDot", map[string]treeEntry{".GIT./x": {"100644", page}}, ".GIT.:", true},
		{"Backslash", map[string]treeEntry{"a\\b.md": {"100644", page}}, "a\\b.md:", false},
		{"GitmodulesOption", map[string]treeEntry{".gitmodules": modules("[submodule \"x\"]\n\tpath = x\n\turl = --upload-pack=touch /tmp/pwned\n")}, ".gitmodules:", true},
		{"GitmodulesPath", map[string]treeEntry{"lib/.gitmodules": modules("[submodule \"x\"]\n\tpath = -x\n")}, "lib/.gitmodules:", true},
		{"GitmodulesName", map[string]treeEntry{".gitmodules": modules("[submodule \"../../x\"]\n\tpath = x\n")}, ".gitmodules:", true},
		{"GitmodulesSymlink", map[string]treeEntry{".gitmodules": {"120000", blob("elsewhere")}}, ".gitmodules:", true},
		{"BlobModeTree", map[string]treeEntry{"docs/x.md": {"100644", folder}}, "docs/x.md: ", true},
		{"ZeroPaddedMode", map[string]treeEntry{"docs/z": {"040000", folder}}, "zero", true},
		{"RouteDash", map[string]treeEntry{"-/x.md": {"100644", page}}, "-/x.md:", false},
		{"RouteGit", map[string]treeEntry{"wiki.git/x.md": {"100644", page}}, "wiki.git/x.md:", false},
		{"RouteHealthz", map[string]treeEntry{"healthz.md": {"100644", page}}, "healthz.md:", false},
		{"RouteMetrics", map[string]treeEntry{"Metrics/README.md": {"100644", page}}, "Metrics/README.md:", false},
		{"RouteReadyz", map[string]treeEntry{"READYZ.md": {"100644", page}}, "READYZ.md:", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			Git(t, work, "fetch", "-q", "origin")
			files := mainFiles(t, work)
			for p, e := range tc.files {
				files[p] = e
			}
			tree := craftTree(t, work, files)
			commit := Git(t, work, "commit-tree", tree, "-p", "origin/main", "-m", tc.name)
			head := r.Head(t)
			before := objectFiles(t, r.Dir)
			out, err := GitErr(t, work, "push", "origin", commit+":refs/heads/main")
			if err == nil {
				t.Fatalf("push accepted:\n%s", out)
			}
			if !strings.Contains(out, "remote: error: "+tc.want) && !(tc.want == "zero" && strings.Contains(out, "remote: error: ")) {
				t.Fatalf("output lacks %q:\n%s", "remote: error: "+tc.want, out)
			}
			if strings.Contains(out, "internal error") {
				t.Fatalf("an internal error:\n%s", out)
			}
			if r.Head(t) != head {
				t.Fatal("main moved")
			}
			if after := objectFiles(t, r.Dir); strings.Join(after, "\n") != strings.Join(before, "\n") {
				t.Fatal("a refused push wrote objects")
			}
			out, err = GitErr(t, work, "push", "origin", commit+":refs/heads/draft/"+tc.name)
			if tc.draft && err == nil {
				t.Fatalf("a draft with what git refuses was accepted:\n%s", out)
			}
			if !tc.draft && err != nil {
				t.Fatalf("a draft was refused: %s", out)
			}
			r.Fsck(t)
		})
	}
}

// TestPushMovesAwayFromBadPath starts from a repository that already
// holds a page the rule refuses (brought from elsewhere): a push that
// changes it is refused, one that moves it away or deletes it is not.
func TestPushMovesAwayFromBadPath(t *testing.T) {
	r := MustRepo(t, nil)
	// Written into the bare repository behind the server's back, as an
	// imported history would hold it.
	files := map[string]treeEntry{}
	for _, l := range strings.Split(Git(t, r.Dir, "ls-tree", "-r", "main"), "\n") {
		meta, p, _ := strings.Cut(l, "\t")
		f := strings.Fields(meta)
		files[p] = treeEntry{f[0], f[2]}
	}
	files["healthz.md"] = treeEntry{"100644", gitStdin(t, r.Dir, "# Old health page\n", "hash-object", "-w", "--stdin")}
	tree := craftTree(t, r.Dir, files)
	commit := Git(t, r.Dir, "commit-tree", tree, "-p", "main", "-m", "Imported")
	Git(t, r.Dir, "update-ref", "refs/heads/main", commit)
	work := r.Clone(t)

	write(t, work, "healthz.md", "# Old health page, edited\n")
	Git(t, work, "commit", "-qam", "Edit")
	out, err := GitErr(t, work, "push", "origin", "main")
	if err == nil || !strings.Contains(out, "remote: error: healthz.md: /healthz is answered by the wiki itself") {
		t.Fatalf("editing the page at a route's name was accepted:\n%s", out)
	}
	Git(t, work, "reset", "-q", "--hard", "origin/main")
	Git(t, work, "mv", "healthz.md", "runbooks/health.md")
	Git(t, work, "commit", "-qm", "Move away")
	Git(t, work, "push", "-q", "origin", "main")
	if got := Git(t, r.Dir, "ls-tree", "--name-only", "main", "healthz.md"); got != "" {
		t.Fatalf("healthz.md still on main: %q", got)
	}
	r.Fsck(t)
}

// TestPushKeepsImportedNames starts from a history that already holds a
// folder git refuses today (GIT~1, written before git refused it): a push
// that changes a file beside it is accepted, one that adds another such
// name is refused, and one that removes it is accepted.
func TestPushKeepsImportedNames(t *testing.T) {
	r := MustRepo(t, nil)
	files := map[string]treeEntry{}
	for _, l := range strings.Split(Git(t, r.Dir, "ls-tree", "-r", "main"), "\n") {
		meta, p, _ := strings.Cut(l, "\t")
		f := strings.Fields(meta)
		files[p] = treeEntry{f[0], f[2]}
	}
	page := gitStdin(t, r.Dir, "# Old\n", "hash-object", "-w", "--stdin")
	files["old/GIT~1/z.md"] = treeEntry{"100644", page}
	files["old/notes.md"] = treeEntry{"100644", page}
	commit := Git(t, r.Dir, "commit-tree", craftTree(t, r.Dir, files), "-p", "main", "-m", "Imported")
	Git(t, r.Dir, "update-ref", "refs/heads/main", commit)
	work := filepath.Join(t.TempDir(), "work")
	Git(t, "", "-c", "core.protectNTFS=false", "clone", "-q", r.URL, work)
	Git(t, work, "config", "core.protectNTFS", "false")

	write(t, work, "old/notes.md", "# Old, edited beside GIT~1\n")
	Git(t, work, "commit", "-qam", "Edit beside")
	Git(t, work, "push", "-q", "origin", "main")

	write(t, work, "new/GIT~1/y.md", "# New\n")
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-qm", "Add another")
	out, err := GitErr(t, work, "push", "origin", "main")
	if err == nil || !strings.Contains(out, "remote: error: new/GIT~1:") {
		t.Fatalf("a new GIT~1 was accepted:\n%s", out)
	}
	Git(t, work, "reset", "-q", "--hard", "origin/main")
	Git(t, work, "rm", "-rq", "old/GIT~1")
	Git(t, work, "commit", "-qm", "Remove")
	Git(t, work, "push", "-q", "origin", "main")
	if got := Git(t, r.Dir, "ls-tree", "-r", "--name-only", "main", "old"); got != "old/notes.md" {
		t.Fatalf("old/ holds %q", got)
	}
}
