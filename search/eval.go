package search

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// evaluation runs a plan on one snapshot: which pages match, their
// scores, the best of them, and the facets of all of them.
type evaluation struct {
	ix   *Index
	p    *plan
	sc   *scratch
	segs []*segRun
	// docs is the number of live pages; idf is by node id, for terms.
	docs uint64
	idf  []float64
	// queryNorm makes scores comparable between queries, as bleve's does.
	queryNorm float64
	// best are the best pages scored so far.
	best hitHeap
}

// segRun is the evaluation of a plan on one segment.
type segRun struct {
	ss     *scorch.SegmentSnapshot
	offset uint64 // number in the snapshot of the segment's first page
	size   int    // pages, deleted ones included
	live   bitset
	post   []*postings // by node id, for terms
	bits   []bitset    // by node id: the pages the node matches
	match  bitset      // the pages the plan matches
}

// newEvaluation reads the postings of every term of p in every segment of
// snap and weighs the terms.
func (ix *Index) newEvaluation(ctx context.Context, snap *scorch.IndexSnapshot, p *plan) (*evaluation, error) {
	e := &evaluation{ix: ix, p: p, sc: getScratch(), idf: make([]float64, len(p.nodes))}
	segs := snap.Segments()
	e.segs = make([]*segRun, len(segs))
	var offset uint64
	for i, ss := range segs {
		size := int(ss.Segment().Count())
		s := &segRun{ss: ss, offset: offset, size: size, post: make([]*postings, len(p.nodes)), bits: make([]bitset, len(p.nodes))}
		offset += uint64(size) // as scorch numbers pages: deleted ones too
		s.live = e.sc.bits(size)
		for w := range s.live {
			s.live[w] = ^uint64(0)
		}
		if rest := size & 63; rest != 0 {
			s.live[len(s.live)-1] = 1<<rest - 1
		}
		if del := ss.Deleted(); del != nil {
			del.Iterate(func(d uint32) bool {
				if int(d) < size {
					s.live.clear(d)
				}
				return true
			})
		}
		e.docs += uint64(s.live.count())
		e.segs[i] = s
	}
	df := make([]uint64, len(p.nodes))
	got := make([]*postings, len(segs))
	for _, n := range p.nodes {
		if n.kind != nTerm {
			continue
		}
		if err := ctx.Err(); err != nil {
			e.drop()
			return nil, err
		}
		if err := ix.postings.get(segs, n.field, n.term, got); err != nil {
			e.drop()
			return nil, err
		}
		for i, s := range e.segs {
			s.post[n.id] = got[i]
			df[n.id] += s.liveCount(got[i])
		}
		// bleve's tf-idf: a term on no page still weighs.
		e.idf[n.id] = 1 + math.Log(float64(e.docs)/float64(df[n.id]+1))
	}
	weight := e.weight(p.must) + e.weight(p.should)
	if weight > 0 {
		e.queryNorm = 1 / math.Sqrt(weight)
	}
	return e, nil
}

// liveCount returns how many live pages of the segment p lists.
func (s *segRun) liveCount(p *postings) uint64 {
	if del := s.ss.Deleted(); del == nil || del.IsEmpty() {
		return uint64(len(p.docs))
	}
	n := uint64(0)
	for _, d := range p.docs {
		if s.live.has(d) {
			n++
		}
	}
	return n
}

// weight returns the sum of the squared weights of the scoring terms of n,
// of which the query norm is the inverse square root.
func (e *evaluation) weight(n *node) float64 {
	if n == nil {
		return 0
	}
	if n.kind == nTerm {
		w := n.boost * e.idf[n.id]
		return w * w
	}
	sum := 0.0
	for _, k := range n.kids {
		sum += e.weight(k)
	}
	return sum
}

// release returns the scratch memory; drop forgets it after an error.
func (e *evaluation) release() { e.sc.release(); e.sc = nil }
func (e *evaluation) drop()    { e.sc = nil }

// run finds the pages the plan matches in every segment and, unless the
// plan lists pages by path, scores them and keeps the k best.
func (e *evaluation) run(ctx context.Context, k int) error {
	e.ix.segData.forget(e.segsOf())
	for _, s := range e.segs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := e.runSegment(s, k); err != nil {
			return err
		}
	}
	return nil
}

