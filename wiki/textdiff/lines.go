package textdiff

import (
	"bytes"
	"math"
	"strings"
)

// lineEdit replaces the old lines a[a0:a1] with the new lines b[b0:b1]. An
// insertion has a0 == a1, a deletion b0 == b1. The edits of one diff are in
// order and separated by at least one unchanged line, which the three-way
// merge relies on to tell one side's edits apart.
type lineEdit struct{ a0, a1, b0, b1 int }

// splitLines cuts text into lines that keep their terminators, so that
// "\r\n" endings and a last line without one survive: joining the lines
// gives the text back byte for byte, and a line that lost or gained its
// newline counts as changed.
func splitLines(text []byte) []string {
	if len(text) == 0 {
		return nil
	}
	out := make([]string, 0, bytes.Count(text, []byte{'\n'})+1)
	s := string(text) // one copy; the lines are substrings of it
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// diffLines returns the edits that turn a into b: a shortest edit script by
// Myers' O(ND) algorithm in linear space, as git computes it, except that
// very expensive diffs are cut short (see bisect) and may be a little longer
// than the shortest.
func diffLines(a, b []string) []lineEdit {
	// Lines are compared as small integers. A line found on one side only
	// cannot be part of a common subsequence, so it is marked changed and
	// left out before the search; in prose most changed lines are unique,
	// which keeps the search small (git's xdl_cleanup_records does the same).
	ids := make(map[string]int32, len(a)+len(b))
	inA := make([]bool, 0, len(a)+len(b))
	inB := make([]bool, 0, len(a)+len(b))
	idsA := intern(a, ids, &inA, &inB, true)
	idsB := intern(b, ids, &inA, &inB, false)
	d := &myers{chgA: make([]bool, len(a)), chgB: make([]bool, len(b))}
	d.a, d.mapA = keep(idsA, inB, d.chgA)
	d.b, d.mapB = keep(idsB, inA, d.chgB)
	d.fa = make([]bool, len(d.a))
	d.fb = make([]bool, len(d.b))
	d.compare(0, len(d.a), 0, len(d.b))
	for i, c := range d.fa {
		d.chgA[d.mapA[i]] = c
	}
	for i, c := range d.fb {
		d.chgB[d.mapB[i]] = c
	}
	return editsFromChanges(d.chgA, d.chgB)
}

// intern assigns each distinct line an id and records on which side it
// occurs.
func intern(lines []string, ids map[string]int32, inA, inB *[]bool, sideA bool) []int32 {
	out := make([]int32, len(lines))
	for i, l := range lines {
		id, ok := ids[l]
		if !ok {
			id = int32(len(ids))
			ids[l] = id
			*inA = append(*inA, false)
			*inB = append(*inB, false)
		}
		if sideA {
			(*inA)[id] = true
		} else {
			(*inB)[id] = true
		}
		out[i] = id
	}
	return out
}

// keep returns the lines whose id occurs on the other side, with their
// original indexes, and marks the others changed.
func keep(ids []int32, inOther []bool, chg []bool) ([]int32, []int) {
	kept := make([]int32, 0, len(ids))
	idx := make([]int, 0, len(ids))
	for i, id := range ids {
		if inOther[id] {
			kept = append(kept, id)
			idx = append(idx, i)
		} else {
			chg[i] = true
		}
	}
	return kept, idx
}

// editsFromChanges turns per-line change marks into edits. The unchanged
// lines of both sides pair up in order, which is what the marks mean.
func editsFromChanges(chgA, chgB []bool) []lineEdit {
	var out []lineEdit
	i, j := 0, 0
	for i < len(chgA) || j < len(chgB) {
		if i < len(chgA) && j < len(chgB) && !chgA[i] && !chgB[j] {
			i, j = i+1, j+1
			continue
		}
		e := lineEdit{a0: i, b0: j}
		for i < len(chgA) && chgA[i] {
			i++
		}
		for j < len(chgB) && chgB[j] {
			j++
		}
		if i == e.a0 && j == e.b0 {
			panic("textdiff: line diff marks do not pair up")
		}
		e.a1, e.b1 = i, j
		out = append(out, e)
	}
	return out
}

// myers holds one diff's state: the id sequences searched, their change
// marks, the maps back to the original line numbers, and the two
// diagonal vectors, reused by every bisection.
type myers struct {
	a, b       []int32
	fa, fb     []bool
	mapA, mapB []int
	chgA, chgB []bool
	vf, vb     []int
}

// compare marks the changed lines of a[a0:a1] and b[b0:b1].
func (d *myers) compare(a0, a1, b0, b1 int) {
	for a0 < a1 && b0 < b1 && d.a[a0] == d.b[b0] {
		a0, b0 = a0+1, b0+1
	}
	for a0 < a1 && b0 < b1 && d.a[a1-1] == d.b[b1-1] {
		a1, b1 = a1-1, b1-1
	}
	switch {
	case a0 == a1:
		mark(d.fb[b0:b1])
	case b0 == b1:
		mark(d.fa[a0:a1])
	default:
		x, y, ok := d.bisect(d.a[a0:a1], d.b[b0:b1])
		if !ok {
			mark(d.fa[a0:a1])
			mark(d.fb[b0:b1])
			return
		}
		d.compare(a0, a0+x, b0, b0+y)
		d.compare(a0+x, a1, b0+y, b1)
	}
}

func mark(c []bool) {
	for i := range c {
		c[i] = true
	}
}

// minCost is the edit cost after which bisect settles for a split that is
// good rather than best, as git's XDL_MAX_COST_MIN: without a bound, two
// long texts with little in common but many repeated lines (blank lines,
// list markers) would cost O(N·D) ≈ O(N²).
const minCost = 256

// bisect finds where a shortest edit script of a into b crosses its middle
// (Myers' "middle snake"), searching forwards from the start and backwards
// from the end at once, and returns that point. Both sequences are
// non-empty and differ in their first and last elements. It returns false
// when they have nothing in common, so everything changed.
func (d *myers) bisect(a, b []int32) (int, int, bool) {
	n, m := len(a), len(b)
	maxD := (n + m + 1) / 2
	off, vlen := maxD+1, 2*maxD+3
	if cap(d.vf) < vlen {
		d.vf, d.vb = make([]int, vlen), make([]int, vlen)
	}
	vf, vb := d.vf[:vlen], d.vb[:vlen]
	for i := range vf {
		vf[i], vb[i] = -1, -1
	}
	vf[off+1], vb[off+1] = 0, 0
	delta := n - m
	front := delta%2 != 0 // which pass can meet the other, by parity
	maxCost := max(minCost, int(math.Sqrt(float64(n+m))))
	bestX, bestY := 0, 0
	// Diagonals that ran off the grid are not searched again.
	fs, fe, bs, be := 0, 0, 0, 0
	for step := 0; step < maxD; step++ {
		for k := -step + fs; k <= step-fe; k += 2 {
			i := off + k
			var x int
			if k == -step || (k != step && vf[i-1] < vf[i+1]) {
				x = vf[i+1]
			} else {
				x = vf[i-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			vf[i] = x
			switch {
			case x > n:
				fe += 2
			case y > m:
				fs += 2
			default:
				if x+y > bestX+bestY && x+y < n+m {
					bestX, bestY = x, y
				}
				if front {
					if j := off + delta - k; j >= 0 && j < vlen && vb[j] != -1 && x >= n-vb[j] {
						return x, y, true
					}
				}
			}
		}
		for k := -step + bs; k <= step-be; k += 2 {
			i := off + k
			var x int
			if k == -step || (k != step && vb[i-1] < vb[i+1]) {
				x = vb[i+1]
			} else {
				x = vb[i-1] + 1
			}
			y := x - k
			for x < n && y < m && a[n-x-1] == b[m-y-1] {
				x, y = x+1, y+1
			}
			vb[i] = x
			switch {
			case x > n:
				be += 2
			case y > m:
				bs += 2
			case !front:
				if j := off + delta - k; j >= 0 && j < vlen && vf[j] != -1 {
					fx := vf[j]
					fy := fx - (j - off)
					if fx >= n-x {
						return fx, fy, true
					}
				}
			}
		}
		if step >= maxCost && bestX+bestY > 0 {
			// Too costly: split after the furthest forward reach. Both
			// halves are smaller, so the recursion still ends, and the
			// script is still correct, only maybe not the shortest.
			return bestX, bestY, true
		}
	}
	return 0, 0, false
}
