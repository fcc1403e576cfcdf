package search_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/opswiki/opswiki/search"
	"github.com/opswiki/opswiki/wiki"
)

// TestSearch_DuringApply runs searches while a rebuild and incremental
// updates apply; run with -race.
func TestSearch_DuringApply(t *testing.T) {
	ix, err := search.Open(t.TempDir(), search.Options{BatchSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	r := repo{}
	var docs []*wiki.Document
	for i := range 300 {
		docs = append(docs, runbook(fmt.Sprintf("runbooks/rb-%03d.md", i), fmt.Sprintf("Runbook %d", i),
			fmt.Sprintf("Handle alert number %d; check ERR_CODE_%d in logs.", i, i), []string{fmt.Sprintf("Alert%d", i)}, "svc"))
	}
	cs := r.put(wiki.Added, docs...)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			queries := []string{"runbook", "alert number", "kind:runbook", "err_code_7", "handel", "runb"}
			for i := 0; ctx.Err() == nil; i++ {
				if _, err := ix.Search(ctx, search.Request{Query: queries[(i+w)%len(queries)]}); err != nil && ctx.Err() == nil {
					t.Errorf("Search: %v", err)
					return
				}
				_ = ix.Commit()
			}
		}()
	}
	MustApply(t, ix, r.update("", "c1", cs))
	for i := range 5 {
		MustApply(t, ix, r.update(fmt.Sprintf("c%d", i+1), fmt.Sprintf("c%d", i+2),
			r.put(wiki.Modified, runbook(fmt.Sprintf("runbooks/rb-%03d.md", i), "Changed", "changed text", nil))))
	}
	// A second rebuild keeps serving every page until it is replaced.
	u := r.update("", "c7", r.all())
	u.Progress = func(done int) {
		if res, err := ix.Search(ctx, search.Request{Query: "kind:runbook", NoFacets: true}); err != nil || res.Total != 300 {
			t.Errorf("during rebuild at %d: Total %v, err %v", done, res, err)
		}
	}
	MustApply(t, ix, u)
	cancel()
	wg.Wait()
	if res := MustSearch(t, ix, "kind:runbook"); res.Total != 300 {
		t.Errorf("Total = %d, want 300", res.Total)
	}
	if got := ix.Commit(); got != "c7" {
		t.Errorf("Commit() = %q", got)
	}
}

// TestSearch_SameQueryOnce has many people ask the same thing at the same
// moment, as everyone on call does when an alert fires: the index runs the
// query once and every one of them gets its answer, whole.
func TestSearch_SameQueryOnce(t *testing.T) {
	ix, err := search.Open(t.TempDir(), search.Options{Concurrent: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	r := repo{}
	var docs []*wiki.Document
	for i := range 3000 {
		docs = append(docs, runbook(fmt.Sprintf("runbooks/rb-%04d.md", i), fmt.Sprintf("Disk full %d", i),
			fmt.Sprintf("The disk of node %d is full; rotate the logs.", i), []string{fmt.Sprintf("DiskFull%d", i)}, "svc"))
	}
	MustApply(t, ix, r.update("", "c1", r.put(wiki.Added, docs...)))
	before := ix.Stats().Searches
	const people = 32
	results := make([]*search.Result, people)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range people {
		wg.Go(func() {
			<-start
			res, err := ix.Search(context.Background(), search.Request{Query: "disk full rotate logs"})
			if err != nil {
				t.Error(err)
				return
			}
			res.Hits = res.Hits[:1] // a caller may change its result; the others' must not change
			results[i] = res
		})
	}
	close(start)
	wg.Wait()
	if n := ix.Stats().Searches - before; n != 1 {
		t.Errorf("the index ran the query %d times for %d people asking at once, want once", n, people)
	}
	for i, res := range results {
		if res == nil || res.Total != 3000 {
			t.Fatalf("person %d: %+v", i, res)
		}
	}
	if res := MustSearch(t, ix, "disk full rotate logs"); len(res.Hits) < 2 {
		t.Errorf("a caller's change to its result reached the cache: %d hits", len(res.Hits))
	}
}
