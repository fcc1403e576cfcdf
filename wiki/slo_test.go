package wiki_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

// mustCatalog returns a catalog following a new repository of files, and
// the repository, for commits that change it.
func mustCatalog(tb testing.TB, files map[string]string) (*wiki.Catalog, func(map[string]string)) {
	tb.Helper()
	s := MustStore(tb, files)
	cat := wiki.NewCatalog()
	f := MustFollow(tb, s, cat)
	mustSync(tb, f)
	return cat, func(files map[string]string) {
		tb.Helper()
		MustCommitFiles(tb, s, files)
		mustSync(tb, f)
	}
}

// problemAt reports whether ps has a problem of severity sev at line
// whose message contains text.
func problemAt(ps []wiki.Problem, sev wiki.Severity, line int, text string) bool {
	return slices.ContainsFunc(ps, func(p wiki.Problem) bool {
		return p.Severity == sev && p.Line == line && strings.Contains(p.Message, text)
	})
}

func TestParseSLOs(t *testing.T) {
	for _, tt := range []struct {
		name, slo string
		target    float64
		span      time.Duration
		events    int64
		sev       wiki.Severity // of the problem expected at line 4, "" for none
		problem   string
	}{
		{name: "Percent", slo: "objective: \"99.9%\"\n    window: 30d", target: 0.999, span: 30 * 24 * time.Hour},
		{name: "PercentInSentence", slo: "objective: \"99.95% of minutes with the primary up\"\n    window: 4w", target: 0.9995, span: 28 * 24 * time.Hour},
		{name: "SentenceFirst", slo: "objective: checkout succeeds for 99.5 % of requests\n    window: 28d", target: 0.995, span: 28 * 24 * time.Hour},
		{name: "Fraction", slo: "objective: 0.999\n    window: 28d", target: 0.999, span: 28 * 24 * time.Hour},
		{name: "NumberAsPercent", slo: "objective: 99.9\n    window: 28d", target: 0.999, span: 28 * 24 * time.Hour},
		{name: "Events", slo: "objective: 99.9%\n    window: 30d\n    events: 1_000_000", target: 0.999, span: 30 * 24 * time.Hour, events: 1000000},
		{name: "Hundred", slo: "objective: 100%\n    window: 28d", span: 28 * 24 * time.Hour, sev: wiki.SeverityError, problem: "below 100%"},
		{name: "Zero", slo: "objective: 0%\n    window: 28d", span: 28 * 24 * time.Hour, sev: wiki.SeverityError, problem: "above 0%"},
		{name: "One", slo: "objective: 1\n    window: 28d", span: 28 * 24 * time.Hour, sev: wiki.SeverityError, problem: "below 100%"},
		{name: "NoNumber", slo: "objective: most requests succeed\n    window: 28d", span: 28 * 24 * time.Hour, sev: wiki.SeverityWarning, problem: "names no percentage"},
		{name: "ErrorRate", slo: "objective: errors below 0.1%\n    window: 28d", span: 28 * 24 * time.Hour, sev: wiki.SeverityWarning, problem: "below 50%"},
		{name: "BadWindow", slo: "objective: 99%\n    window: a month", target: 0.99, sev: wiki.SeverityError, problem: "is not an interval"},
		{name: "TinyWindow", slo: "objective: 99%\n    window: 30s", target: 0.99, sev: wiki.SeverityError, problem: "outside 1h to 366d"},
		{name: "HugeWindow", slo: "objective: 99%\n    window: 2y", target: 0.99, sev: wiki.SeverityError, problem: "outside 1h to 366d"},
		{name: "MonthWindow", slo: "objective: 99%\n    window: 1m", target: 0.99, span: 30 * 24 * time.Hour},
		{name: "BadEvents", slo: "objective: 99%\n    window: 28d\n    events: many", target: 0.99, span: 28 * 24 * time.Hour, sev: wiki.SeverityError, problem: "whole number of events"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The key being checked is on line 4 (objective) or the line after.
			d := wiki.ParseDocument("services/a.md", []byte("---\nslos:\n  - name: avail\n    "+tt.slo+"\n---\n"))
			if len(d.Meta.SLOs) != 1 {
				t.Fatalf("SLOs = %+v, problems %+v", d.Meta.SLOs, d.Problems)
			}
			s := d.Meta.SLOs[0]
			if math.Abs(s.Target-tt.target) > 1e-12 || s.Span != tt.span || s.Events != tt.events || s.Line != 3 {
				t.Errorf("SLO = %+v; want target %v, span %v, events %d, line 3", s, tt.target, tt.span, tt.events)
			}
			var got []wiki.Problem
			for _, p := range d.Problems {
				if p.Field != "owner" {
					got = append(got, p)
				}
			}
			if tt.sev == "" {
				if len(got) > 0 {
					t.Errorf("problems %+v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Severity != tt.sev || got[0].Line < 4 || !strings.Contains(got[0].Message, tt.problem) {
				t.Errorf("problems %+v; want one %s at line 4 or after saying %q", got, tt.sev, tt.problem)
			}
		})
	}
	t.Run("NamesAndMissingKeys", func(t *testing.T) {
		d := wiki.ParseDocument("services/a.md", []byte("---\nowner: x\nslos:\n  - name: a\n    objective: 99%\n    window: 28d\n"+
			"  - name: A\n    objective: 99%\n  - objective: 99%\n  - name: x/y\n  - name: nowindow\n    objective: 99%\n  - name: noobjective\n    window: 28d\n---\n"))
		if names := len(d.Meta.SLOs); names != 3 {
			t.Errorf("%d SLOs kept: %+v", names, d.Meta.SLOs)
		}
		for _, w := range []struct {
			sev  wiki.Severity
			line int
			text string
		}{
			{wiki.SeverityError, 7, `SLO "A" is listed twice`},
			{wiki.SeverityError, 9, "needs a name"},
			{wiki.SeverityError, 10, "has a /"},
			{wiki.SeverityWarning, 11, "has no window"},
			{wiki.SeverityWarning, 13, "has no objective"},
		} {
			if !problemAt(d.Problems, w.sev, w.line, w.text) {
				t.Errorf("no %s at line %d saying %q: %+v", w.sev, w.line, w.text, d.Problems)
			}
		}
	})
}

func TestParseSLOImpact(t *testing.T) {
	for _, tt := range []struct {
		name, impact string
		want         wiki.SLOImpact
		problem      string // an error at line 3
	}{
		{name: "Minutes", impact: "slo: availability\n    minutes: 20", want: wiki.SLOImpact{SLO: "availability", Minutes: 20, Line: 3}},
		{name: "Fractional", impact: "slo: api/availability\n    minutes: 7.5", want: wiki.SLOImpact{SLO: "api/availability", Minutes: 7.5, Line: 3}},
		{name: "Duration", impact: "slo: a\n    minutes: 1h 30m", want: wiki.SLOImpact{SLO: "a", Minutes: 90, Line: 3}},
		{name: "Events", impact: "slo: a\n    bad_events: 600\n    total_events: 6000", want: wiki.SLOImpact{SLO: "a", BadEvents: 600, TotalEvents: 6000, ByEvents: true, Line: 3}},
		{name: "NoSLO", impact: "minutes: 20", problem: "needs slo"},
		{name: "NoAmount", impact: "slo: a", problem: "say how much"},
		{name: "Both", impact: "slo: a\n    minutes: 20\n    bad_events: 5", problem: "not both"},
		{name: "TotalAlone", impact: "slo: a\n    minutes: 20\n    total_events: 5", problem: "total_events goes with bad_events"},
		{name: "MoreBadThanTotal", impact: "slo: a\n    bad_events: 50\n    total_events: 5", problem: "more than total_events"},
		{name: "NegativeMinutes", impact: "slo: a\n    minutes: -3", problem: "number of minutes"},
		{name: "FractionalEvents", impact: "slo: a\n    bad_events: 2.5", problem: "whole number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := wiki.ParseDocument("postmortems/x.md", []byte("---\nslo_impact:\n  - "+tt.impact+"\n---\n"))
			errs := d.Errors()
			if tt.problem == "" {
				if len(errs) > 0 || len(d.Meta.SLOImpact) != 1 || d.Meta.SLOImpact[0] != tt.want {
					t.Errorf("impact %+v, errors %+v; want %+v", d.Meta.SLOImpact, errs, tt.want)
				}
				return
			}
			if len(d.Meta.SLOImpact) != 0 || !slices.ContainsFunc(errs, func(p wiki.Problem) bool {
				return p.Line >= 3 && p.Line <= 5 && strings.Contains(p.Message, tt.problem)
			}) {
				t.Errorf("impact %+v, errors %+v; want an error saying %q", d.Meta.SLOImpact, errs, tt.problem)
			}
		})
	}
	t.Run("NotAList", func(t *testing.T) {
		d := wiki.ParseDocument("postmortems/x.md", []byte("---\nslo_impact: 20\n---\n"))
		if !problemAt(d.Problems, wiki.SeverityError, 2, "must be a list") {
			t.Errorf("problems %+v", d.Problems)
		}
	})
	t.Run("UnknownKey", func(t *testing.T) {
		d := wiki.ParseDocument("postmortems/x.md", []byte("---\nslo_impact:\n  - slo: a\n    minutes: 3\n    minuets: 4\n---\n"))
		if !problemAt(d.Problems, wiki.SeverityWarning, 5, `unknown key "minuets"`) || len(d.Meta.SLOImpact) != 1 {
			t.Errorf("problems %+v", d.Problems)
		}
	})
	t.Run("OnARunbook", func(t *testing.T) {
		d := wiki.ParseDocument("runbooks/x.md", []byte("---\nowner: a\nslo_impact:\n  - {slo: a, minutes: 3}\n---\n"))
		if !problemAt(d.Problems, wiki.SeverityWarning, 3, "read on postmortems only") {
			t.Errorf("problems %+v", d.Problems)
		}
	})
}

