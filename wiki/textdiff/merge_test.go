package textdiff_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki/textdiff"
)

// markers are the wiki's own conflict markers.
var markers = textdiff.Markers{Yours: "<<<<<<< your edit", Sep: "=======", Theirs: ">>>>>>> current version"}

// conflict renders one conflict region as Merge3 writes it.
func conflict(yours, theirs string) string {
	return "<<<<<<< your edit\n" + yours + "=======\n" + theirs + ">>>>>>> current version\n"
}

func TestMerge3(t *testing.T) {
	tests := []struct {
		name                string
		base, yours, theirs string
		want                string
		conflicts           int
	}{
		{"Unchanged", "a\nb\n", "a\nb\n", "a\nb\n", "a\nb\n", 0},
		{"TheirsOnly", "a\nb\nc\n", "a\nb\nc\n", "a\nB\nc\n", "a\nB\nc\n", 0},
		{"YoursOnly", "a\nb\nc\n", "a\nB\nc\n", "a\nb\nc\n", "a\nB\nc\n", 0},
		{"Disjoint", "a\nb\nc\nd\ne\n", "A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n", "A\nb\nc\nd\nE\n", 0},
		{"AdjacentLines", "a\nb\nc\nd\n", "a\nB\nc\nd\n", "a\nb\nC\nd\n", "a\nB\nC\nd\n", 0},
		{"SameChange", "a\nb\nc\n", "a\nX\nc\n", "a\nX\nc\n", "a\nX\nc\n", 0},
		{"SameDelete", "a\nb\nc\n", "a\nc\n", "a\nc\n", "a\nc\n", 0},
		{"Conflict", "a\nb\nc\n", "a\nY\nc\n", "a\nT\nc\n", "a\n" + conflict("Y\n", "T\n") + "c\n", 1},
		{"TwoConflicts", "a\nb\nc\nd\ne\n", "a\nB1\nc\nD1\ne\n", "a\nB2\nc\nD2\ne\n",
			"a\n" + conflict("B1\n", "B2\n") + "c\n" + conflict("D1\n", "D2\n") + "e\n", 2},
		{"ConflictAndClean", "a\nb\nc\nd\ne\n", "A\nb\nY\nd\ne\n", "a\nb\nT\nd\nE\n",
			"A\nb\n" + conflict("Y\n", "T\n") + "d\nE\n", 1},
		{"InsertSamePlace", "a\nb\n", "a\nY\nb\n", "a\nT\nb\n", "a\n" + conflict("Y\n", "T\n") + "b\n", 1},
		{"InsertSamePlaceSame", "a\nb\n", "a\nX\nb\n", "a\nX\nb\n", "a\nX\nb\n", 0},
		{"InsertTop", "a\n", "Y\na\n", "T\na\n", conflict("Y\n", "T\n") + "a\n", 1},
		{"InsertEnd", "a\n", "a\nY\n", "a\nT\n", "a\n" + conflict("Y\n", "T\n"), 1},
		{"InsertDifferentPlaces", "a\nb\nc\n", "a\nY\nb\nc\n", "a\nb\nT\nc\n", "a\nY\nb\nT\nc\n", 0},
		{"InsertCommonPrefix", "a\nb\n", "a\nX\nY\nb\n", "a\nX\nT\nb\n", "a\nX\n" + conflict("Y\n", "T\n") + "b\n", 1},
		{"DeleteVersusEdit", "a\nb\nc\n", "a\nc\n", "a\nB\nc\n", "a\n" + conflict("", "B\n") + "c\n", 1},
		{"EditVersusDelete", "a\nb\nc\n", "a\nB\nc\n", "a\nc\n", "a\n" + conflict("B\n", "") + "c\n", 1},
		{"DeleteNextToEdit", "a\nb\nc\nd\n", "a\nc\nd\n", "a\nb\nC\nd\n", "a\nC\nd\n", 0},
		{"EditNextToDelete", "a\nb\nc\nd\n", "a\nB\nc\nd\n", "a\nb\nd\n", "a\nB\nd\n", 0},
		{"InsertBeforeDeleted", "a\nb\nc\n", "a\nc\n", "a\nX\nb\nc\n", "a\nX\nc\n", 0},
		{"InsertAfterDeleted", "a\nb\nc\n", "a\nc\n", "a\nb\nX\nc\n", "a\nX\nc\n", 0},
		{"InsertInsideDeleted", "a\nb\nc\nd\n", "a\nd\n", "a\nb\nX\nc\nd\n", "a\n" + conflict("", "b\nX\nc\n") + "d\n", 1},
		{"DeleteAll", "a\nb\n", "", "a\nB\n", conflict("", "a\nB\n"), 1},
		{"DeleteAllBoth", "a\nb\n", "", "", "", 0},
		{"NoNewlineEditElsewhere", "a\nb\nc", "A\nb\nc", "a\nb\nC", "A\nb\nC", 0},
		{"NoNewlineAppend", "a\nb", "a\nb\nc\n", "A\nb", "A\nb\nc\n", 0},
		{"NoNewlineBothAppend", "a\nb", "a\nb\nY", "a\nb\nT", "a\nb\n" + conflict("Y\n", "T\n"), 1},
		{"NoNewlineAddedBoth", "a\nb", "a\nb\n", "a\nb\n", "a\nb\n", 0},
		{"CRLFClean", "a\r\nb\r\nc\r\nd\r\n", "A\r\nb\r\nc\r\nd\r\n", "a\r\nb\r\nc\r\nD\r\n", "A\r\nb\r\nc\r\nD\r\n", 0},
		{"CRLFConflict", "a\r\nb\r\nc\r\n", "a\r\nY\r\nc\r\n", "a\r\nT\r\nc\r\n",
			"a\r\n<<<<<<< your edit\r\nY\r\n=======\r\nT\r\n>>>>>>> current version\r\nc\r\n", 1},
		{"CRLFNoNewline", "a\r\nb", "a\r\nY", "a\r\nT", "a\r\n<<<<<<< your edit\r\nY\r\n=======\r\nT\r\n>>>>>>> current version\r\n", 1},
		// Line endings are content: converting them touches every line.
		{"EndingsConverted", "a\nb\n", "a\r\nb\r\n", "a\nB\n",
			"<<<<<<< your edit\r\na\r\nb\r\n=======\r\na\nB\n>>>>>>> current version\r\n", 1},
		{"EmptyAll", "", "", "", "", 0},
		{"EmptyBaseSame", "", "x\ny\n", "x\ny\n", "x\ny\n", 0},
		{"EmptyBaseYours", "", "x\n", "", "x\n", 0},
		{"EmptyBaseTheirs", "", "", "x\n", "x\n", 0},
		{"EmptyBaseDiffer", "", "x\ny\nz\n", "x\nw\nz\n", "x\n" + conflict("y\n", "w\n") + "z\n", 1},
		{"EmptyBaseNothingCommon", "", "y\n", "t\n", conflict("y\n", "t\n"), 1},
		{"RepeatedLines", "x\nx\nx\n", "x\nx\nx\nx\n", "x\nx\n", "x\nx\nx\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := textdiff.Merge3([]byte(tt.base), []byte(tt.yours), []byte(tt.theirs), markers)
			if string(r.Text) != tt.want || r.Conflicts != tt.conflicts || r.Clean != (tt.conflicts == 0) {
				t.Fatalf("Merge3:\n got %q (clean %v, %d conflicts)\nwant %q (%d conflicts)", r.Text, r.Clean, r.Conflicts, tt.want, tt.conflicts)
			}
			// Swapping the sides mirrors the result.
			m := textdiff.Merge3([]byte(tt.base), []byte(tt.theirs), []byte(tt.yours), markers)
			if m.Conflicts != r.Conflicts || (r.Clean && string(m.Text) != string(r.Text)) {
				t.Fatalf("swapped sides: %q (%d conflicts)", m.Text, m.Conflicts)
			}
		})
	}
}

