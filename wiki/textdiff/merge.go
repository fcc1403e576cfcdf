package textdiff

import "strings"

// Markers are the lines written around a conflict: before the first
// version, between the two, and after the second.
type Markers struct {
	Yours, Sep, Theirs string
}

// MergeResult is the outcome of a three-way merge.
type MergeResult struct {
	// Text is the merged text; when Clean is false it holds conflict
	// markers around each conflicting region.
	Text  []byte
	Clean bool
	// Conflicts counts the conflicting regions.
	Conflicts int
}

// Merge3 merges two edits of base line by line, as diff3 does. Changes to
// different lines combine, including changes to neighbouring lines (git
// calls those a conflict; a wiki page edited in two places at once is
// better served by combining them). The same change made on both sides is
// taken once. Different changes to the same lines, and insertions at the
// same place, are a conflict: both versions appear between markers, minus
// the lines they begin and end with in common. Line endings are kept as
// they are; the markers use the ending of the text around them.
func Merge3(base, yours, theirs []byte, markers Markers) MergeResult {
	b, y, t := splitLines(base), splitLines(yours), splitLines(theirs)
	ey, et := diffLines(b, y), diffLines(b, t)
	m := merger{base: b, yours: y, theirs: t, eol: lineEnding(y, t, b), markers: markers}
	pos, i, j := 0, 0, 0
	for i < len(ey) || j < len(et) {
		// A group starts with the earlier edit; at the same line an
		// insertion goes first, since it goes before that line.
		var g group
		if j == len(et) || (i < len(ey) && before(ey[i], et[j])) {
			g.add(ey[i], 0)
			i++
		} else {
			g.add(et[j], 1)
			j++
		}
		// Then it takes in every edit that clashes with one of the other
		// side's edits in it. Edits of one side are ordered and apart, so
		// only the next edit of each side can clash.
		for grown := true; grown; {
			grown = false
			if i < len(ey) && g.clashes(ey[i], 1) {
				g.add(ey[i], 0)
				i, grown = i+1, true
			}
			if j < len(et) && g.clashes(et[j], 0) {
				g.add(et[j], 1)
				j, grown = j+1, true
			}
		}
		m.out = append(m.out, b[pos:g.a0]...)
		m.group(&g)
		pos = g.a1
	}
	m.out = append(m.out, b[pos:]...)
	return MergeResult{Text: []byte(strings.Join(m.out, "")), Clean: m.conflicts == 0, Conflicts: m.conflicts}
}

// before orders two edits of different sides by where they start in base.
func before(x, y lineEdit) bool {
	return x.a0 < y.a0 || (x.a0 == y.a0 && x.a0 == x.a1)
}

// clash reports whether edits of different sides touch the same base
// lines, or insert at the same place, or one inserts inside what the other
// replaces. Edits that only meet at a boundary do not clash: their order
// in the result is plain.
func clash(x, y lineEdit) bool {
	xi, yi := x.a0 == x.a1, y.a0 == y.a1
	switch {
	case xi && yi:
		return x.a0 == y.a0
	case xi:
		return y.a0 < x.a0 && x.a0 < y.a1
	case yi:
		return x.a0 < y.a0 && y.a0 < x.a1
	}
	return x.a0 < y.a1 && y.a0 < x.a1
}

// group is a run of edits, from one or both sides, that must be resolved
// together; it covers base[a0:a1].
type group struct {
	a0, a1 int
	edits  [2][]lineEdit // yours, theirs
}

func (g *group) add(e lineEdit, side int) {
	if len(g.edits[0])+len(g.edits[1]) == 0 {
		g.a0, g.a1 = e.a0, e.a1
	}
	g.a0, g.a1 = min(g.a0, e.a0), max(g.a1, e.a1)
	g.edits[side] = append(g.edits[side], e)
}

// clashes reports whether e clashes with any edit of the given side in g.
func (g *group) clashes(e lineEdit, side int) bool {
	for _, x := range g.edits[side] {
		if clash(e, x) {
			return true
		}
	}
	return false
}

// merger collects the merged lines.
type merger struct {
	base, yours, theirs []string
	markers             Markers
	eol                 string
	out                 []string
	conflicts           int
}

// group writes one group: a one-sided or agreeing group is clean, anything
// else is a conflict.
func (m *merger) group(g *group) {
	y := side(m.base, m.yours, g.edits[0], g.a0, g.a1)
	t := side(m.base, m.theirs, g.edits[1], g.a0, g.a1)
	switch {
	case len(g.edits[1]) == 0:
		m.out = append(m.out, y...)
		return
	case len(g.edits[0]) == 0:
		m.out = append(m.out, t...)
		return
	}
	// Lines both versions start or end with are not in conflict (git's
	// "zealous" merge); when they are all common, there is no conflict.
	p := 0
	for p < len(y) && p < len(t) && y[p] == t[p] {
		p++
	}
	q := 0
	for q < len(y)-p && q < len(t)-p && y[len(y)-1-q] == t[len(t)-1-q] {
		q++
	}
	m.out = append(m.out, y[:p]...)
	if p == len(y) && p == len(t) {
		return
	}
	m.conflicts++
	m.out = append(m.out, m.markers.Yours+m.eol)
	m.out = m.terminated(y[p : len(y)-q])
	m.out = append(m.out, m.markers.Sep+m.eol)
	m.out = m.terminated(t[p : len(t)-q])
	m.out = append(m.out, m.markers.Theirs+m.eol)
	m.out = append(m.out, y[len(y)-q:]...)
}

// terminated appends lines, ending the last one if the text ended without
// a newline there, so the next marker starts a line of its own.
func (m *merger) terminated(lines []string) []string {
	out := append(m.out, lines...)
	if n := len(out); len(lines) > 0 && !strings.HasSuffix(out[n-1], "\n") {
		out[n-1] += m.eol
	}
	return out
}

// side returns one side's version of base[a0:a1]: the base lines with that
// side's edits in the range applied.
func side(base, lines []string, edits []lineEdit, a0, a1 int) []string {
	var out []string
	pos := a0
	for _, e := range edits {
		out = append(out, base[pos:e.a0]...)
		out = append(out, lines[e.b0:e.b1]...)
		pos = e.a1
	}
	return append(out, base[pos:a1]...)
}

// lineEnding returns the ending of the first ended line in the texts, so
// the markers in a CRLF page end in CRLF too.
func lineEnding(texts ...[]string) string {
	for _, lines := range texts {
		for _, l := range lines {
			if strings.HasSuffix(l, "\r\n") {
				return "\r\n"
			} else if strings.HasSuffix(l, "\n") {
				return "\n"
			}
		}
	}
	return "\n"
}

// Merger is the three-way merge with a fixed set of markers, as the
// wiki's editor uses it (it implements wiki.Merger).
type Merger struct {
	Markers Markers
}

// Merge3 merges yours and theirs, both edits of base; see Merge3.
func (m Merger) Merge3(base, yours, theirs []byte) ([]byte, int) {
	r := Merge3(base, yours, theirs, m.Markers)
	return r.Text, r.Conflicts
}
