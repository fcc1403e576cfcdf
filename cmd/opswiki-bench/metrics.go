package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Series of the Go runtime's CPU accounting (runtime/metrics
// /cpu/classes/...), which /metrics has when the server registers the Go
// collector with runtime metrics. total is GOMAXPROCS × wall time, idle
// included.
const (
	metricGCCPU    = "go_cpu_classes_gc_total_cpu_seconds_total"
	metricTotalCPU = "go_cpu_classes_total_cpu_seconds_total"
	metricIdleCPU  = "go_cpu_classes_idle_cpu_seconds_total"
	metricProcCPU  = "process_cpu_seconds_total"
)

// parseMetrics reads the Prometheus text format into values by series,
// written as in the text: name, or name{labels} for labelled series.
func parseMetrics(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		// The value follows the series; label values may hold spaces, so
		// the series ends at the closing brace when there is one.
		series, rest := line, ""
		if i := strings.LastIndexByte(line, '}'); i >= 0 && strings.IndexByte(line, '{') >= 0 {
			series, rest = line[:i+1], strings.TrimSpace(line[i+1:])
		} else if i := strings.IndexAny(line, " \t"); i >= 0 {
			series, rest = line[:i], strings.TrimSpace(line[i+1:])
		}
		value, _, _ := strings.Cut(rest, " ") // a timestamp may follow
		v, err := strconv.ParseFloat(value, 64)
		if err != nil || series == "" {
			return nil, fmt.Errorf("metrics line %d: %q is not a sample", n, line)
		}
		out[series] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	return out, nil
}

// gcCPU is the garbage collector's share of the CPU the server used
// between two readings of /metrics.
type gcCPU struct {
	GC, Used, Process float64 // CPU seconds: collector, all of Go's, process (from the OS)
	Cycles            float64 // collections
}

// Share is GC over Used, 0 to 1.
func (g gcCPU) Share() float64 {
	if g.Used <= 0 {
		return 0
	}
	return g.GC / g.Used
}

// gcShare computes the collector's share between two readings. It fails
// when the server does not report the runtime's CPU classes.
func gcShare(before, after map[string]float64) (gcCPU, error) {
	for _, name := range []string{metricGCCPU, metricTotalCPU, metricIdleCPU} {
		if _, ok := after[name]; !ok {
			return gcCPU{}, fmt.Errorf("/metrics has no %s: the server must register collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/cpu/classes/`)})) in cmd/opswiki/metrics.go", name)
		}
	}
	d := func(name string) float64 { return after[name] - before[name] }
	return gcCPU{GC: d(metricGCCPU), Used: d(metricTotalCPU) - d(metricIdleCPU), Process: d(metricProcCPU), Cycles: d(metricGCCycles)}, nil
}

// Series of the search latency histogram and the collector's cycles.
const (
	metricSearchSum   = "opswiki_search_duration_seconds_sum"
	metricSearchCount = "opswiki_search_duration_seconds_count"
	metricSearch15ms  = `opswiki_search_duration_seconds_bucket{le="0.015"}`
	metricGCCycles    = "go_gc_duration_seconds_count"
)

// searchTime is the time the search index took to answer the queries
// between two readings of /metrics, as the server measures it.
type searchTime struct {
	Queries  float64 `json:"queries"`
	MeanMS   float64 `json:"mean_ms"`
	Over15ms float64 `json:"share_over_15ms"`
}

// searchTimes reads it; ok is false when no query was answered or the
// server does not report the histogram.
func searchTimes(before, after map[string]float64) (searchTime, bool) {
	n := after[metricSearchCount] - before[metricSearchCount]
	if _, ok := after[metricSearchCount]; !ok || n <= 0 {
		return searchTime{}, false
	}
	fast := after[metricSearch15ms] - before[metricSearch15ms]
	return searchTime{Queries: n, MeanMS: 1000 * (after[metricSearchSum] - before[metricSearchSum]) / n, Over15ms: 1 - fast/n}, true
}

// String describes it for the table.
func (s searchTime) String() string {
	return fmt.Sprintf("in the index (server's histogram): mean %s, %s %% over 15 ms", msec(s.MeanMS), num(100*s.Over15ms, 1))
}
