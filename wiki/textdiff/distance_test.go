package textdiff_test

import (
	"math/rand/v2"
	"testing"

	"github.com/opswiki/opswiki/wiki/textdiff"
)

// TestDistance checks the bounded distance (the words near a typo are
// found by it, and the pages a missing one resembles) against the optimal string alignment distance computed in
// full, on random words of a small alphabet, where every kind of edit
// comes up.
func TestDistance(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]rune, rng.IntN(9))
		for i := range b {
			b[i] = []rune("abcé_1")[rng.IntN(6)]
		}
		return string(b)
	}
	for range 20000 {
		a, b := word(), word()
		full := osa([]rune(a), []rune(b))
		for limit := range 3 {
			got := textdiff.Distance([]rune(a), []rune(b), limit)
			if full <= limit && got != full || full > limit && got <= limit {
				t.Fatalf("distance(%q, %q) within %d = %d, want %d", a, b, limit, got, full)
			}
		}
	}
}

// osa is the optimal string alignment distance, the table in full.
func osa(a, b []rune) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
