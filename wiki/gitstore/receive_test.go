package gitstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// packOf runs git pack-objects in dir on the given rev-list arguments
// (such as "HEAD", "^origin/main") and returns the pack.
func packOf(tb testing.TB, dir string, thin bool, revs ...string) []byte {
	tb.Helper()
	args := []string{"pack-objects", "--stdout", "-q", "--revs"}
	if thin {
		args = append(args, "--thin")
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	cmd.Stdin = strings.NewReader(strings.Join(revs, "\n") + "\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		tb.Fatalf("git pack-objects: %v\n%s", err, errb.String())
	}
	return out.Bytes()
}

// gitInput runs git with stdin and returns its trimmed output.
func gitInput(tb testing.TB, dir, stdin string, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Bob", "GIT_AUTHOR_EMAIL=bob@example.com", "GIT_COMMITTER_NAME=Bob", "GIT_COMMITTER_EMAIL=bob@example.com")
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if len(args) > 0 && args[0] == "pack-objects" {
		return string(out) // binary: a trailing byte of the checksum may look like space
	}
	return strings.TrimSpace(string(out))
}

// mustFsck runs git fsck --strict on the repository.
func mustFsck(tb testing.TB, dir string) {
	tb.Helper()
	if out := Git(tb, dir, "fsck", "--strict", "--no-progress", "--no-dangling"); out != "" {
		tb.Fatalf("git fsck --strict: %s", out)
	}
}

func TestReceivePack(t *testing.T) {
	s, dir, base := MustSeeded(t)
	work := filepath.Join(t.TempDir(), "work")
	Git(t, "", "clone", "-q", dir, work)
	big := strings.Repeat("a line of a long runbook that git deltifies\n", 400)
	WriteFiles(t, work, map[string]string{"runbooks/long.md": big})
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-qm", "Long")
	first := Git(t, work, "rev-parse", "HEAD")
	in, err := s.ReceivePack(ctx, bytes.NewReader(packOf(t, work, false, "HEAD", "^origin/main")), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if typ, err := in.Check(ctx, plumbing.NewHash(first)); err != nil || typ != plumbing.CommitObject {
		t.Fatalf("check: %v %v", typ, err)
	}
	changes, err := in.Diff(ctx, plumbing.NewHash(base.ID), plumbing.NewHash(first))
	if err != nil || len(changes) != 1 || changes[0].Path != "runbooks/long.md" || changes[0].Kind != wiki.Added {
		t.Fatalf("diff: %v %+v", err, changes)
	}
	if b, err := in.ReadBlob(ctx, changes[0].Blob); err != nil || string(b) != big {
		t.Fatalf("read pushed blob: %v", err)
	}
	if ok, err := in.IsAncestor(ctx, plumbing.NewHash(base.ID), plumbing.NewHash(first)); !ok || err != nil {
		t.Fatalf("IsAncestor: %v %v", ok, err)
	}
	// Nothing is in the repository until Accept.
	if _, err := s.GetCommit(ctx, first); wiki.ErrorCode(err) != wiki.ENOTFOUND {
		t.Fatalf("commit visible before Accept: %v", err)
	}
	if err := in.Accept(ctx, plumbing.NewHash(first)); err != nil {
		t.Fatal(err)
	}
	errs := s.UpdateRefs(ctx, []gitstore.RefUpdate{{Name: "refs/heads/main", Old: plumbing.NewHash(base.ID), New: plumbing.NewHash(first)}}, ada, "push")
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	mustFsck(t, dir)

	t.Run("ThinPack", func(t *testing.T) {
		Git(t, work, "fetch", "-q")
		WriteFiles(t, work, map[string]string{"runbooks/long.md": strings.Replace(big, "a line", "one line", 1)})
		Git(t, work, "commit", "-qam", "Edit")
		head := Git(t, work, "rev-parse", "HEAD")
		pack := packOf(t, work, true, "HEAD", "^origin/main")
		if len(pack) > 1000 {
			t.Fatalf("pack of %d bytes is not thin", len(pack))
		}
		in, err := s.ReceivePack(ctx, bytes.NewReader(pack), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := in.Check(ctx, plumbing.NewHash(head)); err != nil {
			t.Fatal(err)
		}
		if err := in.Accept(ctx, plumbing.NewHash(head)); err != nil {
			t.Fatal(err)
		}
		if errs := s.UpdateRefs(ctx, []gitstore.RefUpdate{{Name: "refs/heads/main", Old: plumbing.NewHash(first), New: plumbing.NewHash(head)}}, ada, "push"); errs[0] != nil {
			t.Fatal(errs[0])
		}
		got := MustFiles(t, s, head)["runbooks/long.md"]
		if !strings.HasPrefix(got, "one line") {
			t.Fatalf("thin-packed blob resolved to %.30q", got)
		}
		mustFsck(t, dir)
	})
	t.Run("TooLarge", func(t *testing.T) {
		_, err := s.ReceivePack(ctx, bytes.NewReader(make([]byte, 2000)), 1000)
		requireCode(t, err, wiki.ETOOLARGE)
	})
	t.Run("Garbage", func(t *testing.T) {
		for _, b := range []string{"PACK", "PACK\x00\x00\x00\x02\x00\x00\x00\x03xyz", "not a pack at all"} {
			_, err := s.ReceivePack(ctx, strings.NewReader(b), 1000)
			requireCode(t, err, wiki.EINVALID)
		}
	})
	t.Run("Incomplete", func(t *testing.T) {
		// A commit whose tree the push lacks.
		Git(t, work, "commit", "-q", "--allow-empty", "-m", "Empty")
		WriteFiles(t, work, map[string]string{"x.md": "x"})
		Git(t, work, "add", "-A")
		Git(t, work, "commit", "-qm", "X")
		head := Git(t, work, "rev-parse", "HEAD")
		pack := gitInput(t, work, head+"\n", "pack-objects", "--stdout", "-q")
		in, err := s.ReceivePack(ctx, strings.NewReader(pack), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		_, err = in.Check(ctx, plumbing.NewHash(head))
		requireCode(t, err, wiki.EINVALID)
		if !strings.Contains(wiki.ErrorMessage(err), "incomplete") {
			t.Fatalf("message: %s", wiki.ErrorMessage(err))
		}
	})
	t.Run("MalformedTree", func(t *testing.T) {
		// Entries out of order, which git fsck --strict refuses.
		blob := gitInput(t, work, "b\n", "hash-object", "-w", "--stdin")
		var raw bytes.Buffer
		for _, name := range []string{"z.md", "a.md"} {
			raw.WriteString("100644 " + name + "\x00")
			bh := plumbing.NewHash(blob)
			raw.Write(bh[:])
		}
		tree := gitInput(t, work, raw.String(), "hash-object", "-w", "-t", "tree", "--literally", "--stdin")
		commit := gitInput(t, work, "bad tree\n", "commit-tree", tree, "-p", MustHead(t, s))
		pack := gitInput(t, work, commit+"\n"+tree+"\n"+blob+"\n", "pack-objects", "--stdout", "-q")
		in, err := s.ReceivePack(ctx, strings.NewReader(pack), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		_, err = in.Check(ctx, plumbing.NewHash(commit))
		requireCode(t, err, wiki.EINVALID)
		if !strings.Contains(wiki.ErrorMessage(err), "out of order") {
			t.Fatalf("message: %s", wiki.ErrorMessage(err))
		}
	})
}

func TestUpdateRefs(t *testing.T) {
	s, dir, base := MustSeeded(t)
	c1 := MustCommit(t, s, base.ID, "one", put("one.md", "1"))
	h := plumbing.NewHash
	zero := plumbing.ZeroHash
	update := func(name string, old, new plumbing.Hash) error {
		return s.UpdateRefs(ctx, []gitstore.RefUpdate{{Name: name, Old: old, New: new}}, ada, "test")[0]
	}
	if err := update("refs/heads/draft", zero, h(base.ID)); err != nil {
		t.Fatal(err)
	}
	if err := update("refs/heads/draft", zero, h(c1.ID)); !errors.Is(err, wiki.ErrRefMoved) {
		t.Fatalf("create over an existing branch: %v", err)
	}
	if err := update("refs/heads/draft", h(base.ID), h(c1.ID)); err != nil {
		t.Fatal(err)
	}
	if err := update("refs/heads/draft/sub", zero, h(c1.ID)); wiki.ErrorCode(err) != wiki.ECONFLICT {
		t.Fatalf("a ref inside a branch's name: %v", err)
	}
	if err := update("refs/heads/main", h(c1.ID), zero); wiki.ErrorCode(err) != wiki.EINVALID {
		t.Fatalf("deleting main: %v", err)
	}
	if err := update("refs/heads/main", h(c1.ID), h(base.ID)); wiki.ErrorCode(err) != wiki.EINVALID {
		t.Fatalf("rewinding main: %v", err)
	}
	if err := update("refs/heads/main", h(base.ID), h(c1.ID)); !errors.Is(err, wiki.ErrRefMoved) {
		t.Fatalf("stale main: %v", err)
	}
	if err := update("refs/heads/x", zero, h(strings.Repeat("12", 20))); wiki.ErrorCode(err) != wiki.EINVALID {
		t.Fatalf("a ref to a missing object: %v", err)
	}
	for _, name := range []string{"refs/notes/x", "refs/heads/", "refs/heads/a..b", "refs/heads/x.lock", "refs/heads/.hidden", "refs/tags/a b", "HEAD"} {
		if err := update(name, zero, h(base.ID)); wiki.ErrorCode(err) != wiki.EINVALID {
			t.Errorf("%q: %v", name, err)
		}
	}
	// Deleting a packed ref rewrites packed-refs.
	Git(t, dir, "pack-refs", "--all")
	if err := update("refs/heads/draft", h(c1.ID), zero); err != nil {
		t.Fatal(err)
	}
	refs, head, err := s.Refs()
	if err != nil || head != "refs/heads/main" || len(refs) != 1 || refs[0].Name != "refs/heads/main" || refs[0].Hash != h(c1.ID) {
		t.Fatalf("refs after delete: %v %q %v", refs, head, err)
	}
	if MustHead(t, s) != c1.ID {
		t.Fatal("main lost in packed-refs rewrite")
	}
	// Main from packed-refs moves as before.
	c2 := MustCommit(t, s, c1.ID, "two", put("two.md", "2"))
	if MustHead(t, s) != c2.ID {
		t.Fatal("commit on packed main")
	}
	mustFsck(t, dir)
}

// TestUpdateRefsRaceCommit has pushes (ReceivePack, Accept, UpdateRefs
// of main) race saves (Commit): every write that reported success is on
// main, every other one reported ErrRefMoved.
func TestUpdateRefsRaceCommit(t *testing.T) {
	s, dir, _ := MustSeeded(t)
	run := func(dir string, args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=Bob", "GIT_AUTHOR_EMAIL=bob@example.com", "GIT_COMMITTER_NAME=Bob", "GIT_COMMITTER_EMAIL=bob@example.com")
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	var works []string
	for range 2 {
		w := filepath.Join(t.TempDir(), "work")
		Git(t, "", "clone", "-q", dir, w)
		works = append(works, w)
	}
	var mu sync.Mutex
	var won []string
	lost := 0
	record := func(id string, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			won = append(won, id)
		case errors.Is(err, wiki.ErrRefMoved):
			lost++
		default:
			t.Error(err)
		}
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 8 {
				head, err := s.Head(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if w >= 2 {
					c, err := s.Commit(ctx, wiki.CommitRequest{Parent: head, Author: ada, Message: "save",
						Changes: []wiki.FileChange{put(fmt.Sprintf("saves/%d-%d.md", w, i), "x")}})
					record(c.ID, err)
					continue
				}
				work := works[w]
				steps := [][]string{{"fetch", "-q", "origin"}, {"reset", "-q", "--hard", head},
					{"commit", "-q", "--allow-empty", "-m", fmt.Sprintf("push %d %d", w, i)}}
				for _, st := range steps {
					if _, err := run(work, st...); err != nil {
						t.Errorf("git %v: %v", st, err)
						return
					}
				}
				id, _ := run(work, "rev-parse", "HEAD")
				cmd := exec.Command("git", "pack-objects", "--stdout", "-q", "--revs")
				cmd.Dir, cmd.Stdin = work, strings.NewReader(id+"\n^"+head+"\n")
				pack, err := cmd.Output()
				if err != nil {
					t.Error(err)
					return
				}
				in, err := s.ReceivePack(ctx, bytes.NewReader(pack), 1<<20)
				if err == nil {
					_, err = in.Check(ctx, plumbing.NewHash(id))
				}
				if err == nil {
					err = in.Accept(ctx, plumbing.NewHash(id))
				}
				if err != nil {
					t.Error(err)
					return
				}
				err = s.UpdateRefs(ctx, []gitstore.RefUpdate{{Name: "refs/heads/main", Old: plumbing.NewHash(head), New: plumbing.NewHash(id)}}, ada, "push")[0]
				record(id, err)
			}
		}()
	}
	wg.Wait()
	onMain := map[string]bool{}
	for _, c := range strings.Split(Git(t, dir, "rev-list", "main"), "\n") {
		onMain[c] = true
	}
	for _, c := range won {
		if !onMain[c] {
			t.Errorf("%s reported written but is not on main", c)
		}
	}
	t.Logf("%d writes applied, %d refused as stale", len(won), lost)
	if len(won)+lost != 32 {
		t.Errorf("%d outcomes for 32 writes", len(won)+lost)
	}
	mustFsck(t, dir)
}
