package wiki_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

// BenchmarkBudgets computes the budgets of a service with three SLOs and
// 1,000 postmortems spending them, as its page does on every request:
// every 3 hours (all but 100 in the windows shown), or every 2 days (60 in
// them, the rest over the five years before).
func BenchmarkBudgets(b *testing.B) {
	for _, every := range []time.Duration{3 * time.Hour, 48 * time.Hour} {
		b.Run("Every"+every.String(), func(b *testing.B) { benchmarkBudgets(b, every) })
	}
}

func benchmarkBudgets(b *testing.B, every time.Duration) {
	files := map[string]string{"services/api.md": budgetWiki["services/api.md"]}
	for i := range 1000 {
		started := budgetNow.Add(-time.Duration(i) * every)
		files[fmt.Sprintf("postmortems/p%04d.md", i)] = fmt.Sprintf("---\nservices: [api]\nstarted: %s\nslo_impact:\n  - {slo: availability, minutes: 3}\n  - {slo: requests, bad_events: 10}\n---\n",
			started.Format(time.RFC3339))
	}
	cat, _ := mustCatalog(b, files)
	g := cat.Graph()
	n, _ := g.Service("api")
	pms := make([]*wiki.PageInfo, 0, len(n.Postmortems))
	for _, p := range n.Postmortems {
		pms = append(pms, mustPage(b, cat, p))
	}
	b.ReportAllocs()
	for b.Loop() {
		if bs := g.Budgets("api", pms, budgetNow); len(bs) != 3 {
			b.Fatal(len(bs))
		}
	}
}

// BenchmarkDrillIndex builds the index of what 200 drills exercised among
// 1,000 runbooks (by path and by alert), as the first runbook view after
// a commit does, and then looks one up, as every later one does.
func BenchmarkDrillIndex(b *testing.B) {
	files := map[string]string{}
	for i := range 1000 {
		files[fmt.Sprintf("runbooks/r%04d.md", i)] = fmt.Sprintf("---\nowner: a\nalerts: [Alert%d]\n---\n# Runbook %d\n", i, i)
	}
	for i := range 200 {
		files[fmt.Sprintf("drills/d%03d.md", i)] = fmt.Sprintf("---\ndate: 2026-11-%02d\nrunbooks: [runbooks/r%04d, Alert%d]\n---\n", 1+i%28, i*5, i*5+1)
	}
	cat, commit := mustCatalog(b, files)
	b.Run("Build", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			b.StopTimer()
			i++
			commit(map[string]string{"other.md": fmt.Sprintf("# %d\n", i)}) // a new graph, whose index is made on first use
			b.StartTimer()
			if len(cat.Exercises("runbooks/r0005.md")) != 1 {
				b.Fatal("no exercise")
			}
		}
	})
	b.Run("Lookup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if when, _ := cat.LastExercised("runbooks/r0006.md", drillNow); when.IsZero() {
				b.Fatal("not exercised")
			}
		}
	})
}
