package wiki_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

// drillNow is when the drill tests look.
var drillNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// drillWiki has runbooks exercised in several ways:
//   - r1: last_exercised 2026-10-01 in its front matter; drill d1 (2026-09-01,
//     by path) is older, d2 (2026-11-02, by alert) newer, d3 (2026-12-01) is
//     planned.
//   - r2: only d1 (by title), 2026-09-01.
//   - r3: never.
//   - r4: only its front matter, 2026-11-10, newer than d2 naming it too.
var drillWiki = map[string]string{
	"runbooks/r1.md": "---\nowner: a\nalerts: [DiskFull]\nservices: [a, d]\nlast_exercised: 2026-10-01\n---\n# R1\n",
	"runbooks/r2.md": "---\nowner: a\nservices: [d]\n---\n# Disk slow\n",
	"runbooks/r3.md": "---\nowner: a\nservices: [b, c]\n---\n# R3\n",
	"runbooks/r4.md": "---\nowner: a\nservices: [e]\nlast_exercised: 2026-11-10\n---\n# R4\n",
	"drills/d1.md":   "---\ndate: 2026-09-01\nrunbooks: [runbooks/r1, Disk slow, NoSuchThing]\n---\n",
	"drills/d2.md":   "---\nstarted: 2026-11-02T10:00:00Z\nrunbooks: [diskfull, \"[[runbooks/r4]]\"]\naction_items:\n  - {id: D-1, title: Fix the runbook, status: open}\n---\n",
	"drills/d3.md":   "---\ndate: 2026-12-01\nrunbooks: [runbooks/r1.md]\n---\n",
	// Tier-1 services (under the settings' drill_every 90d) and others.
	"services/a.md": "---\nowner: x\ntier: \"1\"\n---\n",      // r1: drilled 2026-11-02
	"services/b.md": "---\nowner: x\ntier: tier-1\n---\n",     // r3: never
	"services/c.md": "---\nowner: x\ntier: \"2\"\n---\n",      // r3: not tier 1
	"services/d.md": "---\nowner: x\ndrill_every: 30d\n---\n", // own interval: r2 too old
	"services/e.md": "---\nowner: x\ntier: critical\ndrill_every: off\n---\n",
}

func TestLastExercised(t *testing.T) {
	cat, _ := mustCatalog(t, drillWiki)
	for _, tt := range []struct {
		runbook wiki.Path
		when    string
		drill   wiki.Path
	}{
		{"runbooks/r1.md", "2026-11-02", "drills/d2.md"},
		{"runbooks/r2.md", "2026-09-01", "drills/d1.md"},
		{"runbooks/r3.md", "", ""},
		{"runbooks/r4.md", "2026-11-10", ""},
	} {
		t.Run(string(tt.runbook), func(t *testing.T) {
			when, drill := cat.LastExercised(tt.runbook, drillNow)
			got, gotDrill := "", wiki.Path("")
			if !when.IsZero() {
				got = when.Format(time.DateOnly)
			}
			if drill != nil {
				gotDrill = drill.Path
			}
			if got != tt.when || gotDrill != tt.drill {
				t.Errorf("LastExercised = %q by %q; want %q by %q", got, gotDrill, tt.when, tt.drill)
			}
		})
	}
	t.Run("PlannedDrillCountsFromItsDate", func(t *testing.T) {
		when, drill := cat.LastExercised("runbooks/r1.md", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
		if drill == nil || drill.Path != "drills/d3.md" || !when.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("after the planned date: %v by %v", when, drill)
		}
	})
	t.Run("Exercises", func(t *testing.T) {
		var got []wiki.Path
		for _, e := range cat.Exercises("runbooks/r1.md") {
			got = append(got, e.Drill.Path)
		}
		if want := []wiki.Path{"drills/d3.md", "drills/d2.md", "drills/d1.md"}; !slices.Equal(got, want) {
			t.Errorf("exercises of r1 %v, want newest first %v", got, want)
		}
	})
}

func TestDrillsFollowCommits(t *testing.T) {
	cat, commit := mustCatalog(t, map[string]string{
		"runbooks/r1.md": "---\nowner: a\n---\n# R1\n",
	})
	if when, _ := cat.LastExercised("runbooks/r1.md", drillNow); !when.IsZero() {
		t.Fatalf("exercised %v before any drill", when)
	}
	commit(map[string]string{"drills/x.md": "---\ndate: 2026-11-01\nrunbooks: [runbooks/r1]\n---\n"})
	if when, drill := cat.LastExercised("runbooks/r1.md", drillNow); drill == nil || when.Format(time.DateOnly) != "2026-11-01" {
		t.Errorf("after a drill: %v by %v", when, drill)
	}
	commit(map[string]string{"drills/x.md": "---\ndate: 2026-11-03\nrunbooks: [runbooks/r1]\n---\n"})
	if when, _ := cat.LastExercised("runbooks/r1.md", drillNow); when.Format(time.DateOnly) != "2026-11-03" {
		t.Errorf("after the drill's date changed: %v", when)
	}
	commit(map[string]string{"drills/x.md": ""})
	if when, drill := cat.LastExercised("runbooks/r1.md", drillNow); !when.IsZero() || drill != nil {
		t.Errorf("after the drill was deleted: %v by %v", when, drill)
	}
}

