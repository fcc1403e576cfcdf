package main_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
	"github.com/opswiki/opswiki/wiki/wikitest"
)

// The benchmarks share one generated wiki of 10,000 pages and 3,000
// commits (SPEC §9), built once per run with git fast-import.
const (
	benchPages   = wikitest.Pages
	benchCommits = wikitest.Commits
)

var (
	benchOnce   sync.Once
	benchSource string // the generated repository
	benchData   string // a data directory initialised from it, index built
	benchInit   time.Duration
	benchErr    error
	benchTemp   string // removed after the run
)

func benchWiki(b *testing.B) (source, data string) {
	b.Helper()
	benchOnce.Do(func() {
		// OPSWIKI_BENCH_DIR keeps the generated wiki (and reuses it when it
		// is there), so the figures can be checked against the real binary:
		// opswiki serve --data $OPSWIKI_BENCH_DIR/data
		root := os.Getenv("OPSWIKI_BENCH_DIR")
		benchSource = filepath.Join(root, "source")
		benchData = filepath.Join(root, "data")
		if root != "" {
			if _, err := os.Stat(filepath.Join(benchData, "wiki.git")); err == nil {
				return
			}
		} else {
			var err error
			if root, err = os.MkdirTemp("", "opswiki-bench-"); err != nil {
				benchErr = err
				return
			}
			benchTemp = root
			benchSource = filepath.Join(root, "source")
			benchData = filepath.Join(root, "data")
		}
		if benchErr = wikitest.GenerateWiki(benchSource, benchPages, benchCommits); benchErr != nil {
			return
		}
		cfg := main.DefaultConfig()
		cfg.Data = benchData
		if benchErr = cfg.Validate(); benchErr != nil {
			return
		}
		start := time.Now()
		m := &main.Main{Config: cfg, Stderr: io.Discard}
		benchErr = m.Init(context.Background(), benchSource, io.Discard)
		benchInit = time.Since(start)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchSource, benchData
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchTemp != "" {
		os.RemoveAll(benchTemp)
	}
	os.Exit(code)
}

// The vocabulary of the generated wiki, for benchmarks that build queries.
var (
	services   = wikitest.Services
	errCodes   = wikitest.ErrCodes
	words      = wikitest.Words
	capitalize = wikitest.Capitalize
)

// BenchmarkStartup measures how long the server takes to serve pages on
// the 10,000-page wiki: with an existing index, and with none (it serves at
// once and rebuilds the index in the background; ready_s is when /readyz
// turns 200).
func BenchmarkStartup(b *testing.B) {
	_, data := benchWiki(b)
	if benchInit > 0 {
		b.Logf("opswiki init --from of the generated wiki (clone and full index): %s", benchInit.Round(time.Millisecond))
	}
	b.Run("ExistingIndex", func(b *testing.B) {
		for b.Loop() {
			s := MustServe(b, data)
			s.Stop(b)
		}
	})
	b.Run("NoIndex", func(b *testing.B) {
		var serving, ready time.Duration
		for b.Loop() {
			if err := os.RemoveAll(filepath.Join(data, "index")); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			s := MustServe(b, data)
			serving += time.Since(start)
			s.WaitReady(b)
			ready += time.Since(start)
			s.Stop(b)
		}
		b.ReportMetric(serving.Seconds()/float64(b.N), "serving_s")
		b.ReportMetric(ready.Seconds()/float64(b.N), "ready_s")
	})
}

// load runs GETs of paths from 64 concurrent clients for b.N requests and
// reports requests per second and latency percentiles.
func load(b *testing.B, s *Server, paths []string, headers map[string]string) {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(32) // 32 × GOMAXPROCS(2) = 64 clients
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 1))
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			req, _ := http.NewRequest("GET", s.URL+paths[r.IntN(len(paths))], nil)
			for k, v := range headers {
				req.Header.Set(k, v)
			}
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 && resp.StatusCode != 304 {
				b.Errorf("GET %s: %d", req.URL, resp.StatusCode)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
	}
}

// benchPaths returns the URLs of n pages of the generated wiki.
func benchPaths(n int) []string { return wikitest.Paths(n, benchPages) }

// BenchmarkPageView measures warm page views over HTTP with 64 clients.
func BenchmarkPageView(b *testing.B) {
	_, data := benchWiki(b)
	s := MustServe(b, data)
	s.WaitReady(b)
	paths := benchPaths(200)
	for _, p := range paths {
		if code, _, _ := s.Get(b, p); code != 200 {
			b.Fatalf("GET %s = %d", p, code)
		}
	}
	b.Run("Warm", func(b *testing.B) { load(b, s, paths, nil) })
	b.Run("NotModified", func(b *testing.B) {
		_, h, _ := s.Get(b, paths[0])
		load(b, s, paths[:1], map[string]string{"If-None-Match": h.Get("ETag")})
	})
	b.Run("Cold", func(b *testing.B) {
		// Every request a page not yet rendered: read from git, render, cache.
		all := benchPaths(benchPages)
		i := 0
		b.ResetTimer()
		for b.Loop() {
			if code, _, _ := s.Get(b, all[i%len(all)]); code != 200 {
				b.Fatal(code)
			}
			i++
		}
	})
}

// BenchmarkSearchAPI measures /-/api/search over HTTP with 64 clients.
func BenchmarkSearchAPI(b *testing.B) {
	_, data := benchWiki(b)
	s := MustServe(b, data)
	s.WaitReady(b)
	var paths []string
	for _, q := range []string{"latency replica", `"connection pool"`, "kind:runbook checkout", "ERR_CONN_RESET", "pg_stat_activity", "compactoin", "CheckoutHighLatency", "rollb"} {
		paths = append(paths, "/-/api/search?q="+url.QueryEscape(q))
	}
	load(b, s, paths, nil)
}

// BenchmarkSave measures a browser save on the 10,000-page wiki: the PUT
// until it answers (commit written, page catalog updated), and until the
// saved text is found by search.
func BenchmarkSave(b *testing.B) {
	_, data := benchWiki(b)
	s := MustServe(b, data)
	s.WaitReady(b)
	paths := benchPaths(500)
	var saved, searchable []time.Duration
	i := 0
	b.ResetTimer()
	for b.Loop() {
		name := paths[i%len(paths)][1:]
		p := s.Page(b, name)
		word := fmt.Sprintf("zebracorn%dx", i)
		start := time.Now()
		code, reply := s.Put(b, name, p.Content+"\nNoted: "+word+".\n", p.Blob, "bench")
		if code != 200 {
			b.Fatalf("save %s: %d %v", name, code, reply)
		}
		saved = append(saved, time.Since(start))
		for len(s.Search(b, word, 1).Hits) == 0 {
			time.Sleep(100 * time.Microsecond)
		}
		searchable = append(searchable, time.Since(start))
		i++
	}
	b.StopTimer()
	report := func(d []time.Duration, unit string) {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, unit+"_p50_ms")
		b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, unit+"_p99_ms")
	}
	report(saved, "saved")
	report(searchable, "searchable")
}

// BenchmarkHistoryAPI measures GET /-/api/history of pages of the
// 3,000-commit wiki.
func BenchmarkHistoryAPI(b *testing.B) {
	_, data := benchWiki(b)
	s := MustServe(b, data)
	s.WaitReady(b)
	paths := benchPaths(200)
	i := 0
	for b.Loop() {
		if code, _, body := s.Get(b, "/-/api/history"+paths[i%len(paths)]+"?limit=100"); code != 200 {
			b.Fatalf("%d %s", code, body)
		}
		i++
	}
}
