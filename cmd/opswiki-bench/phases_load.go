package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opswiki/opswiki/cmd/opswiki-load/load"
	"github.com/opswiki/opswiki/wiki/wikitest"
)

// loadErr turns failed requests and lost saves of a load into an error.
func loadErr(what string, r *load.Result) error {
	if r.OK() {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d failed requests, %d of %d acknowledged saves lost", what, r.Errors, r.Lost, r.Saved)
	for k, n := range r.Failures {
		fmt.Fprintf(&b, "; %s ×%d (first: %s)", k, n, r.Examples[k])
	}
	return errors.New(b.String())
}

func latency(k *load.KindResult) string {
	return fmt.Sprintf("p50 %s, p99 %s", msec(k.P50), msec(k.P99))
}

// warm views every page once, so the loads measure warm views, and
// returns their mean size in KB.
func (b *bench) warm(ctx context.Context, paths []string) (float64, error) {
	seen := map[string]bool{}
	size := 0
	for _, p := range paths {
		if seen[p] {
			continue
		}
		seen[p] = true
		_, body, err := b.mustGet(ctx, p)
		if err != nil {
			return 0, err
		}
		size += len(body)
	}
	return float64(size) / float64(len(seen)) / 1024, nil
}

// phaseViews measures the ceiling (a bare net/http server with a fixed
// page), warm page views and conditional GETs, each with all clients.
// The ceiling is measured before and after the views, half as long each
// time, so that a change in the machine's load shows as a difference
// between the two.
func (b *bench) phaseViews(ctx context.Context) error {
	kb, err := b.warm(ctx, b.viewPaths)
	if err != nil {
		return err
	}
	c, err := b.startCeiling(ctx)
	if err != nil {
		return err
	}
	defer c.stop()
	ceilingLoad := func() (*load.Result, error) {
		return load.Run(ctx, load.Options{URL: c.URL, Duration: b.duration / 2, Clients: b.clients, Mix: load.Mix{1, 0, 0}, Pages: []string{"/"}})
	}
	b.logf("ceiling, then page views, then the ceiling again, %s in all", 2*b.duration)
	c1, err := ceilingLoad()
	if err != nil {
		return err
	}
	views, err := load.Run(ctx, load.Options{URL: b.server.URL, Duration: b.duration, Clients: b.clients, Mix: load.Mix{1, 0, 0}, Pages: b.viewPaths})
	if err != nil {
		return err
	}
	c2, err := ceilingLoad()
	if err != nil {
		return err
	}
	c.stop()
	ceilingRPS := float64(c1.View.Requests+c2.View.Requests) / (c1.Seconds + c2.Seconds)
	ratio := views.View.PerSecond / ceilingRPS
	b.viewsRPS = views.View.PerSecond
	b.add(Row{What: fmt.Sprintf("ceiling: bare Go net/http server, fixed %d KB page from memory, %d clients (reference)", ceilingPageSize>>10, b.clients),
		Figure: fmt.Sprintf("%s req/s (%s before the page views, %s after), p50 %s, p99 %s", num(ceilingRPS, 0), num(c1.View.PerSecond, 0), num(c2.View.PerSecond, 0),
			msec(c1.View.P50), msec(c1.View.P99)), Reproduce: repro("views")})
	b.add(Row{What: fmt.Sprintf("page view, warm, %d clients (%d pages of %s KB on average)", b.clients, len(uniq(b.viewPaths)), num(kb, 0)),
		Figure: fmt.Sprintf("%s req/s = %s of the ceiling; %s", num(views.View.PerSecond, 0), num(ratio, 2), latency(&views.View)),
		Target: "≥ 0.3 of the ceiling, p99 < 20 ms", Met: met(ratio >= 0.3 && views.View.P99 < 20), Reproduce: repro("views")})

	_, h, _, err := b.get(ctx, b.viewPaths[0])
	if err != nil {
		return err
	}
	etag := h.Get("ETag")
	if etag == "" {
		return fmt.Errorf("GET %s has no ETag", b.viewPaths[0])
	}
	cond, err := load.Run(ctx, load.Options{URL: b.server.URL, Duration: b.duration, Clients: b.clients, Mix: load.Mix{1, 0, 0},
		Pages: b.viewPaths[:1], ViewHeader: http.Header{"If-None-Match": {etag}}, ViewStatus: http.StatusNotModified})
	if err != nil {
		return err
	}
	b.add(Row{What: fmt.Sprintf("conditional GET (If-None-Match → 304), %d clients", b.clients),
		Figure: fmt.Sprintf("%s req/s, %s; %d answered otherwise", num(cond.View.PerSecond, 0), latency(&cond.View), cond.View.Errors),
		Target: "304 answered", Met: met(cond.View.Errors == 0 && cond.View.Requests > 0), Reproduce: repro("views")})
	b.results["views"] = map[string]any{"ceiling_before": c1, "views": views, "ceiling_after": c2, "conditional": cond}
	return errors.Join(loadErr("ceiling", c1), loadErr("ceiling", c2), loadErr("page views", views), loadErr("conditional GETs", cond))
}

func uniq(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return slices.Compact(c)
}

// phaseSearch measures searches only, each query asked once.
func (b *bench) phaseSearch(ctx context.Context) error {
	b.logf("searches with distinct queries, %s", b.duration)
	before, err := b.metrics(ctx)
	if err != nil {
		return err
	}
	r, err := load.Run(ctx, load.Options{URL: b.server.URL, Duration: b.duration, Clients: b.clients, Mix: load.Mix{0, 1, 0}, Queries: b.queries})
	if err != nil {
		return err
	}
	after, err := b.metrics(ctx)
	if err != nil {
		return err
	}
	asked := fmt.Sprintf("%s distinct queries, none asked twice", num(float64(r.Queries), 0))
	if r.Repeated {
		asked = fmt.Sprintf("%s distinct queries, asked again in turn", num(float64(r.Queries), 0))
	}
	if st, ok := searchTimes(before, after); ok {
		asked += "; " + st.String()
	}
	b.add(Row{What: fmt.Sprintf("search over HTTP, distinct queries of every kind (%s), %d clients", strings.Join(wikitest.QueryKinds, ", "), b.clients),
		Figure: fmt.Sprintf("%s queries/s, %s (%s)", num(r.Search.PerSecond, 0), latency(&r.Search), asked),
		Target: "≥ 1,000 queries/s", Met: met(r.Search.PerSecond >= 1000), Reproduce: repro("search")})
	byKind, err := b.searchByKind(ctx)
	if err != nil {
		return err
	}
	b.results["search"] = map[string]any{"load": r, "by_kind": byKind}
	return loadErr("searches", r)
}

// kindLatency is how long one kind of query took, asked by one client.
type kindLatency struct {
	Kind                 string
	ServerP50, ServerP99 float64 // took_ms as the server reports it
	ClientP50, ClientP99 float64 // the whole request
	MedianHits           int     // pages a query finds
}

// searchByKind asks queries of each kind one at a time, from the end of
// the list (the loads take theirs from the start): the server's own time
// for each kind, without the queueing of a load.
func (b *bench) searchByKind(ctx context.Context) ([]kindLatency, error) {
	per := pick(b.quick, 10, 40)
	picked := map[string][]string{}
	for i := len(b.queryKinds) - 1; i >= 0; i-- {
		q := b.queryKinds[i]
		if len(picked[q.Kind]) < per {
			picked[q.Kind] = append(picked[q.Kind], q.Text)
		}
	}
	var out []kindLatency
	var parts []string
	var allHits []int
	worst50, worst99 := 0.0, 0.0
	for _, kind := range wikitest.QueryKinds {
		var server, client []time.Duration
		var hits []int
		for _, q := range picked[kind] {
			t0 := time.Now()
			_, body, err := b.mustGet(ctx, "/-/api/search?q="+url.QueryEscape(q))
			if err != nil {
				return nil, err
			}
			client = append(client, time.Since(t0))
			var res struct {
				TookMS float64 `json:"took_ms"`
				Total  int     `json:"total"`
			}
			if err := json.Unmarshal(body, &res); err != nil {
				return nil, fmt.Errorf("search %q: %w", q, err)
			}
			server = append(server, time.Duration(res.TookMS*float64(time.Millisecond)))
			hits = append(hits, res.Total)
		}
		if len(server) == 0 {
			continue
		}
		k := kindLatency{Kind: kind, ServerP50: msOf(percentile(server, 50)), ServerP99: msOf(percentile(server, 99)),
			ClientP50: msOf(percentile(client, 50)), ClientP99: msOf(percentile(client, 99)), MedianHits: median(hits)}
		out = append(out, k)
		allHits = append(allHits, hits...)
		parts = append(parts, fmt.Sprintf("%s %s / %s", kind, num(k.ServerP50, 2), num(k.ServerP99, 1)))
		worst50, worst99 = max(worst50, k.ServerP50), max(worst99, k.ServerP99)
	}
	b.add(Row{What: fmt.Sprintf("search over HTTP by kind of query, one client, %d queries each: server's took_ms p50 / p99 (ms)", per),
		Figure: strings.Join(parts, "; ") + fmt.Sprintf(" (a query finds %s pages on median: the generated text draws on %d words)", num(float64(median(allHits)), 0), wikitest.VocabularySize()), Target: "p50 < 2 ms, p99 < 15 ms", Met: met(worst50 < 2 && worst99 < 15), Reproduce: repro("search")})
	return out, nil
}

// phaseServices measures the service pages, which gather every runbook,
// postmortem and action item of a service, idle and while a writer saves
// five pages a second (each save may change what a service page shows).
func (b *bench) phaseServices(ctx context.Context) error {
	var pages []string
	for _, svc := range wikitest.Services {
		pages = append(pages, "/"+strings.TrimSuffix(wikitest.ServicePath(svc), ".md"))
	}
	kb, err := b.warm(ctx, pages)
	if err != nil {
		return err
	}
	opts := load.Options{URL: b.server.URL, Duration: b.duration, Clients: b.clients, Mix: load.Mix{1, 0, 0}, Pages: pages}
	b.logf("service pages idle, then with a writer, %s each", b.duration)
	idle, err := load.Run(ctx, opts)
	if err != nil {
		return err
	}
	wctx, stopWriter := context.WithCancel(ctx)
	var w writerStats
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w = b.backgroundWriter(wctx, 5) }()
	busy, err := load.Run(ctx, opts)
	stopWriter()
	wg.Wait()
	if err != nil {
		return err
	}
	ratio := idle.View.PerSecond / max(busy.View.PerSecond, 1e-9)
	b.add(Row{What: fmt.Sprintf("service pages (/services/<name>, %d services, %s KB on average), idle, %d clients", len(pages), num(kb, 0), b.clients),
		Figure: fmt.Sprintf("%s req/s, %s", num(idle.View.PerSecond, 0), latency(&idle.View)), Reproduce: repro("services")})
	b.add(Row{What: "service pages while a writer saves 5 pages a second",
		Figure: fmt.Sprintf("%s req/s (idle is %s× as fast), %s; writer: %d saves, %s/s, save p50 %s",
			num(busy.View.PerSecond, 0), num(ratio, 2), latency(&busy.View), w.Saves, num(w.Rate, 1), msec(w.P50)),
		Target: "within 2× of idle", Met: met(ratio <= 2), Reproduce: repro("services")})
	b.results["services"] = map[string]any{"idle": idle, "busy": busy, "writer": w}
	return errors.Join(loadErr("service pages, idle", idle), loadErr("service pages with a writer", busy), w.err)
}

