package search_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/opswiki/opswiki/search"
	"github.com/opswiki/opswiki/wiki"
)

func TestOpen(t *testing.T) {
	t.Run("CreatesMissing", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data", "index")
		ix := MustOpen(t, dir)
		if got := ix.Commit(); got != "" {
			t.Errorf("Commit() = %q, want empty", got)
		}
		if ix.Name() != "search" {
			t.Errorf("Name() = %q", ix.Name())
		}
		if ix.Recreated() != "" {
			t.Errorf("Recreated() = %q for a new index", ix.Recreated())
		}
		if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err != nil {
			t.Errorf("index not created: %v", err)
		}
	})

	t.Run("EmptyDir", func(t *testing.T) {
		dir := t.TempDir()
		ix := MustOpen(t, dir)
		if res := MustSearch(t, ix, "anything"); res.Total != 0 {
			t.Errorf("Total = %d", res.Total)
		}
	})

	t.Run("ReopenPersists", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "index")
		ix, err := search.Open(dir, search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := repo{}
		MustApply(t, ix, r.update("", "c1", r.put(wiki.Added,
			page("a.md", "Alpha", "alpha text"), page("b.md", "Beta", "beta text"))))
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
		if err := ix.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}

		ix = MustOpen(t, dir)
		if got := ix.Commit(); got != "c1" {
			t.Errorf("Commit() after reopen = %q, want c1", got)
		}
		// Nothing applied since Open: nothing to wait for.
		if st := ix.Stats(); st.Docs != 2 || st.Busy || st.Searches != 0 {
			t.Errorf("Stats() after reopen = %+v, want 2 docs, not busy, no searches", st)
		}
		if got := paths(MustSearch(t, ix, "beta")); len(got) != 1 || got[0] != "b.md" {
			t.Errorf("search after reopen = %v", got)
		}
		MustSearch(t, ix, "beta") // from the cache of recent results
		if st := ix.Stats(); st.Searches != 1 {
			t.Errorf("Stats().Searches = %d after one search computed, one cached", st.Searches)
		}
	})

	t.Run("SearchAfterClose", func(t *testing.T) {
		ix, err := search.Open(t.TempDir(), search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_ = ix.Close()
		_, err = ix.Search(t.Context(), search.Request{Query: "x"})
		if code := wiki.ErrorCode(err); code != wiki.EUNAVAILABLE {
			t.Errorf("Search after Close: code %q (%v), want %q", code, err, wiki.EUNAVAILABLE)
		}
	})
}

// TestOpen_Locked opens an index twice: bbolt's flock is per open file, so a
// second open in the same process behaves as another process would.
func TestOpen_Locked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	first := MustOpen(t, dir)
	r := repo{}
	MustApply(t, first, r.update("", "c1", r.put(wiki.Added, page("a.md", "Alpha", "alpha"))))

	second, err := search.Open(dir, search.Options{})
	if err == nil {
		_ = second.Close()
		t.Fatal("second Open succeeded while the index is open")
	}
	if !errors.Is(err, search.ErrLocked) {
		t.Errorf("error %v is not ErrLocked", err)
	}
	if code := wiki.ErrorCode(err); code != wiki.EUNAVAILABLE {
		t.Errorf("code = %q, want %q", code, wiki.EUNAVAILABLE)
	}
	if msg := wiki.ErrorMessage(err); msg == "" || msg == "Internal error." {
		t.Errorf("message = %q", msg)
	}

	// Damaged metadata makes bleve fail before it tries the lock; the index
	// is still another process's and must not be removed.
	write(t, filepath.Join(dir, "index_meta.json"), "{garbage")
	if second, err := search.Open(dir, search.Options{}); !errors.Is(err, search.ErrLocked) {
		if second != nil {
			_ = second.Close()
		}
		t.Errorf("Open with damaged metadata while locked: %v, want ErrLocked", err)
	}

	// The first holder is unharmed: nothing was removed.
	if got := first.Commit(); got != "c1" {
		t.Errorf("first Commit() = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "store", "root.bolt")); err != nil {
		t.Errorf("index files removed: %v", err)
	}
	if got := paths(MustSearch(t, first, "alpha")); len(got) != 1 {
		t.Errorf("first index lost documents: %v", got)
	}
}

func TestOpen_Corrupt(t *testing.T) {
	for _, tt := range []struct {
		name    string
		corrupt func(t *testing.T, dir string)
	}{
		{"GarbageMeta", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "index_meta.json"), "{not json")
		}},
		{"MissingMeta", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "index_meta.json")); err != nil {
				t.Fatal(err)
			}
		}},
		{"GarbageRootBolt", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "store", "root.bolt"), "garbage garbage garbage")
		}},
		{"TruncatedFiles", func(t *testing.T, dir string) {
			_ = filepath.Walk(filepath.Join(dir, "store"), func(p string, fi os.FileInfo, err error) error {
				if err == nil && !fi.IsDir() {
					if err := os.Truncate(p, fi.Size()/3); err != nil {
						t.Fatal(err)
					}
				}
				return nil
			})
		}},
		{"TruncatedSegments", func(t *testing.T, dir string) {
			_ = filepath.Walk(filepath.Join(dir, "store"), func(p string, fi os.FileInfo, err error) error {
				if err == nil && filepath.Ext(p) == ".zap" {
					if err := os.Truncate(p, fi.Size()-10); err != nil {
						t.Fatal(err)
					}
				}
				return nil
			})
		}},
		{"GarbageSegments", func(t *testing.T, dir string) {
			_ = filepath.Walk(filepath.Join(dir, "store"), func(p string, fi os.FileInfo, err error) error {
				if err == nil && filepath.Ext(p) == ".zap" {
					write(t, p, string(make([]byte, fi.Size())))
				}
				return nil
			})
		}},
		{"NotAnIndex", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, "notes.txt"), "hello")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "index")
			ix, err := search.Open(dir, search.Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := repo{}
			MustApply(t, ix, r.update("", "c1", r.put(wiki.Added, page("a.md", "Alpha", "alpha text"))))
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			tt.corrupt(t, dir)

			ix = MustOpen(t, dir)
			if got := ix.Commit(); got != "" {
				t.Errorf("Commit() = %q, want empty after recreation", got)
			}
			if ix.Recreated() == "" {
				t.Error("Recreated() is empty")
			}
			if res := MustSearch(t, ix, "alpha"); res.Total != 0 {
				t.Errorf("recreated index has %d hits", res.Total)
			}
			// The fresh index works.
			MustApply(t, ix, r.update("", "c2", r.all()))
			if res := MustSearch(t, ix, "alpha"); res.Total != 1 {
				t.Errorf("after rebuild Total = %d, want 1", res.Total)
			}
		})
	}
}

func TestOpen_MappingVersion(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	ix, err := search.Open(dir, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := repo{}
	MustApply(t, ix, r.update("", "c1", r.put(wiki.Added, page("a.md", "Alpha", "alpha"))))
	if err := search.SetMappingVersionForTest(ix, "opswiki-search-0"); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix = MustOpen(t, dir)
	if got := ix.Commit(); got != "" {
		t.Errorf("Commit() = %q, want empty for an index of another mapping version", got)
	}
	if ix.Recreated() == "" {
		t.Error("Recreated() is empty")
	}
	if res := MustSearch(t, ix, "alpha"); res.Total != 0 {
		t.Errorf("Total = %d, want 0", res.Total)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
