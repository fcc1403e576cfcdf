package wiki

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// SLOImpact is what one incident cost one SLO, as its postmortem says: a
// number of minutes, or of bad events (with, for an SLO that counts
// minutes, every event the indicator counted during the incident, which
// turns the bad ones into minutes).
type SLOImpact struct {
	// SLO names the SLO: its name, when one of the postmortem's services
	// has an SLO of that name, or service/name.
	SLO         string  `json:"slo"`
	Minutes     float64 `json:"minutes,omitempty"`
	BadEvents   int64   `json:"bad_events,omitempty"`
	TotalEvents int64   `json:"total_events,omitempty"`
	// ByEvents says the impact was given as bad_events, not minutes.
	ByEvents bool `json:"by_events,omitempty"`
	Line     int  `json:"line"`
}

// HasBudget reports whether the SLO says enough to have an error budget:
// an objective as a percentage and a window.
func (s SLO) HasBudget() bool { return s.Target > 0 && s.Span > 0 }

// Unit is what the SLO's budget is counted in: "events" when it says how
// many events a window has, else "minutes".
func (s SLO) Unit() string {
	if s.Events > 0 {
		return "events"
	}
	return "minutes"
}

// BudgetOf returns the error budget of one window: (1 − objective) × the
// window's minutes, or × its events for an SLO that counts events.
func (s SLO) BudgetOf() float64 {
	if !s.HasBudget() {
		return 0
	}
	whole := s.Span.Minutes()
	if s.Events > 0 {
		whole = float64(s.Events)
	}
	return roundAmount((1 - s.Target) * whole)
}

