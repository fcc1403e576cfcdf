package main

import "testing"

const benchOutput = `goos: linux
goarch: amd64
pkg: github.com/opswiki/opswiki/search
cpu: AMD EPYC
BenchmarkSearch/term-2         	     300	    612345 ns/op	         0.4100 cpu-ms/op	        12.00 hits/op	         0.4800 p50-ms	         2.600 p99-ms
BenchmarkSearch/parallel-64-2  	     300	     90000 ns/op	         1.100 p50-ms	         9.000 p99-ms	     11000 queries/s
BenchmarkSearch/parallel-64-incident-2 	     300	     20000 ns/op	     50000 queries/s
    bench_test.go:140: built 10000 pages in 6s
BenchmarkHistoryBuild-2   	       5	 600000000 ns/op	        31.00 heap-MB
BenchmarkBroken-2 	 12 	 notanumber ns/op
PASS
ok  	github.com/opswiki/opswiki/search	42.1s
`

func TestParseBench(t *testing.T) {
	lines := parseBench([]byte(benchOutput), 2)
	if len(lines) != 4 {
		t.Fatalf("%d lines: %+v", len(lines), lines)
	}
	tests := []struct {
		name   string
		n      int
		metric string
		want   float64
	}{
		{"BenchmarkSearch/term", 300, "p99-ms", 2.6},
		{"BenchmarkSearch/parallel-64", 300, "queries/s", 11000},
		{"BenchmarkSearch/parallel-64-incident", 300, "queries/s", 50000},
		{"BenchmarkHistoryBuild", 5, "heap-MB", 31},
	}
	for _, tt := range tests {
		l, ok := find(lines, tt.name)
		if !ok || l.N != tt.n || l.Metrics[tt.metric] != tt.want {
			t.Errorf("%s: %+v (found %v), want N %d and %s %v", tt.name, l, ok, tt.n, tt.metric, tt.want)
		}
	}
	// With one core go test adds no suffix, and names ending in a
	// number keep it.
	one := parseBench([]byte("BenchmarkSearch/parallel-64 \t 10\t 5 ns/op\n"), 1)
	if _, ok := find(one, "BenchmarkSearch/parallel-64"); !ok {
		t.Errorf("%+v", one)
	}
	worst, shape := worstOf(lines, "BenchmarkSearch/", "p99-ms")
	if worst != 9 || shape != "parallel-64" {
		t.Errorf("worstOf = %v %q", worst, shape)
	}
	if w, _ := worstOf(lines, "BenchmarkNone/", "p99-ms"); w >= 0 {
		t.Errorf("worstOf of nothing = %v", w)
	}
}

func TestGoBenchCommand(t *testing.T) {
	if got, want := benchHistory(false).Command(), "go test ./wiki/gitstore -run '^$' -bench 'HistoryBuild|PageHistory' -benchtime 5x"; got != want {
		t.Errorf("%s, want %s", got, want)
	}
}
