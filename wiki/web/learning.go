package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

// ThenPanel is "As it was then" on a postmortem: the runbooks and service
// pages it relies on as they were when the incident started, and what
// changed in them since.
type ThenPanel struct {
	// Moment is when the incident started, and Basis the timestamp it
	// comes from when that is not started.
	Moment, MomentISO string
	Basis             string
	// CannotTell says the postmortem has no timestamp to go by.
	CannotTell bool
	// Unavailable says why the revisions cannot be shown yet.
	Unavailable string
	Pages       []ThenRow
	Unknown     []UnknownRunbook
}

// ThenRow is one page as of the incident's start.
type ThenRow struct {
	Title, URL, Kind string
	// Why says how the postmortem relies on the page.
	Why string
	// Existed says the page existed then; RevisionURL shows it as it was.
	Existed      bool
	RevisionURL  string
	Revision     string
	RevisionDate string
	// Since counts the commits that changed the page after the moment,
	// the last on LastDate; DiffURL compares then with now.
	Since      int
	SinceText  string // "3 commits"
	LastDate   string
	DiffURL    string
	HistoryURL string
	// Gone says the page has been deleted since.
	Gone bool
}

// UnknownRunbook is a runbooks entry that names no page and no alert, with
// where to write it.
type UnknownRunbook struct {
	Name, URL string
}

// ReadinessPanel is the Readiness box of a postmortem: what the incident
// should have changed and did not.
type ReadinessPanel struct {
	Findings []ReadinessRow
	// Checked summarises what was checked; Unchecked why the runbooks
	// were not.
	Checked   string
	Unchecked string
	Errors    int
}

// ReadinessRow is one finding, with a link to act on it.
type ReadinessRow struct {
	Severity wiki.Severity
	Check    string
	Line     int
	Message  string
	LinkText string
	URL      string
}

// timeline returns the history as a Timeline, nil when it is not one.
func (s *Server) timeline() wiki.Timeline {
	tl, _ := s.history.(wiki.Timeline)
	return tl
}

// learning builds a postmortem's "As it was then" and Readiness panels.
func (s *Server) learning(ctx context.Context, doc *wiki.Document) (*ThenPanel, *ReadinessPanel) {
	tl := s.timeline()
	if tl == nil {
		return nil, nil
	}
	return s.thenPanel(ctx, tl, doc), s.readinessPanel(ctx, tl, doc)
}

func (s *Server) thenPanel(ctx context.Context, tl wiki.Timeline, doc *wiki.Document) *ThenPanel {
	asOf, err := wiki.AsItWasThen(ctx, s.catalog, tl, doc)
	if err != nil {
		return &ThenPanel{Unavailable: wiki.ErrorMessage(err)}
	}
	if len(asOf.Pages) == 0 && len(asOf.Unknown) == 0 {
		return nil
	}
	v := &ThenPanel{CannotTell: asOf.Moment.IsZero()}
	if !v.CannotTell {
		v.Moment, v.MomentISO = utcMinute(asOf.Moment), asOf.Moment.UTC().Format(time.RFC3339)
		if asOf.Basis != "started" {
			v.Basis = asOf.Basis
		}
	}
	for _, pt := range asOf.Pages {
		v.Pages = append(v.Pages, thenRow(pt, v.CannotTell))
	}
	for _, name := range asOf.Unknown {
		v.Unknown = append(v.Unknown, UnknownRunbook{Name: name, URL: "/-/alerts/" + url.PathEscape(name)})
	}
	return v
}

func thenRow(pt wiki.PageThen, cannotTell bool) ThenRow {
	p, at := pt.Path, pt.At
	r := ThenRow{Title: pt.Title, URL: p.URL(), Kind: pt.Kind, HistoryURL: "/-/history/" + escapeName(p.Name()),
		Since: at.Since, SinceText: wiki.Plural(at.Since, "commit"), Gone: at.Latest.Kind == wiki.Deleted}
	switch {
	case pt.Named != "":
		r.Why = "runbooks: " + pt.Named
	case pt.Service != "":
		r.Why = "service " + pt.Service
	default:
		r.Why = "linked"
	}
	if cannotTell {
		return r
	}
	if at.Latest.ID != "" {
		r.LastDate = at.LatestAt.UTC().Format(time.DateOnly)
	}
	if r.Existed = at.Existed(); r.Existed {
		r.RevisionURL, r.Revision = revisionURL(p, at.Then.ID), shortID(at.Then.ID)
		r.RevisionDate = utcMinute(at.ThenAt)
		if at.Since > 0 && !r.Gone {
			r.DiffURL = diffURL(p, at.Then.ID, at.Latest.ID)
		}
	}
	return r
}

