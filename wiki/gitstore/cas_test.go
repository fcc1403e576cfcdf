package gitstore_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

func TestCommitRefMoved(t *testing.T) {
	t.Run("ErrRefMoved", func(t *testing.T) {
		s, _, base := MustSeeded(t)
		c1 := MustCommit(t, s, base.ID, "one", put("one.md", "1"))
		_, err := s.Commit(ctx, wiki.CommitRequest{Parent: base.ID, Author: ada, Message: "stale", Changes: []wiki.FileChange{put("two.md", "2")}})
		if !errors.Is(err, wiki.ErrRefMoved) {
			t.Fatalf("stale parent: %v, want ErrRefMoved", err)
		}
		requireCode(t, err, wiki.ECONFLICT)
		if MustHead(t, s) != c1.ID {
			t.Fatal("main moved")
		}
		c2 := MustCommit(t, s, "", "current", put("two.md", "2"))
		if c2.Parents[0] != c1.ID {
			t.Fatalf("empty parent built on %v, want %s", c2.Parents, c1.ID)
		}
	})
	t.Run("EmptyRepository", func(t *testing.T) {
		s, _ := MustOpen(t)
		_, err := s.Commit(ctx, wiki.CommitRequest{Parent: strings.Repeat("a", 40), Author: ada, Message: "m", Changes: []wiki.FileChange{put("m.md", "m")}})
		if !errors.Is(err, wiki.ErrRefMoved) {
			t.Fatalf("parent on empty repository: %v, want ErrRefMoved", err)
		}
		c := MustCommit(t, s, "", "root", put("m.md", "m"))
		if len(c.Parents) != 0 {
			t.Fatalf("root commit has parents %v", c.Parents)
		}
	})
}

func TestCommitLock(t *testing.T) {
	s, dir, base := MustSeeded(t)
	lock := filepath.Join(dir, "refs", "heads", "main.lock")
	t.Run("Unavailable", func(t *testing.T) {
		if err := os.WriteFile(lock, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err := s.Commit(ctx, wiki.CommitRequest{Author: ada, Message: "m", Changes: []wiki.FileChange{put("m.md", "m")}})
		requireCode(t, err, wiki.EUNAVAILABLE)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("waited %v for the lock", d)
		}
		if MustHead(t, s) != base.ID {
			t.Fatal("main moved while locked")
		}
		os.Remove(lock)
	})
	t.Run("Released", func(t *testing.T) {
		if err := os.WriteFile(lock, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(50 * time.Millisecond)
			os.Remove(lock)
		}()
		MustCommit(t, s, base.ID, "after lock", put("m.md", "m"))
	})
}