// segsOf returns the segments of the evaluation's snapshot.
func (e *evaluation) segsOf() []*scorch.SegmentSnapshot {
	out := make([]*scorch.SegmentSnapshot, len(e.segs))
	for i, s := range e.segs {
		out[i] = s.ss
	}
	return out
}

// runSegment matches the plan in segment s and scores the pages matched:
// filters first, then exclusions, then what pages must match, each on the
// pages the ones before left.
func (e *evaluation) runSegment(s *segRun, k int) error {
	u := s.live
	var err error
	if e.p.filter != nil {
		if u, err = e.match(s, e.p.filter, u); err != nil {
			return err
		}
	}
	if e.p.not != nil {
		not, err := e.match(s, e.p.not, u)
		if err != nil {
			return err
		}
		u = e.sc.copyBits(u)
		u.andNot(not)
	}
	s.match = u
	if e.p.must != nil {
		if s.match, err = e.match(s, e.p.must, u); err != nil {
			return err
		}
	}
	if e.p.byPath || s.match.empty() {
		return nil
	}
	// The accumulators are the same for every segment: the segment's best
	// are kept before the next is scored.
	acc := e.sc.acc(0, s.size)
	e.score(s, e.p.must, s.match, acc, 1)
	if e.p.should != nil {
		sb, err := e.match(s, e.p.should, s.match)
		if err != nil {
			return err
		}
		e.score(s, e.p.should, sb, acc, 1)
	}
	s.match.each(func(d uint32) {
		e.best = e.best.push(k, hit{num: s.offset + uint64(d), score: acc[d]})
		acc[d] = 0
	})
	return nil
}

// match records and returns the pages of u that n matches in segment s.
func (e *evaluation) match(s *segRun, n *node, u bitset) (bitset, error) {
	var b bitset
	switch n.kind {
	case nTerm:
		b = e.sc.bits(s.size)
		p := s.post[n.id]
		if k := u.count(); k*8 < len(p.docs) {
			// Few pages left: look each up rather than walk the term's.
			u.each(func(d uint32) {
				if _, ok := slices.BinarySearch(p.docs, d); ok {
					b.set(d)
				}
			})
		} else {
			for _, d := range p.docs {
				if u.has(d) {
					b.set(d)
				}
			}
		}
	case nAll:
		b = u
		for _, k := range e.cheapestFirst(s, n.kids) {
			var err error
			if b, err = e.match(s, k, b); err != nil {
				return nil, err
			}
		}
	case nAny:
		b = e.sc.bits(s.size)
		for _, k := range n.kids {
			kb, err := e.match(s, k, u)
			if err != nil {
				return nil, err
			}
			b.or(kb)
		}
	case nPhrase:
		m := u
		var err error
		for _, k := range n.narrow {
			if m, err = e.match(s, k, m); err != nil {
				return nil, err
			}
		}
		for _, k := range e.cheapestFirst(s, n.kids) {
			if m, err = e.match(s, k, m); err != nil {
				return nil, err
			}
		}
		if b, err = e.phrase(s, n, m); err != nil {
			return nil, err
		}
	case nPath:
		t, err := e.ix.segData.ids(s.ss)
		if err != nil {
			return nil, err
		}
		b = e.sc.bits(s.size)
		t.withPrefix(n.term, func(d uint32) {
			if u.has(d) {
				b.set(d)
			}
		})
	case nNone:
		b = e.sc.bits(s.size)
	}
	s.bits[n.id] = b
	return b, nil
}

