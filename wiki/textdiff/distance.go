package textdiff

// Distance returns the optimal string alignment distance between
// a and b (insertions, deletions, substitutions and transpositions of
// neighbours, as in "teh", each count one) when it is at most limit, and
// something larger otherwise, giving up as soon as every alignment costs
// more.
func Distance(a, b []rune, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	// What both start or end with costs nothing: alert names and codes
	// near a typo mostly differ in a letter or two.
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		a, b = a[1:], b[1:]
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		a, b = a[:len(a)-1], b[:len(b)-1]
	}
	// Three rows of the optimal string alignment table: two back for
	// transpositions.
	var stack [3][48]int
	var prev2, prev, cur []int
	if len(b) < len(stack[0]) {
		prev2, prev, cur = stack[0][:len(b)+1], stack[1][:len(b)+1], stack[2][:len(b)+1]
	} else {
		prev2, prev, cur = make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	}
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			c := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				c = min(c, prev2[j-2]+1)
			}
			cur[j] = c
			best = min(best, c)
		}
		if best > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