// randomText returns n lines drawn from a few words, so lines repeat and
// the diffs have many equally short alignments to choose from.
func randomText(rng *rand.Rand, n int) []string {
	words := []string{"a\n", "b\n", "c\n", "\n", "- item\n", "a"}
	out := make([]string, n)
	for i := range out {
		out[i] = words[rng.IntN(len(words)-1)]
	}
	if n > 0 && rng.IntN(4) == 0 {
		out[n-1] = strings.TrimSuffix(out[n-1], "\n") // no newline at the end
	}
	return out
}

// mutate edits lines in place at random: deletes, inserts and replaces.
func mutate(rng *rand.Rand, lines []string, tag string) []string {
	out := append([]string(nil), lines...)
	for k := rng.IntN(4); k >= 0; k-- {
		i := rng.IntN(len(out) + 1)
		switch rng.IntN(3) {
		case 0:
			if i < len(out) {
				out = append(out[:i], out[i+1:]...)
			}
		case 1:
			out = append(out[:i], append([]string{fmt.Sprintf("%s%d\n", tag, k)}, out[i:]...)...)
		default:
			if i < len(out) {
				out[i] = fmt.Sprintf("%s-%d\n", tag, k)
			}
		}
	}
	return out
}

func TestMerge3Properties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for n := range 3000 {
		base := strings.Join(randomText(rng, rng.IntN(12)), "")
		bl := splitKeep(base)
		yours := strings.Join(mutate(rng, bl, "y"), "")
		theirs := strings.Join(mutate(rng, bl, "t"), "")
		check := func(what, b, y, th, want string) {
			t.Helper()
			r := textdiff.Merge3([]byte(b), []byte(y), []byte(th), markers)
			if !r.Clean || string(r.Text) != want {
				t.Fatalf("case %d, %s: Merge3(%q, %q, %q) = %q (clean %v), want %q", n, what, b, y, th, r.Text, r.Clean, want)
			}
		}
		check("yours is base", base, base, theirs, theirs)
		check("theirs is base", base, yours, base, yours)
		check("same edit", base, yours, yours, yours)
		r := textdiff.Merge3([]byte(base), []byte(yours), []byte(theirs), markers)
		if got := strings.Count(string(r.Text), "<<<<<<< your edit"); got != r.Conflicts || r.Clean != (r.Conflicts == 0) {
			t.Fatalf("case %d: %d conflicts reported, %d in text, clean %v", n, r.Conflicts, got, r.Clean)
		}
	}
}

