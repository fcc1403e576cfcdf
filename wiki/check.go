package wiki

import (
	"fmt"
	"strings"
	"time"
)

// checkMeta adds the problems that need the whole front matter and the
// resolved kind: values that depend on the kind and out-of-order timestamps.
func checkMeta(d *Document) {
	m := &d.Meta
	if d.Path.Top() == "templates" {
		return // templates hold placeholders, not a real document
	}
	for _, h := range d.Headings {
		if p := placeholderRE.FindString(h.Text); p != "" {
			d.add(SeverityWarning, h.Line, "", "%s is a template placeholder: fill it in", p)
		}
	}
	switch m.Kind {
	case KindPostmortem:
		if m.Status != "" && !contains(PostmortemStatuses, m.Status) && !isPlaceholder(m.Status) {
			d.add(SeverityError, d.KeyLine("status"), "status", "status %q is not one of %s", m.Status, strings.Join(PostmortemStatuses, ", "))
		}
		checkTimeline(d)
	case KindService, KindRunbook:
		if m.Owner == "" && d.HasFrontMatter && !d.metaInvalid {
			d.add(SeverityWarning, 1, "owner", "no owner: add an owner team so people know who keeps this %s current", m.Kind)
		}
	}
	checkSLOAndDrill(d)
}

// checkTimeline warns when incident timestamps are out of order.
func checkTimeline(d *Document) {
	m := &d.Meta
	steps := []struct {
		key string
		t   time.Time
	}{{"started", m.Started}, {"detected", m.Detected}, {"acknowledged", m.Acknowledged}, {"mitigated", m.Mitigated}, {"resolved", m.Resolved}}
	var prevKey string
	var prev time.Time
	for _, s := range steps {
		if s.t.IsZero() {
			continue
		}
		if !prev.IsZero() && s.t.Before(prev) {
			d.add(SeverityWarning, d.KeyLine(s.key), s.key, "%s (%s) is before %s (%s)", s.key, s.t.Format(time.RFC3339), prevKey, prev.Format(time.RFC3339))
		}
		prevKey, prev = s.key, s.t
	}
}

// DatedProblems returns the warnings that depend on today's date: open action
// items past their due date and runbooks past their review date.
func (d *Document) DatedProblems(now time.Time) []Problem {
	var out []Problem
	if d.Path.Top() == "templates" {
		return nil
	}
	for _, a := range d.Meta.ActionItems {
		if a.Overdue(now) {
			out = append(out, Problem{Path: d.Path, Line: a.Line, Severity: SeverityWarning, Field: "action_items",
				Message: fmt.Sprintf("action item %q was due %s and is still %s", a.ID, a.Due.Format(time.DateOnly), a.Status)})
		}
	}
	if due, ok := d.ReviewDue(); ok && now.After(due) {
		out = append(out, Problem{Path: d.Path, Line: d.KeyLine("last_reviewed"), Severity: SeverityWarning, Field: "last_reviewed",
			Message: fmt.Sprintf("last reviewed %s; a review was due %s", d.Meta.LastReviewed.Format(time.DateOnly), due.Format(time.DateOnly))})
	}
	return out
}

// ReviewDue returns when the page should next be reviewed. Runbooks are
// reviewed every 180 days unless review_every says otherwise; other pages
// only when they set review_every. ok is false when no review is expected
// or the page was never marked reviewed.
func (d *Document) ReviewDue() (time.Time, bool) {
	every := d.Meta.ReviewEvery
	if every == 0 && d.Meta.Kind == KindRunbook {
		every = 180 * 24 * time.Hour
	}
	if every == 0 || d.Meta.LastReviewed.IsZero() {
		return time.Time{}, false
	}
	return d.Meta.LastReviewed.Add(every), true
}

// Overdue reports whether an unfinished item is past its due date.
func (a ActionItem) Overdue(now time.Time) bool {
	if a.Due.IsZero() || a.Status == "done" || a.Status == "wontfix" {
		return false
	}
	return now.After(a.Due.Add(24 * time.Hour)) // due dates are whole days
}

func (d *Document) add(s Severity, line int, field, format string, args ...any) {
	d.Problems = append(d.Problems, Problem{Path: d.Path, Line: line, Severity: s, Field: field, Message: fmt.Sprintf(format, args...)})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
