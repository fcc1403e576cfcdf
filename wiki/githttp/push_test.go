package githttp_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/githttp"
)

// objectFiles lists every file under objects/, to show a refused push
// wrote nothing, not even a temporary file.
func objectFiles(tb testing.TB, repo string) []string {
	tb.Helper()
	var out []string
	root := filepath.Join(repo, "objects")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, root))
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func randomText(tb testing.TB, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	s := base64.StdEncoding.EncodeToString(b)
	var lines []string
	for len(s) > 76 {
		lines = append(lines, s[:76])
		s = s[76:]
	}
	return strings.Join(append(lines, s), "\n") + "\n"
}

// TestPushThinPack edits one line of a large page: git sends a thin pack
// whose delta's base is only on the server, and the push must still work.
func TestPushThinPack(t *testing.T) {
	r := MustRepo(t, nil)
	work := r.Clone(t)
	big := "# Big\n\n" + randomText(t, 60000)
	write(t, work, "docs/big.md", big)
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-qm", "Add a big page")
	Git(t, work, "push", "-q", "origin", "main")
	write(t, work, "docs/big.md", strings.Replace(big, "# Big", "# Big and edited", 1))
	Git(t, work, "commit", "-qam", "Edit one line")
	Git(t, work, "push", "-q", "origin", "main")
	if got, want := r.Head(t), Git(t, work, "rev-parse", "HEAD"); got != want {
		t.Fatalf("main %s, want %s", got, want)
	}
	m := regexp.MustCompile(`msg=push .* bytes=(\d+)`).FindAllStringSubmatch(r.Logs.String(), -1)
	if len(m) != 2 {
		t.Fatalf("push log lines: %q", m)
	}
	if n, _ := strconv.Atoi(m[1][1]); n > 4000 {
		t.Errorf("the edit sent %d bytes: not a thin pack, the test proves nothing", n)
	}
	data, _, err := r.Store.ReadFile(ctx, r.Head(t), "docs/big.md")
	if err != nil || !strings.HasPrefix(string(data), "# Big and edited") {
		t.Fatalf("pushed page: %v %.20q", err, data)
	}
	if r.Pushes.Load() != 2 {
		t.Errorf("AfterPush ran %d times, want 2", r.Pushes.Load())
	}
	r.Fsck(t)
}

