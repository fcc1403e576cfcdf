package wiki

import (
	"fmt"
	"slices"
	"time"
)

// Problems assembles everything wrong with a document, by line: its own
// problems (front matter errors and warnings, unresolved conflict
// markers), the warnings that depend on the day (open action items past
// due, a runbook past review), and its references to pages and services
// the wiki does not have (broken, from Catalog.Broken or the graph). It is
// the one place they are put together: the page view, the API, the
// preview, the content report, `opswiki check` and a push all show the
// same problems, worded the same.
func Problems(d *Document, broken []BrokenRef, now time.Time) []Problem {
	out := make([]Problem, 0, len(d.Problems)+min(len(broken), maxBrokenShown+1))
	out = append(out, d.Problems...)
	out = append(out, d.DatedProblems(now)...)
	for i, b := range broken {
		if i == maxBrokenShown {
			out = append(out, Problem{Path: b.From, Line: b.Line, Severity: SeverityWarning,
				Message: fmt.Sprintf("and %d more links or references to pages and services the wiki does not have", len(broken)-i)})
			break
		}
		out = append(out, b.Problem())
	}
	slices.SortStableFunc(out, func(a, b Problem) int {
		if a.Path != b.Path {
			if a.Path < b.Path {
				return -1
			}
			return 1
		}
		return a.Line - b.Line
	})
	return out
}

// maxBrokenShown is how many broken references of one page are listed
// one by one; the rest are counted.
const maxBrokenShown = 100

// Problem words a broken reference as the warning it is.
func (b BrokenRef) Problem() Problem {
	if msg, ok := sloProblem(b); ok {
		return Problem{Path: b.From, Line: b.Line, Severity: SeverityWarning, Field: "slo_impact", Message: msg}
	}
	var msg string
	switch b.What {
	case "service":
		msg = fmt.Sprintf("service %q has no service page", b.Target)
	case "related":
		msg = fmt.Sprintf("related page %q does not exist", b.Target)
	default:
		msg = fmt.Sprintf("link to %q: no such page", b.Target)
	}
	return Problem{Path: b.From, Line: b.Line, Severity: SeverityWarning, Message: msg}
}

// Broken resolves a document's links, related pages and services against
// the wiki as it is now: for a document that is not (or not yet) the one
// on main, such as a preview or a pushed page. For pages on main the graph
// holds the same answers (Graph.BrokenOf).
func (c *Catalog) Broken(d *Document) []BrokenRef {
	if d.Meta.Kind == KindTemplate {
		return nil // templates hold placeholders, not references
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, _, broken := linkRefs(c, d)
	out := serviceRefs(d, func(k string) bool { return len(c.svcs[k]) > 0 })
	out = append(out, sloRefs(d, func(k string) []SLO {
		if list := c.svcs[k]; len(list) > 0 {
			return c.pages[list[0]].Meta.SLOs
		}
		return nil
	})...)
	out = append(out, broken...)
	slices.SortStableFunc(out, func(a, b BrokenRef) int { return a.Line - b.Line })
	return out
}
