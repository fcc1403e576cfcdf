package search

import (
	"math/bits"
	"sync"
)

// bitset is a set of page numbers of one segment, a bit per page. The
// segments of a wiki hold thousands of pages, so a set is a few hundred
// words and every operation on it is a loop over them.
type bitset []uint64

func (b bitset) set(i uint32)      { b[i>>6] |= 1 << (i & 63) }
func (b bitset) clear(i uint32)    { b[i>>6] &^= 1 << (i & 63) }
func (b bitset) has(i uint32) bool { return b[i>>6]&(1<<(i&63)) != 0 }

// and keeps the pages also in o.
func (b bitset) and(o bitset) {
	for i := range b {
		b[i] &= o[i]
	}
}

// or adds the pages of o.
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

// andNot removes the pages of o.
func (b bitset) andNot(o bitset) {
	for i := range b {
		b[i] &^= o[i]
	}
}

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

// each calls fn with every page of the set, ascending.
func (b bitset) each(fn func(uint32)) {
	for i, w := range b {
		for w != 0 {
			fn(uint32(i<<6 + bits.TrailingZeros64(w)))
			w &= w - 1
		}
	}
}

// words returns the length of a bitset of n pages.
func words(n int) int { return (n + 63) >> 6 }

// scratch is the memory one search works in: page sets for each segment,
// handed out from slabs, and score accumulators reused from segment to
// segment. Searches pass it on to each other, so a search allocates next
// to nothing.
type scratch struct {
	u64 []uint64
	// accs and cnts are accumulators by depth in the query, each as long
	// as the largest segment seen: every entry is zero between uses, as
	// whoever uses one clears what it set.
	accs [][]float64
	cnts [][]uint16
}

var scratchPool = sync.Pool{New: func() any { return &scratch{} }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// release returns the scratch for another search; nothing handed out may
// be used after. A search that stopped half way (an error) drops its
// scratch instead, as its accumulators may not be clear.
func (s *scratch) release() {
	s.u64 = s.u64[:0]
	scratchPool.Put(s)
}

// bits returns an empty set of n pages.
func (s *scratch) bits(n int) bitset {
	w := words(n)
	if len(s.u64)+w > cap(s.u64) {
		// A new slab: sets handed out before keep the old one.
		s.u64 = make([]uint64, 0, max(2*cap(s.u64), 64*w, 1024))
	}
	b := s.u64[len(s.u64) : len(s.u64)+w : len(s.u64)+w]
	s.u64 = s.u64[:len(s.u64)+w]
	clear(b)
	return b
}

// copyBits returns a copy of b.
func (s *scratch) copyBits(b bitset) bitset {
	c := s.bits(len(b) << 6)
	copy(c, b)
	return c
}

// acc returns the zeroed accumulators of depth, n of them.
func (s *scratch) acc(depth, n int) []float64 {
	for len(s.accs) <= depth {
		s.accs = append(s.accs, nil)
	}
	if len(s.accs[depth]) < n {
		s.accs[depth] = make([]float64, n)
	}
	return s.accs[depth][:n]
}

// cnt returns the zeroed counters of depth, n of them.
func (s *scratch) cnt(depth, n int) []uint16 {
	for len(s.cnts) <= depth {
		s.cnts = append(s.cnts, nil)
	}
	if len(s.cnts[depth]) < n {
		s.cnts[depth] = make([]uint16, n)
	}
	return s.cnts[depth][:n]
}
