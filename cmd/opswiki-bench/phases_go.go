package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// The in-process benchmarks of the packages, run with go test -bench.
var (
	benchSearch = func(quick bool) goBench {
		return goBench{Pkg: "./search", Pattern: "BenchmarkSearch/", Benchtime: pick(quick, "50x", "300x")}
	}
	benchHistory = func(quick bool) goBench {
		return goBench{Pkg: "./wiki/gitstore", Pattern: "HistoryBuild|PageHistory", Benchtime: pick(quick, "2x", "5x")}
	}
	benchRender  = goBench{Pkg: "./wiki/markdown", Pattern: "Pathological", Benchtime: "1x"}
	benchPreview = goBench{Pkg: "./wiki/web", Pattern: "PreviewPathological", Benchtime: "1x"}
	benchGraph   = func(quick bool) goBench {
		return goBench{Pkg: "./wiki", Pattern: "BenchmarkGraph", Benchtime: pick(quick, "3x", "10x")}
	}
	benchAlerting = func(quick bool) goBench {
		return goBench{Pkg: "./cmd/opswiki", Pattern: "BenchmarkAlertmanagerWebhook", Benchtime: pick(quick, "100x", "400x")}
	}
	benchUpstream = func(quick bool) goBench {
		return goBench{Pkg: "./cmd/opswiki", Pattern: "BenchmarkUpstream", Benchtime: pick(quick, "10x", "100x")}
	}
	benchPhone = func(quick bool) goBench {
		return goBench{Pkg: "./cmd/opswiki", Pattern: "BenchmarkPhoneFirstPaint", Benchtime: pick(quick, "5x", "20x")}
	}
)

// searchKinds are the query kinds of BenchmarkSearch reported, as the API
// asks them: with facets, but for as-you-type suggestions.
var searchKinds = []string{"term", "term-common", "two-terms", "words", "phrase", "ident", "alert", "alert-lower",
	"filter", "filter-text", "fuzzy", "fuzzy-new", "prefix", "suggest-nofacets"}

// phaseSearchKinds reports search latency per kind of query, and queries
// per second from 64 goroutines, on the search package's own generated
// 10,000-page index.
func (b *bench) phaseSearchKinds(ctx context.Context) error {
	g := benchSearch(b.quick)
	lines, err := b.goTest(ctx, g)
	if err != nil {
		return err
	}
	var parts []string
	worst50, worst99 := 0.0, 0.0
	var worst99Kind string
	for _, k := range searchKinds {
		l, ok := find(lines, "BenchmarkSearch/"+k)
		if !ok {
			return fmt.Errorf("%s reported no %s", g.Command(), k)
		}
		p50, p99 := l.Metrics["p50-ms"], l.Metrics["p99-ms"]
		parts = append(parts, fmt.Sprintf("%s %s / %s", k, num(p50, 2), num(p99, 1)))
		worst50 = max(worst50, p50)
		if p99 > worst99 {
			worst99, worst99Kind = p99, k
		}
	}
	b.add(Row{What: "search latency by kind of query, in process, 10,000 generated pages (p50 / p99 ms)",
		Figure: strings.Join(parts, "; ") + fmt.Sprintf("; worst p99 %s (%s)", msec(worst99), worst99Kind),
		Target: "p50 < 2 ms, p99 < 15 ms", Met: met(worst50 < 2 && worst99 < 15), Reproduce: g.Command()})
	par, ok1 := find(lines, "BenchmarkSearch/parallel-64")
	inc, ok2 := find(lines, "BenchmarkSearch/parallel-64-incident")
	if ok1 && ok2 {
		b.add(Row{What: "search in process, 64 goroutines: every query computed; the same few queries (result cache)",
			Figure: fmt.Sprintf("%s queries/s, p99 %s; %s queries/s", num(par.Metrics["queries/s"], 0), msec(par.Metrics["p99-ms"]), num(inc.Metrics["queries/s"], 0)),
			Target: "≥ 1,000 queries/s", Met: met(par.Metrics["queries/s"] >= 1000), Reproduce: g.Command()})
	}
	if mem, ok := find(lines, "BenchmarkSearch/memory"); ok {
		b.add(Row{What: "search index of 10,000 pages in memory after every kind of query (the test process that also generated and indexed them; no memory limit)",
			Figure: fmt.Sprintf("%s MB resident, %s MB heap", num(mem.Metrics["MB-RSS"], 0), num(mem.Metrics["MB-heap"], 0)), Reproduce: g.Command()})
	}
	b.results["search-kinds"] = lines
	return nil
}