func (s *Server) readinessPanel(ctx context.Context, tl wiki.Timeline, doc *wiki.Document) *ReadinessPanel {
	r := wiki.CheckReadiness(ctx, s.catalog, tl, doc, s.catalog.Settings(), nil)
	v := &ReadinessPanel{Unchecked: r.RunbooksUnchecked}
	switch {
	case r.RunbooksUnchecked != "":
	case r.Runbooks == 0:
		v.Checked = "The postmortem names and links no runbook"
	default:
		v.Checked = fmt.Sprintf("%s checked for changes since the incident %s (%s)", wiki.Plural(r.Runbooks, "runbook"), r.SincePhrase(), utcMinute(r.Since))
	}
	for _, f := range r.Findings {
		row := ReadinessRow{Severity: f.Problem.Severity, Check: f.Check, Line: f.Problem.Line, Message: f.Problem.Message}
		switch {
		case f.Runbook != nil:
			row.LinkText, row.URL = "edit "+f.Runbook.Title, "/-/edit/"+escapeName(f.Runbook.Path.Name())
		case f.Named != "":
			row.LinkText, row.URL = "write it", "/-/alerts/"+url.PathEscape(f.Named)
		case f.Item != "":
			row.LinkText, row.URL = "edit "+f.Item, "/-/edit/"+escapeName(doc.Path.Name())
		}
		if row.Severity == wiki.SeverityError {
			v.Errors++
		}
		v.Findings = append(v.Findings, row)
	}
	return v
}

// utcMinute writes a moment as the postmortems do: "2026-10-14 13:44 UTC".
func utcMinute(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// incidentDeps keeps, per postmortem, the pages its panels read: finding
// them parses the postmortem, which a cached page view never does
// otherwise. They are found again when the postmortem or where its links
// lead changes, and at least every depsTTL (a runbook newly answering an
// alert it names).
type incidentDeps struct {
	mu   sync.Mutex
	deps map[wiki.Path]incidentDep
}

type incidentDep struct {
	blob  string
	links uint64
	at    time.Time
	pages []wiki.Path
}

const depsTTL = 30 * time.Second

// learningKey says what a postmortem's panels show depends on: the
// versions of the pages it relies on, the settings (which checks block),
// and, while the history index is behind main, its commit. A commit that
// touches none of these leaves the postmortem cached.
func (s *Server) learningKey(ctx context.Context, pi *wiki.PageInfo) string {
	tl := s.timeline()
	if tl == nil {
		return ""
	}
	links := s.catalog.Graph().LinksVersion(pi.Path)
	now := time.Now()
	d := &s.incident
	d.mu.Lock()
	if d.deps == nil || len(d.deps) > 10000 {
		d.deps = map[wiki.Path]incidentDep{}
	}
	dep, ok := d.deps[pi.Path]
	d.mu.Unlock()
	if !ok || dep.blob != pi.Blob || dep.links != links || now.Sub(dep.at) > depsTTL || now.Before(dep.at) {
		dep = incidentDep{blob: pi.Blob, links: links, at: now}
		if content, err := s.store.ReadBlob(ctx, pi.Blob); err == nil {
			pages, _ := s.catalog.IncidentPages(wiki.ParseDocumentWith(pi.Path, content, s.catalog.Settings()))
			for _, ip := range pages {
				dep.pages = append(dep.pages, ip.Path)
			}
		}
		d.mu.Lock()
		d.deps[pi.Path] = dep
		d.mu.Unlock()
	}
	var b strings.Builder
	for _, p := range dep.pages {
		blob, _ := s.catalog.Blob(p)
		b.WriteString(string(p) + " " + blob + "\x00")
	}
	fmt.Fprintf(&b, "settings %p", s.catalog.Settings())
	if c := tl.Commit(); c != s.catalog.Commit() {
		b.WriteString(" history " + c)
	}
	return b.String()
}