// cheapestFirst orders the parts of a conjunction or phrase by how many
// pages they may match, phrases last: each narrows the pages the next is
// looked for on, and positions are read on as few pages as possible.
func (e *evaluation) cheapestFirst(s *segRun, kids []*node) []*node {
	out := make([]*node, 0, len(kids))
	for _, k := range kids {
		if k != nil {
			out = append(out, k)
		}
	}
	slices.SortStableFunc(out, func(a, b *node) int {
		return cmp.Or(cmp.Compare(btoi(a.kind == nPhrase), btoi(b.kind == nPhrase)), cmp.Compare(e.estimate(s, a), e.estimate(s, b)))
	})
	return out
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// estimate returns at most how many pages of segment s n matches.
func (e *evaluation) estimate(s *segRun, n *node) int {
	switch n.kind {
	case nTerm:
		return len(s.post[n.id].docs)
	case nAll, nPhrase:
		least := s.size
		for _, k := range n.kids {
			if k != nil {
				least = min(least, e.estimate(s, k))
			}
		}
		for _, k := range n.narrow {
			least = min(least, e.estimate(s, k))
		}
		return least
	case nAny:
		sum := 0
		for _, k := range n.kids {
			sum += e.estimate(s, k)
		}
		return min(sum, s.size)
	case nNone:
		return 0
	}
	return s.size
}

// score adds to acc the score of n on the pages of f it matches; f holds
// only pages n was matched against. free is the first depth of the
// scratch accumulators not in use.
func (e *evaluation) score(s *segRun, n *node, f bitset, acc []float64, free int) {
	switch n.kind {
	case nTerm:
		if n.boost == 0 {
			return
		}
		idf := e.idf[n.id]
		// As bleve's term scorer: tf × norm × idf, times the query
		// weight boost × idf × queryNorm.
		w := n.boost * idf * e.queryNorm
		p := s.post[n.id]
		if k := f.count(); k*8 < len(p.docs) {
			f.each(func(d uint32) {
				if i, ok := slices.BinarySearch(p.docs, d); ok {
					acc[d] += float64(p.tfn[i]) * idf * w
				}
			})
			return
		}
		for i, d := range p.docs {
			if f.has(d) {
				acc[d] += float64(p.tfn[i]) * idf * w
			}
		}
	case nAll, nPhrase:
		g := e.sc.copyBits(f)
		g.and(s.bits[n.id])
		if g.empty() {
			return
		}
		for _, k := range n.kids {
			if k != nil {
				e.score(s, k, g, acc, free)
			}
		}
	case nAny:
		g := e.sc.copyBits(f)
		g.and(s.bits[n.id])
		if g.empty() {
			return
		}
		sum, cnt := e.sc.acc(free, s.size), e.sc.cnt(free, s.size)
		for _, k := range n.kids {
			e.score(s, k, g, sum, free+1)
			kb := s.bits[k.id]
			for w, x := range g {
				x &= kb[w]
				for x != 0 {
					cnt[w<<6+bits.TrailingZeros64(x)]++
					x &= x - 1
				}
			}
		}
		// As bleve's disjunction: the sum of the parts matching, times
		// the share of parts matching.
		kids := float64(len(n.kids))
		g.each(func(d uint32) {
			acc[d] += sum[d] * float64(cnt[d]) / kids
			sum[d], cnt[d] = 0, 0
		})
	}
}

// total returns the number of pages matched.
func (e *evaluation) total() uint64 {
	n := 0
	for _, s := range e.segs {
		n += s.match.count()
	}
	return uint64(n)
}

// countFacets counts the facets of every page matched into fc, whose
// tables are those of the segments of the snapshot, in order.
func (e *evaluation) countFacets(fc *facetCounter) {
	for i, s := range e.segs {
		fc.addSet(i, s.match)
	}
}

// hits returns the pages matched from..from+size in order: by score, then
// as they are numbered; or by path when the plan lists by path.
func (e *evaluation) hits(ctx context.Context, from, size int) ([]hit, error) {
	if e.p.byPath {
		return e.byPath(ctx, from, size)
	}
	h := e.best
	slices.SortFunc(h, func(a, b hit) int { return a.cmp(b) })
	if from >= len(h) {
		return nil, nil
	}
	return h[from:min(len(h), from+size)], nil
}

// byPath returns the pages matched from..from+size in path order, each
// scoring alike.
func (e *evaluation) byPath(ctx context.Context, from, size int) ([]hit, error) {
	k := from + size
	var all []hit
	for _, s := range e.segs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if s.match.empty() {
			continue
		}
		t, err := e.ix.segData.ids(s.ss)
		if err != nil {
			return nil, err
		}
		// The segment's first k matched in path order.
		n := 0
		for i, d := range t.docs {
			if n == k {
				break
			}
			if s.match.has(d) {
				all = append(all, hit{num: s.offset + uint64(d), score: 1, id: t.ids[i]})
				n++
			}
		}
	}
	slices.SortFunc(all, func(a, b hit) int { return strings.Compare(a.id, b.id) })
	if from >= len(all) {
		return nil, nil
	}
	return all[from:min(len(all), k)], nil
}

// hitHeap keeps the best hits seen, the worst first.
type hitHeap []hit