// phaseHistory reports per-page history on a 10,000-commit repository.
func (b *bench) phaseHistory(ctx context.Context) error {
	g := benchHistory(b.quick)
	lines, err := b.goTest(ctx, g)
	if err != nil {
		return err
	}
	build, ok1 := find(lines, "BenchmarkHistoryBuild")
	all, ok2 := find(lines, "BenchmarkPageHistory/HotAll")
	newest, ok3 := find(lines, "BenchmarkPageHistory/Hot50")
	page, ok4 := find(lines, "BenchmarkPageHistory/Page")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return fmt.Errorf("%s did not report HistoryBuild and PageHistory/Page, Hot50, HotAll", g.Command())
	}
	worst := max(all.Metrics["ns/op"], newest.Metrics["ns/op"], page.Metrics["ns/op"])
	b.add(Row{What: "per-page history, 10,000-commit repository, in process",
		Figure: fmt.Sprintf("%s for a page's 999 revisions, %s for its newest 50, %s for an ordinary page; index built in %s (%s MB heap)",
			dur(all.Metrics["ns/op"]), dur(newest.Metrics["ns/op"]), dur(page.Metrics["ns/op"]), dur(build.Metrics["ns/op"]), num(build.Metrics["heap-MB"], 0)),
		Target: "< 100 ms", Met: met(worst < 100e6), Reproduce: g.Command()})
	b.results["history"] = lines
	return nil
}

// dur formats nanoseconds.
func dur(ns float64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		return sec(d.Seconds())
	case d >= time.Millisecond:
		return msec(ns / 1e6)
	default:
		return num(ns/1e3, 1) + " µs"
	}
}

// worstOf finds the highest value of a metric among benchmarks whose
// names start with prefix, and the shape (the last name element) it was.
func worstOf(lines []benchLine, prefix, metric string) (float64, string) {
	worst, shape := -1.0, ""
	for _, l := range lines {
		if v, ok := l.Metrics[metric]; ok && strings.HasPrefix(l.Name, prefix) && v > worst {
			worst, shape = v, l.Name[strings.LastIndexByte(l.Name, '/')+1:]
		}
	}
	return worst, shape
}

// phasePathological reports the worst CPU time and allocation of one
// request on the pathological corpus: rendered as a page view, and sent
// to the preview API of a real server.
func (b *bench) phasePathological(ctx context.Context) error {
	render, err := b.goTest(ctx, benchRender)
	if err != nil {
		return err
	}
	cpu, cpuShape := worstOf(render, "BenchmarkPathological/Default/", "worst-cpu-ms")
	alloc, allocShape := worstOf(render, "BenchmarkPathological/Default/", "worst-alloc-MB")
	bcpu, bcpuShape := worstOf(render, "BenchmarkPathological/AtBudget/", "worst-cpu-ms")
	balloc, ballocShape := worstOf(render, "BenchmarkPathological/AtBudget/", "worst-alloc-MB")
	if cpu < 0 || bcpu < 0 {
		return fmt.Errorf("%s reported no Default or AtBudget shapes", benchRender.Command())
	}
	b.add(Row{What: "pathological markdown, rendered as a page view, in process: worst of any shape",
		Figure: fmt.Sprintf("full size: %s CPU (%s), %s MB allocated (%s); largest size rendered rather than shown as text: %s CPU (%s), %s MB (%s)",
			msec(cpu), cpuShape, num(alloc, 1), allocShape, msec(bcpu), bcpuShape, num(balloc, 1), ballocShape),
		Target: "< 2 s CPU and < 64 MB per request", Met: met(max(cpu, bcpu) < 2000 && max(alloc, balloc) < 64), Reproduce: benchRender.Command()})
	preview, err := b.goTest(ctx, benchPreview)
	if err != nil {
		return err
	}
	pcpu, pcpuShape := worstOf(preview, "BenchmarkPreviewPathological/", "worst-cpu-ms")
	palloc, pallocShape := worstOf(preview, "BenchmarkPreviewPathological/", "worst-alloc-MB")
	if pcpu < 0 {
		return fmt.Errorf("%s reported no shapes", benchPreview.Command())
	}
	b.add(Row{What: "pathological markdown sent to `POST /-/api/preview` of a real server: worst of any shape",
		Figure: fmt.Sprintf("%s CPU (%s), %s MB allocated (%s), client and server", msec(pcpu), pcpuShape, num(palloc, 1), pallocShape),
		Target: "< 2 s CPU and < 64 MB per request", Met: met(pcpu < 2000 && palloc < 64), Reproduce: benchPreview.Command()})
	b.results["pathological"] = map[string]any{"render": render, "preview": preview}
	return nil
}

// phaseGraph reports deriving the operational graph.
func (b *bench) phaseGraph(ctx context.Context) error {
	g := benchGraph(b.quick)
	lines, err := b.goTest(ctx, g)
	if err != nil {
		return err
	}
	one, ok1 := find(lines, "BenchmarkGraph/one-page-commit-10k")
	build, ok2 := find(lines, "BenchmarkGraph/build-10k")
	if !ok1 || !ok2 {
		return fmt.Errorf("%s did not report build-10k and one-page-commit-10k", g.Command())
	}
	b.add(Row{What: "operational graph of 10,000 pages, in process: update for a commit changing one page; built from scratch",
		Figure: fmt.Sprintf("%s; %s", dur(one.Metrics["ns/op"]), dur(build.Metrics["ns/op"])), Reproduce: g.Command()})
	b.results["graph"] = lines
	return nil
}

