package textdiff

import "strings"

// Op says what a diff line is.
type Op int

// Diff line operations.
const (
	Equal Op = iota
	Delete
	Insert
)

// Line is one line of a text diff, with its line numbers in the old and
// new text (0 when the line is absent from that side).
type Line struct {
	Op      Op
	OldLine int
	NewLine int
	Text    string
}

// Hunk is a run of changed lines with a few lines of context.
type Hunk struct {
	OldStart, OldLines int
	NewStart, NewLines int
	Lines              []Line
}

// Diff returns the hunks that turn a into b, with context unchanged
// lines around each change, numbered like `git diff -U<context>`: changes
// closer than twice the context share a hunk, and a side with no lines in a
// hunk starts at the line before it (0 at the top). Each line's Text lacks
// its line ending ("\n" or "\r\n"), so a change of line endings alone
// shows as a removed and an added line that look the same. Identical texts
// have no hunks.
func Diff(a, b []byte, context int) []Hunk {
	context = max(context, 0)
	la, lb := splitLines(a), splitLines(b)
	edits := diffLines(la, lb)
	var out []Hunk
	for len(edits) > 0 {
		// Take the edits whose gaps are small enough for the context of
		// one to meet the context of the next.
		n := 1
		for n < len(edits) && edits[n].a0-edits[n-1].a1 <= 2*context {
			n++
		}
		out = append(out, hunk(la, lb, edits[:n], context))
		edits = edits[n:]
	}
	return out
}

// hunk builds one hunk from edits that share it.
func hunk(a, b []string, edits []lineEdit, context int) Hunk {
	first, last := edits[0], edits[len(edits)-1]
	// Unchanged lines pair one to one, so the context reaches as far on
	// both sides.
	lead := min(context, first.a0)
	trail := min(context, len(a)-last.a1)
	a0, b0 := first.a0-lead, first.b0-lead
	a1, b1 := last.a1+trail, last.b1+trail
	h := Hunk{
		OldStart: hunkStart(a0, a1), OldLines: a1 - a0,
		NewStart: hunkStart(b0, b1), NewLines: b1 - b0,
		Lines: make([]Line, 0, a1-a0+b1-b0),
	}
	i, j := a0, b0
	equal := func(to int) {
		for ; i < to; i, j = i+1, j+1 {
			h.Lines = append(h.Lines, Line{Op: Equal, OldLine: i + 1, NewLine: j + 1, Text: trimEOL(a[i])})
		}
	}
	for _, e := range edits {
		equal(e.a0)
		for ; i < e.a1; i++ {
			h.Lines = append(h.Lines, Line{Op: Delete, OldLine: i + 1, Text: trimEOL(a[i])})
		}
		for ; j < e.b1; j++ {
			h.Lines = append(h.Lines, Line{Op: Insert, NewLine: j + 1, Text: trimEOL(b[j])})
		}
	}
	equal(a1)
	return h
}

// hunkStart numbers the first line of a range the way unified diffs do.
func hunkStart(from, to int) int {
	if from == to {
		return from
	}
	return from + 1
}

func trimEOL(l string) string {
	if s, ok := strings.CutSuffix(l, "\r\n"); ok {
		return s
	}
	return strings.TrimSuffix(l, "\n")
}
