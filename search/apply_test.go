package search_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/opswiki/opswiki/search"
	"github.com/opswiki/opswiki/wiki"
)

func TestApply(t *testing.T) {
	ix := MustOpenTemp(t)
	r := repo{}
	cs := r.put(wiki.Added,
		page("a.md", "Alpha", "alpha shared"),
		page("b.md", "Beta", "beta shared"),
		page("c.md", "Gamma", "gamma shared"))
	cs = append(cs, wiki.Change{Kind: wiki.Added, Path: "img/diagram.png", Blob: "x"})
	MustApply(t, ix, r.update("", "c1", cs))
	if got := ix.Commit(); got != "c1" {
		t.Fatalf("Commit() = %q, want c1", got)
	}

	// Incremental: add, modify, delete in one update.
	var inc []wiki.Change
	inc = append(inc, r.put(wiki.Added, page("d.md", "Delta", "delta shared"))...)
	inc = append(inc, r.put(wiki.Modified, page("b.md", "Beta", "beta rewritten"))...)
	delete(r, "c.md")
	inc = append(inc, wiki.Change{Kind: wiki.Deleted, Path: "c.md", OldBlob: "b"})
	MustApply(t, ix, r.update("c1", "c2", inc))
	if got := ix.Commit(); got != "c2" {
		t.Errorf("Commit() = %q, want c2", got)
	}

	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"shared", []string{"a.md", "d.md"}},
		{"rewritten", []string{"b.md"}},
		{"gamma", nil},
		{"delta", []string{"d.md"}},
		{"diagram", nil},
	} {
		t.Run(tt.query, func(t *testing.T) {
			got := paths(MustSearch(t, ix, tt.query))
			slices.Sort(got)
			if !slices.Equal(got, append([]string{}, tt.want...)) {
				t.Errorf("Search(%q) = %v, want %v", tt.query, got, tt.want)
			}
		})
	}
}

func TestApply_Rebuild(t *testing.T) {
	ix := MustOpenTemp(t)
	r := repo{}
	MustApply(t, ix, r.update("", "c1", r.put(wiki.Added,
		page("keep.md", "Keep", "keep"), page("gone.md", "Gone", "gone"))))

	// A rebuild lists the whole tree; pages not in it disappear.
	delete(r, "gone.md")
	MustApply(t, ix, r.update("", "c2", r.all()))
	if got := paths(MustSearch(t, ix, "gone")); len(got) != 0 {
		t.Errorf("stale page still found: %v", got)
	}
	if got := paths(MustSearch(t, ix, "keep")); len(got) != 1 {
		t.Errorf("kept page: %v", got)
	}
}

func TestApply_BatchesAndProgress(t *testing.T) {
	ix, err := search.Open(t.TempDir(), search.Options{BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	r := repo{}
	var docs []*wiki.Document
	for i := range 95 {
		docs = append(docs, page(fmt.Sprintf("p/%03d.md", i), fmt.Sprintf("Page %d", i), "bulk text"))
	}
	u := r.update("", "c1", r.put(wiki.Added, docs...))
	var progress []int
	u.Progress = func(done int) { progress = append(progress, done) }
	MustApply(t, ix, u)
	if len(progress) < 9 || progress[len(progress)-1] != 95 || !slices.IsSorted(progress) {
		t.Errorf("progress = %v", progress)
	}
	if res := MustSearch(t, ix, "bulk"); res.Total != 95 {
		t.Errorf("Total = %d, want 95", res.Total)
	}
}

func TestApply_Errors(t *testing.T) {
	t.Run("Cancelled", func(t *testing.T) {
		ix, err := search.Open(t.TempDir(), search.Options{BatchSize: 5})
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		r := repo{}
		MustApply(t, ix, r.update("", "c1", r.put(wiki.Added, page("a.md", "A", "a"))))

		var docs []*wiki.Document
		for i := range 50 {
			docs = append(docs, page(fmt.Sprintf("p%d.md", i), "P", "p"))
		}
		ctx, cancel := context.WithCancel(context.Background())
		u := r.update("c1", "c2", r.put(wiki.Added, docs...))
		u.Progress = func(done int) {
			if done >= 10 {
				cancel()
			}
		}
		if err := ix.Apply(ctx, u); !errors.Is(err, context.Canceled) {
			t.Fatalf("Apply = %v, want context.Canceled", err)
		}
		// Half applied over several batches: the follower must rebuild.
		if got := ix.Commit(); got != "" {
			t.Errorf("Commit() = %q after a cancelled multi-batch Apply, want empty", got)
		}
	})

	t.Run("LoadFails", func(t *testing.T) {
		ix := MustOpenTemp(t)
		r := repo{}
		MustApply(t, ix, r.update("", "c1", r.put(wiki.Added, page("a.md", "A", "a"))))
		u := r.update("c1", "c2", r.put(wiki.Modified, page("a.md", "A", "b")))
		boom := errors.New("boom")
		u.Load = func(context.Context, wiki.Change) (*wiki.Document, error) { return nil, boom }
		if err := ix.Apply(context.Background(), u); !errors.Is(err, boom) {
			t.Fatalf("Apply = %v, want boom", err)
		}
		// A single-batch update is atomic: nothing of it was applied.
		if got := ix.Commit(); got != "c1" {
			t.Errorf("Commit() = %q, want c1", got)
		}
	})
}
