package search_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/opswiki/opswiki/search"
	"github.com/opswiki/opswiki/wiki"
)

const benchDocs = 10_000

// buildBench indexes the generated wiki into dir with one full Apply.
func buildBench(tb testing.TB, dir string, docs []*wiki.Document) *search.Index {
	tb.Helper()
	ix, err := search.Open(dir, search.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	r := repo{}
	MustApply(tb, ix, r.update("", "c1", r.put(wiki.Added, docs...)))
	return ix
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// BenchmarkIndex10k times a full index of 10,000 pages, from Open of an
// empty directory to Close with everything on disk, and reports the size
// of the index.
func BenchmarkIndex10k(b *testing.B) {
	docs := newCorpus(1).docs(benchDocs)
	var size int64
	i := 0
	for b.Loop() {
		dir := filepath.Join(b.TempDir(), "index", string(rune('a'+i)))
		i++
		ix := buildBench(b, dir, docs)
		if err := ix.Close(); err != nil {
			b.Fatal(err)
		}
		size = dirSize(dir)
	}
	b.ReportMetric(float64(size)/1e6, "MB-on-disk")
	b.ReportMetric(float64(benchDocs)*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkSearch times queries of each kind on a 10,000 page index, with
// p50 and p99 latency besides the mean.
func BenchmarkSearch(b *testing.B) {
	c := newCorpus(1)
	docs := c.docs(benchDocs)
	dir := filepath.Join(b.TempDir(), "index")
	start := time.Now()
	ix := buildBench(b, dir, docs)
	b.Logf("built %d pages in %v", benchDocs, time.Since(start))
	if err := ix.Close(); err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	ix = MustOpen(b, dir) // as served: reopened from disk
	b.Logf("reopened in %v, %.1f MB, recreated=%q", time.Since(start), float64(dirSize(dir))/1e6, ix.Recreated())
	waitSteady(b, ix)
	runtime.GC()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	b.Logf("heap in use after open: %.1f MB (documents in the test: %.1f MB)", float64(mem.HeapInuse)/1e6, float64(textBytes(docs))/1e6)

	// Common words are the head of the Zipf vocabulary and match most
	// pages (the worst case); "term" words are picked uniformly from the
	// vocabulary, as distinctive as the words people search for.
	common := slices.Clone(opsWords[20:120])
	queries := map[string][]string{}
	for i := range 50 {
		w, w2 := common[i%len(common)], c.vocab[100+(i*97)%(len(c.vocab)-100)]
		alert, code, svc := c.alerts[i*11%len(c.alerts)], c.codes[i*13%len(c.codes)], c.services[i*3%len(c.services)]
		queries["term-common"] = append(queries["term-common"], w+" ")
		queries["term"] = append(queries["term"], w2+" ")
		queries["two-terms"] = append(queries["two-terms"], w+" "+w2+" ")
		queries["ident"] = append(queries["ident"], code+" ")
		queries["alert"] = append(queries["alert"], alert+" ")
		queries["phrase"] = append(queries["phrase"], `"`+w+" "+common[(i*7+3)%len(common)]+`"`)
		queries["filter"] = append(queries["filter"], "kind:runbook service:"+svc)
		queries["filter-text"] = append(queries["filter-text"], "kind:postmortem "+w2+" ")
		queries["fuzzy"] = append(queries["fuzzy"], typo(w2)+" ")
		queries["prefix"] = append(queries["prefix"], w+" "+w2[:min(4, len(w2))])
	}
	for _, name := range []string{"term", "term-common", "two-terms", "ident", "alert", "phrase", "filter", "filter-text", "fuzzy", "prefix"} {
		for _, facets := range []bool{true, false} {
			sub := name
			if !facets {
				sub += "-nofacets"
			}
			b.Run(sub, func(b *testing.B) {
				qs := queries[name]
				var lat []time.Duration
				var hits uint64
				ctx := context.Background()
				i := 0
				cpu0 := cpuTime()
				for b.Loop() {
					t0 := time.Now()
					res, err := ix.Search(ctx, search.Request{Query: qs[i%len(qs)], NoFacets: !facets})
					lat = append(lat, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
					hits += res.Total
					i++
				}
				b.ReportMetric(ms(cpuTime()-cpu0)/float64(b.N), "cpu-ms/op")
				slices.Sort(lat)
				b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
				b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
				b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
			})
		}
	}
	// One saved page: Apply returns once the change is searchable.
	b.Run("apply-one", func(b *testing.B) {
		r := repo{}
		i := 0
		for b.Loop() {
			d := *docs[i%len(docs)]
			d.Text += " edited"
			r.put(wiki.Modified, &d)
			MustApply(b, ix, r.update("c1", "c1", []wiki.Change{{Kind: wiki.Modified, Path: d.Path, Blob: "b"}}))
			i++
		}
	})
	b.Run("parallel-mix", func(b *testing.B) {
		var all []string
		for _, qs := range queries {
			all = append(all, qs...)
		}
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := ix.Search(context.Background(), search.Request{Query: all[i%len(all)]}); err != nil {
					b.Error(err)
					return
				}
				i += 7
			}
		})
	})
}

// waitSteady waits for background merging to finish, so searches are
// measured on the index as it is served most of the time.
func waitSteady(b *testing.B, ix *search.Index) {
	start := time.Now()
	for ix.Stats().Busy && time.Since(start) < time.Minute {
		time.Sleep(50 * time.Millisecond)
	}
	b.Logf("steady after %v: %+v", time.Since(start), ix.Stats())
}

// cpuTime returns the CPU time the process has used, a steadier figure
// than wall time on a shared machine (it includes GC and merging).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func textBytes(docs []*wiki.Document) int {
	n := 0
	for _, d := range docs {
		n += len(d.Text)
		for _, c := range d.Code {
			n += len(c)
		}
	}
	return n
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// typo swaps two letters in the middle of a word.
func typo(w string) string {
	if len(w) < 4 {
		return w
	}
	i := len(w) / 2
	return w[:i-1] + string(w[i]) + string(w[i-1]) + w[i+1:]
}
