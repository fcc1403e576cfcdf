package wiki

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Exercise is one drill of a runbook.
type Exercise struct {
	Drill *PageInfo
	Date  time.Time
}

// DrillDate returns the day a drill took place: its date, else the day it
// started; zero when it says neither.
func DrillDate(m Meta) time.Time {
	if !m.Date.IsZero() {
		return m.Date
	}
	return m.Started
}

// drillIndex is what the drills of one graph exercised, made on first use.
type drillIndex struct {
	byRunbook map[Path][]Exercise // newest first
}

// Exercises returns the drills that exercised a runbook, newest first,
// planned ones (dated after now) included. A drill names its runbooks in
// runbooks: by path or title as a wiki link would, or by an alert the
// runbook answers.
func (c *Catalog) Exercises(p Path) []Exercise {
	g := c.Graph()
	g.drillOnce.Do(func() { g.drillIdx = c.buildDrillIndex(g) })
	return g.drillIdx.byRunbook[p]
}

func (c *Catalog) buildDrillIndex(g *Graph) *drillIndex {
	idx := &drillIndex{byRunbook: map[Path][]Exercise{}}
	for _, p := range g.drills {
		pi, ok := c.Page(p)
		if !ok || pi.Meta.Kind != KindDrill {
			continue
		}
		date := DrillDate(pi.Meta)
		if date.IsZero() {
			continue
		}
		for _, rb := range c.DrillRunbooks(pi) {
			if rb.Path != "" {
				idx.byRunbook[rb.Path] = append(idx.byRunbook[rb.Path], Exercise{Drill: pi, Date: date})
			}
		}
	}
	for _, list := range idx.byRunbook {
		sort.SliceStable(list, func(i, j int) bool {
			if !list[i].Date.Equal(list[j].Date) {
				return list[i].Date.After(list[j].Date)
			}
			return list[i].Drill.Path < list[j].Drill.Path
		})
	}
	return idx
}

// DrillRunbook is one entry of a drill's runbooks, resolved: Path is ""
// when it names no runbook.
type DrillRunbook struct {
	Name string
	Path Path
}

// DrillRunbooks resolves a drill's runbooks as a postmortem's are: each
// entry as a wiki link from the drill (a path, a title, [[link]]) when it
// names a page, else as an alert, for each runbook answering it.
func (c *Catalog) DrillRunbooks(pi *PageInfo) []DrillRunbook {
	var out []DrillRunbook
	seen := map[Path]bool{}
	for _, name := range pi.Meta.Runbooks {
		target := runbookName(name)
		var found []Path
		if p, ok := c.LookupName(pi.Path, target); ok && p.IsPage() {
			found = []Path{p}
		}
		if len(found) == 0 {
			found = c.Graph().RunbooksForAlert(target)
		}
		if len(found) == 0 {
			out = append(out, DrillRunbook{Name: name})
		}
		for _, p := range found {
			if !seen[p] {
				seen[p] = true
				out = append(out, DrillRunbook{Name: name, Path: p})
			}
		}
	}
	return out
}

// LastExercised returns when a runbook was last exercised by now: the
// newest of its last_exercised and the drills naming it (drills dated
// after now are planned, not done). drill is the drill that did it, nil
// when the front matter's date is the newer or there is none.
func (c *Catalog) LastExercised(p Path, now time.Time) (when time.Time, drill *PageInfo) {
	if pi, ok := c.Page(p); ok {
		when = pi.Meta.LastExercised
	}
	for _, e := range c.Exercises(p) {
		if e.Date.After(now) {
			continue
		}
		if !e.Date.Before(when) {
			return e.Date, e.Drill
		}
		break
	}
	return when, nil
}

// IsTier1 reports whether a service's tier is the most critical one:
// "1", "tier-1", "tier 1", "t1", tier 0 (which some organisations rank
// above 1) or "critical".
func IsTier1(tier string) bool {
	t := strings.ToLower(strings.TrimSpace(tier))
	t = strings.TrimLeft(strings.TrimPrefix(strings.TrimPrefix(t, "tier"), "t"), " -_")
	return t == "0" || t == "1" || t == "critical"
}

// DrillEvery returns how often a service's runbooks should be drilled:
// its own drill_every, else for a tier-1 service the settings'; 0 when
// none is expected.
func DrillEvery(m Meta, s *Settings) time.Duration {
	switch {
	case m.DrillEvery == DrillsOff:
		return 0
	case m.DrillEvery > 0:
		return m.DrillEvery
	case s != nil && s.DrillEvery > 0 && IsTier1(m.Tier):
		return s.DrillEvery
	}
	return 0
}

