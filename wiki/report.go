package wiki

import (
	"fmt"
	"sort"
	"time"
)

// Report lists every error and warning in the wiki, by file and line:
// problems in each page's front matter, dated warnings (overdue action
// items, runbooks past review) and the graph's broken references (links to
// missing pages, unknown services).
func Report(c *Catalog, now time.Time) []Problem {
	var out []Problem
	for _, pi := range c.Pages() {
		if pi.Meta.Kind == KindTemplate {
			continue
		}
		out = append(out, pi.Problems...)
		if pi.Doc != nil {
			out = append(out, pi.Doc.DatedProblems(now)...)
		}
	}
	for _, b := range c.Graph().Broken {
		var msg string
		switch b.What {
		case "service":
			msg = fmt.Sprintf("service %q has no service page", b.Target)
		case "related":
			msg = fmt.Sprintf("related page %q does not exist", b.Target)
		default:
			msg = fmt.Sprintf("link to %q: no such page", b.Target)
		}
		out = append(out, Problem{Path: b.From, Line: b.Line, Severity: SeverityWarning, Message: msg})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Line < out[j].Line
	})
	return out
}
