package web

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

// Fact is one labelled line of a page's header, made from front matter.
type Fact struct {
	Label  string
	Class  string
	Values []FactValue
}

// FactValue is one value of a fact: text, a link, or a time.
type FactValue struct {
	Text     string
	URL      string
	External bool
	Time     string // RFC 3339, for <time datetime>
}

// ActionRow is one action item in a postmortem's header.
type ActionRow struct {
	wiki.ActionItem
	Due       string
	Overdue   bool
	TicketURL string
}

// ExtraField is a front matter key the model does not know, shown as written.
type ExtraField struct {
	Key   string
	Value string
}

// facts turns front matter into the header lines of a page view.
func (s *Server) facts(d *wiki.Document, now time.Time) []Fact {
	m := d.Meta
	var out []Fact
	add := func(label, class string, vals ...FactValue) {
		if len(vals) > 0 {
			out = append(out, Fact{Label: label, Class: class, Values: vals})
		}
	}
	text := func(vs ...string) []FactValue {
		var out []FactValue
		for _, v := range vs {
			if v != "" {
				out = append(out, FactValue{Text: v})
			}
		}
		return out
	}
	add("Services", "", s.serviceLinks(m.Services)...)
	add("Owner", "", searchLinks("owner", m.Owner)...)
	add("Severity", "severity", text(m.Severity)...)
	if m.Kind == wiki.KindPostmortem {
		add("Status", "status status-"+m.Status, text(m.Status)...)
	}
	var incidents []FactValue
	for _, id := range m.Incidents {
		incidents = append(incidents, FactValue{Text: id, URL: "/-/incidents/" + url.PathEscape(id)})
	}
	add("Incident", "", incidents...)
	var alerts []FactValue
	for _, a := range m.Alerts {
		alerts = append(alerts, FactValue{Text: a, URL: "/-/alerts/" + url.PathEscape(a)})
	}
	add("Alerts", "alerts", alerts...)
	add("Tier", "", text(m.Tier)...)
	add("Lifecycle", "", text(m.Lifecycle)...)
	add("On-call", "", text(m.Oncall)...)
	add("Contacts", "", text(m.Contacts...)...)
	add("Depends on", "", s.serviceLinks(m.DependsOn)...)
	if wiki.SafeURL(m.Repo) && strings.Contains(m.Repo, "://") {
		add("Repository", "", FactValue{Text: m.Repo, URL: m.Repo, External: true})
	} else {
		add("Repository", "", text(m.Repo)...)
	}
	var links []FactValue
	for _, l := range m.Links {
		links = append(links, FactValue{Text: l.Title, URL: l.URL, External: true})
	}
	add("Dashboards", "", links...)
	add("Authors", "", text(m.Authors...)...)
	for _, ts := range []struct {
		label string
		t     time.Time
	}{{"Started", m.Started}, {"Detected", m.Detected}, {"Acknowledged", m.Acknowledged}, {"Mitigated", m.Mitigated}, {"Resolved", m.Resolved}} {
		if !ts.t.IsZero() {
			add(ts.label, "time", timeValue(ts.t))
		}
	}
	if !m.Started.IsZero() && !m.Resolved.IsZero() && m.Resolved.After(m.Started) {
		add("Time to resolve", "", FactValue{Text: duration(m.Resolved.Sub(m.Started))})
	}
	if !m.LastReviewed.IsZero() {
		add("Last reviewed", "", timeValue(m.LastReviewed))
		if due, ok := d.ReviewDue(); ok {
			class := ""
			if now.After(due) {
				class = "late"
			}
			add("Review due", class, timeValue(due))
		}
	}
	add("Tags", "tags", searchLinks("tag", m.Tags...)...)
	add("Related", "", s.pageLinks(d.Path, m.Related)...)
	return out
}

func timeValue(t time.Time) FactValue {
	return FactValue{Text: formatTime(t), Time: t.Format(time.RFC3339)}
}

// duration writes a span as an incident report would: "2h 21m".
func duration(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h >= 48:
		return fmt.Sprintf("%dd %dh", h/24, h%24)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	}
	return fmt.Sprintf("%dm", m)
}

// serviceLinks links each service name to its service page, or to a search
// for pages about it when the wiki has no page for it yet.
func (s *Server) serviceLinks(names []string) []FactValue {
	var out []FactValue
	for _, n := range names {
		if pi, ok := s.catalog.Service(n); ok {
			out = append(out, FactValue{Text: n, URL: pi.Path.URL()})
		} else {
			out = append(out, FactValue{Text: n, URL: "/-/search?q=" + url.QueryEscape("service:"+n)})
		}
	}
	return out
}

// pageLinks links names of related pages that exist.
func (s *Server) pageLinks(from wiki.Path, names []string) []FactValue {
	var out []FactValue
	for _, n := range names {
		if wiki.SafeURL(n) && strings.Contains(n, "://") {
			out = append(out, FactValue{Text: n, URL: n, External: true})
		} else if p, ok := s.catalog.LookupName(from, strings.TrimSuffix(n, ".md")); ok {
			text := n
			if pi, ok := s.catalog.Page(p); ok {
				text = pi.Title
			}
			out = append(out, FactValue{Text: text, URL: p.URL()})
		} else {
			out = append(out, FactValue{Text: n})
		}
	}
	return out
}

func searchLinks(field string, vals ...string) []FactValue {
	var out []FactValue
	for _, v := range vals {
		if v == "" {
			continue
		}
		q := v
		if strings.ContainsAny(q, " \"") {
			q = `"` + strings.ReplaceAll(q, `"`, "") + `"`
		}
		out = append(out, FactValue{Text: v, URL: "/-/search?q=" + url.QueryEscape(field+":"+q)})
	}
	return out
}

func actionRows(items []wiki.ActionItem, now time.Time) []ActionRow {
	out := make([]ActionRow, 0, len(items))
	for _, a := range items {
		row := ActionRow{ActionItem: a, Overdue: a.Overdue(now)}
		if !a.Due.IsZero() {
			row.Due = a.Due.Format(time.DateOnly)
		}
		if wiki.SafeURL(a.Ticket) && strings.Contains(a.Ticket, "://") {
			row.TicketURL = a.Ticket
		}
		out = append(out, row)
	}
	return out
}

// extraFields formats unknown front matter keys for display.
func extraFields(fields []wiki.Field) []ExtraField {
	out := make([]ExtraField, 0, len(fields))
	for _, f := range fields {
		out = append(out, ExtraField{Key: f.Key, Value: formatValue(f.Value)})
	}
	return out
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatValue(e)
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + formatValue(x[k])
		}
		return "{" + strings.Join(parts, "; ") + "}"
	case time.Time:
		return formatTime(x)
	}
	return fmt.Sprint(v)
}