// TestPushRefused covers what a push to main may not do. Each refusal is
// printed by git, leaves main where it was and writes no file at all.
func TestPushRefused(t *testing.T) {
	r := MustRepo(t, func(c *githttp.Config) {
		c.MaxPushBytes, c.Gate = 200<<10, wiki.Gate{MaxPageBytes: 8 << 10, MaxFileBytes: 100 << 10}
	})
	work := r.Clone(t)
	cases := []struct {
		name  string
		setup func(work string) []string // returns the push arguments
		want  []string
	}{
		{"BrokenFrontMatter", func(work string) []string {
			write(t, work, "runbooks/broken.md", "---\ntitle: Broken\n  owner: sre\n---\n# Broken\n")
			write(t, work, "runbooks/fine.md", "---\nowner: sre\n---\n# Fine\n")
			Git(t, work, "add", "-A")
			Git(t, work, "commit", "-qm", "Broken")
			return []string{"origin", "main"}
		}, []string{"remote: error: runbooks/broken.md:3: front matter is not valid YAML: mapping values are not allowed",
			"! [remote rejected] main -> main (1 error in the pushed pages"}},
		{"ConflictMarkers", func(work string) []string {
			write(t, work, "docs/merge.md", "# Merge\n\n<<<<<<< your edit\nmine\n>>>>>>> current version\n")
			Git(t, work, "add", "-A")
			Git(t, work, "commit", "-qm", "Markers")
			return []string{"origin", "main"}
		}, []string{"remote: error: docs/merge.md:3: an unresolved conflict marker", "remote: error: docs/merge.md:5:", "(2 errors in the pushed pages"}},
		{"Rewind", func(work string) []string {
			Git(t, work, "commit", "-q", "--allow-empty", "-m", "Other history")
			return []string{"-f", "origin", "HEAD~1:main", "HEAD:refs/heads/unrelated"}
		}, nil}, // set below: needs main's parent
		{"PageTooLarge", func(work string) []string {
			write(t, work, "docs/long.md", "# Long\n\n"+strings.Repeat("A line of a very long page.\n", 400))
			Git(t, work, "add", "-A")
			Git(t, work, "commit", "-qm", "Long")
			return []string{"origin", "main"}
		}, []string{"remote: error: docs/long.md: the page is larger than 8 KiB"}},
		{"DeleteMain", func(string) []string { return []string{"origin", ":main"} },
			[]string{"! [remote rejected] main (main is the wiki and cannot be deleted)"}},
		{"NotABranch", func(string) []string { return []string{"origin", "HEAD:refs/for/main"} },
			[]string{"refs/for/main (only branches (refs/heads/) and tags (refs/tags/) can be pushed)"}},
		{"TooLarge", func(work string) []string {
			write(t, work, "docs/huge.md", "# Huge\n\n"+randomText(t, 400<<10))
			Git(t, work, "add", "-A")
			Git(t, work, "commit", "-qm", "Huge")
			return []string{"origin", "main"}
		}, []string{"remote: error: The push is larger than the server's limit", "(unpacker error)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			Git(t, work, "fetch", "-q", "origin")
			Git(t, work, "reset", "-q", "--hard", "origin/main")
			head := r.Head(t)
			before := objectFiles(t, r.Dir)
			args := tc.setup(work)
			want := tc.want
			if tc.name == "Rewind" {
				// Make main's history longer first, then push its parent.
				write(t, work, "docs/one.md", "# One\n")
				Git(t, work, "add", "-A")
				Git(t, work, "commit", "-qm", "One")
				Git(t, work, "push", "-q", "origin", "HEAD:main")
				head, before = r.Head(t), objectFiles(t, r.Dir)
				args = []string{"-f", "origin", "HEAD~1:main"}
				want = []string{"! [remote rejected] HEAD~1 -> main (non-fast-forward)"}
			}
			out, err := GitErr(t, work, append([]string{"push"}, args...)...)
			if err == nil {
				t.Fatalf("push succeeded:\n%s", out)
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if r.Head(t) != head {
				t.Fatal("main moved")
			}
			if after := objectFiles(t, r.Dir); strings.Join(after, "\n") != strings.Join(before, "\n") {
				t.Fatalf("a refused push changed objects/:\nbefore %q\nafter  %q", before, after)
			}
			r.Fsck(t)
		})
	}
}

// TestPushWarnings shows warnings, which never block.
func TestPushWarnings(t *testing.T) {
	r := MustRepo(t, nil)
	work := r.Clone(t)
	write(t, work, "runbooks/unowned.md", "---\ntitle: Unowned\n---\n# Unowned\n")
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-qm", "Unowned")
	out := Git(t, work, "push", "origin", "main")
	if !strings.Contains(out, "remote: warning: runbooks/unowned.md:1: no owner") {
		t.Fatalf("no warning printed:\n%s", out)
	}
	if r.Head(t) != Git(t, work, "rev-parse", "HEAD") {
		t.Fatal("push with only warnings was not applied")
	}
	r.Fsck(t)
}

// TestPushBranchesAndTags keeps drafts: other branches and tags are
// stored without checks and never touch main; they can be deleted, also
// once git pack-refs moved them into packed-refs.
func TestPushBranchesAndTags(t *testing.T) {
	r := MustRepo(t, nil)
	work := r.Clone(t)
	main := r.Head(t)
	write(t, work, "runbooks/draft.md", "---\nalerts: [Broken\n---\n# Draft with an error\n")
	Git(t, work, "checkout", "-qb", "draft/disk")
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-qm", "Draft")
	Git(t, work, "tag", "-a", "-m", "Release", "v1")
	Git(t, work, "push", "-q", "origin", "draft/disk", "v1")
	if r.Head(t) != main {
		t.Fatal("a draft moved main")
	}
	remote := Git(t, work, "ls-remote", "origin")
	for _, ref := range []string{"refs/heads/draft/disk", "refs/tags/v1", "refs/tags/v1^{}", "HEAD"} {
		if !strings.Contains(remote, ref+"\n") && !strings.HasSuffix(remote, ref) {
			t.Errorf("ls-remote lacks %s:\n%s", ref, remote)
		}
	}
	r.Fsck(t)
	// A stale push of the draft is refused like any lost race.
	Git(t, work, "commit", "-q", "--allow-empty", "-m", "More draft")
	Git(t, work, "push", "-q", "origin", "draft/disk")
	Git(t, work, "push", "-q", "origin", "draft/disk:draft/two")
	Git(t, r.Dir, "pack-refs", "--all")
	Git(t, work, "push", "-q", "origin", ":draft/disk", ":draft/two", ":v1")
	remote = Git(t, work, "ls-remote", "origin")
	if strings.Contains(remote, "draft") || strings.Contains(remote, "v1") {
		t.Fatalf("deleted refs still there:\n%s", remote)
	}
	if b, _ := os.ReadFile(filepath.Join(r.Dir, "packed-refs")); strings.Contains(string(b), "draft") {
		t.Fatalf("packed-refs still names the draft:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(r.Dir, "refs", "heads", "draft")); err == nil {
		t.Error("the emptied refs/heads/draft folder was left behind")
	}
	// The name is free again, as a branch of its own.
	Git(t, work, "push", "-q", "origin", "HEAD:refs/heads/draft")
	r.Fsck(t)
}

// TestPushWritesPacks writes small pushes as loose objects and large ones
// as one pack, as git does (receive.unpackLimit).
func TestPushWritesPacks(t *testing.T) {
	r := MustRepo(t, nil)
	work := r.Clone(t)
	packs := func() int {
		m, _ := filepath.Glob(filepath.Join(r.Dir, "objects", "pack", "*.pack"))
		return len(m)
	}
	write(t, work, "docs/a.md", "# A\n")
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-qm", "A")
	Git(t, work, "push", "-q", "origin", "main")
	if packs() != 0 {
		t.Fatalf("a 4-object push wrote a pack")
	}
	for i := range 150 {
		write(t, work, fmt.Sprintf("docs/many/p%03d.md", i), fmt.Sprintf("# Page %d\n\nText %d.\n", i, i))
	}
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-qm", "Many")
	Git(t, work, "push", "-q", "origin", "main")
	if packs() != 1 {
		t.Fatalf("a 153-object push wrote %d packs, want 1", packs())
	}
	if got := len(objectFiles(t, r.Dir)); got > 20 {
		t.Errorf("%d files under objects/ after packing", got)
	}
	r.Fsck(t)
	// A thin pack (each page a delta on its version on the server, as
	// random text has no other base) is stored as it came, deltas kept,
	// completed with its bases.
	texts := make([]string, 150)
	for i := range texts {
		texts[i] = randomText(t, 3000)
		write(t, work, fmt.Sprintf("docs/many/p%03d.md", i), fmt.Sprintf("# Page %d\n\n%s", i, texts[i]))
	}
	Git(t, work, "commit", "-qam", "Long")
	Git(t, work, "push", "-q", "origin", "main")
	for i := range texts {
		write(t, work, fmt.Sprintf("docs/many/p%03d.md", i), fmt.Sprintf("# Page %d, edited\n\n%s", i, texts[i]))
	}
	Git(t, work, "commit", "-qam", "Edit all")
	Git(t, work, "push", "-q", "origin", "main")
	if packs() != 3 {
		t.Fatalf("%d packs after three large pushes", packs())
	}
	r.Fsck(t)
	idx, _ := filepath.Glob(filepath.Join(r.Dir, "objects", "pack", "*.idx"))
	deltas := 0
	for _, f := range idx {
		for _, l := range strings.Split(Git(t, r.Dir, "verify-pack", "-v", f), "\n") {
			if f := strings.Fields(l); len(f) == 7 && plumbingHex(f[0]) {
				deltas++
			}
		}
	}
	if deltas < 50 {
		t.Errorf("only %d deltas stored: the thin pack's deltas were not kept", deltas)
	}
	// The packed objects are read back, by the store and by git.
	if b, _, err := r.Store.ReadFile(ctx, r.Head(t), "docs/many/p149.md"); err != nil || !strings.HasPrefix(string(b), "# Page 149, edited") {
		t.Fatal(err)
	}
	again := filepath.Join(t.TempDir(), "again")
	Git(t, "", "clone", "-q", r.URL, again)
	Git(t, again, "fsck", "--strict", "--no-progress")
}

func plumbingHex(s string) bool { return len(s) == 40 && strings.Trim(s, "0123456789abcdef") == "" }

// TestFetchNegotiation fetches into a clone with more than 16 commits of
// its own, so git negotiates in several stateless rounds (the rounds go-git's
// server session gets wrong), with gzipped requests.
func TestFetchNegotiation(t *testing.T) {
	r := MustRepo(t, nil)
	a, b := r.Clone(t), r.Clone(t)
	for i := range 40 {
		write(t, b, "docs/local.md", fmt.Sprintf("# Local\n\n%d\n", i))
		Git(t, b, "add", "-A")
		Git(t, b, "commit", "-qm", fmt.Sprintf("Local %d", i))
	}
	for i := range 5 {
		write(t, a, "docs/remote.md", fmt.Sprintf("# Remote\n\n%d\n", i))
		Git(t, a, "add", "-A")
		Git(t, a, "commit", "-qm", fmt.Sprintf("Remote %d", i))
	}
	Git(t, a, "push", "-q", "origin", "main")
	Git(t, b, "fetch", "-q", "origin")
	if got, want := Git(t, b, "rev-parse", "origin/main"), r.Head(t); got != want {
		t.Fatalf("fetched %s, want %s", got, want)
	}
	Git(t, b, "fsck", "--strict", "--no-progress")
	Git(t, b, "rebase", "-q", "origin/main")
	Git(t, b, "push", "-q", "origin", "main")
	r.Fsck(t)
}

// TestCloneProtocols clones with protocol v2 asked for (git 2.39's
// default, answered with v0), v1 and v0, and refuses shallow clones with
// a message that says so.
func TestCloneProtocols(t *testing.T) {
	r := MustRepo(t, nil)
	for _, v := range []string{"2", "1", "0"} {
		dir := filepath.Join(t.TempDir(), "v"+v)
		Git(t, "", "-c", "protocol.version="+v, "clone", "-q", r.URL, dir)
		if Git(t, dir, "rev-parse", "HEAD") != r.Head(t) || Git(t, dir, "symbolic-ref", "HEAD") != "refs/heads/main" {
			t.Fatalf("protocol %s: clone is not at main", v)
		}
	}
	for _, args := range [][]string{{"--depth", "1"}, {"--shallow-since", "2020-01-01"}} {
		out, err := GitErr(t, "", append(append([]string{"clone"}, args...), r.URL, filepath.Join(t.TempDir(), "shallow"))...)
		if err == nil || !strings.Contains(out, "fatal: remote error: shallow clones (--depth") {
			t.Fatalf("clone %v: %v\n%s", args, err, out)
		}
	}
	// A partial clone asks for a filter the server does not advertise:
	// git warns and clones everything.
	out := Git(t, "", "clone", "--filter=blob:none", r.URL, filepath.Join(t.TempDir(), "partial"))
	if !strings.Contains(out, "filtering not recognized by server") {
		t.Logf("partial clone output: %s", out)
	}
}