func TestDrillProblems(t *testing.T) {
	files := map[string]string{string(wiki.SettingsPath): "drill_every: 90d\n"}
	for k, v := range drillWiki {
		files[k] = v
	}
	cat, _ := mustCatalog(t, files)
	ps := wiki.Report(cat, drillNow)
	var drills []wiki.Problem
	for _, p := range ps {
		if p.Field == "drill_every" || p.Field == "runbooks" && strings.HasPrefix(string(p.Path), "drills/") {
			drills = append(drills, p)
		}
	}
	for _, w := range []struct {
		path wiki.Path
		line int
		text string
	}{
		{"services/b.md", 3, `runbook "R3" (runbooks/r3) of service b was never drilled; drills are due every 90d (drill_every of .opswiki.yaml for tier-1 services)`},
		{"services/d.md", 3, `runbook "Disk slow" (runbooks/r2) of service d was last drilled 2026-09-01, more than 30d ago (its drill_every)`},
		{"drills/d1.md", 3, `runbooks: "NoSuchThing" names no page and no alert`},
	} {
		if !problemAt(drills, wiki.SeverityWarning, w.line, w.text) || !slices.ContainsFunc(drills, func(p wiki.Problem) bool { return p.Path == w.path && strings.Contains(p.Message, w.text) }) {
			t.Errorf("no warning on %s:%d saying %q in %+v", w.path, w.line, w.text, drills)
		}
	}
	if len(drills) != 3 {
		t.Errorf("%d drill warnings, want 3 (a and d's r1 drilled recently, c not tier 1, e off): %+v", len(drills), drills)
	}
	t.Run("NoSettings", func(t *testing.T) {
		cat, _ := mustCatalog(t, drillWiki)
		var got []string
		for _, p := range wiki.Report(cat, drillNow) {
			if p.Field == "drill_every" {
				got = append(got, string(p.Path))
			}
		}
		// Without drill_every in the settings only d, with its own, is checked.
		if !slices.Equal(got, []string{"services/d.md"}) {
			t.Errorf("drill warnings on %v", got)
		}
	})
}

func TestIsTier1(t *testing.T) {
	for tier, want := range map[string]bool{"1": true, "tier-1": true, "Tier 1": true, "tier_1": true, "T1": true, "0": true, "critical": true,
		"2": false, "tier-2": false, "": false, "10": false, "high": false} {
		if got := wiki.IsTier1(tier); got != want {
			t.Errorf("IsTier1(%q) = %v, want %v", tier, got, want)
		}
	}
}

func TestParseDrills(t *testing.T) {
	for _, tt := range []struct {
		name, path, front string
		sev               wiki.Severity
		line              int
		text              string
	}{
		{"BadDate", "drills/x.md", "date: 2026-13-45\nrunbooks: [a]\n", wiki.SeverityError, 2, `date: "2026-13-45" is not a date`},
		{"NoDate", "drills/x.md", "runbooks: [a]\n", wiki.SeverityWarning, 1, "a drill needs a date"},
		{"NoRunbooks", "drills/x.md", "date: 2026-11-01\n", wiki.SeverityWarning, 1, "name the runbooks this drill exercised"},
		{"TimesOutOfOrder", "drills/x.md", "date: 2026-11-01\nrunbooks: [a]\nstarted: 2026-11-01T10:00:00Z\nresolved: 2026-11-01T09:00:00Z\n", wiki.SeverityWarning, 5, "is before started"},
		{"DrillEveryOnARunbook", "runbooks/x.md", "owner: a\ndrill_every: 90d\n", wiki.SeverityWarning, 3, "drill_every is read on service pages only"},
		{"BadDrillEvery", "services/x.md", "owner: a\ndrill_every: often\n", wiki.SeverityError, 3, "is not an interval"},
		{"HourlyDrills", "services/x.md", "owner: a\ndrill_every: 12h\n", wiki.SeverityError, 3, "less than a day"},
		{"LastExercisedOnAService", "services/x.md", "owner: a\nlast_exercised: 2026-11-01\n", wiki.SeverityWarning, 3, "read on runbook pages only"},
		{"BadLastExercised", "runbooks/x.md", "owner: a\nlast_exercised: soon\n", wiki.SeverityError, 3, "is not a date"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := wiki.ParseDocument(wiki.Path(tt.path), []byte("---\n"+tt.front+"---\n"))
			if !problemAt(d.Problems, tt.sev, tt.line, tt.text) {
				t.Errorf("no %s at line %d saying %q: %+v", tt.sev, tt.line, tt.text, d.Problems)
			}
		})
	}
	t.Run("Keys", func(t *testing.T) {
		d := wiki.ParseDocument("drills/x.md", []byte("---\ndate: 2026-11-02\nrunbooks: [runbooks/a]\nparticipants: [ana, bo]\n---\n"))
		m := d.Meta
		if m.Kind != wiki.KindDrill || wiki.DrillDate(m).Format(time.DateOnly) != "2026-11-02" || !slices.Equal(m.Participants, []string{"ana", "bo"}) || len(d.Problems) != 0 {
			t.Errorf("meta %+v, problems %+v", m, d.Problems)
		}
		d = wiki.ParseDocument("services/x.md", []byte("---\nowner: a\ndrill_every: \"off\"\n---\n"))
		if d.Meta.DrillEvery != wiki.DrillsOff || len(d.Problems) != 0 {
			t.Errorf("drill_every off = %v, %+v", d.Meta.DrillEvery, d.Problems)
		}
	})
	t.Run("HugoDateStaysAsWritten", func(t *testing.T) {
		// A Hugo page's date is not a drill's: any form, kept among the
		// other keys.
		d := wiki.ParseDocument("blog/x.md", []byte("---\ndate: 2019-03-26 08:47\n---\n"))
		if len(d.Problems) != 0 || len(d.Meta.Extra) != 1 || d.Meta.Extra[0].Key != "date" {
			t.Errorf("problems %+v, extra %+v", d.Problems, d.Meta.Extra)
		}
	})
}

