package web

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// BudgetView is one SLO's error budget, as /-/reliability and the
// service's page show it.
type BudgetView struct {
	// ID is unique in the page: the chart's title and description are
	// named by it.
	ID                                 string
	Service                            ServiceLink
	Name, Objective, Window, Indicator string
	Unit                               string
	// Budget is one window's budget, written out; NoBudget says why there
	// is none.
	Budget   string
	NoBudget string
	// Windows are the current window (Windows[0], ending now) and those
	// before it, newest first.
	Windows   []BudgetWindowView
	NotPlaced []SpendView
	// Chart draws the budget spent per window; BurnDown what is left of
	// the current window's, over the window.
	Chart, BurnDown template.HTML
}

// Current returns the window ending now.
func (b BudgetView) Current() BudgetWindowView {
	if len(b.Windows) == 0 {
		return BudgetWindowView{}
	}
	return b.Windows[0]
}

// BudgetWindowView is one window of a budget, written out.
type BudgetWindowView struct {
	From, To                 string
	Budget, Spent, Remaining string
	// SpentOf is the spent amount without its unit, for "50 of 43.2 min".
	SpentOf                   string
	Percent                   string
	Over                      bool
	Spends                    []SpendView
	percent, spent, remaining float64
	end                       time.Time
}

// SpendView is one incident's spend, or why it is not placed.
type SpendView struct {
	PageLink
	Start  string
	Amount string
	Reason string
}

// budgetViews writes out a service's budgets; now ends the current window.
func (s *Server) budgetViews(g *wiki.Graph, n *wiki.ServiceNode, now time.Time) []BudgetView {
	var out []BudgetView
	for _, b := range g.Budgets(n.Name, s.postmortems(n.Postmortems), now) {
		v := BudgetView{ID: "budget-" + wiki.Slug(n.Name) + "-" + wiki.Slug(b.SLO.Name), Service: s.serviceLink(g, n.Name),
			Name: b.SLO.Name, Objective: b.SLO.Objective, Window: b.SLO.Window, Indicator: b.SLO.Indicator, Unit: b.SLO.Unit()}
		switch {
		case b.SLO.Target == 0:
			v.NoBudget = "No error budget: the objective names no percentage (write it as 99.9%)."
		case b.SLO.Span == 0:
			v.NoBudget = "No error budget: the SLO has no window (such as 28d)."
		default:
			v.Budget = amount(b.Amount, v.Unit)
		}
		for _, w := range b.Windows {
			wv := BudgetWindowView{From: w.From.UTC().Format(time.DateOnly), To: w.To.UTC().Format(time.DateOnly),
				Budget: amount(w.Budget, v.Unit), Spent: amount(w.Spent, v.Unit), Remaining: amount(w.Remaining(), v.Unit),
				SpentOf: strings.TrimSuffix(strings.TrimSuffix(amount(w.Spent, v.Unit), " min"), " events"),
				Percent: percent(w.PercentSpent()), Over: w.Spent > w.Budget,
				percent: w.PercentSpent(), spent: w.Spent, remaining: w.Remaining(), end: w.To}
			for _, sp := range w.Spends {
				wv.Spends = append(wv.Spends, s.spendView(sp, v.Unit))
			}
			v.Windows = append(v.Windows, wv)
		}
		for _, sp := range b.NotPlaced {
			v.NotPlaced = append(v.NotPlaced, s.spendView(sp, v.Unit))
		}
		if len(b.Windows) > 0 {
			v.Chart = budgetChart(v)
			v.BurnDown = burnDownChart(v, b)
		}
		out = append(out, v)
	}
	return out
}

func (s *Server) spendView(sp wiki.Spend, unit string) SpendView {
	v := SpendView{PageLink: PageLink{Path: sp.Postmortem.Path, URL: sp.Postmortem.Path.URL(), Title: sp.Postmortem.Title},
		Amount: amount(sp.Amount, unit), Reason: sp.Reason}
	if !sp.Start.IsZero() {
		v.Start = formatTime(sp.Start)
	}
	if sp.Reason != "" && sp.Amount == 0 {
		v.Amount = ""
	}
	return v
}

// amount writes a quantity of a budget: "43.2 min", "−6.8 min", "1,200
// events".
func amount(f float64, unit string) string {
	if unit == "events" {
		return number(math.Round(f), 0) + " events"
	}
	return number(f, 1) + " min"
}

// percent writes a share of a budget: "115.7%".
func percent(f float64) string { return number(f, 1) + "%" }