// writerStats is what the background writer did.
type writerStats struct {
	Saves int     `json:"saves"`
	Rate  float64 `json:"per_second"`
	P50   float64 `json:"save_p50_ms"`
	Err   string  `json:"error,omitempty"`
	err   error
}

// backgroundWriter saves perSecond pages a second, each a page of the
// wiki with a line added, until ctx ends.
func (b *bench) backgroundWriter(ctx context.Context, perSecond int) writerStats {
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	defer tick.Stop()
	var w writerStats
	var lat []time.Duration
	start := time.Now()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			w.Rate = float64(w.Saves) / time.Since(start).Seconds()
			if len(lat) > 0 {
				slices.Sort(lat)
				w.P50 = float64(lat[len(lat)/2].Microseconds()) / 1000
			}
			if w.err != nil {
				w.Err = w.err.Error()
			}
			return w
		case <-tick.C:
		}
		name := strings.TrimPrefix(b.viewPaths[i%len(b.viewPaths)], "/")
		p, err := b.page(ctx, name)
		if err != nil {
			if ctx.Err() == nil && w.err == nil {
				w.err = fmt.Errorf("background writer: %w", err)
			}
			continue
		}
		t0 := time.Now()
		code, reply, err := b.put(ctx, name, p.Content+fmt.Sprintf("\nEdited in the background, save %d.\n", i), p.Blob, "Background edit")
		if ctx.Err() != nil {
			continue
		}
		if err != nil || code != http.StatusOK {
			if w.err == nil {
				w.err = fmt.Errorf("background writer: save %s: %d %v %.200s", name, code, err, reply)
			}
			continue
		}
		lat = append(lat, time.Since(t0))
		w.Saves++
	}
}

