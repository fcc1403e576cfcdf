package search_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/opswiki/opswiki/search"
	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/wikitest"
)

// generatedWiki returns the pages of the wiki opswiki-bench serves (SPEC
// §9): the tree wikitest.GenerateWiki commits last, parsed as the server
// parses it. Its words are spread over pages as in real prose, unlike the
// corpus of BenchmarkSearch, whose few words are each on most pages.
func generatedWiki(pages, commits int) []*wiki.Document {
	files := wikitest.Files(pages, commits)
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	docs := make([]*wiki.Document, len(paths))
	for i, p := range paths {
		docs[i] = wiki.ParseDocument(wiki.Path(p), files[p])
	}
	return docs
}

// BenchmarkSearchWiki times the distinct queries of opswiki-bench
// (wikitest.Queries) on the wiki it generates, in process: p50 and p99
// and CPU per query of each kind, facets counted as the JSON API counts
// them, without the cache of recent results; then queries per second
// from 64 goroutines, none asked twice in a row. Set
// OPSWIKI_BENCH_WIKI_INDEX to keep the index between runs.
func BenchmarkSearchWiki(b *testing.B) {
	docs := generatedWiki(wikitest.Pages, wikitest.Commits)
	dir := os.Getenv("OPSWIKI_BENCH_WIKI_INDEX")
	if dir == "" {
		dir = filepath.Join(b.TempDir(), "index")
	}
	ix, err := search.Open(dir, search.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	if ix.Commit() == "" {
		start := time.Now()
		r := repo{}
		MustApply(b, ix, r.update("", "c1", r.put(wiki.Added, docs...)))
		b.Logf("indexed %d pages in %v", len(docs), time.Since(start))
	}
	waitSteady(b, ix)
	search.SetCacheForTest(ix, -1)

	all := wikitest.Queries(20_000, wikitest.Pages)
	byKind := map[string][]string{}
	for _, q := range all {
		byKind[q.Kind] = append(byKind[q.Kind], q.Text)
	}
	ctx := context.Background()
	for _, kind := range wikitest.QueryKinds {
		b.Run(kind, func(b *testing.B) {
			qs := byKind[kind]
			var lat []time.Duration
			var hits uint64
			i := 0
			cpu0 := cpuTime()
			for b.Loop() {
				t0 := time.Now()
				res, err := ix.Search(ctx, search.Request{Query: qs[i%len(qs)]})
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				hits += res.Total
				i++
			}
			b.ReportMetric(ms(cpuTime()-cpu0)/float64(b.N), "cpu-ms/op")
			reportLatency(b, lat)
			b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
		})
	}
	mix := make([]benchQuery, len(all))
	for i, q := range all {
		mix[i] = benchQuery{q: q.Text}
	}
	b.Run("parallel-64", func(b *testing.B) {
		cpu0 := cpuTime()
		parallel(b, ix, mix)
		b.ReportMetric(ms(cpuTime()-cpu0)/float64(b.N), "cpu-ms/op")
	})
}