// TestMerge3Disjoint edits separate parts of a text on each side, with an
// untouched line between them, and expects both edits in the result.
func TestMerge3Disjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for n := range 2000 {
		size := 2 + rng.IntN(30)
		base := make([]string, size)
		for i := range base {
			base[i] = fmt.Sprintf("line %d\n", i)
		}
		cut := rng.IntN(size)
		// Lines are unique, so each side's diff is exactly its edit and
		// the untouched line base[cut] keeps the edits apart.
		top := mutate(rng, base[:cut], "y")
		bottom := mutate(rng, base[cut+1:], "t")
		yours := join(top, base[cut:])
		theirs := join(base[:cut+1], bottom)
		want := join(top, base[cut:cut+1], bottom)
		r := textdiff.Merge3([]byte(join(base)), []byte(yours), []byte(theirs), markers)
		if !r.Clean || string(r.Text) != want {
			t.Fatalf("case %d: Merge3(%q, %q, %q) = %q (clean %v), want %q", n, join(base), yours, theirs, r.Text, r.Clean, want)
		}
	}
}

func join(parts ...[]string) string {
	var b strings.Builder
	for _, p := range parts {
		for _, l := range p {
			b.WriteString(l)
		}
	}
	return b.String()
}

// splitKeep splits text after each newline, keeping it.
func splitKeep(s string) []string {
	out := strings.SplitAfter(s, "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// BenchmarkMerge3 merges two edits of a 2,000-line page.
func BenchmarkMerge3(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var base []string
	for i := range 2000 {
		base = append(base, fmt.Sprintf("Line %d of a long runbook.\n", i))
		if i%2 == 1 {
			base = append(base, "\n") // blank lines repeat
		}
	}
	yours := append([]string(nil), base...)
	theirs := append([]string(nil), base...)
	for range 20 {
		yours[rng.IntN(len(yours))] = "yours\n"
		theirs[rng.IntN(len(theirs))] = "theirs\n"
	}
	bb, yb, tb := []byte(join(base)), []byte(join(yours)), []byte(join(theirs))
	for b.Loop() {
		textdiff.Merge3(bb, yb, tb, markers)
	}
}