// budgetNow is when the budget tests look: windows of 30 days end here.
var budgetNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// budgetWiki has a service with three SLOs and postmortems spending them.
// Hand-computed: availability, 99.9% over 30d, is (1 - 0.999) x 43,200 =
// 43.2 minutes a window; latency, 99% over 4w, 0.01 x 40,320 = 403.2;
// requests, 99.9% of 1,000,000 events, 1,000 events.
var budgetWiki = map[string]string{
	"services/api.md": `---
owner: team-api
slos:
  - name: availability
    objective: 99.9%
    window: 30d
  - name: latency
    objective: "99% of requests within 300 ms"
    window: 4w
  - name: requests
    objective: 0.999
    window: 30d
    events: 1000000
---
`,
	"services/web.md": "---\nowner: team-web\nslos:\n  - {name: availability, objective: 99.5%, window: 30d}\n---\n",
	// The current availability window is [2026-10-22 12:00, 2026-11-21 12:00): 20 + 30 minutes.
	"postmortems/a.md": "---\nservices: [api]\nstarted: 2026-11-01T10:00:00Z\nslo_impact:\n  - {slo: availability, minutes: 20}\n---\n",
	"postmortems/b.md": "---\nservices: [api]\ndetected: 2026-11-10T08:00:00Z\nslo_impact:\n  - slo: api/availability\n    minutes: 30\n  - slo: requests\n    bad_events: 250\n---\n",
	// The latency window of 28 days starts at 2026-10-24 12:00: an incident
	// starting on that instant is in it, one a minute before is in the one before.
	"postmortems/boundary.md": "---\nservices: [api]\nstarted: 2026-10-24T12:00:00Z\nslo_impact:\n  - {slo: latency, minutes: 10}\n---\n",
	"postmortems/before.md":   "---\nservices: [api]\nstarted: 2026-10-24T11:59:00Z\nslo_impact:\n  - {slo: latency, minutes: 7}\n---\n",
	// 600 of 6,000 requests failed over 20 minutes: 10% of 20 = 2 minutes.
	"postmortems/events.md": "---\nservices: [api]\nstarted: 2026-11-15T00:00:00Z\nmitigated: 2026-11-15T00:20:00Z\nslo_impact:\n  - {slo: latency, bad_events: 600, total_events: 6000}\n---\n",
	// 43.2 minutes of outage of an SLO counting 1,000,000 events in 43,200
	// minutes: 1,000 events.
	"postmortems/outage.md": "---\nservices: [api]\nstarted: 2026-11-16T00:00:00Z\nslo_impact:\n  - {slo: requests, minutes: 43.2}\n---\n",
	// Cannot be placed: no time at all.
	"postmortems/undated.md": "---\nservices: [api]\nslo_impact:\n  - {slo: availability, minutes: 15}\n---\n",
	// Reach no SLO: unknown, ambiguous, a service it does not list, bad
	// events of a minutes SLO without their total.
	"postmortems/unknown.md": "---\nservices: [api, web]\nstarted: 2026-11-02T00:00:00Z\nslo_impact:\n  - {slo: throughput, minutes: 5}\n" +
		"  - {slo: availability, minutes: 5}\n  - {slo: db/availability, minutes: 5}\n  - {slo: api/latency, bad_events: 5}\n---\n",
	// A drill in the window never spends a budget.
	"drills/game-day.md": "---\nservices: [api]\ndate: 2026-11-05\nstarted: 2026-11-05T10:00:00Z\nresolved: 2026-11-05T11:00:00Z\nslo_impact:\n  - {slo: availability, minutes: 100}\n---\n",
}

