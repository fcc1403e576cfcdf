package gitstore_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

func looseCount(tb testing.TB, dir string) int {
	tb.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "objects", "[0-9a-f][0-9a-f]", "*"))
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, p := range m {
		if !strings.HasPrefix(filepath.Base(p), "tmp_") {
			n++
		}
	}
	return n
}

func TestRepack(t *testing.T) {
	s, dir, _ := MustSeeded(t)
	// Below the limit nothing happens.
	st, err := s.Repack(ctx)
	if err != nil || st.Pack != "" {
		t.Fatalf("repack of a few objects: %+v %v", st, err)
	}
	var changes []wiki.FileChange
	for i := range gitstore.LooseLimit + 50 {
		changes = append(changes, put(fmt.Sprintf("many/p%04d.md", i), fmt.Sprintf("# %d\n", i)))
	}
	c := MustCommit(t, s, "", "many", changes...)
	// Temporary files of interrupted writes: old ones go, fresh ones stay.
	stale := filepath.Join(dir, "objects", "ab", "tmp_obj_stale")
	fresh := filepath.Join(dir, "objects", "pack", "tmp_pack_fresh")
	for _, p := range []string{stale, fresh} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	before := looseCount(t, dir)
	st, err = s.Repack(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pack == "" || st.Packed != before || st.Removed != 1 {
		t.Fatalf("repack: %+v with %d loose before", st, before)
	}
	if n := looseCount(t, dir); n != 0 {
		t.Fatalf("%d loose objects left", n)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("stale temporary file kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("fresh temporary file removed")
	}
	os.Remove(fresh)
	// Everything still reads, through the store and through git.
	if files := MustFiles(t, s, c.ID); len(files) != len(baseFiles)+gitstore.LooseLimit+50 {
		t.Fatalf("%d files after repack", len(files))
	}
	mustFsck(t, dir)
	MustCommit(t, s, c.ID, "after", put("after.md", "after"))
	mustFsck(t, dir)
}

// TestSendPack checks the objects a fetch is sent against git: the pack,
// indexed into a clone that has the old history, completes it, across
// edits, deletes, a folder replaced by a file and a file back at an old
// version.
func TestSendPack(t *testing.T) {
	s, dir, base := MustSeeded(t)
	c1 := MustCommit(t, s, base.ID, "one", put("p/q/c.md", "c1"), put("p/d.md", "d1"), put("x.md", "x1"))
	old := filepath.Join(t.TempDir(), "old.git")
	Git(t, "", "clone", "-q", "--bare", dir, old)
	c2 := MustCommit(t, s, c1.ID, "two", put("p/q/c.md", "c2"), del("p/d.md"), put("x.md", "x2"))
	c3 := MustCommit(t, s, c2.ID, "three", del("p/q/c.md"), put("x.md", "x1"))
	c3 = MustCommit(t, s, c3.ID, "four", put("p/q", "now a file"))
	Git(t, dir, "tag", "-a", "-m", "tagged", "v1", c2.ID)
	tag := Git(t, dir, "rev-parse", "v1")

	index := func(t *testing.T, repo string, req gitstore.SendRequest) {
		var pack bytes.Buffer
		st, err := s.SendPack(ctx, &pack, req)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("git", "index-pack", "--stdin", "--strict")
		cmd.Dir, cmd.Stdin = repo, &pack
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git index-pack: %v\n%s", err, out)
		}
		t.Logf("%d objects, %d commits", st.Objects, st.Commits)
	}
	t.Run("Fetch", func(t *testing.T) {
		index(t, old, gitstore.SendRequest{Wants: []plumbing.Hash{plumbing.NewHash(c3.ID), plumbing.NewHash(tag)},
			Haves: []plumbing.Hash{plumbing.NewHash(c1.ID)}, OfsDelta: true})
		Git(t, old, "update-ref", "refs/heads/main", c3.ID)
		Git(t, old, "update-ref", "refs/tags/v1", tag)
		mustFsck(t, old)
	})
	t.Run("Clone", func(t *testing.T) {
		fresh := filepath.Join(t.TempDir(), "fresh.git")
		Git(t, "", "init", "-q", "--bare", "-b", "main", fresh)
		index(t, fresh, gitstore.SendRequest{Wants: []plumbing.Hash{plumbing.NewHash(c3.ID)}})
		Git(t, fresh, "update-ref", "refs/heads/main", c3.ID)
		mustFsck(t, fresh)
	})
	t.Run("NotFound", func(t *testing.T) {
		_, err := s.SendPack(ctx, &bytes.Buffer{}, gitstore.SendRequest{Wants: []plumbing.Hash{plumbing.NewHash(strings.Repeat("ab", 20))}})
		requireCode(t, err, wiki.ENOTFOUND)
	})
}
