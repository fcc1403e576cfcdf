package wiki

import "time"

// Report lists every error and warning in the wiki, by file and line, as
// Problems words them for each page.
func Report(c *Catalog, now time.Time) []Problem {
	g := c.Graph()
	var out []Problem
	if s := c.Settings(); s != nil {
		out = append(out, s.Problems...)
	}
	for _, d := range c.Configs() {
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
