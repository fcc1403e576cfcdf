package web

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// ReliabilityView shows SPEC §6's figures per service over a window.
type ReliabilityView struct {
	Layout
	Window   string
	Windows  []string
	Service  string
	Services []string
	Rows     []ReliabilityRow
	// Budgets are the error budgets of the SLOs of every service (or the
	// one chosen), each over its own windows.
	Budgets []BudgetView
}

// ReliabilityRow is one service's figures and charts.
type ReliabilityRow struct {
	Service   ServiceLink
	R         wiki.Reliability
	Figures   []FigureRow
	PerMonth  template.HTML
	ToResolve template.HTML
	Incidents []PageLink
}

// FigureRow is one metric: count, mean, median, p90 and how many incidents
// were left out for missing timestamps.
type FigureRow struct {
	Name              string
	Count, LeftOut    int
	Mean, Median, P90 string
}

var windows = map[string]time.Duration{"30d": 30 * 24 * time.Hour, "90d": 90 * 24 * time.Hour, "180d": 180 * 24 * time.Hour, "365d": 365 * 24 * time.Hour, "730d": 730 * 24 * time.Hour}

// handleReliability serves GET /-/reliability?window=90d&service=: time to
// detect, acknowledge, mitigate and resolve, and time between failures,
// per service, with charts of incidents per month and time to resolve.
func (s *Server) handleReliability(c echo.Context) error {
	win := c.QueryParam("window")
	if win == "" {
		win = "365d"
	}
	span, ok := windows[win]
	if !ok {
		return wiki.Errorf(wiki.EINVALID, "window must be one of 30d, 90d, 180d, 365d or 730d.")
	}
	g := s.catalog.Graph()
	now := s.cfg.Now()
	from := now.Add(-span)
	v := ReliabilityView{Layout: s.layout("Reliability"), Window: win, Windows: []string{"30d", "90d", "180d", "365d", "730d"}, Service: c.QueryParam("service")}
	for _, name := range g.ServiceNames() {
		n, _ := g.Service(name)
		if len(n.Postmortems) == 0 {
			continue
		}
		v.Services = append(v.Services, n.Name)
		if v.Service != "" && !strings.EqualFold(v.Service, n.Name) {
			continue
		}
		r := wiki.ComputeReliability(n.Name, s.postmortems(n.Postmortems), from, now)
		if len(r.Incidents) == 0 && v.Service == "" {
			continue
		}
		row := ReliabilityRow{Service: s.serviceLink(g, n.Name), R: r}
		for _, f := range []struct {
			name string
			st   wiki.Stat
		}{{"Time to detect", r.TTD}, {"Time to acknowledge", r.TTA}, {"Time to mitigate", r.TTM}, {"Time to resolve", r.TTR}, {"Time between failures", r.MTBF}} {
			fr := FigureRow{Name: f.name, Count: f.st.Count, LeftOut: f.st.LeftOut}
			if f.st.Count > 0 {
				fr.Mean, fr.Median, fr.P90 = duration(f.st.Mean), duration(f.st.Median), duration(f.st.P90)
			}
			row.Figures = append(row.Figures, fr)
		}
		for _, t := range r.Incidents {
			row.Incidents = append(row.Incidents, PageLink{Path: t.Page.Path, URL: t.Page.Path.URL(), Title: t.Page.Title, Extra: t.Start.UTC().Format(time.DateOnly)})
		}
		row.PerMonth = perMonthChart(r, from, now)
		row.ToResolve = resolveChart(r, from, now)
		v.Rows = append(v.Rows, row)
	}
	for _, n := range g.Services() {
		if n.Page == nil || len(n.Page.Meta.SLOs) == 0 {
			continue
		}
		if !slices.Contains(v.Services, n.Name) {
			v.Services = append(v.Services, n.Name)
		}
		if v.Service == "" || strings.EqualFold(v.Service, n.Name) {
			v.Budgets = append(v.Budgets, s.budgetViews(g, n, now)...)
		}
	}
	slices.SortFunc(v.Services, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return s.html(c, http.StatusOK, "reliability", v)
}

// Charts are drawn on the server as SVG with classes, not colours, so the
// style sheet gives them the right colours in light and dark mode.
const chartW, chartH, chartPad = 640, 160, 28

// perMonthChart draws incidents per month as bars.
func perMonthChart(r wiki.Reliability, from, to time.Time) template.HTML {
	months := []time.Time{}
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(to); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	counts := make([]int, len(months))
	top := 1
	for _, t := range r.Incidents {
		for i := len(months) - 1; i >= 0; i-- {
			if !t.Start.Before(months[i]) {
				counts[i]++
				top = max(top, counts[i])
				break
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="Incidents per month">`, chartW, chartH)
	bw := float64(chartW-2*chartPad) / float64(len(months))
	for i, c := range counts {
		h := float64(chartH-2*chartPad) * float64(c) / float64(top)
		x := float64(chartPad) + float64(i)*bw
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d</title></rect>`,
			x+1, float64(chartH-chartPad)-h, math.Max(bw-2, 1), h, months[i].Format("Jan 2006"), c)
		if len(months) <= 13 || i%3 == 0 {
			fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%d">%s</text>`, x+bw/2, chartH-8, months[i].Format("Jan"))
		}
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/><text class="label start" x="2" y="%d">%d</text></svg>`,
		chartPad, chartH-chartPad, chartW-chartPad, chartH-chartPad, chartPad, top)
	return template.HTML(b.String()) // only numbers and formatted dates go in
}

// resolveChart plots each incident's time to resolve against its date.
func resolveChart(r wiki.Reliability, from, to time.Time) template.HTML {
	var top time.Duration = time.Hour
	for _, t := range r.Incidents {
		if t.HasTTR {
			top = max(top, t.TTR)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="Time to resolve over time">`, chartW, chartH)
	span := to.Sub(from).Seconds()
	for _, t := range r.Incidents {
		if !t.HasTTR {
			continue
		}
		x := float64(chartPad) + float64(chartW-2*chartPad)*t.Start.Sub(from).Seconds()/span
		y := float64(chartH-chartPad) - float64(chartH-2*chartPad)*t.TTR.Hours()/top.Hours()
		fmt.Fprintf(&b, `<circle class="dot" cx="%.1f" cy="%.1f" r="4"><title>%s: %s</title></circle>`, x, y, t.Start.UTC().Format(time.DateOnly), duration(t.TTR))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/><text class="label start" x="2" y="%d">%s</text>`,
		chartPad, chartH-chartPad, chartW-chartPad, chartH-chartPad, chartPad, duration(top))
	fmt.Fprintf(&b, `<text class="label start" x="%d" y="%d">%s</text><text class="label end" x="%d" y="%d">%s</text></svg>`,
		chartPad, chartH-8, from.UTC().Format("Jan 2006"), chartW-chartPad, chartH-8, to.UTC().Format("Jan 2006"))
	return template.HTML(b.String())
}
