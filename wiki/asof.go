package wiki

import (
	"context"
	"strings"
	"time"
)

// Timeline answers what a page was at a moment, from the per-path history
// index rather than a walk of the log.
//
// A revision counts as in force from its commit's committer time: when the
// commit was made, which for a rebased or cherry-picked change is when it
// was made again, closer to when it reached main than the author time.
// Clocks disagree, so a revision whose time is earlier than that of the
// page's revision before it counts from that later time: it was made on
// top of it and cannot have been in force before it. Merges count from the
// merge commit, when their changes reached main's first-parent line.
type Timeline interface {
	// PageAt returns path p as of moment t. Returns EUNAVAILABLE while
	// the history is still being built.
	PageAt(ctx context.Context, p Path, t time.Time) (PageAt, error)
	// Commit returns the commit of main the timeline reflects.
	Commit() string
}

// PageAt is one path as of a moment.
type PageAt struct {
	// Then is the revision in force at the moment: the newest at or before
	// it. Its ID is "" when the path had no revision yet, and its Kind is
	// Deleted when the path had been deleted by then.
	Then Revision
	// ThenAt is when Then counts from (see Timeline).
	ThenAt time.Time
	// Since counts the revisions of the path after the moment.
	Since int
	// Latest is the newest revision of the path (ID "" when it has none)
	// and LatestAt when it counts from.
	Latest   Revision
	LatestAt time.Time
}

// Existed reports whether the path held a file at the moment.
func (a PageAt) Existed() bool { return a.Then.ID != "" && a.Then.Kind != Deleted }

// IncidentStart returns when an incident counts as having started, by the
// rule the incident metrics use (Times): started, else detected, else
// resolved; and the name of the timestamp it took, "" when there is none.
func IncidentStart(m Meta) (time.Time, string) {
	start := Times(&PageInfo{Meta: m}).Start
	switch {
	case start.IsZero():
		return start, ""
	case start.Equal(m.Started):
		return start, "started"
	case start.Equal(m.Detected):
		return start, "detected"
	}
	return start, "resolved"
}

// IncidentPage is a page a postmortem relies on: a runbook it names in
// runbooks or links to, or the page of a service the incident affected.
type IncidentPage struct {
	Path  Path
	Title string
	Kind  string
	// Named is the runbooks entry naming the page; "" for a page the
	// postmortem links to or a service's page.
	Named string
	// Service is the service whose page it is, for a page found through
	// services.
	Service string
	// Line is where the postmortem names or links the page.
	Line int
}

// IncidentPages returns the pages postmortem d relies on, each once: the
// runbooks its runbooks key names, then the runbooks and service pages its
// body and related key link to, then the pages of its services. unknown
// lists the runbooks entries that name neither a page nor an alert a
// runbook answers.
func (c *Catalog) IncidentPages(d *Document) (pages []IncidentPage, unknown []string) {
	g := c.Graph()
	// Alert names resolve through the graph, which needs no lock.
	named := make([][]Path, len(d.Meta.Runbooks))
	for i, entry := range d.Meta.Runbooks {
		named[i] = g.RunbooksForAlert(runbookName(entry))
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	seen := map[Path]bool{d.Path: true}
	add := func(p Path, ip IncidentPage) {
		pi, ok := c.pages[p]
		if !ok || seen[p] {
			return
		}
		seen[p] = true
		ip.Path, ip.Title, ip.Kind = p, pi.Title, pi.Meta.Kind
		pages = append(pages, ip)
	}
	line := d.KeyLine("runbooks")
	for i, entry := range d.Meta.Runbooks {
		// A page by path or name first: "runbooks/disk-full" names that
		// page even when an alert is called the same.
		if p, ok := c.lookupNameLocked(d.Path, runbookName(entry)); ok && p.IsPage() {
			add(p, IncidentPage{Named: entry, Line: line})
			continue
		}
		if len(named[i]) == 0 {
			unknown = append(unknown, entry)
		}
		for _, p := range named[i] {
			add(p, IncidentPage{Named: entry, Line: line})
		}
	}
	linked := func(p Path, line int) {
		if pi, ok := c.pages[p]; ok && (pi.Meta.Kind == KindRunbook || pi.Meta.Kind == KindService) {
			add(p, IncidentPage{Line: line})
		}
	}
	for _, l := range d.Links {
		if p, ok, skip := resolveLink(c, d.Path, l); ok && !skip {
			linked(p, l.Line)
		}
	}
	for _, r := range d.Meta.Related {
		if p, ok := c.lookupNameLocked(d.Path, strings.TrimSuffix(r, ".md")); ok {
			linked(p, d.KeyLine("related"))
		}
	}
	for _, name := range d.Meta.Services {
		if list := c.svcs[strings.ToLower(strings.TrimSpace(name))]; len(list) > 0 {
			add(list[0], IncidentPage{Service: name, Line: max(d.KeyLine("services"), d.KeyLine("service"))})
		}
	}
	return pages, unknown
}

// runbookName is a runbooks entry as a name to look up: written as a
// path, a file name, a wiki link or an alert name.
func runbookName(entry string) string {
	s := strings.TrimSpace(entry)
	if strings.HasPrefix(s, "[[") && strings.HasSuffix(s, "]]") {
		s, _, _ = strings.Cut(s[2:len(s)-2], "|")
	}
	return strings.TrimSuffix(strings.TrimSpace(s), ".md")
}

// AsOf is what a postmortem shows of the pages it relies on as they were
// when its incident started, and what changed in them since.
type AsOf struct {
	// Moment is when the incident started (IncidentStart), and Basis the
	// timestamp it comes from; zero and "" when the postmortem has none,
	// and then Pages have no revisions.
	Moment time.Time
	Basis  string
	Pages  []PageThen
	// Unknown are runbooks entries naming no page and no alert.
	Unknown []string
}

// PageThen is one page as of the incident's start.
type PageThen struct {
	IncidentPage
	At PageAt
}

// AsItWasThen looks up every page postmortem d relies on (IncidentPages)
// in tl as of the incident's start. Returns EUNAVAILABLE while the history
// is still being built.
func AsItWasThen(ctx context.Context, c *Catalog, tl Timeline, d *Document) (AsOf, error) {
	var out AsOf
	out.Moment, out.Basis = IncidentStart(d.Meta)
	pages, unknown := c.IncidentPages(d)
	out.Unknown = unknown
	for _, ip := range pages {
		pt := PageThen{IncidentPage: ip}
		if !out.Moment.IsZero() {
			at, err := tl.PageAt(ctx, ip.Path, out.Moment)
			if err != nil {
				return AsOf{}, err
			}
			pt.At = at
		}
		out.Pages = append(out.Pages, pt)
	}
	return out, nil
}
