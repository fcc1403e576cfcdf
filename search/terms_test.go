package search_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/opswiki/opswiki/search"
	"github.com/opswiki/opswiki/wiki"
)

// TestSearch_CorrectionCache checks that the corrections kept per word
// follow the index: a word a commit adds is then found as typed, not
// corrected, and a word no page has any more is not suggested.
func TestSearch_CorrectionCache(t *testing.T) {
	ix := MustOpenTemp(t)
	r := repo{}
	MustApply(t, ix, r.update("", "c1", r.put(wiki.Added,
		page("db/disk.md", "Disk full", "PostgreSQL stops accepting writes when the disk fills up."),
		page("db/other.md", "Backups", "Nightly backups of every cluster."))))

	type want struct {
		paths []string
		fuzzy bool
	}
	check := func(t *testing.T, step string, w want) {
		t.Helper()
		res := MustSearch(t, ix, "postgrsql ")
		if got := paths(res); !slices.Equal(got, w.paths) || res.Fuzzy != w.fuzzy {
			t.Errorf("%s: Search(postgrsql) = %v fuzzy=%v, want %v fuzzy=%v", step, got, res.Fuzzy, w.paths, w.fuzzy)
		}
	}
	check(t, "typo", want{[]string{"db/disk.md"}, true})
	if n, _ := search.TermCachesForTest(ix); n == 0 {
		t.Error("no correction cached after a corrected search")
	}
	check(t, "typo again", want{[]string{"db/disk.md"}, true})

	MustApply(t, ix, r.update("c1", "c2", r.put(wiki.Added, page("notes/typo.md", "Typo", "We wrote postgrsql here once."))))
	check(t, "word added", want{[]string{"notes/typo.md"}, false})

	delete(r, "notes/typo.md")
	MustApply(t, ix, r.update("c2", "c3", []wiki.Change{{Kind: wiki.Deleted, Path: "notes/typo.md"}}))
	check(t, "word removed", want{[]string{"db/disk.md"}, true})

	// The word meant is gone too: its segment still lists it until merged,
	// but nothing is searched in its place.
	delete(r, "db/disk.md")
	MustApply(t, ix, r.update("c3", "c4", []wiki.Change{{Kind: wiki.Deleted, Path: "db/disk.md"}}))
	check(t, "correction removed", want{[]string{}, false})

	// A word of deleted pages is not preferred to a farther one still
	// on a page.
	t.Run("DeletedWord", func(t *testing.T) {
		ix := MustOpenTemp(t)
		r := repo{}
		MustApply(t, ix, r.update("", "c1", r.put(wiki.Added,
			page("near.md", "Near", "qwertyuiopb"), page("far.md", "Far", "qwertyuiobc"))))
		for _, step := range []struct {
			name string
			want []string
		}{{"both", []string{"near.md"}}, {"near deleted", []string{"far.md"}}} {
			if step.name == "near deleted" {
				delete(r, "near.md")
				MustApply(t, ix, r.update("c1", "c2", []wiki.Change{{Kind: wiki.Deleted, Path: "near.md"}}))
			}
			res := MustSearch(t, ix, "qwertyuiopa ")
			if got := paths(res); !slices.Equal(got, step.want) || !res.Fuzzy {
				t.Errorf("%s: Search(qwertyuiopa) = %v fuzzy=%v, want %v corrected", step.name, got, res.Fuzzy, step.want)
			}
		}
	})
}

// TestSearch_PrefixCache checks that the terms a prefix stands for follow
// the index, and that a prefix stands for its commonest terms only.
func TestSearch_PrefixCache(t *testing.T) {
	ix := MustOpenTemp(t)
	r := repo{}
	MustApply(t, ix, r.update("", "c1", r.put(wiki.Added,
		page("k/ctl.md", "Kubectl tips", "Use kubectl get pods."))))
	prefix := func(step string, want ...string) {
		t.Helper()
		got := paths(MustSearch(t, ix, "kubect"))
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: Search(kubect) = %v, want %v", step, got, want)
		}
	}
	prefix("first", "k/ctl.md")
	if _, n := search.TermCachesForTest(ix); n == 0 {
		t.Error("no prefix cached after a search ending in a prefix")
	}
	MustApply(t, ix, r.update("c1", "c2", r.put(wiki.Added, page("k/ctx.md", "Kubectx", "Switch contexts with kubectx."))))
	prefix("term added", "k/ctl.md", "k/ctx.md")
	delete(r, "k/ctl.md")
	MustApply(t, ix, r.update("c2", "c3", []wiki.Change{{Kind: wiki.Deleted, Path: "k/ctl.md"}}))
	prefix("term removed", "k/ctx.md")

	t.Run("Bounded", func(t *testing.T) {
		ix := MustOpenTemp(t)
		r := repo{}
		// The commonest words are on two pages each, the rarest on one.
		common, n := search.MaxPrefixTermsForTest, search.MaxPrefixTermsForTest+8
		var docs []*wiki.Document
		for k := range n {
			w := fmt.Sprintf("ztx%02d", k)
			docs = append(docs, page("z/"+w+"-a.md", w, "text"))
			if k < common {
				docs = append(docs, page("z/"+w+"-b.md", w, "text"))
			}
		}
		MustApply(t, ix, r.update("", "c1", r.put(wiki.Added, docs...)))
		got, err := search.PrefixTermsForTest(ix, "ztx")
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for k := range common {
			want = append(want, fmt.Sprintf("ztx%02d", k))
		}
		if !slices.Equal(got, want) {
			t.Errorf("terms of ztx = %v\nwant the commonest: %v", got, want)
		}
		res, err := ix.Search(context.Background(), search.Request{Query: "ztx", Limit: search.MaxLimit, NoFacets: true})
		if err != nil {
			t.Fatal(err)
		}
		rare := slices.ContainsFunc(paths(res), func(p string) bool {
			var k int
			_, err := fmt.Sscanf(p, "z/ztx%02d", &k)
			return err != nil || k >= common
		})
		if res.Total != uint64(2*common) || rare {
			t.Errorf("Search(ztx) = %d pages %v, want the %d pages of the commonest words", res.Total, paths(res), 2*common)
		}
	})
}
