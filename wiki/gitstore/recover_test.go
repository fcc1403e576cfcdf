package gitstore_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

func TestRecoverStaleLock(t *testing.T) {
	s, dir := MustOpen(t)
	MustCommit(t, s, "", "first", put("a.md", "a"))
	lock := filepath.Join(dir, "refs", "heads", "main.lock")
	if err := os.WriteFile(lock, []byte("dead writer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	os.Chtimes(lock, old, old)
	tmp := filepath.Join(dir, "objects", "tmp_obj_crash")
	os.WriteFile(tmp, []byte("half"), 0o644)
	os.Chtimes(tmp, old.Add(-2*time.Hour), old.Add(-2*time.Hour))
	if _, err := s.Commit(ctx, wiki.CommitRequest{Author: ada, Message: "blocked", Changes: []wiki.FileChange{put("b.md", "b")}}); wiki.ErrorCode(err) != wiki.EUNAVAILABLE {
		t.Fatalf("commit with a stale lock: %v, want EUNAVAILABLE", err)
	}
	if err := s.Recover(slog.New(slog.DiscardHandler), time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Error("the stale lock is still there")
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Error("the stale temporary object is still there")
	}
	MustCommit(t, s, "", "after recovery", put("b.md", "b"))
}