func TestBudgets(t *testing.T) {
	cat, _ := mustCatalog(t, budgetWiki)
	g := cat.Graph()
	n, ok := g.Service("api")
	if !ok {
		t.Fatal("no service api")
	}
	var pms []*wiki.PageInfo
	for _, p := range append(n.Postmortems, "drills/game-day.md") {
		pi, _ := cat.Page(p)
		pms = append(pms, pi)
	}
	budgets := g.Budgets("api", pms, budgetNow)
	if len(budgets) != 3 {
		t.Fatalf("%d budgets", len(budgets))
	}
	day := 24 * time.Hour
	type win struct {
		spent, remaining, percent float64
		spends                    []wiki.Path
	}
	for _, tt := range []struct {
		name      string
		amount    float64
		from      time.Time
		windows   []win
		notPlaced []wiki.Path
	}{
		{name: "availability", amount: 43.2, from: budgetNow.Add(-30 * day),
			windows:   []win{{50, -6.8, 115.740741, []wiki.Path{"postmortems/a.md", "postmortems/b.md"}}, {0, 43.2, 0, nil}, {0, 43.2, 0, nil}, {0, 43.2, 0, nil}},
			notPlaced: []wiki.Path{"postmortems/undated.md"}},
		{name: "latency", amount: 403.2, from: budgetNow.Add(-28 * day),
			windows:   []win{{12, 391.2, 2.976190, []wiki.Path{"postmortems/boundary.md", "postmortems/events.md"}}, {7, 396.2, 1.736111, []wiki.Path{"postmortems/before.md"}}, {0, 403.2, 0, nil}, {0, 403.2, 0, nil}},
			notPlaced: []wiki.Path{"postmortems/unknown.md"}},
		{name: "requests", amount: 1000, from: budgetNow.Add(-30 * day),
			windows: []win{{1250, -250, 125, []wiki.Path{"postmortems/b.md", "postmortems/outage.md"}}, {0, 1000, 0, nil}, {0, 1000, 0, nil}, {0, 1000, 0, nil}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			i := slices.IndexFunc(budgets, func(b wiki.Budget) bool { return b.SLO.Name == tt.name })
			if i < 0 {
				t.Fatalf("no budget for %s", tt.name)
			}
			b := budgets[i]
			if b.Amount != tt.amount || len(b.Windows) != wiki.BudgetWindows || !b.Windows[0].From.Equal(tt.from) || !b.Windows[0].To.Equal(budgetNow) {
				t.Fatalf("budget %v over %d windows, current from %v to %v; want %v from %v to %v", b.Amount, len(b.Windows), b.Windows[0].From, b.Windows[0].To, tt.amount, tt.from, budgetNow)
			}
			for j, w := range tt.windows {
				got := b.Windows[j]
				var paths []wiki.Path
				for _, sp := range got.Spends {
					paths = append(paths, sp.Postmortem.Path)
				}
				if got.Spent != w.spent || got.Remaining() != w.remaining || math.Abs(got.PercentSpent()-w.percent) > 1e-6 || !slices.Equal(paths, w.spends) {
					t.Errorf("window %d: spent %v, remaining %v, %.6f%% by %v; want %v, %v, %.6f%% by %v",
						j, got.Spent, got.Remaining(), got.PercentSpent(), paths, w.spent, w.remaining, w.percent, w.spends)
				}
				if j > 0 && !got.To.Equal(b.Windows[j-1].From) {
					t.Errorf("window %d ends %v, not where window %d starts", j, got.To, j-1)
				}
			}
			var notPlaced []wiki.Path
			for _, sp := range b.NotPlaced {
				notPlaced = append(notPlaced, sp.Postmortem.Path)
				if sp.Reason == "" {
					t.Errorf("%s not placed without a reason", sp.Postmortem.Path)
				}
			}
			if !slices.Equal(notPlaced, tt.notPlaced) {
				t.Errorf("not placed %v, want %v", notPlaced, tt.notPlaced)
			}
		})
	}
	t.Run("ReasonsNotPlaced", func(t *testing.T) {
		avail, latency := budgets[0].NotPlaced, budgets[1].NotPlaced
		if len(avail) != 1 || !strings.Contains(avail[0].Reason, "no started, detected or resolved") || avail[0].Amount != 15 {
			t.Errorf("availability: not placed %+v", avail)
		}
		if len(latency) != 1 || !strings.Contains(latency[0].Reason, "total_events") {
			t.Errorf("latency: not placed %+v", latency)
		}
	})
	t.Run("ImpactsThatReachNoSLO", func(t *testing.T) {
		ps := wiki.Problems(mustDoc(t, cat, "postmortems/unknown.md"), g.BrokenOf("postmortems/unknown.md"), budgetNow)
		for _, w := range []struct {
			line int
			text string
		}{
			{5, `none of this postmortem's services has an SLO named "throughput"`},
			{6, `more than one of this postmortem's services has an SLO named "availability"`},
			{7, `"db" is not among this postmortem's services`},
			{8, "that SLO counts minutes; give total_events"},
		} {
			if !problemAt(ps, wiki.SeverityWarning, w.line, w.text) {
				t.Errorf("no warning at line %d saying %q: %+v", w.line, w.text, ps)
			}
		}
		// A preview of the same text (not on main) gets the same answers.
		d := mustDoc(t, cat, "postmortems/unknown.md")
		if got := wiki.Problems(d, cat.Broken(d), budgetNow); len(got) != len(ps) {
			t.Errorf("preview problems %+v, main's %+v", got, ps)
		}
	})
	t.Run("DrillsSpendNothing", func(t *testing.T) {
		d := mustDoc(t, cat, "drills/game-day.md")
		if !problemAt(d.Problems, wiki.SeverityWarning, 6, "drills spend no error budget") {
			t.Errorf("drill problems %+v", d.Problems)
		}
		if bs := g.Budgets("api", []*wiki.PageInfo{mustPage(t, cat, "drills/game-day.md")}, budgetNow); bs[0].Windows[0].Spent != 0 || len(bs[0].NotPlaced) != 0 {
			t.Errorf("a drill spent %+v", bs[0])
		}
	})
	t.Run("NoSLOs", func(t *testing.T) {
		if bs := g.Budgets("db", pms, budgetNow); bs != nil {
			t.Errorf("budgets of a service without a page: %+v", bs)
		}
	})
}

