package search

import (
	"context"

	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	"github.com/blevesearch/bleve/v2/search/query"
)

// ScoredForTest is a page found by a query: its file path and score.
type ScoredForTest struct {
	ID    string
	Score float64
}

// PlanAgainstBleveForTest runs the plan of the query text both as this
// package runs it and as bleve's searchers run a query of the same shape,
// on the same snapshot, and returns the best k pages of each with the
// number of pages each matched. Words are searched as typed: without
// typo corrections or reranking by proximity. byPath says the pages are
// listed in path order, where scores mean nothing.
func PlanAgainstBleveForTest(ix *Index, text string, k int) (ours, theirs []ScoredForTest, ourTotal, theirTotal uint64, byPath bool, err error) {
	ctx := context.Background()
	snap, err := ix.snapshot()
	if err != nil {
		return nil, nil, 0, 0, false, err
	}
	defer snap.Close()
	q := ParseQuery(text)
	p, err := builder{en: ix.en, ix: ix, r: snap, gen: ix.gen.Load()}.build(q)
	if err != nil {
		return nil, nil, 0, 0, false, err
	}
	e, err := ix.newEvaluation(ctx, snap, p)
	if err != nil {
		return nil, nil, 0, 0, false, err
	}
	if err := e.run(ctx, k); err != nil {
		return nil, nil, 0, 0, false, err
	}
	hits, err := e.hits(ctx, 0, k)
	if err != nil {
		return nil, nil, 0, 0, false, err
	}
	ourTotal = e.total()
	e.release()
	sr := newStoredReader(snap)
	for _, h := range hits {
		var id string
		if err := sr.visit(h.num, func(field string, value []byte) {
			if field == "_id" {
				id = string(value)
			}
		}); err != nil {
			return nil, nil, 0, 0, false, err
		}
		ours = append(ours, ScoredForTest{id, h.score})
	}

	bq := &query.BooleanQuery{Must: query.NewMatchAllQuery()}
	if p.must != nil {
		bq.Must = bleveQuery(p.must)
	}
	if p.should != nil {
		bq.Should = bleveQuery(p.should)
	}
	if p.not != nil {
		bq.MustNot = bleveQuery(p.not)
	}
	if p.filter != nil {
		bq.AddFilter(bleveQuery(p.filter))
	}
	sr2, err := bq.Searcher(ctx, snap, ix.idx.Mapping(), search.SearcherOptions{})
	if err != nil {
		return nil, nil, 0, 0, false, err
	}
	defer sr2.Close()
	order := search.SortOrder{&search.SortScore{Desc: true}}
	if p.byPath {
		order = search.SortOrder{&search.SortDocID{}}
	}
	coll := collector.NewTopNCollector(k, 0, order)
	if err := coll.Collect(ctx, sr2, snap); err != nil {
		return nil, nil, 0, 0, false, err
	}
	for _, d := range coll.Results() {
		theirs = append(theirs, ScoredForTest{d.ID, d.Score})
	}
	return ours, theirs, ourTotal, coll.Total(), p.byPath, nil
}

// bleveQuery returns bleve's query of the shape of n. A phrase narrowed by
// pairs of body words is searched by its positions alone, which finds it
// where a word other than a stop word fills a gap: compare phrases without
// stop words.
func bleveQuery(n *node) query.Query {
	switch n.kind {
	case nTerm:
		t := query.NewTermQuery(n.term)
		t.SetField(n.field)
		if n.boost != 0 {
			t.SetBoost(n.boost)
		}
		return t
	case nAll, nAny:
		qs := make([]query.Query, len(n.kids))
		for i, k := range n.kids {
			qs[i] = bleveQuery(k)
		}
		if n.kind == nAll {
			return query.NewConjunctionQuery(qs)
		}
		return query.NewDisjunctionQuery(qs)
	case nPhrase:
		terms := make([][]string, len(n.kids))
		for i, k := range n.kids {
			if k != nil {
				terms[i] = slotTerms(k)
			}
		}
		mp := query.NewMultiPhraseQuery(terms, n.field)
		mp.SetBoost(n.boost)
		return mp
	case nPath:
		pq := query.NewPrefixQuery(n.term)
		pq.SetField(fPath)
		return pq
	}
	return query.NewMatchNoneQuery()
}
