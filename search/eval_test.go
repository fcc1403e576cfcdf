package search_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/search"
	"github.com/opswiki/opswiki/wiki"
)

// TestSearch_EveryField checks that a word is found wherever a page has
// it, alone or with a common word: the pages matching a query are found
// on sets of pages per field (eval.go), so each field must be one of the
// sets.
func TestSearch_EveryField(t *testing.T) {
	ix := MustOpenTemp(t)
	common := "Restart the service and check the logs."
	docs := []*wiki.Document{
		page("t.md", "Zorblat gateway", common),
		{Path: "h.md", Title: "Other", Text: common, Meta: wiki.Meta{Kind: wiki.KindPage},
			Headings: []wiki.Heading{{Level: 2, Text: "Quillfeather setup"}}},
		page("b.md", "Another", common+" The vexilbrand cache is cold."),
		{Path: "c.md", Title: "Commands", Text: common, Meta: wiki.Meta{Kind: wiki.KindPage},
			Code: []string{"kubectl -n edge rollout restart deploy/snorkwhistle"}},
		runbook("a.md", "Runbook", common, []string{"GlimmerDriftHigh"}),
		{Path: "e.md", Title: "Extra", Text: common, Meta: wiki.Meta{Kind: wiki.KindService, Description: "Owns the plonkfish queue."}},
		page("n.md", "Nothing", common),
	}
	r := repo{}
	MustApply(t, ix, r.update("", "c1", r.put(wiki.Added, docs...)))
	for _, tt := range []struct {
		name, query, want, mark string
	}{
		{"Title", "zorblat", "t.md", ""},
		{"Heading", "quillfeather", "h.md", "<mark>Quillfeather</mark>"},
		{"Body", "vexilbrand", "b.md", "<mark>vexilbrand</mark>"},
		{"Code", "snorkwhistle", "c.md", "<mark>snorkwhistle</mark>"},
		{"CodePath", "deploy/snorkwhistle", "c.md", "<mark>deploy/snorkwhistle</mark>"},
		{"AlertName", "GlimmerDriftHigh", "a.md", ""},
		{"AlertNameLower", "glimmerdrifthigh", "a.md", ""},
		{"AlertNameParts", "glimmer drift", "a.md", ""},
		{"FrontMatter", "plonkfish", "e.md", ""},
		{"WithCommonWord", "service zorblat", "t.md", ""},
		{"CommonWordInOtherField", "zorblat logs", "t.md", ""},
		{"Prefix", "quillfea", "h.md", "<mark>Quillfeather</mark>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := MustSearch(t, ix, tt.query)
			if got := paths(res); len(got) != 1 || got[0] != tt.want {
				t.Fatalf("Search(%q) = %v, want [%s]", tt.query, got, tt.want)
			}
			if !strings.Contains(res.Hits[0].Snippet, tt.mark) {
				t.Errorf("Search(%q): snippet %q lacks %s", tt.query, res.Hits[0].Snippet, tt.mark)
			}
		})
	}
	t.Run("AllOfThem", func(t *testing.T) {
		if res := MustSearch(t, ix, "restart logs"); res.Total != uint64(len(docs)) {
			t.Errorf("Search(restart logs) found %d pages, want %d", res.Total, len(docs))
		}
	})
}

// TestSearch_FieldRanking checks that a word in the title ranks a page
// above the word in a heading, which ranks it above the word in the body,
// however often the body says it.
func TestSearch_FieldRanking(t *testing.T) {
	ix := MustOpenTemp(t)
	filler := strings.Repeat("Nothing to see on this page. ", 5)
	r := repo{}
	MustApply(t, ix, r.update("", "c1", r.put(wiki.Added,
		page("body.md", "Notes", filler+strings.Repeat("The failover was slow. ", 4)),
		&wiki.Document{Path: "heading.md", Title: "Database", Text: filler, Meta: wiki.Meta{Kind: wiki.KindPage},
			Headings: []wiki.Heading{{Level: 2, Text: "Failover"}}},
		page("title.md", "Failover drill", filler),
		page("none.md", "Unrelated", filler),
	)))
	for _, q := range []string{"failover", "failover ", "Failover nothing"} {
		if got, want := paths(MustSearch(t, ix, q)), []string{"title.md", "heading.md", "body.md"}; !slices.Equal(got, want) {
			t.Errorf("Search(%q) = %v, want %v", q, got, want)
		}
	}
}

