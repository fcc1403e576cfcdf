package wiki_test

import (
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

func pm(t *testing.T, front string) *wiki.PageInfo {
	t.Helper()
	d := wiki.ParseDocument("postmortems/x.md", []byte("---\n"+front+"---\n"))
	if errs := d.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	return &wiki.PageInfo{Path: d.Path, Meta: d.Meta, Doc: d}
}

func TestSummarize(t *testing.T) {
	m := time.Minute
	for _, tt := range []struct {
		in                []time.Duration
		mean, median, p90 time.Duration
	}{
		{[]time.Duration{10 * m}, 10 * m, 10 * m, 10 * m},
		{[]time.Duration{10 * m, 20 * m}, 15 * m, 15 * m, 20 * m},
		// 1..10 minutes: mean 5.5, median (5+6)/2, p90 nearest rank = 9th = 9.
		{[]time.Duration{3 * m, 1 * m, 2 * m, 10 * m, 4 * m, 5 * m, 6 * m, 7 * m, 8 * m, 9 * m}, 5*m + 30*time.Second, 5*m + 30*time.Second, 9 * m},
	} {
		s := wiki.Summarize(tt.in, 0)
		if s.Count != len(tt.in) || s.Mean != tt.mean || s.Median != tt.median || s.P90 != tt.p90 {
			t.Errorf("Summarize(%v) = %+v, want mean %v median %v p90 %v", tt.in, s, tt.mean, tt.median, tt.p90)
		}
	}
	if s := wiki.Summarize(nil, 3); s.Count != 0 || s.LeftOut != 3 || s.Mean != 0 {
		t.Errorf("empty = %+v", s)
	}
}

func TestReliability(t *testing.T) {
	pms := []*wiki.PageInfo{
		// A: detect 10m, ack 5m, mitigate 30m, resolve 60m.
		pm(t, "started: 2026-01-01T10:00:00Z\ndetected: 2026-01-01T10:10:00Z\nacknowledged: 2026-01-01T10:15:00Z\nmitigated: 2026-01-01T10:30:00Z\nresolved: 2026-01-01T11:00:00Z\n"),
		// B: no detected: left out of TTD and TTA; resolve 120m.
		pm(t, "started: 2026-01-03T11:00:00Z\nresolved: 2026-01-03T13:00:00Z\n"),
		// C: detect 20m; no resolved: left out of TTR and of the gap after it.
		pm(t, "started: 2026-01-10T00:00:00Z\ndetected: 2026-01-10T00:20:00Z\n"),
		// D: only resolved: placed in the window by it, every span left out.
		pm(t, "resolved: 2026-01-20T00:00:00Z\n"),
		// E: outside the window.
		pm(t, "started: 2026-03-01T00:00:00Z\nresolved: 2026-03-01T01:00:00Z\n"),
		// F: no timestamps at all.
		pm(t, "incident: INC-9\n"),
		// G: imported keys (start_time/end_time) count too: resolve 90m.
		pm(t, "start_time: 2026-01-25T00:00:00Z\nend_time: 2026-01-25T01:30:00Z\n"),
	}
	r := wiki.ComputeReliability("svc", pms, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	if len(r.Incidents) != 5 || r.Undatable != 1 {
		t.Fatalf("incidents %d, undatable %d; want 5 and 1", len(r.Incidents), r.Undatable)
	}
	check := func(name string, s wiki.Stat, count, left int, mean time.Duration) {
		t.Helper()
		if s.Count != count || s.LeftOut != left || s.Mean != mean {
			t.Errorf("%s = %+v, want count %d left out %d mean %v", name, s, count, left, mean)
		}
	}
	check("TTD", r.TTD, 2, 3, 15*time.Minute)
	check("TTA", r.TTA, 1, 4, 5*time.Minute)
	check("TTM", r.TTM, 1, 4, 30*time.Minute)
	check("TTR", r.TTR, 3, 2, 90*time.Minute)
	// Gaps by start: A(01-01)→B(01-03): 01-03 11:00 − 01-01 11:00 = 48h.
	// B→C: 01-10 00:00 − 01-03 13:00 = 155h. C→D: C has no resolved; D no
	// started: left out. D→G: D resolved 01-20, G started 01-25: 120h.
	check("MTBF", r.MTBF, 3, 1, (48+155+120)*time.Hour/3)
}