// Drills are exercises: their times never count as incidents, though their
// action items are listed with the postmortems'.
func TestDrillsAreNotIncidents(t *testing.T) {
	incident := pm(t, "started: 2026-11-01T10:00:00Z\nresolved: 2026-11-01T11:00:00Z\n")
	d := wiki.ParseDocument("drills/x.md", []byte("---\ndate: 2026-11-05\nrunbooks: [a]\nstarted: 2026-11-05T10:00:00Z\nresolved: 2026-11-05T10:10:00Z\n---\n"))
	drill := &wiki.PageInfo{Path: d.Path, Meta: d.Meta, Doc: d}
	r := wiki.ComputeReliability("svc", []*wiki.PageInfo{incident, drill}, drillNow.AddDate(0, -1, 0), drillNow)
	if len(r.Incidents) != 1 || r.TTR.Count != 1 || r.TTR.Mean != time.Hour || r.Undatable != 0 {
		t.Errorf("incidents %d, TTR %+v: the drill counted", len(r.Incidents), r.TTR)
	}
	cat, _ := mustCatalog(t, drillWiki)
	var from []string
	for _, a := range cat.Graph().Actions() {
		from = append(from, string(a.Postmortem.Path)+" "+a.Postmortem.Meta.Kind+" "+a.Item.ID)
	}
	if !slices.Equal(from, []string{"drills/d2.md drill D-1"}) {
		t.Errorf("actions %v", from)
	}
}

func TestSettingsDrillEvery(t *testing.T) {
	for _, tt := range []struct {
		file  string
		every time.Duration
		line  int
		text  string
	}{
		{"drill_every: 90d\n", 90 * 24 * time.Hour, 0, ""},
		{"kinds:\n  x: runbook\ndrill_every: 12w\n", 84 * 24 * time.Hour, 0, ""},
		{"drill_every: off\n", 0, 0, ""},
		{"drill_every: soon\n", 0, 1, "is not an interval"},
		{"\ndrill_every: 6h\n", 0, 2, "less than a day"},
		{"drill_every: [90d]\n", 0, 1, "must be one interval"},
		{"drill_every:\n", 0, 1, "must be one interval"},
	} {
		t.Run(strings.TrimSpace(tt.file), func(t *testing.T) {
			s := wiki.ParseSettings([]byte(tt.file), "b")
			if s.DrillEvery != tt.every {
				t.Errorf("DrillEvery = %v, want %v", s.DrillEvery, tt.every)
			}
			if tt.text == "" {
				if len(s.Problems) != 0 {
					t.Errorf("problems %+v", s.Problems)
				}
				return
			}
			if !problemAt(s.Problems, wiki.SeverityError, tt.line, tt.text) {
				t.Errorf("no error at line %d saying %q: %+v", tt.line, tt.text, s.Problems)
			}
			if err := wiki.CheckSettings([]byte(tt.file)); err == nil {
				t.Error("CheckSettings let the file through")
			}
		})
	}
}

func TestNewDrillPath(t *testing.T) {
	day := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		p    wiki.NewPageParams
		want string
	}{
		{wiki.NewPageParams{Title: "PgBouncer saturation", Alert: "CheckoutHighErrorRate", Date: day}, "drills/2026-11-21-pgbouncer-saturation.md"},
		{wiki.NewPageParams{Alert: "CheckoutHighErrorRate", Date: day}, "drills/2026-11-21-checkout-high-error-rate.md"},
		{wiki.NewPageParams{Date: day}, "drills/2026-11-21-drill.md"},
	} {
		if got := wiki.DefaultPagePath(wiki.KindDrill, tt.p); got != tt.want {
			t.Errorf("DefaultPagePath(drill, %+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}
