package search_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/opswiki/opswiki/search"
	"github.com/opswiki/opswiki/wiki"
)

// TestSearch_Cache checks that repeated searches are answered from the
// cache of recent results, and that a change is searchable at once.
func TestSearch_Cache(t *testing.T) {
	for _, size := range []int{0, -1, 1} {
		t.Run(map[int]string{0: "Default", -1: "Off", 1: "One"}[size], func(t *testing.T) {
			ix, err := search.Open(filepath.Join(t.TempDir(), "index"), search.Options{CacheSize: size})
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			r := repo{}
			MustApply(t, ix, r.update("", "c1", r.put(wiki.Added,
				page("a.md", "Alpha", "shared words here"), page("b.md", "Beta", "shared words too"))))

			first := MustSearch(t, ix, "shared")
			if first.Total != 2 || len(first.Facets["kind"]) != 1 {
				t.Fatalf("first search: %+v", first)
			}
			// A caller changing what it got back changes nothing cached.
			first.Hits[0].Title = "changed"
			first.Facets["kind"][0].Count = 99
			again := MustSearch(t, ix, "shared")
			if again.Hits[0].Title == "changed" || again.Facets["kind"][0].Count != 2 {
				t.Errorf("cached result changed by a caller: %+v", again)
			}
			MustSearch(t, ix, "alpha") // evicts "shared" from a cache of one

			// Apply makes a change visible to the very next search.
			MustApply(t, ix, r.update("c1", "c2", r.put(wiki.Modified, page("b.md", "Beta", "different now"))))
			if got := paths(MustSearch(t, ix, "shared")); !slices.Equal(got, []string{"a.md"}) {
				t.Errorf("after Apply: %v, want [a.md]", got)
			}
			// Pages and facet-less requests are cached apart.
			res, err := ix.Search(context.Background(), search.Request{Query: "shared", NoFacets: true})
			if err != nil || len(res.Facets) != 0 || res.Total != 1 {
				t.Errorf("NoFacets: %+v, %v", res, err)
			}
			res, err = ix.Search(context.Background(), search.Request{Query: "shared", Offset: 1})
			if err != nil || len(res.Hits) != 0 || res.Total != 1 {
				t.Errorf("Offset 1: %+v, %v", res, err)
			}
		})
	}
}
