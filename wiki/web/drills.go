package web

import (
	"net/url"
	"strings"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

// DrillStatus is when a runbook was last drilled, on its service's page.
type DrillStatus struct {
	Text string // "drilled 2026-11-02", "never drilled"
	URL  string // the drill, when one did it
	// Late says a drill is due: never drilled, or not within the
	// service's drill interval.
	Late bool
}

// drillStatus says when each of a service's runbooks was last drilled,
// and how often the service expects drills ("" for not at all).
func (s *Server) drillStatus(n *wiki.ServiceNode, now time.Time) (map[wiki.Path]DrillStatus, string) {
	var every time.Duration
	if n.Page != nil {
		every = wiki.DrillEvery(n.Page.Meta, s.catalog.Settings())
	}
	out := map[wiki.Path]DrillStatus{}
	for _, rb := range n.Runbooks {
		when, drill := s.catalog.LastExercised(rb, now)
		st := DrillStatus{Text: "never drilled", Late: every > 0}
		if !when.IsZero() {
			st.Text = "drilled " + when.UTC().Format(time.DateOnly)
			st.Late = every > 0 && now.Sub(when) > every
		}
		// A link to plan one only where one is due: a service listing
		// hundreds of runbooks no drill policy covers stays small.
		if drill != nil {
			st.URL = drill.Path.URL()
		} else if pi, ok := s.catalog.Page(rb); ok && st.Late {
			st.URL = newDrillURL(pi)
		}
		out[rb] = st
	}
	if every > 0 {
		return out, wiki.FormatInterval(every)
	}
	return out, ""
}

// drillFacts are the header lines of a runbook (when it was last
// exercised) and of a drill (when, who, which runbooks).
func (s *Server) drillFacts(d *wiki.Document, now time.Time) []Fact {
	m := d.Meta
	var out []Fact
	switch m.Kind {
	case wiki.KindRunbook:
		when, drill := s.catalog.LastExercised(d.Path, now)
		if when.IsZero() {
			break
		}
		vals := []FactValue{timeValue(when)}
		if drill != nil {
			vals = append(vals, FactValue{Text: drill.Title, URL: drill.Path.URL()})
		}
		vals = append(vals, FactValue{Text: "plan the next drill", URL: newDrillURL(s.pageInfoOf(d))})
		out = append(out, Fact{Label: "Last exercised", Class: "exercised", Values: vals})
	case wiki.KindDrill:
		if date := wiki.DrillDate(m); !date.IsZero() {
			f := Fact{Label: "Date", Values: []FactValue{{Text: date.UTC().Format(time.DateOnly), Time: date.Format(time.RFC3339)}}}
			if date.After(now) {
				f.Label, f.Class = "Planned for", "planned"
			}
			out = append(out, f)
		}
		var rbs []FactValue
		for _, rb := range s.catalog.DrillRunbooks(s.pageInfoOf(d)) {
			if rb.Path == "" {
				rbs = append(rbs, FactValue{Text: rb.Name + " (no such runbook)", URL: "/-/search?q=" + url.QueryEscape(rb.Name)})
				continue
			}
			title := rb.Path.FileTitle()
			if pi, ok := s.catalog.Page(rb.Path); ok {
				title = pi.Title
			}
			rbs = append(rbs, FactValue{Text: title, URL: rb.Path.URL()})
		}
		if len(rbs) > 0 {
			out = append(out, Fact{Label: "Runbooks exercised", Values: rbs})
		}
		var people []FactValue
		for _, p := range m.Participants {
			people = append(people, FactValue{Text: p})
		}
		if len(people) > 0 {
			out = append(out, Fact{Label: "Participants", Values: people})
		}
	}
	return out
}

// pageInfoOf is the catalog's entry for a document, or one made from it
// (an old revision, a preview).
func (s *Server) pageInfoOf(d *wiki.Document) *wiki.PageInfo {
	return &wiki.PageInfo{Path: d.Path, Title: d.Title, Meta: d.Meta, Doc: d}
}

// withoutDate leaves a drill's date out of the other front matter: its
// header shows it.
func withoutDate(fields []ExtraField) []ExtraField {
	out := fields[:0:0]
	for _, f := range fields {
		if f.Key != "date" {
			out = append(out, f)
		}
	}
	return out
}

// drillKey fingerprints what a page shows of drills, for the page cache:
// a runbook's last exercise, a drill's runbooks, a service's runbooks'
// drills.
func (s *Server) drillKey(pi *wiki.PageInfo, now time.Time) string {
	var b strings.Builder
	last := func(p wiki.Path) {
		when, drill := s.catalog.LastExercised(p, now)
		b.WriteString(string(p) + " " + when.Format(time.DateOnly))
		if drill != nil {
			b.WriteString(" " + string(drill.Path) + " " + drill.Title)
		}
		b.WriteByte(0)
	}
	switch pi.Meta.Kind {
	case wiki.KindRunbook:
		last(pi.Path)
	case wiki.KindDrill:
		for _, rb := range s.catalog.DrillRunbooks(pi) {
			b.WriteString(rb.Name + " " + string(rb.Path))
			if p, ok := s.catalog.Page(rb.Path); ok {
				b.WriteString(" " + p.Title)
			}
			b.WriteByte(0)
		}
	case wiki.KindService:
		if n, ok := s.catalog.Graph().Service(pi.Meta.Name); ok {
			for _, rb := range n.Runbooks {
				last(rb)
			}
		}
		if st := s.catalog.Settings(); st != nil {
			b.WriteString(wiki.FormatInterval(st.DrillEvery))
		}
	}
	return b.String()
}

// newDrillURL opens a new drill of a runbook from the drill template: the
// template's runbooks entry is its alert placeholder, which takes the
// runbook's first alert, else its path.
func newDrillURL(rb *wiki.PageInfo) string {
	q := url.Values{"template": {"drill"}, "title": {rb.Title}}
	if len(rb.Meta.Alerts) > 0 {
		q.Set("alert", rb.Meta.Alerts[0])
	} else {
		q.Set("alert", rb.Path.Name())
	}
	if len(rb.Meta.Services) > 0 {
		q.Set("service", rb.Meta.Services[0])
	}
	return "/-/new?" + q.Encode()
}
