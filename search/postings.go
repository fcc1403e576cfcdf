package search

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/opswiki/opswiki/wiki"
)

// Postings. A search reads, for each of its words in each field, which
// pages of each segment have the term and how often for their length.
// zap decodes that from compressed chunks on every read, 25 ns a page: a
// word on half of 10,000 pages costs an eighth of a millisecond in the
// body alone, and as much again in fWords. Segments never change once written, so a term's postings in
// a segment are decoded once and kept, the least recently used dropped
// first beyond postingsCacheBytes. Deleted pages stay in them; a search
// leaves them out by the segment's live pages.

// postingsCacheBytes bounds the memory of the postings kept. The words of
// a wiki's queries are few and repeat (kubectl, pod, error, the names of
// the services), and a common word's postings are 50 KB a field at
// 10,000 pages; rare words are cheap to read again. On the distinct
// queries of the generated wiki, searches took 2.7 times as long without
// the cache as with 16 MB, which were as fast as 64 MB; 8 MB were 7 %
// slower than 16 and hold 9 MB less: the server stays within its memory.
const postingsCacheBytes = 8 << 20

// termKey names a term of a field.
type termKey struct{ field, term string }

// postings is what a term's postings list says in one segment: the pages
// having the term, ascending, and for each the part of a tf-idf score that
// depends on the page, the square root of the term's frequency times the
// field's norm (1/√length). Fields without frequencies have no tfn.
type postings struct {
	docs []uint32
	tfn  []float32
}

var noPostings = &postings{}

// termPostings are a term's postings in the segments searched lately, by
// segment id: a search looks a term up once for all its segments.
type termPostings struct {
	mu     sync.Mutex
	segs   []segPostings
	weight atomic.Int64
}

type segPostings struct {
	seg uint64
	p   *postings
}

type postingsCache struct {
	c *wiki.Cache[termKey, *termPostings]
}

func newPostingsCache(size int64) *postingsCache {
	return &postingsCache{c: wiki.NewCache(size, func(k termKey, tp *termPostings) int64 {
		// The cache's entry, the map's, the key and termPostings.
		return 256 + int64(len(k.term)) + tp.weight.Load()
	})}
}

// get sets out[i] to the postings of term in field of segs[i].
func (pc *postingsCache) get(segs []*scorch.SegmentSnapshot, field, term string, out []*postings) error {
	k := termKey{field, term}
	tp, ok := pc.c.Get(k)
	if !ok {
		tp = &termPostings{}
	}
	missing := false
	tp.mu.Lock()
	for i, ss := range segs {
		out[i] = nil
		for _, sp := range tp.segs {
			if sp.seg == ss.Id() {
				out[i] = sp.p
				break
			}
		}
		missing = missing || out[i] == nil
	}
	tp.mu.Unlock()
	if !missing {
		return nil
	}
	for i, ss := range segs {
		if out[i] != nil {
			continue
		}
		p, err := readPostings(ss, field, term)
		if err != nil {
			return err
		}
		out[i] = p
	}
	// Keep the postings of these segments only: the others were merged
	// away, or are kept by a search on a newer snapshot, which reads them
	// again.
	kept := make([]segPostings, len(segs))
	w := int64(0)
	for i, ss := range segs {
		kept[i] = segPostings{ss.Id(), out[i]}
		w += int64(24 + 4*len(out[i].docs) + 4*len(out[i].tfn))
	}
	tp.mu.Lock()
	tp.segs = kept
	tp.weight.Store(w)
	tp.mu.Unlock()
	pc.c.Put(k, tp)
	return nil
}

// readPostings decodes the postings of term in field of a segment.
func readPostings(ss *scorch.SegmentSnapshot, field, term string) (*postings, error) {
	dict, err := ss.Segment().Dictionary(field)
	if err != nil {
		return nil, fmt.Errorf("search: read the terms of %s: %w", field, err)
	}
	if dict == nil {
		return noPostings, nil
	}
	pl, err := dict.PostingsList([]byte(term), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("search: read postings of %q in %s: %w", term, field, err)
	}
	n := pl.Count()
	if n == 0 {
		return noPostings, nil
	}
	freqs := field != fBodyPairs // indexed without frequencies or norms
	p := &postings{docs: make([]uint32, 0, n)}
	if freqs {
		p.tfn = make([]float32, 0, n)
	}
	it := pl.Iterator(freqs, freqs, false, nil)
	for {
		next, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("search: read postings of %q in %s: %w", term, field, err)
		}
		if next == nil {
			break
		}
		p.docs = append(p.docs, uint32(next.Number()))
		if freqs {
			p.tfn = append(p.tfn, float32(math.Sqrt(float64(next.Frequency()))*next.Norm()))
		}
	}
	return p, nil
}