// number writes f with at most prec decimals (none when they are zero),
// thousands separated, and a true minus sign.
func number(f float64, prec int) string {
	s := strconv.FormatFloat(math.Abs(f), 'f', prec, 64)
	if prec > 0 {
		s = strings.TrimSuffix(s, "."+strings.Repeat("0", prec))
	}
	whole, frac, _ := strings.Cut(s, ".")
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	if frac != "" {
		whole += "." + frac
	}
	if f < 0 && strings.Trim(s, "0.") != "" {
		return "−" + whole
	}
	return whole
}

// budgetChart draws the budget spent in each window as a bar, oldest
// first, against a line at the whole budget; over-spent bars are marked.
// The description carries every figure, for people who cannot see it.
func budgetChart(v BudgetView) template.HTML {
	const w, h, pad, top = 320, 120, 22, 18
	ceiling := 100.0
	for _, win := range v.Windows {
		ceiling = math.Max(ceiling, math.Min(win.percent, 300))
	}
	var desc []string
	for _, win := range v.Windows {
		desc = append(desc, fmt.Sprintf("%s to %s: %s of %s spent (%s), %s left", win.From, win.To, win.SpentOf, win.Budget, win.Percent, win.Remaining))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart budget-chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d">`, w, h, v.ID, v.ID)
	fmt.Fprintf(&b, `<title id="%s-t">Error budget of %s %s spent per %s window</title><desc id="%s-d">%s.</desc>`,
		v.ID, template.HTMLEscapeString(v.Service.Name), template.HTMLEscapeString(v.Name), template.HTMLEscapeString(v.Window), v.ID,
		template.HTMLEscapeString(strings.Join(desc, "; ")))
	plot := float64(h - pad - top)
	bw := float64(w-2*pad) / float64(len(v.Windows))
	for i := range v.Windows {
		win := v.Windows[len(v.Windows)-1-i] // oldest on the left
		bh := plot * math.Min(win.percent, ceiling) / ceiling
		x := float64(pad) + float64(i)*bw
		class := "bar"
		if win.Over {
			class = "bar over"
		}
		fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, class, x+bw*0.2, float64(h-pad)-bh, bw*0.6, bh)
		fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%.1f">%s</text>`, x+bw/2, math.Max(float64(h-pad)-bh-4, 11), template.HTMLEscapeString(win.Percent))
		fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%d">to %s</text>`, x+bw/2, h-6, win.end.UTC().Format("Jan 2"))
	}
	y := float64(h-pad) - plot*100/ceiling
	fmt.Fprintf(&b, `<line class="budget-line" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/><line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/></svg>`,
		pad, y, w-pad, y, pad, h-pad, w-pad, h-pad)
	return template.HTML(b.String()) // escaped above; the rest is numbers and dates
}

