package gitstore_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

func TestGitReadsOurCommits(t *testing.T) {
	s, dir, _ := MustSeeded(t)
	c := MustCommit(t, s, "", "Fix the disk runbook\n\nIt said df -h twice.", put("runbooks/disk.md", "# Disk\n\nRun `df -h`.\n"))
	got := Git(t, dir, "log", "-1", "--format=%H|%an|%ae|%at|%ai|%cn|%s|%b", "main")
	want := fmt.Sprintf("%s|Ada Lovelace|ada@example.com|%d|2024-03-01 12:00:00 +0100|Ada Lovelace|Fix the disk runbook|It said df -h twice.", c.ID, ada.When.Unix())
	if got != want {
		t.Fatalf("git log:\n got %s\nwant %s", got, want)
	}
	if got := Git(t, dir, "show", "main:runbooks/disk.md"); got != "# Disk\n\nRun `df -h`." {
		t.Fatalf("git show: %q", got)
	}
	if got := Git(t, dir, "show", "--name-status", "--format=", "main"); got != "A\trunbooks/disk.md" {
		t.Fatalf("git show --name-status: %q", got)
	}
	Git(t, dir, "fsck", "--strict")
}

// MustClone clones the bare repository with the git command.
func MustClone(tb testing.TB, bare string) string {
	tb.Helper()
	work := filepath.Join(tb.TempDir(), "work")
	Git(tb, filepath.Dir(work), "clone", "-q", bare, work)
	return work
}

func TestExternalPush(t *testing.T) {
	s, dir, base := MustSeeded(t)
	// Read and write first, so go-git has loaded its view of the packs.
	mid := MustCommit(t, s, "", "ours", put("ours.md", "ours"))
	if _, err := s.Log(ctx, mid.ID, 0); err != nil {
		t.Fatal(err)
	}
	work := MustClone(t, dir)

	t.Run("Loose", func(t *testing.T) {
		WriteFiles(t, work, map[string]string{"a/b/c.md": "pushed c", "pushed.md": "p"})
		Git(t, work, "rm", "-q", "x/y/z.md")
		Git(t, work, "add", "-A")
		Git(t, work, "commit", "-q", "-m", "from the command line")
		Git(t, work, "push", "-q", "origin", "main")
		head := MustHead(t, s)
		if want := Git(t, work, "rev-parse", "HEAD"); head != want {
			t.Fatalf("Head %s, want pushed %s", head, want)
		}
		requireDiffLikeGit(t, s, dir, mid.ID, head)
		if b, _, err := s.ReadFile(ctx, head, "a/b/c.md"); err != nil || string(b) != "pushed c" {
			t.Fatalf("ReadFile: %q, %v", b, err)
		}
		c, err := s.GetCommit(ctx, head)
		if err != nil || c.Author.Name != "Bob" || c.Message != "from the command line\n" {
			t.Fatalf("GetCommit: %+v, %v", c, err)
		}
	})

	t.Run("Pack", func(t *testing.T) {
		packs := countPacks(t, dir)
		files := make(map[string]string)
		for i := range 150 {
			files[fmt.Sprintf("many/%03d/page.md", i)] = fmt.Sprintf("page %d\n", i)
		}
		WriteFiles(t, work, files)
		Git(t, work, "add", "-A")
		Git(t, work, "commit", "-q", "-m", "many files")
		from := MustHead(t, s)
		Git(t, work, "push", "-q", "origin", "main")
		if countPacks(t, dir) <= packs {
			t.Fatal("git unpacked the push; the test needs a kept pack")
		}
		head := MustHead(t, s)
		if b, _, err := s.ReadFile(ctx, head, "many/149/page.md"); err != nil || string(b) != "page 149\n" {
			t.Fatalf("ReadFile from the pushed pack: %q, %v", b, err)
		}
		requireDiffLikeGit(t, s, dir, from, head)
		// And the store writes on top of the pushed commit.
		c := MustCommit(t, s, head, "after push", put("many/000/page.md", "edited"))
		Git(t, work, "pull", "-q", "--ff-only")
		if got := Git(t, work, "rev-parse", "HEAD"); got != c.ID {
			t.Fatalf("git pulled %s, want %s", got, c.ID)
		}
		Git(t, dir, "fsck", "--strict")
	})

	t.Run("PackRefsAndGC", func(t *testing.T) {
		Git(t, dir, "pack-refs", "--all")
		if _, err := os.Stat(filepath.Join(dir, "refs", "heads", "main")); !errors.Is(err, os.ErrNotExist) {
			t.Fatal("main is still loose after pack-refs")
		}
		head := MustHead(t, s)
		if want := Git(t, dir, "rev-parse", "main"); head != want {
			t.Fatalf("Head %s after pack-refs, want %s", head, want)
		}
		// gc packs our loose objects and deletes them.
		Git(t, dir, "gc", "-q", "--prune=now")
		if b, _, err := s.ReadFile(ctx, base.ID, "a/e.md"); err != nil || string(b) != "e" {
			t.Fatalf("ReadFile after gc: %q, %v", b, err)
		}
		c := MustCommit(t, s, head, "after gc", put("gc.md", "gc"))
		if got := Git(t, dir, "rev-parse", "main"); got != c.ID {
			t.Fatalf("git sees main at %s, want %s", got, c.ID)
		}
		Git(t, dir, "fsck", "--strict")
	})

	t.Run("Executable", func(t *testing.T) {
		Git(t, work, "pull", "-q", "--ff-only")
		WriteFiles(t, work, map[string]string{"tools/run.sh": "#!/bin/sh\n"})
		Git(t, work, "add", "-A")
		Git(t, work, "update-index", "--chmod=+x", "tools/run.sh")
		Git(t, work, "commit", "-q", "-m", "script")
		Git(t, work, "push", "-q", "origin", "main")
		MustCommit(t, s, "", "edit script", put("tools/run.sh", "#!/bin/sh\necho hi\n"))
		if got := Git(t, dir, "ls-tree", "main", "tools/run.sh"); !strings.HasPrefix(got, "100755 ") {
			t.Fatalf("mode lost: %s", got)
		}
	})
}