// phasePhone reports a runbook opened from an alert link on a phone with
// a cold cache, in Chromium, beside a static page.
func (b *bench) phasePhone(ctx context.Context) error {
	g := benchPhone(b.quick)
	what := "runbook opened from an alert link on a phone (Chromium, 390×844, cold cache, median of the runs): first contentful paint from the click, bytes transferred; a static 1 KB page from a bare net/http server in the same run"
	if !haveChromium() {
		b.add(Row{What: what, Figure: "not measured: Chromium is not installed (apt-get install chromium)", Reproduce: g.Command()})
		return nil
	}
	lines, err := b.goTest(ctx, g)
	if err != nil {
		return err
	}
	l, ok := find(lines, "BenchmarkPhoneFirstPaint")
	if !ok {
		return fmt.Errorf("%s reported nothing", g.Command())
	}
	m := l.Metrics
	b.add(Row{What: what,
		Figure: fmt.Sprintf("%s ms, %s KB (page, style sheet, scripts, compressed); static page %s ms, %s KB",
			num(m["alert-fcp-ms"], 0), num(m["alert-KB"], 1), num(m["static-fcp-ms"], 0), num(m["static-KB"], 1)),
		Target: "< 150 ms, < 25 KB", Met: met(m["alert-fcp-ms"] < 150 && m["alert-KB"] < 25), Reproduce: g.Command()})
	b.results["phone"] = lines
	return nil
}

// haveChromium reports whether a Chromium the browser tests can drive is
// installed.
func haveChromium() bool {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if _, err := exec.LookPath(name); err == nil {
			return true
		}
	}
	return false
}

// phaseAlerting reports Alertmanager's webhook: notifications taken per
// second, and how soon a firing alert's banner shows on its runbook.
func (b *bench) phaseAlerting(ctx context.Context) error {
	g := benchAlerting(b.quick)
	lines, err := b.goTest(ctx, g)
	if err != nil {
		return err
	}
	l, ok := find(lines, "BenchmarkAlertmanagerWebhook")
	if !ok {
		return fmt.Errorf("%s reported nothing", g.Command())
	}
	m := l.Metrics
	b.add(Row{What: "Alertmanager webhook of a real server: notifications of 10 alerts, 8 senders at once, each changing what fires (kept on disk before the answer); from a notification accepted to its banner on the runbook (20 times)",
		Figure: fmt.Sprintf("%s notifications/s; banner p50 %s ms, slowest %s ms", num(m["notifications/s"], 0), num(m["banner-p50-ms"], 1), num(m["banner-max-ms"], 1)),
		Target: "banner < 1 s", Met: met(m["banner-max-ms"] < 1000), Reproduce: g.Command()})
	b.results["alerting"] = lines
	return nil
}

// phaseUpstream reports a wiki writing through to a git host on loopback:
// save latency, and a push to the host until searchable on the wiki.
func (b *bench) phaseUpstream(ctx context.Context) error {
	g := benchUpstream(b.quick)
	lines, err := b.goTest(ctx, g)
	if err != nil {
		return err
	}
	get := func(name string) (map[string]float64, error) {
		l, ok := find(lines, "BenchmarkUpstream/"+name)
		if !ok {
			return nil, fmt.Errorf("%s reported no %s", g.Command(), name)
		}
		return l.Metrics, nil
	}
	save, err := get("save")
	if err != nil {
		return err
	}
	local, err := get("save-local")
	if err != nil {
		return err
	}
	gitPush, err := get("git-push")
	if err != nil {
		return err
	}
	hook, err := get("searchable-webhook")
	if err != nil {
		return err
	}
	poll, err := get("searchable-poll")
	if err != nil {
		return err
	}
	b.add(Row{What: "save with a git host as upstream on loopback (git http-backend; the save is pushed there before it is answered), 300-page repository; the same wiki without an upstream; the same change pushed by git itself to that host",
		Figure: fmt.Sprintf("p50 %s, p99 %s; without: p50 %s, p99 %s; git push: p50 %s, p99 %s", msec(save["p50-ms"]), msec(save["p99-ms"]),
			msec(local["p50-ms"]), msec(local["p99-ms"]), msec(gitPush["p50-ms"]), msec(gitPush["p99-ms"])),
		Reproduce: g.Command()})
	b.add(Row{What: "push to the git host → searchable on the wiki: by the host's webhook; by the poll (--upstream-poll 1s, pushes at random moments)",
		Figure:    fmt.Sprintf("webhook p50 %s, p99 %s; poll p50 %s, p99 %s", msec(hook["p50-ms"]), msec(hook["p99-ms"]), msec(poll["p50-ms"]), msec(poll["p99-ms"])),
		Reproduce: g.Command()})
	b.results["upstream"] = lines
	return nil
}
