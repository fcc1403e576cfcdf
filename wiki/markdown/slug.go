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

// ids hands out unique heading ids: the second "Mitigation" becomes
// "mitigation-1", the third "mitigation-2", as on GitHub.
type ids struct {
	used map[string]bool
}

func newIDs(reserved []string) *ids {
	d := &ids{used: make(map[string]bool, len(reserved)+8)}
	for _, id := range reserved {
		d.used[id] = true
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
	id := base
	for i := 1; d.used[id]; i++ {
		id = base + "-" + strconv.Itoa(i)
	}
	d.used[id] = true
	return id
}