// TestSearch_Listing checks a query of filters only: the pages in path
// order over every segment, pages deleted or changed since left out or
// listed once, paging through them, and path prefixes matched in any
// case.
func TestSearch_Listing(t *testing.T) {
	ix := MustOpenTemp(t)
	r := repo{}
	var want []string
	commit := ""
	for batch := range 4 {
		var docs []*wiki.Document
		for i := range 40 {
			n := batch*40 + i
			dir := []string{"Runbooks", "runbooks", "notes"}[n%3]
			p := fmt.Sprintf("%s/p%03d.md", dir, (n*37)%160)
			docs = append(docs, page(p, "Page", "text"))
		}
		next := fmt.Sprintf("c%d", batch+1)
		MustApply(t, ix, r.update(commit, next, r.put(wiki.Added, docs...)))
		commit = next
	}
	var cs []wiki.Change
	for p := range r {
		switch n := len(p); {
		case strings.HasSuffix(string(p), "3.md"):
			delete(r, p)
			cs = append(cs, wiki.Change{Kind: wiki.Deleted, Path: p})
		case n%2 == 0:
			cs = append(cs, r.put(wiki.Modified, page(string(p), "Page", "text again"))...)
		}
	}
	MustApply(t, ix, r.update(commit, "c5", cs))
	for p := range r {
		want = append(want, string(p))
	}
	slices.Sort(want)

	list := func(q string, limit int) []string {
		var got []string
		for off := 0; ; off += limit {
			res, err := ix.Search(context.Background(), search.Request{Query: q, Limit: limit, Offset: off, NoFacets: true})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, paths(res)...)
			if len(res.Hits) < limit {
				return got
			}
		}
	}
	for _, limit := range []int{7, 100} {
		if got := list("kind:page", limit); !slices.Equal(got, want) {
			t.Errorf("kind:page by %d: %v\nwant %v", limit, got, want)
		}
	}
	var runbooks []string
	for _, p := range want {
		if strings.HasPrefix(strings.ToLower(p), "runbooks/") {
			runbooks = append(runbooks, p)
		}
	}
	for _, q := range []string{"path:runbooks/", "path:/RUNBOOKS"} {
		if got := list(q, 100); !slices.Equal(got, runbooks) {
			t.Errorf("%s: %v\nwant %v", q, got, runbooks)
		}
	}
}

// TestSearch_FacetsOfEveryMatch checks the facet counts of a query against
// a count over every page it matches, on an index of several segments
// with pages changed and deleted.
func TestSearch_FacetsOfEveryMatch(t *testing.T) {
	c := newCorpus(3)
	docs := c.docs(1200)
	ix := MustOpenTemp(t)
	applyInBatches(t, ix, docs)
	byPath := map[wiki.Path]*wiki.Document{}
	for i, d := range docs {
		if i%7 != 3 {
			byPath[d.Path] = d
		}
	}
	for _, q := range []string{"latency", "disk full", "kind:runbook", "error -kind:postmortem"} {
		t.Run(q, func(t *testing.T) {
			res, err := ix.Search(context.Background(), search.Request{Query: q, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			var all []string
			for off := 0; off < int(res.Total); off += search.MaxLimit {
				page, err := ix.Search(context.Background(), search.Request{Query: q, Limit: search.MaxLimit, Offset: off, NoFacets: true})
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, paths(page)...)
			}
			if len(all) != int(res.Total) || res.Total < 20 {
				t.Fatalf("%d pages paged through, total %d", len(all), res.Total)
			}
			counts := map[string]map[string]int{}
			var seen map[string]bool // a value counts once a page
			add := func(facet string, vs ...string) {
				for _, v := range vs {
					if v = strings.ToLower(strings.TrimSpace(v)); v != "" && !seen[facet+":"+v] {
						seen[facet+":"+v] = true
						if counts[facet] == nil {
							counts[facet] = map[string]int{}
						}
						counts[facet][v]++
					}
				}
			}
			for _, p := range all {
				d := byPath[wiki.Path(p)]
				if d == nil {
					t.Fatalf("%s matched: deleted", p)
				}
				seen = map[string]bool{}
				add("kind", d.Meta.Kind)
				add("service", d.Meta.Services...)
				add("tag", d.Meta.Tags...)
				add("owner", d.Meta.Owner)
				add("severity", d.Meta.Severity)
				add("status", d.Meta.Status)
			}
			for facet, byValue := range counts {
				var want []search.FacetCount
				for v, n := range byValue {
					want = append(want, search.FacetCount{Term: v, Count: n})
				}
				slices.SortFunc(want, func(a, b search.FacetCount) int { return cmp.Or(b.Count-a.Count, strings.Compare(a.Term, b.Term)) })
				want = want[:min(len(want), 10)]
				if got := res.Facets[facet]; !slices.Equal(got, want) {
					t.Errorf("facet %s = %v, want %v", facet, got, want)
				}
			}
		})
	}
}

// TestSearch_TypoAnywhere checks that a typo is corrected wherever it is
// in the word, the first letter and a transposition with another edit
// included.
func TestSearch_TypoAnywhere(t *testing.T) {
	ix := MustOpenTemp(t)
	r := repo{}
	MustApply(t, ix, r.update("", "c1", r.put(wiki.Added,
		page("a.md", "Replication", "Replication lag on the standby grew."),
		page("b.md", "Certificates", "The certificate expired overnight."),
		page("c.md", "Other", "Nothing in common."),
	)))
	for _, tt := range []struct{ typo, want string }{
		{"xeplication", "a.md"},  // first letter
		{"replicatoin", "a.md"},  // transposition
		{"replicaiton", "a.md"},  // transposition
		{"certifciate", "b.md"},  // transposition
		{"certifciat", "b.md"},   // transposition and a letter dropped
		{"ecrtificate", "b.md"},  // first letters swapped
		{"certificatte", "b.md"}, // doubled
	} {
		res := MustSearch(t, ix, tt.typo)
		if got := paths(res); !res.Fuzzy || len(got) != 1 || got[0] != tt.want {
			t.Errorf("Search(%q) = %v fuzzy=%v, want [%s] corrected", tt.typo, got, res.Fuzzy, tt.want)
		}
	}
}