// burnDownChart draws what is left of the current window's budget, in
// percent, from the window's start to now, dropping at each incident.
func burnDownChart(v BudgetView, b wiki.Budget) template.HTML {
	const w, h, pad = 320, 120, 22
	cur := b.Windows[0]
	if cur.Budget == 0 {
		return ""
	}
	low := math.Min(0, 100-cur.PercentSpent())
	span := cur.To.Sub(cur.From).Seconds()
	xOf := func(t time.Time) float64 { return float64(pad) + float64(w-2*pad)*t.Sub(cur.From).Seconds()/span }
	yOf := func(p float64) float64 { return float64(pad) + float64(h-2*pad)*(100-p)/(100-low) }
	left := 100.0
	points := []string{fmt.Sprintf("%.1f,%.1f", xOf(cur.From), yOf(left))}
	var desc []string
	for _, sp := range cur.Spends {
		x := xOf(sp.Start)
		points = append(points, fmt.Sprintf("%.1f,%.1f", x, yOf(left)))
		left -= sp.Amount / cur.Budget * 100
		points = append(points, fmt.Sprintf("%.1f,%.1f", x, yOf(left)))
		desc = append(desc, fmt.Sprintf("%s: %s spent by %s, %s of the budget left", formatTime(sp.Start), amount(sp.Amount, v.Unit), sp.Postmortem.Title, percent(left)))
	}
	points = append(points, fmt.Sprintf("%.1f,%.1f", xOf(cur.To), yOf(left)))
	if len(desc) == 0 {
		desc = append(desc, "no incident has spent any of it")
	}
	id := v.ID + "-burn"
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart burn-chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d">`, w, h, id, id)
	fmt.Fprintf(&s, `<title id="%s-t">Error budget of %s %s left over the current window, %s to %s</title><desc id="%s-d">%s.</desc>`,
		id, template.HTMLEscapeString(v.Service.Name), template.HTMLEscapeString(v.Name), v.Current().From, v.Current().To, id,
		template.HTMLEscapeString(strings.Join(desc, "; ")))
	fmt.Fprintf(&s, `<line class="axis" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, pad, yOf(0), w-pad, yOf(0))
	fmt.Fprintf(&s, `<polyline class="burn" points="%s"/>`, strings.Join(points, " "))
	fmt.Fprintf(&s, `<text class="label start" x="2" y="%.1f">100%%</text><text class="label start" x="2" y="%.1f">0%%</text>`, yOf(100)+4, yOf(0)+4)
	fmt.Fprintf(&s, `<text class="label start" x="%d" y="%d">%s</text><text class="label end" x="%d" y="%d">now</text></svg>`,
		pad, h-4, v.Current().From, w-pad, h-4)
	return template.HTML(s.String())
}

// sloJSON is one SLO's budget in GET /-/api/slos.
type sloJSON struct {
	Service   string           `json:"service"`
	Name      string           `json:"name"`
	Objective string           `json:"objective"`
	Target    float64          `json:"target,omitempty"`
	Window    string           `json:"window"`
	Indicator string           `json:"indicator,omitempty"`
	Unit      string           `json:"unit"`
	Budget    float64          `json:"budget"`
	NoBudget  string           `json:"no_budget,omitempty"`
	Windows   []budgetWinJSON  `json:"windows"`
	NotPlaced []budgetItemJSON `json:"not_placed"`
}

type budgetWinJSON struct {
	From         time.Time        `json:"from"`
	To           time.Time        `json:"to"`
	Budget       float64          `json:"budget"`
	Spent        float64          `json:"spent"`
	Remaining    float64          `json:"remaining"`
	PercentSpent float64          `json:"percent_spent"`
	Incidents    []budgetItemJSON `json:"incidents"`
}

type budgetItemJSON struct {
	Postmortem string    `json:"postmortem"`
	Title      string    `json:"title"`
	Start      time.Time `json:"start,omitzero"`
	Amount     float64   `json:"amount"`
	Reason     string    `json:"reason,omitempty"`
}

// handleAPISLOs serves GET /-/api/slos?service=: every SLO's error budget
// over its last windows, with the incidents that spent it.
func (s *Server) handleAPISLOs(c echo.Context) error {
	g := s.catalog.Graph()
	now := s.cfg.Now()
	want := strings.TrimSpace(c.QueryParam("service"))
	out := []sloJSON{}
	for _, n := range g.Services() {
		if want != "" && !strings.EqualFold(want, n.Name) {
			continue
		}
		for _, b := range g.Budgets(n.Name, s.postmortems(n.Postmortems), now) {
			j := sloJSON{Service: n.Name, Name: b.SLO.Name, Objective: b.SLO.Objective, Target: b.SLO.Target, Window: b.SLO.Window,
				Indicator: b.SLO.Indicator, Unit: b.SLO.Unit(), Budget: b.Amount, Windows: []budgetWinJSON{}, NotPlaced: []budgetItemJSON{}}
			if !b.SLO.HasBudget() {
				j.NoBudget = "the SLO needs an objective as a percentage and a window"
			}
			for _, w := range b.Windows {
				wj := budgetWinJSON{From: w.From.UTC(), To: w.To.UTC(), Budget: w.Budget, Spent: w.Spent, Remaining: w.Remaining(),
					PercentSpent: math.Round(w.PercentSpent()*100) / 100, Incidents: []budgetItemJSON{}}
				for _, sp := range w.Spends {
					wj.Incidents = append(wj.Incidents, itemJSON(sp))
				}
				j.Windows = append(j.Windows, wj)
			}
			for _, sp := range b.NotPlaced {
				j.NotPlaced = append(j.NotPlaced, itemJSON(sp))
			}
			out = append(out, j)
		}
	}
	if want != "" && len(out) == 0 {
		if _, ok := g.Service(want); !ok {
			return wiki.Errorf(wiki.ENOTFOUND, "There is no service %q.", want)
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"slos": out})
}

func itemJSON(sp wiki.Spend) budgetItemJSON {
	j := budgetItemJSON{Postmortem: sp.Postmortem.Path.Name(), Title: sp.Postmortem.Title, Amount: sp.Amount, Reason: sp.Reason}
	if !sp.Start.IsZero() {
		j.Start = sp.Start.UTC()
	}
	return j
}

// budgetKey fingerprints what a service's budgets show, for the page
// cache: the windows move with the clock, not only with commits.
func budgetKey(budgets []wiki.Budget) string {
	var b strings.Builder
	for _, bu := range budgets {
		b.WriteString(bu.SLO.Name)
		for _, w := range bu.Windows {
			b.WriteString(" " + strconv.FormatFloat(w.Spent, 'g', -1, 64))
			for _, sp := range w.Spends {
				b.WriteString(" " + string(sp.Postmortem.Path))
			}
		}
		b.WriteString(" " + strconv.Itoa(len(bu.NotPlaced)))
		b.WriteByte(0)
	}
	return b.String()
}