func mustPage(tb testing.TB, cat *wiki.Catalog, p wiki.Path) *wiki.PageInfo {
	tb.Helper()
	pi, ok := cat.Page(p)
	if !ok {
		tb.Fatalf("no page %s", p)
	}
	return pi
}

func mustDoc(tb testing.TB, cat *wiki.Catalog, p wiki.Path) *wiki.Document {
	tb.Helper()
	return mustPage(tb, cat, p).Doc
}

// Renaming an SLO makes the impacts naming it warnings, in the graph of
// that commit, without the postmortem changing; renaming it back clears
// them.
func TestBudgetsFollowSLOChanges(t *testing.T) {
	cat, commit := mustCatalog(t, map[string]string{
		"services/api.md":  "---\nowner: a\nslos:\n  - {name: availability, objective: 99.9%, window: 30d}\n---\n",
		"postmortems/a.md": "---\nservices: [api]\nstarted: 2026-11-01T10:00:00Z\nslo_impact:\n  - {slo: availability, minutes: 20}\n---\n",
	})
	warned := func() bool {
		return slices.ContainsFunc(cat.Graph().BrokenOf("postmortems/a.md"), func(b wiki.BrokenRef) bool { return b.Problem().Field == "slo_impact" })
	}
	spent := func() float64 {
		return cat.Graph().Budgets("api", []*wiki.PageInfo{mustPage(t, cat, "postmortems/a.md")}, budgetNow)[0].Windows[0].Spent
	}
	if warned() || spent() != 20 {
		t.Fatalf("before: warned %v, spent %v", warned(), spent())
	}
	commit(map[string]string{"services/api.md": "---\nowner: a\nslos:\n  - {name: uptime, objective: 99.9%, window: 30d}\n---\n"})
	if !warned() || spent() != 0 {
		t.Errorf("after the rename: warned %v, spent %v", warned(), spent())
	}
	commit(map[string]string{"services/api.md": "---\nowner: a\nslos:\n  - {name: Availability, objective: 99.9%, window: 30d}\n---\n"})
	if warned() || spent() != 20 {
		t.Errorf("after renaming back: warned %v, spent %v", warned(), spent())
	}
}