// phaseMixed measures the mixed load of SPEC §9: 90 % page views, 9 %
// searches, 1 % saves, then the server's memory and the garbage
// collector's share of its CPU during the load.
func (b *bench) phaseMixed(ctx context.Context) error {
	if _, err := b.warm(ctx, b.viewPaths); err != nil {
		return err
	}
	// The same mix without its saves, just before: what the saves cost
	// the readers is the difference between the two.
	b.logf("reads of the mixed load without its saves (90/9/0), %s", b.duration)
	reads, err := load.Run(ctx, load.Options{URL: b.server.URL, Duration: b.duration, Clients: b.clients, Mix: load.Mix{90, 9, 0},
		Pages: b.viewPaths, Queries: b.queries})
	if err != nil {
		return err
	}
	if err := loadErr("reads without saves", reads); err != nil {
		return err
	}
	before, beforeErr := b.metrics(ctx)
	b.logf("mixed load 90/9/1, %s", b.mixed)
	r, err := load.Run(ctx, load.Options{URL: b.server.URL, Duration: b.mixed, Clients: b.clients, Mix: load.Mix{90, 9, 1},
		Pages: b.viewPaths, Queries: b.queries})
	if err != nil {
		return err
	}
	after, afterErr := b.metrics(ctx)
	rss, peak, memErr := b.server.memory()

	noSaves := r.PerSecond / reads.PerSecond
	what := fmt.Sprintf("mixed load, 90 %% views, 9 %% searches, 1 %% saves, %d clients, %s", b.clients, b.mixed)
	b.add(Row{What: what, Figure: fmt.Sprintf("%s req/s = %s of the same views and searches without saves (%s req/s, %s); %d errors; %d of %d pages' acknowledged saves lost",
		num(r.PerSecond, 0), num(noSaves, 2), num(reads.PerSecond, 0), b.duration, r.Errors, r.Lost, r.Saved),
		Target: "≥ 0.5 of the reads without saves; no errors, no lost saves", Met: met(noSaves >= 0.5 && r.OK()), Reproduce: repro("mixed")})
	if b.viewsRPS > 0 {
		x := r.PerSecond / b.viewsRPS
		b.add(Row{What: "mixed load against page views only (no searches, no saves)", Figure: fmt.Sprintf("%s of %s req/s", num(x, 2), num(b.viewsRPS, 0)),
			Target: "≥ 0.5", Met: met(x >= 0.5), Reproduce: repro("views", "mixed")})
	}
	b.add(Row{What: "mixed load: page views", Figure: fmt.Sprintf("%s req/s, %s", num(r.View.PerSecond, 0), latency(&r.View)), Reproduce: repro("mixed")})
	searches := fmt.Sprintf("%s queries/s, %s", num(r.Search.PerSecond, 0), latency(&r.Search))
	if beforeErr == nil && afterErr == nil {
		if st, ok := searchTimes(before, after); ok {
			searches += "; " + st.String()
		}
	}
	b.add(Row{What: "mixed load: searches (distinct queries)", Figure: searches, Reproduce: repro("mixed")})
	b.add(Row{What: "mixed load: saves", Figure: fmt.Sprintf("%s saves/s, %s", num(r.Save.PerSecond, 1), latency(&r.Save)),
		Target: "p50 < 100 ms", Met: met(r.Save.Requests > 0 && r.Save.P50 < 100), Reproduce: repro("mixed")})
	res := map[string]any{"load": r, "reads_without_saves": reads}
	var errs []error
	if memErr == nil {
		limit := ""
		if l, ok := after["go_gc_gomemlimit_bytes"]; ok && afterErr == nil && l < 1<<50 {
			limit = fmt.Sprintf("; the server's Go memory limit is %s MB", num(l/(1<<20), 0))
		}
		b.add(Row{What: "resident memory of the server after the mixed load", Figure: fmt.Sprintf("%s MB (peak %s MB)%s", num(rss, 0), num(peak, 0), limit),
			Target: "< 300 MB", Met: met(rss < 300), Reproduce: repro("mixed")})
		res["rss_mb"], res["peak_rss_mb"] = rss, peak
	} else {
		errs = append(errs, memErr)
	}
	if err := errors.Join(beforeErr, afterErr); err != nil {
		errs = append(errs, err)
	} else if gc, err := gcShare(before, after); err != nil {
		b.add(Row{What: "GC share of the server's CPU during the mixed load", Figure: "not reported: " + err.Error(), Target: "< 15 %", Reproduce: repro("mixed")})
	} else {
		b.add(Row{What: "GC share of the server's CPU during the mixed load",
			Figure: fmt.Sprintf("%s %% (%s of %s CPU seconds; process CPU %s s; %s collections, %s a second)", num(100*gc.Share(), 1), num(gc.GC, 1),
				num(gc.Used, 1), num(gc.Process, 1), num(gc.Cycles, 0), num(gc.Cycles/b.mixed.Seconds(), 1)),
			Target: "< 15 %", Met: met(gc.Share() < 0.15), Reproduce: repro("mixed")})
		res["gc"] = gc
	}
	b.results["mixed"] = res
	return errors.Join(append(errs, loadErr("mixed load", r))...)
}

// metrics reads the server's /metrics.
func (b *bench) metrics(ctx context.Context) (map[string]float64, error) {
	_, body, err := b.mustGet(ctx, "/metrics")
	if err != nil {
		return nil, err
	}
	return parseMetrics(strings.NewReader(string(body)))
}

func median(n []int) int {
	if len(n) == 0 {
		return 0
	}
	slices.Sort(n)
	return n[len(n)/2]
}
