package textdiff_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki/textdiff"
)

// header renders a hunk's numbers as a unified diff does.
func header(h textdiff.Hunk) string {
	side := func(start, n int) string {
		if n == 1 {
			return fmt.Sprint(start)
		}
		return fmt.Sprintf("%d,%d", start, n)
	}
	return fmt.Sprintf("@@ -%s +%s @@", side(h.OldStart, h.OldLines), side(h.NewStart, h.NewLines))
}

// render writes hunks as the body of a unified diff, without the
// "\ No newline at end of file" lines.
func render(hunks []textdiff.Hunk) string {
	var b strings.Builder
	for _, h := range hunks {
		b.WriteString(header(h) + "\n")
		for _, l := range h.Lines {
			b.WriteString(map[textdiff.Op]string{textdiff.Equal: " ", textdiff.Delete: "-", textdiff.Insert: "+"}[l.Op] + l.Text + "\n")
		}
	}
	return b.String()
}

func TestDiffText(t *testing.T) {
	ten := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"
	tests := []struct {
		name    string
		a, b    string
		context int
		want    string
	}{
		{"Same", ten, ten, 3, ""},
		{"Empty", "", "", 3, ""},
		{"Middle", ten, strings.Replace(ten, "5\n", "five\n", 1), 3,
			"@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"},
		{"Top", ten, "0\n" + ten, 2, "@@ -1,2 +1,3 @@\n+0\n 1\n 2\n"},
		{"Bottom", ten, strings.TrimSuffix(ten, "10\n"), 1, "@@ -9,2 +9 @@\n 9\n-10\n"},
		{"Created", "", "x\ny\n", 3, "@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{"Removed", "x\ny\n", "", 3, "@@ -1,2 +0,0 @@\n-x\n-y\n"},
		{"InsertNoContext", "a\nb\n", "a\nX\nb\n", 0, "@@ -1,0 +2 @@\n+X\n"},
		{"DeleteNoContext", "a\nb\nc\n", "a\nc\n", 0, "@@ -2 +1,0 @@\n-b\n"},
		{"NegativeContext", "a\nb\nc\n", "a\nB\nc\n", -1, "@@ -2 +2 @@\n-b\n+B\n"},
		{"TwoHunks", ten, strings.NewReplacer("2\n", "two\n", "9\n", "nine\n").Replace(ten), 1,
			"@@ -1,3 +1,3 @@\n 1\n-2\n+two\n 3\n@@ -8,3 +8,3 @@\n 8\n-9\n+nine\n 10\n"},
		// Six unchanged lines between the changes: two contexts of three meet.
		{"OneHunk", ten, strings.NewReplacer("2\n", "two\n", "9\n", "nine\n").Replace(ten), 3,
			"@@ -1,10 +1,10 @@\n 1\n-2\n+two\n 3\n 4\n 5\n 6\n 7\n 8\n-9\n+nine\n 10\n"},
		{"NewlineAdded", "a\nb", "a\nb\n", 3, "@@ -1,2 +1,2 @@\n a\n-b\n+b\n"},
		{"CRLF", "a\r\nb\r\n", "a\r\nB\r\n", 1, "@@ -1,2 +1,2 @@\n a\n-b\n+B\n"},
		{"LoneCR", "a\r", "b\r", 0, "@@ -1 +1 @@\n-a\r\n+b\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hunks := textdiff.Diff([]byte(tt.a), []byte(tt.b), tt.context)
			if got := render(hunks); got != tt.want {
				t.Fatalf("DiffText:\n got %q\nwant %q", got, tt.want)
			}
			requireLineNumbers(t, hunks)
		})
	}
}

// requireLineNumbers checks each line's numbers against its hunk's.
func requireLineNumbers(tb testing.TB, hunks []textdiff.Hunk) {
	tb.Helper()
	for _, h := range hunks {
		o, n := max(h.OldStart, 1), max(h.NewStart, 1)
		if h.OldLines == 0 {
			o = h.OldStart + 1
		}
		if h.NewLines == 0 {
			n = h.NewStart + 1
		}
		for _, l := range h.Lines {
			wantOld, wantNew := 0, 0
			if l.Op != textdiff.Insert {
				wantOld, o = o, o+1
			}
			if l.Op != textdiff.Delete {
				wantNew, n = n, n+1
			}
			if l.OldLine != wantOld || l.NewLine != wantNew {
				tb.Fatalf("%s: line %+v, want old %d new %d", header(h), l, wantOld, wantNew)
			}
		}
	}
}

