package gitstore_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// TestMergeCommits merges a history made in the wiki with one made with
// git elsewhere (as on the upstream), file by file: each side's own
// changes are taken, lines changed on both differently are kept between
// markers, a file deleted on one side and changed on the other keeps the
// change, and binary files changed on both keep both. git fsck --strict
// accepts the result, and git merge-base agrees on the base.
func TestMergeCommits(t *testing.T) {
	s, dir := MustOpen(t)
	lines := "one\ntwo\nthree\nfour\nfive\nsix\n"
	base := MustCommit(t, s, "", "base",
		put("a.md", lines), put("d.md", "same line\n"), put("dir/c.md", "c\n"), put("g.md", "g\n"),
		put("b.bin", "\x00bin base"), put("keep/k.md", "k\n"))
	ours := MustCommit(t, s, base.ID, "ours",
		put("a.md", strings.Replace(lines, "one", "ONE (wiki)", 1)),
		put("d.md", "changed in the wiki\n"),
		del("dir/c.md"),
		put("f.md", "added in the wiki\n"),
		put("b.bin", "\x00bin wiki"))

	// The other side, made with git from the base.
	work := filepath.Join(t.TempDir(), "work")
	Git(t, "", "clone", "-q", dir, work)
	Git(t, work, "checkout", "-q", base.ID)
	WriteFiles(t, work, map[string]string{
		"a.md":     strings.Replace(lines, "five", "FIVE (upstream)", 1),
		"d.md":     "changed upstream\n",
		"dir/c.md": "c changed upstream\n",
		"e.md":     "added upstream\n",
		"b.bin":    "\x00bin upstream",
	})
	Git(t, work, "rm", "-q", "g.md")
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-q", "-m", "theirs")
	Git(t, work, "push", "-q", "origin", "HEAD:refs/heads/theirs")
	theirs := Git(t, work, "rev-parse", "HEAD")

	mb, err := gitstore.MergeBase(s, ours.ID, theirs)
	if err != nil || mb != base.ID || mb != Git(t, dir, "merge-base", ours.ID, theirs) {
		t.Fatalf("merge base = %s, %v; want %s", mb, err, base.ID)
	}
	merged, conflicts, err := gitstore.MergeCommits(s, ours.ID, theirs, ada)
	if err != nil {
		t.Fatal(err)
	}
	show := func(p string) string {
		out, err := exec.Command("git", "-C", dir, "show", merged+":"+p).Output()
		if err != nil {
			return "<absent>"
		}
		return string(out)
	}
	for _, tc := range []struct{ path, want string }{
		{"a.md", "ONE (wiki)\ntwo\nthree\nfour\nFIVE (upstream)\nsix\n"},
		{"d.md", wiki.MarkerWiki + "\nchanged in the wiki\n=======\nchanged upstream\n" + wiki.MarkerUpstream + "\n"},
		{"dir/c.md", "c changed upstream\n"},
		{"e.md", "added upstream\n"},
		{"f.md", "added in the wiki\n"},
		{"g.md", "<absent>"},
		{"keep/k.md", "k\n"},
		{"b.bin", "\x00bin upstream"},
		{"b.bin~wiki", "\x00bin wiki"},
	} {
		if got := show(tc.path); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.path, got, tc.want)
		}
	}
	slices.Sort(conflicts)
	if want := []wiki.Path{"b.bin", "d.md"}; !slices.Equal(conflicts, want) {
		t.Errorf("conflicts = %v, want %v", conflicts, want)
	}
	if parents := Git(t, dir, "log", "-1", "--format=%P", merged); parents != ours.ID+" "+theirs {
		t.Errorf("parents = %s", parents)
	}
	Git(t, dir, "update-ref", "refs/heads/merged", merged)
	// How far apart, as git rev-list --left-right --count says.
	for _, pair := range [][2]string{{ours.ID, theirs}, {merged, theirs}, {base.ID, merged}, {merged, merged}} {
		a, b, err := gitstore.CountApart(s, pair[0], pair[1])
		if want := Git(t, dir, "rev-list", "--left-right", "--count", pair[0]+"..."+pair[1]); err != nil || fmt.Sprintf("%d\t%d", a, b) != want {
			t.Errorf("count apart %.7s %.7s = %d %d %v, git says %q", pair[0], pair[1], a, b, err, want)
		}
	}
	Git(t, dir, "fsck", "--strict", "--no-dangling")

	// Histories with nothing in common merge from the empty tree.
	other := filepath.Join(t.TempDir(), "other")
	Git(t, "", "init", "-q", other)
	WriteFiles(t, other, map[string]string{"a.md": "unrelated\n", "z.md": "z\n"})
	Git(t, other, "add", "-A")
	Git(t, other, "commit", "-q", "-m", "unrelated")
	Git(t, other, "push", "-q", dir, "HEAD:refs/heads/unrelated")
	unrelated := Git(t, other, "rev-parse", "HEAD")
	if mb, err := gitstore.MergeBase(s, ours.ID, unrelated); err != nil || mb != "" {
		t.Errorf("merge base of unrelated histories = %q, %v", mb, err)
	}
	m2, conflicts, err := gitstore.MergeCommits(s, ours.ID, unrelated, ada)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := exec.Command("git", "-C", dir, "show", m2+":z.md").Output(); string(out) != "z\n" || !slices.Contains(conflicts, "a.md") {
		t.Errorf("unrelated merge: z.md %q, conflicts %v", out, conflicts)
	}
}
