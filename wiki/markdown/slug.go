package markdown

import (
	"strconv"
	"strings"
	"unicode"
)

// Slug returns the GitHub-style anchor for a heading text: lower-cased,
// spaces turned into hyphens, everything but letters, digits, marks, "-" and
// "_" dropped. "Step 2: Restart the DB (carefully)" becomes
// "step-2-restart-the-db-carefully". Wiki links use it for their #anchor.
func Slug(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ids hands out unique heading ids the way GitHub does: the second
// "Mitigation" becomes "mitigation-1", the third "mitigation-2", and a
// heading whose own slug is "mitigation-1" after those becomes
// "mitigation-1-1".
//
// next keeps, per base slug, the last suffix it handed out, so each call
// resumes where the previous one for that base stopped. A suffix is skipped
// only when an id of that exact form is already taken, and an id
// "base-N" has one such form, so a page of n headings costs O(n) map
// operations however its headings repeat or collide.
type ids struct {
	// last maps every id taken to the last suffix tried with it as base.
	last map[string]int
}

func newIDs(reserved []string) *ids {
	d := &ids{last: make(map[string]int, len(reserved)+8)}
	for _, id := range reserved {
		d.last[id] = 0
	}
	return d
}

// fallbackID names headings whose text has nothing a slug keeps ("!!!").
const fallbackID = "section"

func (d *ids) next(text string) string {
	base := Slug(text)
	if base == "" {
		base = fallbackID
	}
	n, taken := d.last[base]
	if !taken {
		d.last[base] = 0
		return base
	}
	for {
		n++
		id := base + "-" + strconv.Itoa(n)
		if _, ok := d.last[id]; !ok {
			d.last[base] = n
			d.last[id] = 0
			return id
		}
	}
}
