package main

import (
	"math"
	"strings"
	"testing"
)

const metricsText = `# HELP go_cpu_classes_gc_total_cpu_seconds_total Estimated total CPU time spent performing GC tasks.
# TYPE go_cpu_classes_gc_total_cpu_seconds_total counter
go_cpu_classes_gc_total_cpu_seconds_total 1.5
go_cpu_classes_idle_cpu_seconds_total 20
go_cpu_classes_total_cpu_seconds_total 40
go_gc_duration_seconds{quantile="0.5"} 0.000274038
opswiki_http_request_duration_seconds_bucket{code="200",method="GET",route="/*",le="+Inf"} 1234
opswiki_view_ready{view="search index"} 1
process_cpu_seconds_total 18.5 1700000000000
`

func TestParseMetrics(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(metricsText))
	if err != nil {
		t.Fatal(err)
	}
	for series, want := range map[string]float64{
		metricGCCPU: 1.5, metricTotalCPU: 40, metricIdleCPU: 20, metricProcCPU: 18.5,
		`go_gc_duration_seconds{quantile="0.5"}`:                                                     0.000274038,
		`opswiki_http_request_duration_seconds_bucket{code="200",method="GET",route="/*",le="+Inf"}`: 1234,
		`opswiki_view_ready{view="search index"}`:                                                    1,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("%s = %v (%v), want %v", series, got, ok, want)
		}
	}
	for _, bad := range []string{"go_goroutines twelve\n", "lonely\n", `x{a="b"}` + "\n"} {
		if _, err := parseMetrics(strings.NewReader(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestGCShare(t *testing.T) {
	before := map[string]float64{metricGCCPU: 1, metricTotalCPU: 10, metricIdleCPU: 5, metricProcCPU: 4}
	after := map[string]float64{metricGCCPU: 3, metricTotalCPU: 50, metricIdleCPU: 25, metricProcCPU: 24}
	g, err := gcShare(before, after)
	if err != nil {
		t.Fatal(err)
	}
	if g.GC != 2 || g.Used != 20 || g.Process != 20 || math.Abs(g.Share()-0.1) > 1e-9 {
		t.Errorf("%+v share %v", g, g.Share())
	}
	delete(after, metricGCCPU)
	if _, err := gcShare(before, after); err == nil || !strings.Contains(err.Error(), "WithGoCollectorRuntimeMetrics") {
		t.Errorf("missing runtime metrics: %v", err)
	}
	if (gcCPU{}).Share() != 0 {
		t.Error("share of nothing")
	}
}

func TestSearchTimes(t *testing.T) {
	before := map[string]float64{metricSearchCount: 100, metricSearchSum: 0.5, metricSearch15ms: 90}
	after := map[string]float64{metricSearchCount: 300, metricSearchSum: 1.5, metricSearch15ms: 240}
	st, ok := searchTimes(before, after)
	if !ok || st.Queries != 200 || math.Abs(st.MeanMS-5) > 1e-9 || math.Abs(st.Over15ms-0.25) > 1e-9 {
		t.Errorf("%+v %v", st, ok)
	}
	if got := st.String(); got != "in the index (server's histogram): mean 5 ms, 25 % over 15 ms" {
		t.Errorf("%q", got)
	}
	if _, ok := searchTimes(after, after); ok {
		t.Error("no queries, yet times")
	}
	if _, ok := searchTimes(nil, map[string]float64{}); ok {
		t.Error("no histogram, yet times")
	}
}
