package gitstore_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// sameHistory compares two indexes page by page, revision by revision.
func sameHistory(tb testing.TB, got, want *gitstore.History, paths []string) {
	tb.Helper()
	for _, p := range paths {
		g, err1 := got.PageHistory(ctx, wiki.Path(p), 0, "")
		w, err2 := want.PageHistory(ctx, wiki.Path(p), 0, "")
		if err1 != nil || err2 != nil || len(g) != len(w) {
			tb.Fatalf("%s: %d revisions (%v), want %d (%v)", p, len(g), err1, len(w), err2)
		}
		for i := range g {
			a, b := g[i], w[i]
			if a.ID != b.ID || a.Blob != b.Blob || a.Kind != b.Kind || a.Message != b.Message ||
				a.Author.Name != b.Author.Name || a.Author.Email != b.Author.Email || !a.Author.When.Equal(b.Author.When) ||
				a.Author.When.Format("-0700") != b.Author.When.Format("-0700") || len(a.Parents) != len(b.Parents) {
				tb.Fatalf("%s revision %d:\n got %+v\nwant %+v", p, i, a, b)
			}
		}
	}
}

// TestHistoryFile keeps the index in a file across restarts: a saved index
// reads back as it was and goes on from its commit without a rebuild;
// a damaged file, or one of a repository whose history was rewritten, is
// ignored and the index rebuilt.
func TestHistoryFile(t *testing.T) {
	s, _ := mustHistoryRepo(t)
	head := MustHead(t, s)
	file := filepath.Join(t.TempDir(), "history.idx")
	log := slog.New(slog.DiscardHandler)

	h := gitstore.OpenHistory(s, file, log)
	if h.Commit() != "" {
		t.Fatalf("a missing file gave an index at %q", h.Commit())
	}
	MustApply(t, h, "", head)
	if err := h.Save(); err != nil {
		t.Fatal(err)
	}

	t.Run("ReadBack", func(t *testing.T) {
		back := gitstore.OpenHistory(s, file, log)
		if back.Commit() != head {
			t.Fatalf("read back at %q, want %s", back.Commit(), head)
		}
		sameHistory(t, back, h, historyPaths)
	})
	t.Run("GoesOn", func(t *testing.T) {
		back := gitstore.OpenHistory(s, file, log)
		MustCommit(t, s, "", "more", put("a.md", "a4"), put("new.md", "n"))
		to := MustHead(t, s)
		rebuilds := 0
		defer gitstore.SetOnHistoryRebuild(func() { rebuilds++ })()
		MustApply(t, back, head, to)
		MustApply(t, h, head, to)
		if rebuilds != 0 {
			t.Fatal("an index read from its file was rebuilt to apply one commit")
		}
		sameHistory(t, back, h, append(historyPaths, "new.md"))
		head = to
	})
	t.Run("Damaged", func(t *testing.T) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range [][]byte{nil, []byte("not an index"), data[:len(data)/2], append(append([]byte{}, data[:40]...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)} {
			if err := os.WriteFile(file, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			if got := gitstore.OpenHistory(s, file, log); got.Commit() != "" {
				t.Fatalf("a damaged file (%d bytes) gave an index at %s", len(bad), got.Commit())
			}
		}
	})
	t.Run("OtherRepository", func(t *testing.T) {
		if err := h.Save(); err != nil {
			t.Fatal(err)
		}
		other, _ := MustOpen(t)
		MustCommit(t, other, "", "unrelated", put("x.md", "x"))
		if got := gitstore.OpenHistory(other, file, log); got.Commit() != "" {
			t.Fatalf("the index of another repository was used, at %s", got.Commit())
		}
	})
}

// TestHistorySaveWhileApplying writes the file while commits arrive, as
// the server does under load: neither waits for the other, and what is
// read back is the index as it was at some commit (run with -race).
func TestHistorySaveWhileApplying(t *testing.T) {
	s, _ := MustOpen(t)
	MustCommit(t, s, "", "first", put("a.md", "a0"))
	file := filepath.Join(t.TempDir(), "history.idx")
	log := slog.New(slog.DiscardHandler)
	h := gitstore.OpenHistory(s, file, log)
	from := MustHead(t, s)
	MustApply(t, h, "", from)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 40 {
			MustCommit(t, s, "", "more", put(fmt.Sprintf("p%d.md", i%7), fmt.Sprint(i)))
			to := MustHead(t, s)
			MustApply(t, h, from, to)
			from = to
		}
	}()
	for saving := true; saving; {
		select {
		case <-done:
			saving = false
		default:
		}
		if err := h.Save(); err != nil {
			t.Fatal(err)
		}
		back := gitstore.OpenHistory(s, file, log)
		if back.Commit() == "" {
			t.Fatal("a file saved while commits arrived does not read back")
		}
	}
	if err := h.Save(); err != nil {
		t.Fatal(err)
	}
	back := gitstore.OpenHistory(s, file, log)
	sameHistory(t, back, h, []string{"a.md", "p0.md", "p3.md", "p6.md"})
}
