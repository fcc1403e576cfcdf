package main

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opswiki/opswiki/wiki"
)

// metrics are what /metrics reports: request latency by route, search
// latency, how far each derived view lags behind main, commits written,
// push outcomes, and the Go runtime's own.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.HistogramVec
	search   prometheus.Histogram
	commits  *prometheus.CounterVec
	pushes   *prometheus.CounterVec
}

func newMetrics(f *wiki.Follower) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "opswiki_http_request_duration_seconds",
		Help: "HTTP requests by route pattern, method and status.", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}},
		[]string{"route", "method", "code"})
	m.search = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "opswiki_search_duration_seconds",
		Help: "Time the search index took to answer a query.", Buckets: []float64{.0005, .001, .002, .005, .01, .015, .025, .05, .1, .25, 1}})
	m.commits = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opswiki_commits_total",
		Help: "Commits the server wrote, by operation."}, []string{"op"})
	m.pushes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opswiki_pushes_total",
		Help: "git pushes received, by outcome."}, []string{"outcome"})
	views := []string{"pages", "search", "history"}
	for _, name := range views {
		name := name
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "opswiki_view_pending_changes",
			Help: "Changes a derived view still has to apply to reflect main (index lag).", ConstLabels: prometheus.Labels{"view": name}},
			func() float64 { return viewLag(f, name) }))
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "opswiki_view_ready",
			Help: "1 when the view reflects main.", ConstLabels: prometheus.Labels{"view": name}},
			func() float64 { return viewReady(f, name) }))
	}
	m.reg.MustRegister(m.requests, m.search, m.commits, m.pushes,
		// The CPU classes say how much of the process's CPU the garbage
		// collector takes (go_cpu_classes_gc_total_cpu_seconds_total
		// against go_cpu_classes_total_cpu_seconds_total).
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/cpu/classes/`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func viewLag(f *wiki.Follower, name string) float64 {
	for _, st := range f.Status() {
		if st.Name == name && !st.Ready {
			return float64(max(st.Total-st.Done, 1))
		}
	}
	return 0
}

func viewReady(f *wiki.Follower, name string) float64 {
	for _, st := range f.Status() {
		if st.Name == name && st.Ready {
			return 1
		}
	}
	return 0
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

func (m *metrics) observeRequest(route, method string, status int, took time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Observe(took.Seconds())
}

// timedSearcher reports each query's latency.
type timedSearcher struct {
	wiki.Searcher
	m *metrics
}

func (t timedSearcher) Search(ctx context.Context, req wiki.SearchRequest) (*wiki.SearchResult, error) {
	start := time.Now()
	res, err := t.Searcher.Search(ctx, req)
	t.m.search.Observe(time.Since(start).Seconds())
	return res, err
}

// countingStore counts the commits the server writes.
type countingStore struct {
	wiki.Store
	m *metrics
}

func (s countingStore) Commit(ctx context.Context, req wiki.CommitRequest) (wiki.Commit, error) {
	c, err := s.Store.Commit(ctx, req)
	if err == nil {
		op := "write"
		if len(req.Changes) == 1 && req.Changes[0].Delete {
			op = "delete"
		}
		s.m.commits.WithLabelValues(op).Inc()
	}
	return c, err
}