func countPacks(tb testing.TB, dir string) int {
	tb.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
	if err != nil {
		tb.Fatal(err)
	}
	return len(m)
}

// requireDiffLikeGit compares Diff with git diff --name-status, and the
// blob ids with git's.
func requireDiffLikeGit(tb testing.TB, s *gitstore.Store, dir, from, to string) {
	tb.Helper()
	changes, err := s.Diff(ctx, from, to)
	if err != nil {
		tb.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		letter := map[wiki.ChangeKind]string{wiki.Added: "A", wiki.Modified: "M", wiki.Deleted: "D"}[c.Kind]
		got = append(got, letter+"\t"+string(c.Path))
		if c.Kind != wiki.Deleted {
			if want := Git(tb, dir, "rev-parse", to+":"+string(c.Path)); c.Blob != want {
				tb.Errorf("%s: blob %s, git says %s", c.Path, c.Blob, want)
			}
		}
	}
	if from == "" {
		from = emptyTreeID
	}
	out := Git(tb, dir, "diff", "--name-status", "--no-renames", from, to)
	var want []string
	if out != "" {
		want = strings.Split(out, "\n")
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		tb.Fatalf("Diff %s..%s:\n got %q\nwant %q", from, to, got, want)
	}
}

const emptyTreeID = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

func TestDiffMatchesGit(t *testing.T) {
	s, dir := MustOpen(t)
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"a", "a.md", "a-b.md", "a/b.md", "a/c/d.md", "b/x.md", "b/y/z.md", "c.md", "d/e/f/g.md", "p", "p/q.md"}
	have := make(map[string]bool)
	var commits []string
	for i := range 40 {
		var changes []wiki.FileChange
		used := make(map[string]bool)
		for range 1 + rng.IntN(4) {
			n := names[rng.IntN(len(names))]
			if used[n] || conflicts(n, have, used) {
				continue
			}
			used[n] = true
			if have[n] && rng.IntN(3) == 0 {
				changes = append(changes, del(n))
				delete(have, n)
			} else {
				changes = append(changes, put(n, fmt.Sprintf("%s v%d", n, i)))
				have[n] = true
			}
		}
		if len(changes) == 0 {
			continue
		}
		c, err := s.Commit(ctx, wiki.CommitRequest{Author: ada, Message: fmt.Sprint(i), Changes: changes})
		if err != nil {
			t.Fatalf("commit %d %v: %v", i, changes, err)
		}
		commits = append(commits, c.ID)
	}
	requireDiffLikeGit(t, s, dir, "", commits[len(commits)-1])
	for range 30 {
		a, b := commits[rng.IntN(len(commits))], commits[rng.IntN(len(commits))]
		requireDiffLikeGit(t, s, dir, a, b)
	}
	Git(t, dir, "fsck", "--strict")
}

// conflicts reports whether writing n would use a present file as a folder
// or a present folder as a file.
func conflicts(n string, sets ...map[string]bool) bool {
	for _, set := range sets {
		for h := range set {
			if strings.HasPrefix(h, n+"/") || strings.HasPrefix(n, h+"/") {
				return true
			}
		}
	}
	return false
}

// TestConcurrentWithGitPush races store commits against git pushes into
// the same repository: each side's lock must keep the other's updates.
func TestConcurrentWithGitPush(t *testing.T) {
	s, dir, _ := MustSeeded(t)
	work := MustClone(t, dir)
	const ours, theirs = 30, 5
	done := make(chan error, 1)
	go func() {
		for i := range ours {
			_, err := s.Commit(ctx, wiki.CommitRequest{Author: ada, Message: fmt.Sprint("ours ", i),
				Changes: []wiki.FileChange{put(fmt.Sprintf("ours/%d.md", i), "o")}})
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := range theirs {
		WriteFiles(t, work, map[string]string{fmt.Sprintf("theirs/%d.md", i): "t"})
		Git(t, work, "add", "-A")
		Git(t, work, "commit", "-q", "-m", fmt.Sprint("theirs ", i))
		for attempt := 0; ; attempt++ {
			if err := gitTry(work, "pull", "-q", "--rebase"); err == nil {
				if err := gitTry(work, "push", "-q", "origin", "main"); err == nil {
					break
				}
			}
			if attempt == 50 {
				t.Fatal("git push never got through")
			}
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s.Refresh()
	files := MustFiles(t, s, MustHead(t, s))
	for i := range ours {
		if _, ok := files[fmt.Sprintf("ours/%d.md", i)]; !ok {
			t.Errorf("lost ours/%d.md", i)
		}
	}
	for i := range theirs {
		if _, ok := files[fmt.Sprintf("theirs/%d.md", i)]; !ok {
			t.Errorf("lost theirs/%d.md", i)
		}
	}
	Git(t, dir, "fsck", "--strict")
}

// gitTry runs git and returns its failure instead of failing the test.
func gitTry(dir string, args ...string) error {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Bob", "GIT_AUTHOR_EMAIL=bob@example.com",
		"GIT_COMMITTER_NAME=Bob", "GIT_COMMITTER_EMAIL=bob@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}