// DrillProblems lists, as warnings on the service's page, the runbooks of
// services that expect drills (tier-1 services under the settings'
// drill_every, and services with their own) which were never drilled or
// not within that interval; and, on the drill's page, the runbooks
// entries of drills that name no page and no alert.
func DrillProblems(c *Catalog, now time.Time) []Problem {
	g := c.Graph()
	s := c.Settings()
	var out []Problem
	for _, p := range g.drills {
		pi, ok := c.Page(p)
		if !ok || pi.Doc == nil {
			continue
		}
		for _, rb := range c.DrillRunbooks(pi) {
			if rb.Path == "" {
				out = append(out, Problem{Path: p, Line: max(pi.Doc.KeyLine("runbooks"), 1), Severity: SeverityWarning, Field: "runbooks",
					Message: fmt.Sprintf("runbooks: %q names no page and no alert a runbook answers", rb.Name)})
			}
		}
	}
	for _, n := range g.Services() {
		if n.Page == nil || n.Page.Doc == nil {
			continue
		}
		m := n.Page.Meta
		every := DrillEvery(m, s)
		if every == 0 {
			continue
		}
		line, why := n.Page.Doc.KeyLine("drill_every"), "its drill_every"
		if m.DrillEvery == 0 {
			line, why = n.Page.Doc.KeyLine("tier"), "drill_every of "+string(SettingsPath)+" for tier-1 services"
		}
		for _, rb := range n.Runbooks {
			title := rb.FileTitle()
			if pi, ok := c.Page(rb); ok {
				title = pi.Title
			}
			when, _ := c.LastExercised(rb, now)
			var msg string
			switch {
			case when.IsZero():
				msg = fmt.Sprintf("runbook %q (%s) of service %s was never drilled; drills are due every %s (%s)", title, rb.Name(), n.Name, FormatInterval(every), why)
			case now.Sub(when) > every:
				msg = fmt.Sprintf("runbook %q (%s) of service %s was last drilled %s, more than %s ago (%s)", title, rb.Name(), n.Name, when.Format(time.DateOnly), FormatInterval(every), why)
			default:
				continue
			}
			out = append(out, Problem{Path: n.Page.Path, Line: max(line, 1), Severity: SeverityWarning, Field: "drill_every", Message: msg})
		}
	}
	return out
}

// FormatInterval writes an interval as front matter does: 90d, 36h.
func FormatInterval(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

// checkSLOAndDrill adds the problems of the SLO and drill keys that need
// the page's kind: a drill's date, runbooks and timeline, and keys on a
// kind that does not read them.
func checkSLOAndDrill(d *Document) {
	m := &d.Meta
	if m.Kind == KindDrill {
		if line := d.KeyLine("date"); line > 0 && m.Date.IsZero() {
			for _, f := range m.Extra {
				if s, ok := f.Value.(string); ok && f.Key == "date" && strings.TrimSpace(s) != "" && !isPlaceholder(s) {
					d.add(SeverityError, line, "date", "date: %q is not a date; write it as YYYY-MM-DD", s)
				}
			}
		}
		if DrillDate(*m).IsZero() && d.KeyLine("date") == 0 && d.HasFrontMatter {
			d.add(SeverityWarning, 1, "date", "a drill needs a date (date: YYYY-MM-DD, or started) to count as an exercise of its runbooks")
		}
		if len(m.Runbooks) == 0 && d.HasFrontMatter {
			d.add(SeverityWarning, 1, "runbooks", "name the runbooks this drill exercised in runbooks: (their paths, or the alerts they answer)")
		}
		if len(m.SLOImpact) > 0 {
			d.add(SeverityWarning, d.KeyLine("slo_impact"), "slo_impact", "drills spend no error budget, so slo_impact is not counted here; if the exercise hurt users, write a postmortem")
		}
		checkTimeline(d)
	}
	for _, k := range []struct{ key, kind string }{{"slo_impact", ""}, {"drill_every", KindService}, {"last_exercised", KindRunbook}} {
		line := d.KeyLine(k.key)
		switch {
		case line == 0:
		case k.key == "slo_impact" && m.Kind != KindPostmortem && m.Kind != KindDrill:
			d.add(SeverityWarning, line, k.key, "slo_impact is read on postmortems only")
		case k.kind != "" && m.Kind != k.kind:
			d.add(SeverityWarning, line, k.key, "%s is read on %s pages only", k.key, k.kind)
		}
	}
}
