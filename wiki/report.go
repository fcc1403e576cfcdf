package wiki

import (
	"fmt"
	"time"
)

// Report lists every error and warning in the wiki, by file and line, as
// Problems words them for each page, with those of the repository's
// settings, configuration files and CODEOWNERS.
func Report(c *Catalog, now time.Time) []Problem {
	g := c.Graph()
	var out []Problem
	if s := c.Settings(); s != nil {
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
	for _, pi := range c.Pages() {
		if pi.Meta.Kind == KindTemplate || pi.Doc == nil {
			continue
		}
		out = append(out, Problems(pi.Doc, g.BrokenOf(pi.Path), now)...)
	}
	return out
}
