package main

import (
	"strings"
	"testing"
)

func TestWriteMarkdown(t *testing.T) {
	m := Machine{CPU: "AMD EPYC", Cores: 2, Go: "go1.26.8 linux/amd64", Commit: "4db8001", LoadBefore: "1.00 0.50 0.25",
		LoadAfter: "2.00 1.00 0.50", Date: "2026-11-28 12:00 UTC", Command: "go run ./cmd/opswiki-bench -quick"}
	rows := []Row{
		{What: "page view", Figure: "36,661 req/s", Target: "≥ 0.3 of the ceiling", Met: met(true), Reproduce: repro("views")},
		{What: "memory", Figure: "310 MB", Target: "< 300 MB", Met: met(false), Reproduce: repro("mixed")},
		{What: "ceiling | reference", Figure: "a\nb", Reproduce: "go test ./x -bench 'A|B'"},
	}
	var out strings.Builder
	writeMarkdown(&out, m, rows, []string{"mixed: 3 failed requests"})
	got := out.String()
	for _, want := range []string{
		"Machine: AMD EPYC, 2 cores; go1.26.8 linux/amd64; opswiki at 4db8001",
		"Load average (1, 5, 15 min): 1.00 0.50 0.25 before, 2.00 1.00 0.50 after; 2026-11-28 12:00 UTC",
		"Command: `go run ./cmd/opswiki-bench -quick`",
		"| what | figure | target | met | reproduce |\n| --- | --- | --- | --- | --- |\n",
		"| page view | 36,661 req/s | ≥ 0.3 of the ceiling | yes | `go run ./cmd/opswiki-bench -only views` |\n",
		"| memory | 310 MB | < 300 MB | no | `go run ./cmd/opswiki-bench -only mixed` |\n",
		"| ceiling \\| reference | a b | — | — | `go test ./x -bench 'A\\|B'` |\n",
		"1 phase(s) failed:\n- mixed: 3 failed requests\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
	// Every table line has the same number of cells.
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "|") {
			if n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); n != 6 {
				t.Errorf("%d separators in %q", n, line)
			}
		}
	}
}

func TestNum(t *testing.T) {
	tests := []struct {
		v        float64
		decimals int
		want     string
	}{
		{36661.4, 0, "36,661"},
		{1234567, 0, "1,234,567"},
		{999, 0, "999"},
		{1.50, 2, "1.5"},
		{0.09, 2, "0.09"},
		{2, 2, "2"},
		{-1234.5, 1, "-1,234.5"},
		{0, 1, "0"},
	}
	for _, tt := range tests {
		if got := num(tt.v, tt.decimals); got != tt.want {
			t.Errorf("num(%v, %d) = %q, want %q", tt.v, tt.decimals, got, tt.want)
		}
	}
	for v, want := range map[float64]string{0.126: "0.13 ms", 13.14: "13.1 ms", 1234: "1,234 ms"} {
		if got := msec(v); got != want {
			t.Errorf("msec(%v) = %q, want %q", v, got, want)
		}
	}
	for v, want := range map[float64]string{0.771: "0.77 s", 12.84: "12.8 s"} {
		if got := sec(v); got != want {
			t.Errorf("sec(%v) = %q, want %q", v, got, want)
		}
	}
	for ns, want := range map[float64]string{13000: "13 µs", 160000: "160 µs", 1.6e6: "1.6 ms", 6e8: "600 ms", 2.5e9: "2.5 s"} {
		if got := dur(ns); got != want {
			t.Errorf("dur(%v) = %q, want %q", ns, got, want)
		}
	}
}

func TestConfigure(t *testing.T) {
	tests := []struct {
		name  string
		b     *bench
		only  string
		extra int
		ok    bool
	}{
		{"All", &bench{pages: 10000, commits: 3000, clients: 64, viewPages: 200}, "", 0, true},
		{"Some", &bench{pages: 200, commits: 60, clients: 8, viewPages: 10}, "views, mixed,graph", 0, true},
		{"UnknownPhase", &bench{pages: 200, commits: 60, clients: 8, viewPages: 10}, "views,speed", 0, false},
		{"TinyWiki", &bench{pages: 2, commits: 1, clients: 8, viewPages: 10}, "", 0, false},
		{"NoClients", &bench{pages: 200, commits: 60, clients: 0, viewPages: 10}, "", 0, false},
		{"Arguments", &bench{pages: 200, commits: 60, clients: 8, viewPages: 10}, "", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.b.configure(tt.extra, tt.only)
			if (err == nil) != tt.ok {
				t.Fatalf("configure: %v", err)
			}
			if !tt.ok {
				return
			}
			if tt.b.duration != 15e9 || tt.b.mixed != 60e9 {
				t.Errorf("durations %s, %s", tt.b.duration, tt.b.mixed)
			}
			if tt.only == "" && len(tt.b.only) != len(httpPhases)+len(goPhases) {
				t.Errorf("phases %v", tt.b.only)
			}
			if tt.only != "" && (!tt.b.only["mixed"] || !tt.b.only["graph"] || tt.b.only["search"] || !tt.b.needsServer()) {
				t.Errorf("phases %v", tt.b.only)
			}
		})
	}
	quick := bench{pages: 200, commits: 60, clients: 8, viewPages: 10, quick: true}
	if err := quick.configure(0, "graph"); err != nil || quick.duration != 3e9 || quick.mixed != 10e9 || quick.needsServer() {
		t.Errorf("quick: %v %s %s %v", err, quick.duration, quick.mixed, quick.needsServer())
	}
}

func TestRunFlags(t *testing.T) {
	for _, args := range [][]string{{"-only", "nothing"}, {"-clients", "x"}, {"extra"}} {
		var stderr strings.Builder
		if code := run(t.Context(), args, &strings.Builder{}, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2; %s", args, code, stderr.String())
		}
	}
}
