package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/opswiki/opswiki/wiki"
)

// Limits on a request.
const (
	// DefaultLimit is the number of hits when a request gives none.
	DefaultLimit = 20
	// MaxLimit is the most hits one request returns.
	MaxLimit = 100
	// MaxOffset is the deepest page served; bleve walks every hit before it.
	MaxOffset = 10_000
	// MaxQueryBytes is how much of a query is read; the rest is ignored.
	MaxQueryBytes = 1000
	// maxTerms bounds the words, phrases, filters and exclusions used.
	maxTerms  = 32
	facetSize = 10
)

// Request is wiki.SearchRequest.
type Request = wiki.SearchRequest

// Result is wiki.SearchResult.
type Result = wiki.SearchResult

// Hit is wiki.SearchHit.
type Hit = wiki.SearchHit

// FacetCount is wiki.FacetCount.
type FacetCount = wiki.FacetCount

// facetNames are the facets counted, named as the filters a UI turns them
// back into ("service:x"). Each is a prefix of the terms of fFacets.
var facetNames = []string{"kind", "service", "tag", "owner", "severity", "status"}

// Search runs a query. An empty query returns no hits; a query with only
// filters lists the matching pages in path order. When it finds little, it
// searches again with the words that look misspelt corrected (correct.go).
// Results are kept in a cache of recent results until the next Apply.
// Returns EUNAVAILABLE once closed.
//
// Everything a search reads comes from one snapshot of the index: the
// hits, the places of the words on the best of them (rerank.go) and the
// stored text of the hits shown (snippet.go).
func (ix *Index) Search(ctx context.Context, r Request) (*Result, error) {
	start := time.Now()
	if len(r.Query) > MaxQueryBytes {
		r.Query = strings.ToValidUTF8(r.Query[:MaxQueryBytes], "")
	}
	q := ParseQuery(r.Query)
	q.Words, q.Phrases = q.Words[:min(len(q.Words), maxTerms)], q.Phrases[:min(len(q.Phrases), maxTerms)]
	q.Filters, q.Exclude = q.Filters[:min(len(q.Filters), maxTerms)], q.Exclude[:min(len(q.Exclude), maxTerms)]
	res := &Result{Hits: []Hit{}, Facets: map[string][]FacetCount{}}
	if q.IsEmpty() {
		return res, nil
	}
	if r.Limit <= 0 {
		r.Limit = DefaultLimit
	}
	r.Limit, r.Offset = min(r.Limit, MaxLimit), min(max(r.Offset, 0), MaxOffset)
	key, gen := cacheKey{r.Query, r.Limit, r.Offset, r.NoFacets}, ix.gen.Load()
	if c, ok := ix.cache.get(key, gen); ok {
		res = copyResult(c)
		res.TookMS = float64(time.Since(start).Microseconds()) / 1000
		return res, nil
	}
	// When an alert fires, everyone on call searches for it at once: the
	// same query on the same index is run once, and the others wait for
	// its answer.
	fl, leader := ix.join(key, gen)
	for !leader {
		select {
		case <-fl.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if fl.err != nil && (errors.Is(fl.err, context.Canceled) || errors.Is(fl.err, context.DeadlineExceeded)) {
			// The one asking first went away; ask again.
			fl, leader = ix.join(key, gen)
			continue
		}
		if fl.err != nil {
			return nil, fl.err
		}
		res = copyResult(fl.res)
		res.TookMS = float64(time.Since(start).Microseconds()) / 1000
		return res, nil
	}
	res, err := ix.search(ctx, r, q, key, gen, start)
	fl.res, fl.err = res, err
	ix.leave(key, fl)
	if err != nil {
		return nil, err
	}
	return copyResult(res), nil
}

// flight is one search others with the same query are waiting for.
type flight struct {
	gen  uint64
	done chan struct{}
	res  *Result
	err  error
}

// join returns the search of key running at generation gen, or starts one
// (leader true): the caller then runs it and calls leave.
func (ix *Index) join(key cacheKey, gen uint64) (*flight, bool) {
	ix.flightMu.Lock()
	defer ix.flightMu.Unlock()
	if fl, ok := ix.flights[key]; ok && fl.gen == gen {
		return fl, false
	}
	fl := &flight{gen: gen, done: make(chan struct{})}
	ix.flights[key] = fl
	return fl, true
}

func (ix *Index) leave(key cacheKey, fl *flight) {
	ix.flightMu.Lock()
	if ix.flights[key] == fl {
		delete(ix.flights, key)
	}
	ix.flightMu.Unlock()
	close(fl.done)
}

// search runs one query on the index as it is now, once a slot is free.
func (ix *Index) search(ctx context.Context, r Request, q Query, key cacheKey, gen uint64, start time.Time) (*Result, error) {
	select {
	case ix.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-ix.slots }()
	res := &Result{Hits: []Hit{}, Facets: map[string][]FacetCount{}}
	snap, err := ix.snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	ix.searches.Add(1)
	s := &run{ix: ix, snap: snap, q: q, r: r}
	b := builder{en: ix.en, ix: ix, r: snap, gen: gen}
	hits, total, facets, err := s.collect(ctx, b)
	if err == nil && total < fewHits && slices.ContainsFunc(q.Words, func(w string) bool { return fuzziness(w) > 0 }) {
		// Finding little: perhaps a typo.
		var alts map[string][]string
		if alts, err = ix.corrections(ctx, snap, gen, q.Words); err == nil && alts != nil {
			fb := b
			fb.alts = alts
			fh, ft, ff, ferr := s.collect(ctx, fb)
			if err = ferr; err == nil && ft > total {
				hits, total, facets, b, res.Fuzzy = fh, ft, ff, fb, true
			}
		}
	}
	if err == nil {
		res.Hits, err = s.show(ctx, b, hits)
	}
	if err != nil {
		if errors.Is(err, bleve.ErrorIndexClosed) {
			return nil, closedError(err)
		}
		return nil, fmt.Errorf("search %q: %w", r.Query, err)
	}
	res.Total = total
	if facets != nil {
		res.Facets = facets.result()
	}
	res.TookMS = float64(time.Since(start).Microseconds()) / 1000
	if ix.cache != nil {
		ix.cache.put(key, gen, copyResult(res))
	}
	return res, nil
}

func closedError(err error) error {
	return &wiki.Error{Code: wiki.EUNAVAILABLE, Message: "The search index is closed.", Err: err}
}

// snapshot returns the index as it is now; the caller closes it. It fails
// with EUNAVAILABLE once the index is closed.
func (ix *Index) snapshot() (*scorch.IndexSnapshot, error) {
	adv, err := ix.idx.Advanced()
	if err != nil {
		return nil, fmt.Errorf("search: open snapshot: %w", err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, fmt.Errorf("search: open snapshot: %w", err)
	}
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok || snap == nil {
		if r != nil && !ok {
			_ = r.Close()
			return nil, fmt.Errorf("search: index reader is a %T, not a scorch snapshot", r)
		}
		return nil, closedError(bleve.ErrorIndexClosed)
	}
	return snap, nil
}

// run is one search on one snapshot.
type run struct {
	ix   *Index
	snap *scorch.IndexSnapshot
	q    Query
	r    Request
}

// hit is a page found, by its number in the snapshot; its id (file path)
// is read with what is shown of it.
type hit struct {
	num   uint64
	score float64
	id    string
}

// reranks reports whether the best hits of b's query are reranked by
// proximity, and with which words (see rerank).
func (s *run) reranks(b builder) (string, bool) {
	prox := b.proximityText(s.q)
	// Pages past the window keep their places, so paging stays consistent.
	return prox, prox != "" && s.r.Offset < rerankWindow
}

// collect finds the hits of the query built by b: the page of hits asked
// for, or all of the best rerankWindow when they are to be reranked, and
// counts the facets of every page matched (facets.go).
func (s *run) collect(ctx context.Context, b builder) ([]hit, uint64, *facetCounter, error) {
	from, size := s.r.Offset, s.r.Limit
	if _, ok := s.reranks(b); ok {
		from, size = 0, max(s.r.Offset+s.r.Limit, rerankWindow)
	}
	p, err := b.build(s.q)
	if err != nil {
		return nil, 0, nil, err
	}
	e, err := s.ix.newEvaluation(ctx, s.snap, p)
	if err != nil {
		return nil, 0, nil, err
	}
	if err := e.run(ctx, from+size); err != nil {
		e.drop()
		return nil, 0, nil, err
	}
	defer e.release()
	var fc *facetCounter
	if !s.r.NoFacets {
		if fc, err = s.ix.facets.counter(s.snap); err != nil {
			return nil, 0, nil, err
		}
		e.countFacets(fc)
	}
	hits, err := e.hits(ctx, from, size)
	if err != nil {
		return nil, 0, nil, err
	}
	return hits, e.total(), fc, nil
}

// show reranks the hits when collect kept the best of them for it, and
// returns the page of hits asked for with their titles and snippets.
// Places are read field by field, only where they are used: proximity
// looks at the title and headings of every hit reranked, and at the body
// of those that may have the words next to each other; a snippet is taken
// from the body, else the code, else a heading.
func (s *run) show(ctx context.Context, b builder, hits []hit) ([]Hit, error) {
	if len(hits) == 0 {
		return []Hit{}, nil
	}
	prox, rerankHits := s.reranks(b)
	want := b.placeTerms(s.q, rerankHits)
	docs := make([]uint64, len(hits))
	for i, h := range hits {
		docs[i] = h.num
	}
	sr := newStoredReader(s.snap)
	ps := make([][]place, len(hits))
	read := make([]uint8, len(hits)) // fields of want read, a bit each
	readField := func(fi int, which []int) error {
		var todo []int
		for _, i := range which {
			if read[i]&(1<<fi) == 0 {
				read[i] |= 1 << fi
				todo = append(todo, i)
			}
		}
		return readPlaces(ctx, s.ix.postings, sr, docs, todo, want, fi, ps)
	}
	if rerankHits {
		n := min(len(hits), rerankWindow)
		toks := b.en.Analyze([]byte(prox))
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		if err := readField(slices.IndexFunc(want, func(ft fieldTerms) bool { return ft.field == fTitle }), all); err != nil {
			return nil, err
		}
		if err := readField(placesOf(want, fHeadings), all); err != nil {
			return nil, err
		}
		near, err := s.mayBeNear(sr, docs[:n], toks)
		if err != nil {
			return nil, err
		}
		if err := readField(placesOf(want, fBody), near); err != nil {
			return nil, err
		}
		order := rerank(hits[:n], ps[:n], want, toks)
		permute(docs[:n], order)
		permute(read[:n], order)
		lo, hi := min(s.r.Offset, len(hits)), min(s.r.Offset+s.r.Limit, len(hits))
		hits, ps, docs, read = hits[lo:hi], ps[lo:hi], docs[lo:hi], read[lo:hi]
	}
	shown := make([]int, len(hits))
	for i := range shown {
		shown[i] = i
	}
	if err := readField(placesOf(want, fBody), shown); err != nil {
		return nil, err
	}
	without := func(fields ...string) []int {
		var out []int
		for i := range hits {
			if !slices.ContainsFunc(ps[i], func(p place) bool { return slices.Contains(fields, want[p.field].field) }) {
				out = append(out, i)
			}
		}
		return out
	}
	if err := readField(placesOf(want, fCode), without(fBody)); err != nil {
		return nil, err
	}
	if err := readField(placesOf(want, fHeadings), without(fBody, fCode)); err != nil {
		return nil, err
	}
	prefix := ""
	if last := strings.ToLower(lastWord(s.q)); s.q.Prefix && b.alts == nil && utf8.RuneCountInString(last) >= minPrefix {
		prefix = last
	}
	out := make([]Hit, 0, len(hits))
	for i, h := range hits {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sh, err := sr.show(h.num, ps[i], want, prefix, utf8.RuneCountInString(prefix) >= minBodyPrefix)
		if err != nil {
			return nil, err
		}
		out = append(out, Hit{
			Path:    wiki.Path(sh.id).Name(),
			File:    wiki.Path(sh.id),
			Title:   sh.title,
			Kind:    sh.kind,
			Score:   h.score,
			Snippet: sh.snippet,
		})
	}
	return out, nil
}

// placesOf returns the index of field in want.
func placesOf(want []fieldTerms, field string) int {
	return slices.IndexFunc(want, func(ft fieldTerms) bool { return ft.field == field })
}

// mayBeNear returns the indexes of the pages of docs whose body may have
// the words toks next to each other: those with every pair of the words
// in fBodyPairs (phrase.go). A pair's bucket is shared with other pairs,
// so a page may have them all and not the words together, but a page
// missing one does not have them together.
func (s *run) mayBeNear(sr *storedReader, docs []uint64, toks analysis.TokenStream) ([]int, error) {
	all := make([]int, len(docs))
	for i := range all {
		all[i] = i
	}
	var pairs []string
	for i := 1; i < len(toks); i++ {
		gap := toks[i].Position - toks[i-1].Position
		if gap < 1 || gap > maxPairGap {
			return all, nil // not indexed as a pair
		}
		pairs = append(pairs, string(appendPairTerm(nil, toks[i-1].Term, toks[i].Term, gap)))
	}
	post := make([][]*postings, len(pairs))
	for k, pair := range pairs {
		post[k] = make([]*postings, len(sr.segs))
		if err := s.ix.postings.get(sr.segs, fBodyPairs, pair, post[k]); err != nil {
			return nil, err
		}
	}
	out := all[:0]
	for i, d := range docs {
		seg, local := sr.locate(d)
		ok := true
		for k := range pairs {
			if _, ok = slices.BinarySearch(post[k][seg].docs, uint32(local)); !ok {
				break
			}
		}
		if ok {
			out = append(out, i)
		}
	}
	return out, nil
}

func lastWord(q Query) string {
	if len(q.Words) == 0 {
		return ""
	}
	return q.Words[len(q.Words)-1]
}