// roundAmount drops the noise of binary fractions (0.001 × 43200 is
// 43.200000000000003), which would show in figures and comparisons.
func roundAmount(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// How BrokenRef.What names a slo_impact that reaches no SLO.
const (
	refSLO          = "slo"           // no such SLO
	refSLOAmbiguous = "slo-ambiguous" // several of the postmortem's services have an SLO of that name
	refSLOService   = "slo-service"   // service/name, for a service the postmortem does not list
	refSLOEvents    = "slo-events"    // bad_events without total_events, for an SLO counting minutes
)

// sloLookup returns the SLOs of the service with a lower-cased name.
type sloLookup func(service string) []SLO

// resolveImpact finds the service and SLO an impact names among the
// services m lists. what is "" when it resolves, else one of the ref
// constants (with refSLOEvents the SLO is found but the impact cannot be
// counted in its unit).
func resolveImpact(m *Meta, imp SLOImpact, look sloLookup) (service string, slo SLO, what string) {
	find := func(svc, name string) (SLO, bool) {
		for _, s := range look(strings.ToLower(svc)) {
			if strings.EqualFold(s.Name, name) {
				return s, true
			}
		}
		return SLO{}, false
	}
	if i := strings.LastIndexByte(imp.SLO, '/'); i >= 0 {
		svc, name := strings.TrimSpace(imp.SLO[:i]), strings.TrimSpace(imp.SLO[i+1:])
		var listed string
		for _, s := range m.Services {
			if strings.EqualFold(s, svc) {
				listed = s
			}
		}
		if listed == "" {
			return "", SLO{}, refSLOService
		}
		s, ok := find(listed, name)
		if !ok {
			return "", SLO{}, refSLO
		}
		service, slo = listed, s
	} else {
		n := 0
		for _, svc := range m.Services {
			if s, ok := find(svc, imp.SLO); ok {
				service, slo = svc, s
				n++
			}
		}
		switch {
		case n == 0:
			return "", SLO{}, refSLO
		case n > 1:
			return "", SLO{}, refSLOAmbiguous
		}
	}
	if imp.ByEvents && slo.Events == 0 && imp.TotalEvents == 0 {
		return service, slo, refSLOEvents
	}
	return service, slo, ""
}

// sloRefs lists a postmortem's slo_impact entries that reach no SLO of its
// services, or cannot be counted in the SLO's unit.
func sloRefs(d *Document, look sloLookup) []BrokenRef {
	if d.Meta.Kind != KindPostmortem {
		return nil
	}
	var out []BrokenRef
	for _, imp := range d.Meta.SLOImpact {
		if _, _, what := resolveImpact(&d.Meta, imp, look); what != "" {
			out = append(out, BrokenRef{From: d.Path, Line: imp.Line, Target: imp.SLO, What: what})
		}
	}
	return out
}

// sloProblem words a broken slo_impact; ok is false for other references.
func sloProblem(b BrokenRef) (string, bool) {
	svc, name, qualified := "", b.Target, false
	if i := strings.LastIndexByte(b.Target, '/'); i >= 0 {
		svc, name, qualified = b.Target[:i], b.Target[i+1:], true
	}
	switch b.What {
	case refSLO:
		if qualified {
			return fmt.Sprintf("slo_impact: service %q has no SLO named %q, so this impact is not counted", svc, name), true
		}
		return fmt.Sprintf("slo_impact: none of this postmortem's services has an SLO named %q, so this impact is not counted", name), true
	case refSLOAmbiguous:
		return fmt.Sprintf("slo_impact: more than one of this postmortem's services has an SLO named %q: write service/%s to say which", name, name), true
	case refSLOService:
		return fmt.Sprintf("slo_impact names %q, but %q is not among this postmortem's services: add it to services", b.Target, svc), true
	case refSLOEvents:
		return fmt.Sprintf("slo_impact on %q: that SLO counts minutes; give total_events (every event its indicator counted during the incident) with bad_events, or give minutes", b.Target), true
	}
	return "", false
}

// SLOsOf returns the SLOs of a service, from the page describing it.
func (g *Graph) SLOsOf(service string) []SLO {
	if n, ok := g.Service(service); ok && n.Page != nil {
		return n.Page.Meta.SLOs
	}
	return nil
}

// BudgetWindows is how many windows an error budget shows: the current
// one, ending now, and the three before it.
const BudgetWindows = 4

// Budget is one SLO's error budget over its last windows.
type Budget struct {
	Service string
	SLO     SLO
	// Amount is the budget of one window, in SLO.Unit().
	Amount float64
	// Windows are the current window (ending now) and those before it,
	// newest first.
	Windows []BudgetWindow
	// NotPlaced are impacts on the SLO that no window can take: the
	// postmortem has no time at all, starts after now, or gives bad
	// events without what turns them into minutes.
	NotPlaced []Spend
}

// BudgetWindow is one window of an error budget, [From, To).
type BudgetWindow struct {
	From, To time.Time
	Budget   float64
	Spent    float64
	// Spends are the incidents that started in the window, by start.
	Spends []Spend
}

// Remaining is what is left of the window's budget; below zero when it
// is overspent.
func (w BudgetWindow) Remaining() float64 { return roundAmount(w.Budget - w.Spent) }

// PercentSpent is the share of the budget spent, in percent (above 100
// when overspent).
func (w BudgetWindow) PercentSpent() float64 {
	if w.Budget == 0 {
		return 0
	}
	return w.Spent / w.Budget * 100
}

// Spend is what one postmortem's impact took from a budget.
type Spend struct {
	Postmortem *PageInfo
	Start      time.Time
	Amount     float64 // in the budget's unit
	Line       int     // of the impact in the postmortem
	// Reason says why the impact is not placed in a window.
	Reason string
}

// Budgets computes the error budgets of a service's SLOs over their last
// BudgetWindows windows ending at now, from the slo_impact of the
// service's postmortems. An incident spends from the window its start
// falls in (started, else detected, else resolved, as for SPEC §6's
// figures), whole, even when it lasted past the window's end. Drills and
// other pages never count. SLOs without an objective or window get a
// Budget with no windows.
func (g *Graph) Budgets(service string, postmortems []*PageInfo, now time.Time) []Budget {
	n, ok := g.Service(service)
	if !ok || n.Page == nil || len(n.Page.Meta.SLOs) == 0 {
		return nil
	}
	// A service's SLOs are looked up once, however many postmortems name it.
	known := map[string][]SLO{}
	look := func(k string) []SLO {
		slos, ok := known[k]
		if !ok {
			slos = g.SLOsOf(k)
			known[k] = slos
		}
		return slos
	}
	slos := n.Page.Meta.SLOs
	out := make([]Budget, len(slos))
	oldest := now // where the oldest window shown starts
	for i, slo := range slos {
		out[i] = Budget{Service: n.Name, SLO: slo}
		if slo.HasBudget() {
			out[i].Amount = slo.BudgetOf()
			for w := range BudgetWindows {
				to := now.Add(-time.Duration(w) * slo.Span)
				out[i].Windows = append(out[i].Windows, BudgetWindow{From: to.Add(-slo.Span), To: to, Budget: out[i].Amount})
			}
			if from := out[i].Windows[BudgetWindows-1].From; from.Before(oldest) {
				oldest = from
			}
		}
	}
	// In the order of their starts, so each window's spends are in order;
	// each impact is resolved once, whichever SLO it reaches.
	type dated struct {
		pm    *PageInfo
		start time.Time
	}
	order := make([]dated, 0, len(postmortems))
	for _, pm := range postmortems {
		if pm == nil || pm.Meta.Kind != KindPostmortem || len(pm.Meta.SLOImpact) == 0 {
			continue // drills exercise; they spend no budget
		}
		start := incidentStart(&pm.Meta)
		if !start.IsZero() && start.Before(oldest) {
			continue // older than every window shown: most postmortems, soon
		}
		order = append(order, dated{pm, start})
	}
	slices.SortFunc(order, func(a, b dated) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return strings.Compare(string(a.pm.Path), string(b.pm.Path))
	})
	for _, d := range order {
		pm := d.pm
		for _, imp := range pm.Meta.SLOImpact {
			svc, s, what := resolveImpact(&pm.Meta, imp, look)
			if (what != "" && what != refSLOEvents) || !strings.EqualFold(svc, n.Name) {
				continue
			}
			for i := range out {
				if strings.EqualFold(out[i].SLO.Name, s.Name) {
					out[i].place(spendOf(pm, d.start, imp, s, what), now)
					break
				}
			}
		}
	}
	for i := range out {
		for j := range out[i].Windows {
			w := &out[i].Windows[j]
			w.Spent = 0
			for _, sp := range w.Spends {
				w.Spent += sp.Amount
			}
			w.Spent = roundAmount(w.Spent)
		}
	}
	return out
}

