package search_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/opswiki/opswiki/search"
	"github.com/opswiki/opswiki/wiki"
)

// TestSearch_Proximity checks that pages with the words next to each other
// come first, and that paging through reranked results shows every page
// once.
func TestSearch_Proximity(t *testing.T) {
	ix := MustOpenTemp(t)
	r := repo{}
	var docs []*wiki.Document
	for i := range 130 {
		// The same words, in another order on every ninth page.
		text := fmt.Sprintf("Page %d. The full disk stops the queue.", i)
		if i%9 == 0 {
			text = fmt.Sprintf("Page %d. The disk stops the queue full.", i)
		}
		docs = append(docs, page(fmt.Sprintf("p/%03d.md", i), fmt.Sprintf("Page %d", i), text))
	}
	MustApply(t, ix, r.update("", "c1", r.put(wiki.Added, docs...)))

	get := func(q string, limit, offset int) []string {
		res, err := ix.Search(context.Background(), search.Request{Query: q, Limit: limit, Offset: offset, NoFacets: true})
		if err != nil {
			t.Fatal(err)
		}
		return paths(res)
	}
	// Every page scores alike on the words alone; within the reranked
	// best 50, the pages with "queue full" come first.
	top := get("queue full ", 50, 0)
	phrase, others := 0, 0
	for i, p := range top {
		var n int
		fmt.Sscanf(p, "p/%03d.md", &n)
		if n%9 != 0 {
			others++
		} else if phrase++; others > 0 {
			t.Errorf("hit %d is %s, which says \"queue full\", after %d pages that do not", i, p, others)
		}
	}
	if phrase == 0 {
		t.Error("no page saying \"queue full\" in the best 50")
	}

	all := append(get("queue full ", 100, 0), get("queue full ", 100, 100)...)
	if len(all) != 130 {
		t.Fatalf("%d hits in two requests, want 130", len(all))
	}
	for _, limit := range []int{7, 20, 50} {
		var paged []string
		for off := 0; off < 130; off += limit {
			paged = append(paged, get("queue full ", limit, off)...)
		}
		if !slices.Equal(paged, all) {
			t.Errorf("paging by %d: %v\nwant %v", limit, paged, all)
		}
	}
}