// cmp orders hits best first: by score, then by page number as bleve's
// collector does.
func (a hit) cmp(b hit) int {
	if a.score != b.score {
		if a.score > b.score {
			return -1
		}
		return 1
	}
	return cmp.Compare(a.num, b.num)
}

// push adds x, keeping the k best.
func (h hitHeap) push(k int, x hit) hitHeap {
	if len(h) < k {
		h = append(h, x)
		// Sift up: the worst at the root.
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if h[p].cmp(h[i]) >= 0 {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		return h
	}
	if k == 0 || x.cmp(h[0]) >= 0 {
		return h
	}
	h[0] = x
	for i := 0; ; {
		l, r, w := 2*i+1, 2*i+2, i
		if l < len(h) && h[l].cmp(h[w]) > 0 {
			w = l
		}
		if r < len(h) && h[r].cmp(h[w]) > 0 {
			w = r
		}
		if w == i {
			break
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
	return h
}

// phrase returns the pages of m that have the phrase n: its words at
// consecutive positions (a gap for each stop word) in one value of its
// field, as bleve's phrase search finds them.
func (e *evaluation) phrase(s *segRun, n *node, m bitset) (bitset, error) {
	b := e.sc.bits(s.size)
	if m.empty() {
		return b, nil
	}
	dict, err := s.ss.Segment().Dictionary(n.field)
	if err != nil {
		return nil, fmt.Errorf("search: read the terms of %s: %w", n.field, err)
	}
	// The readers of each slot's terms, opened on first use; pages come
	// in ascending order, so each only moves forward.
	readers := make([][]*positions, len(n.kids))
	slots := make([][]place, len(n.kids))
	var ferr error
	m.each(func(d uint32) {
		if ferr != nil {
			return
		}
		for i, k := range n.kids {
			slots[i] = slots[i][:0]
			if k == nil {
				continue
			}
			if readers[i] == nil {
				for _, t := range slotTerms(k) {
					pl, err := dict.PostingsList([]byte(t), nil, nil)
					if err != nil {
						ferr = fmt.Errorf("search: read positions of %q in %s: %w", t, n.field, err)
						return
					}
					readers[i] = append(readers[i], &positions{it: pl.Iterator(true, true, true, nil)})
				}
			}
			for _, r := range readers[i] {
				p, err := r.at(uint64(d))
				if err != nil {
					ferr = fmt.Errorf("search: read positions in %s: %w", n.field, err)
					return
				}
				if p == nil {
					continue
				}
				for _, l := range p.Locations() {
					slots[i] = append(slots[i], place{pos: int(l.Pos()), arr: int(arrayPos(l.ArrayPositions()))})
				}
			}
			if len(slots[i]) == 0 {
				return // a word of the phrase is not on the page
			}
		}
		if phraseAt(slots, n.kids) {
			b.set(d)
		}
	})
	return b, ferr
}

// slotTerms returns the terms of one position of a phrase.
func slotTerms(k *node) []string {
	if k.kind == nTerm {
		return []string{k.term}
	}
	ts := make([]string, len(k.kids))
	for i, t := range k.kids {
		ts[i] = t.term
	}
	return ts
}

// phraseAt reports whether the places of the slots of a phrase (nil kids
// for gaps) make the phrase: a place of the first slot, then one of each
// next slot one position further, in the same value of the field.
func phraseAt(slots [][]place, kids []*node) bool {
	for _, first := range slots[0] {
		pos, ok := first.pos, true
		for i := 1; i < len(slots) && ok; i++ {
			pos++
			if kids[i] == nil {
				continue
			}
			ok = slices.ContainsFunc(slots[i], func(p place) bool { return p.pos == pos && p.arr == first.arr })
		}
		if ok {
			return true
		}
	}
	return false
}

// positions reads a term's postings with their locations, page by page
// in ascending order.
type positions struct {
	it   segment.PostingsIterator
	cur  segment.Posting
	done bool
}

// at returns the term's posting on page d, or nil when the term is not
// there.
func (r *positions) at(d uint64) (segment.Posting, error) {
	if r.done {
		return nil, nil
	}
	if r.cur == nil || r.cur.Number() < d {
		p, err := r.it.Advance(d)
		if err != nil || p == nil {
			r.done = true
			return nil, err
		}
		r.cur = p
	}
	if r.cur.Number() == d {
		return r.cur, nil
	}
	return nil, nil
}