// TestDiffTextShortest checks on random texts with many repeated lines that
// the diff turns a into b and is as short as the longest common
// subsequence allows.
func TestDiffTextShortest(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	for n := range 3000 {
		size := 20
		if n%10 == 0 {
			size = 300
		}
		a := randomText(rng, rng.IntN(size))
		b := mutate(rng, mutate(rng, a, "x"), "z")
		if rng.IntN(5) == 0 {
			b = randomText(rng, rng.IntN(20))
		}
		// A line that lost its newline joins the next one.
		a, b = splitKeep(join(a)), splitKeep(join(b))
		hunks := textdiff.Diff([]byte(join(a)), []byte(join(b)), rng.IntN(4))
		requireLineNumbers(t, hunks)
		got, changed := applyHunks(a, b, hunks)
		if join(got) != join(b) {
			t.Fatalf("case %d: hunks of %q → %q rebuild %q", n, join(a), join(b), join(got))
		}
		if want := len(a) + len(b) - 2*lcs(a, b); changed != want {
			t.Fatalf("case %d: %q → %q: %d changed lines, shortest is %d", n, join(a), join(b), changed, want)
		}
	}
}

// applyHunks applies hunks to a, taking inserted lines from b, and counts
// the changed lines.
func applyHunks(a, b []string, hunks []textdiff.Hunk) ([]string, int) {
	var got []string
	pos, changed := 0, 0
	for _, h := range hunks {
		start := h.OldStart - 1
		if h.OldLines == 0 {
			start = h.OldStart
		}
		got = append(got, a[pos:start]...)
		pos = start
		for _, l := range h.Lines {
			switch l.Op {
			case textdiff.Equal:
				got = append(got, a[pos])
				pos++
			case textdiff.Delete:
				pos++
				changed++
			case textdiff.Insert:
				got = append(got, b[l.NewLine-1])
				changed++
			}
		}
	}
	return append(got, a[pos:]...), changed
}

// TestDiffTextLarge diffs long texts with little in common but many
// repeated lines, where the search is cut short: the diff must still be
// right, and quick.
func TestDiffTextLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for range 3 {
		a, b := splitKeep(join(randomText(rng, 6000))), splitKeep(join(randomText(rng, 5000)))
		start := time.Now()
		hunks := textdiff.Diff([]byte(join(a)), []byte(join(b)), 3)
		took := time.Since(start)
		if got, _ := applyHunks(a, b, hunks); join(got) != join(b) {
			t.Fatal("hunks do not turn a into b")
		}
		t.Logf("%d → %d lines: %d hunks in %v", len(a), len(b), len(hunks), took)
	}
}

func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

// TestDiffTextLikeGit compares hunk headers with git diff on texts of
// unique lines, where there is only one shortest diff to find.
func TestDiffTextLikeGit(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 4))
	dir := t.TempDir()
	headers := regexp.MustCompile(`(?m)^@@ [^@]* @@`)
	for n := range 40 {
		var a []string
		for i := range 1 + rng.IntN(40) {
			a = append(a, fmt.Sprintf("line %d\n", i))
		}
		b := a
		for range 1 + rng.IntN(3) {
			b = mutate(rng, b, fmt.Sprint("new", n))
		}
		context := rng.IntN(4)
		pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		if err := os.WriteFile(pa, []byte(join(a)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pb, []byte(join(b)), 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := gitOutput(dir, "diff", "--no-index", "--no-indent-heuristic", fmt.Sprintf("-U%d", context), "a", "b")
		want := strings.Join(headers.FindAllString(out, -1), "\n")
		var got []string
		for _, h := range textdiff.Diff([]byte(join(a)), []byte(join(b)), context) {
			got = append(got, header(h))
		}
		if strings.Join(got, "\n") != want {
			t.Fatalf("case %d, -U%d: %q → %q:\n got %q\nwant %q", n, context, join(a), join(b), got, want)
		}
	}
}

// BenchmarkDiffText diffs two versions of a 3,000-line page.
func BenchmarkDiffText(b *testing.B) {
	var a, c strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&a, "Line %d of a long runbook.\n", i)
		if i%100 == 0 {
			fmt.Fprintf(&c, "Changed line %d.\n", i)
		} else {
			fmt.Fprintf(&c, "Line %d of a long runbook.\n", i)
		}
	}
	ab, cb := []byte(a.String()), []byte(c.String())
	for b.Loop() {
		textdiff.Diff(ab, cb, 3)
	}
}

// gitOutput runs git without user configuration and returns its standard
// output even when it exits non-zero, as git diff does when texts differ.
func gitOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.Output()
	return string(out), err
}