func TestCommitConcurrent(t *testing.T) {
	s, dir, base := MustSeeded(t)
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_, err := s.Commit(ctx, wiki.CommitRequest{Author: ada, Message: fmt.Sprintf("w%d c%d", w, i),
					Changes: []wiki.FileChange{put(fmt.Sprintf("w%d/%d.md", w, i), "x"), put("shared.md", fmt.Sprintf("%d-%d", w, i))}})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	// Readers run alongside, as the web server would.
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				h := MustHead(t, s)
				if _, _, err := s.ReadFile(ctx, h, "README.md"); err != nil {
					errs <- err
				}
				if _, err := s.Log(ctx, h, 3); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	head := MustHead(t, s)
	log, err := s.Log(ctx, head, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != writers*each+1 || log[len(log)-1].ID != base.ID {
		t.Fatalf("log has %d commits, want %d ending at the seed", len(log), writers*each+1)
	}
	files := MustFiles(t, s, head)
	for w := range writers {
		for i := range each {
			if _, ok := files[fmt.Sprintf("w%d/%d.md", w, i)]; !ok {
				t.Errorf("lost w%d/%d.md", w, i)
			}
		}
	}
	if n := Git(t, dir, "rev-list", "--count", "main"); n != fmt.Sprint(writers*each+1) {
		t.Fatalf("git counts %s commits", n)
	}
	Git(t, dir, "fsck", "--strict", "--no-dangling")
}

// TestCommitRaceWithGit moves main with git between the store's build and
// its compare-and-swap.
func TestCommitRaceWithGit(t *testing.T) {
	s, dir, _ := MustSeeded(t)
	moveMain := func() {
		tree := Git(t, dir, "rev-parse", "main^{tree}")
		old := Git(t, dir, "rev-parse", "main")
		c := Git(t, dir, "commit-tree", "-p", old, "-m", "moved by git", tree)
		Git(t, dir, "update-ref", "refs/heads/main", c, old)
	}
	t.Run("UnpinnedRetries", func(t *testing.T) {
		once := sync.Once{}
		defer gitstore.SetBeforeCAS(func() { once.Do(moveMain) })()
		c := MustCommit(t, s, "", "ours", put("ours.md", "o"))
		if got := Git(t, dir, "log", "-1", "--format=%s", c.Parents[0]); got != "moved by git" {
			t.Fatalf("built on %q, want git's commit", got)
		}
		if MustFiles(t, s, c.ID)["ours.md"] != "o" {
			t.Fatal("lost our file")
		}
	})
	t.Run("PinnedErrRefMoved", func(t *testing.T) {
		head := MustHead(t, s)
		defer gitstore.SetBeforeCAS(moveMain)()
		_, err := s.Commit(ctx, wiki.CommitRequest{Parent: head, Author: ada, Message: "m", Changes: []wiki.FileChange{put("p.md", "p")}})
		if !errors.Is(err, wiki.ErrRefMoved) {
			t.Fatalf("pinned commit over a moved main: %v, want ErrRefMoved", err)
		}
	})
	Git(t, dir, "fsck", "--strict")
}

// TestCommitGroups has many writers commit at once, as saves under load
// do: writes that wait while a group is written are committed together,
// each still a commit of its own with its author, message and checks. Of
// the writers that all expect the same version of one page, exactly one
// lands; the others are told the page changed.
func TestCommitGroups(t *testing.T) {
	s, dir, base := MustSeeded(t)
	var mu sync.Mutex
	largest := 0
	defer gitstore.SetOnGroup(func(n int) {
		mu.Lock()
		largest = max(largest, n)
		mu.Unlock()
	})()
	_, readme, err := s.ReadFile(ctx, base.ID, "README.md")
	if err != nil {
		t.Fatal(err)
	}
	const writers = 32
	errs := make([]error, writers)
	commits := make([]wiki.Commit, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			<-start
			who := wiki.Signature{Name: fmt.Sprintf("Writer %d", w), Email: fmt.Sprintf("w%d@example.com", w)}
			req := wiki.CommitRequest{Author: who, Message: fmt.Sprintf("write %d", w),
				Changes: []wiki.FileChange{put(fmt.Sprintf("pages/%d.md", w), fmt.Sprintf("page %d", w))}}
			if w%4 == 0 { // these all edit README.md from the same version
				req.Expect = map[wiki.Path]string{"README.md": readme}
				req.Changes = []wiki.FileChange{put("README.md", fmt.Sprintf("readme by %d", w))}
			}
			commits[w], errs[w] = s.Commit(ctx, req)
		})
	}
	close(start)
	wg.Wait()
	readmeWins := 0
	for w, err := range errs {
		switch {
		case w%4 == 0 && errors.Is(err, wiki.ErrRefMoved):
		case w%4 == 0 && err == nil:
			readmeWins++
		case err != nil:
			t.Errorf("writer %d: %v", w, err)
		}
		if err == nil {
			c, gerr := s.GetCommit(ctx, commits[w].ID)
			if gerr != nil || c.Author.Name != fmt.Sprintf("Writer %d", w) || strings.TrimSpace(c.Message) != fmt.Sprintf("write %d", w) {
				t.Errorf("writer %d's commit: %+v %v", w, c, gerr)
			}
		}
	}
	if readmeWins != 1 {
		t.Errorf("%d writers changed README.md from the same version, want exactly 1", readmeWins)
	}
	files := MustFiles(t, s, MustHead(t, s))
	for w := range writers {
		if _, ok := files[fmt.Sprintf("pages/%d.md", w)]; w%4 != 0 && !ok {
			t.Errorf("writer %d's page is missing", w)
		}
	}
	want := writers - writers/4 + 1 + 1 // pages, one README edit, the seed
	if n := Git(t, dir, "rev-list", "--count", "main"); n != fmt.Sprint(want) {
		t.Errorf("git counts %s commits on main, want %d", n, want)
	}
	Git(t, dir, "fsck", "--strict", "--no-dangling")
	if largest < 2 {
		t.Errorf("no two of %d writers at once were committed together (largest group %d)", writers, largest)
	}
}
