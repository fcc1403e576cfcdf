package wiki

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Report lists every error and warning in the wiki, by file and line, as
// Problems words them for each page, with those of the repository's
// settings, configuration files and CODEOWNERS, and the readiness of every
// postmortem as far as the text tells it (see ReportWith).
func Report(c *Catalog, now time.Time) []Problem {
	return ReportWith(context.Background(), c, now, nil)
}

// ReportWith is Report with the history of main, tl, against which the
// runbooks each postmortem names are checked (see CheckReadiness); with a
// nil tl, or while the history is being built, they are not.
func ReportWith(ctx context.Context, c *Catalog, now time.Time, tl Timeline) []Problem {
	g := c.Graph()
	var out []Problem
	s := c.Settings()
	if s != nil {
		out = append(out, s.Problems...)
	}
	owners := c.CodeOwners()
	for _, d := range c.Configs() {
		if d.CodeOwners != nil && owners != nil && d.Path != owners.Path {
			// Git hosts read one CODEOWNERS file, and so does the wiki:
			// the others' mistakes matter less than that they are not read.
			out = append(out, Problem{Path: d.Path, Line: 1, Severity: SeverityWarning,
				Message: fmt.Sprintf("this CODEOWNERS file is not in force: %s is, and only one is read; merge the two", owners.Path)})
			continue
		}
		out = append(out, d.Problems...)
	}
	// Runbooks of services that expect drills and have not had one, on
	// the services' pages.
	drills := map[Path][]Problem{}
	for _, p := range DrillProblems(c, now) {
		drills[p.Path] = append(drills[p.Path], p)
	}
	for _, pi := range c.Pages() {
		if pi.Meta.Kind == KindTemplate || pi.Doc == nil {
			continue
		}
		ps := Problems(pi.Doc, g.BrokenOf(pi.Path), now)
		if dp := drills[pi.Path]; len(dp) > 0 {
			ps = append(ps, dp...)
			slices.SortStableFunc(ps, func(a, b Problem) int { return a.Line - b.Line })
		}
		if pi.Meta.Kind == KindPostmortem {
			r := CheckReadiness(ctx, c, tl, pi.Doc, s, nil)
			if len(r.Findings) > 0 {
				ps = append(ps, r.Problems()...)
				slices.SortStableFunc(ps, func(a, b Problem) int { return a.Line - b.Line })
			}
		}
		out = append(out, ps...)
	}
	return out
}