// spendOf turns an impact into an amount of the SLO's unit, or says why it
// cannot be.
func spendOf(pm *PageInfo, start time.Time, imp SLOImpact, slo SLO, what string) Spend {
	sp := Spend{Postmortem: pm, Start: start, Line: imp.Line}
	m := &pm.Meta
	switch {
	case what == refSLOEvents:
		sp.Reason = "bad_events without total_events, for an SLO counting minutes"
	case slo.Events > 0 && imp.ByEvents:
		sp.Amount = float64(imp.BadEvents)
	case slo.Events > 0:
		// Minutes of an outage cost the events a window has in that many
		// minutes, traffic taken as even.
		if slo.Span > 0 {
			sp.Amount = imp.Minutes * float64(slo.Events) / slo.Span.Minutes()
		}
	case imp.ByEvents:
		end := m.Mitigated
		if end.IsZero() {
			end = m.Resolved
		}
		if m.Started.IsZero() || end.IsZero() || !end.After(m.Started) {
			sp.Reason = "bad_events need the incident's length (started to mitigated or resolved) to become minutes"
			break
		}
		sp.Amount = float64(imp.BadEvents) / float64(imp.TotalEvents) * end.Sub(m.Started).Minutes()
	default:
		sp.Amount = imp.Minutes
	}
	sp.Amount = roundAmount(sp.Amount)
	if sp.Reason == "" && sp.Start.IsZero() {
		sp.Reason = "no started, detected or resolved time to place it in a window"
	}
	return sp
}

// place puts a spend in the window its start falls in, or among those not
// placed.
func (b *Budget) place(sp Spend, now time.Time) {
	if sp.Reason == "" && !sp.Start.Before(now) {
		sp.Reason = "starts after now"
	}
	if sp.Reason != "" {
		b.NotPlaced = append(b.NotPlaced, sp)
		return
	}
	for i := range b.Windows {
		w := &b.Windows[i]
		if !sp.Start.Before(w.From) && sp.Start.Before(w.To) {
			w.Spends = append(w.Spends, sp)
			return
		}
	}
	// Older than the windows shown: it spent a budget no longer shown.
}

// slosOf returns the SLOs of the service with a lower-cased name, from the
// page describing it.
func (st *graphState) slosOf(k string) []SLO {
	if decl := st.svcDecl[k]; len(decl) > 0 {
		if e := st.pages[decl[0]]; e != nil {
			return e.info.Meta.SLOs
		}
	}
	return nil
}

// touchImpacts marks the postmortems naming service k whose slo_impact is
// to be checked again: those with one, when the service's SLOs changed in
// what resolving it depends on (their names, and what they count).
func (st *graphState) touchImpacts(k string, old *ServiceNode, d *graphDirt) {
	var before []SLO
	if old != nil && old.Page != nil {
		before = old.Page.Meta.SLOs
	}
	if sloShape(before) == sloShape(st.slosOf(k)) {
		return
	}
	for _, p := range st.svcRef[k] {
		if e := st.pages[p]; e != nil && len(e.info.Meta.SLOImpact) > 0 {
			d.broken[p] = true
		}
	}
}

func sloShape(slos []SLO) string {
	var b strings.Builder
	for _, s := range slos {
		b.WriteString(strings.ToLower(s.Name))
		if s.Events > 0 {
			b.WriteString(" events")
		}
		b.WriteByte(0)
	}
	return b.String()
}
