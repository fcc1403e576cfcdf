package search

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// A second look at a few hits. Phrases cost: bleve's phrase search
// compares word positions on every page with all the words, 5 ms for two
// common words at 10,000 pages, and inside a conjunction it keeps looking
// for its next match past the pages the other clauses allow. So the word
// positions of the best hits are fetched with plain word matches restricted
// to those pages (matchesOn), and compared here: to rank pages with the
// words next to each other higher, and to highlight a page of hits.

// proximityFields weighs a phrase found in each field.
var proximityFields = []fieldBoost{{fTitle, boostTitle}, {fHeadings, boostHeadings}, {fBody, boostText}}

// matchesOn matches on the pages ids, every one of them, the words of q
// one by one in the fields phrases and snippets are taken from, so that
// bleve reports where they are.
func (b builder) matchesOn(q Query, ids []string) query.Query {
	var words []string
	for _, w := range b.significant(q.Words) {
		if alts, ok := b.alts[w]; ok {
			words = append(words, alts...)
		} else {
			words = append(words, w)
		}
	}
	words = append(words, q.Phrases...)
	d := query.NewDisjunctionQuery(nil)
	if text := strings.Join(words, " "); text != "" {
		for _, f := range []string{fTitle, fHeadings, fBody, fCode} {
			m := query.NewMatchQuery(text)
			m.SetField(f)
			d.AddQuery(m)
		}
	}
	if last := strings.ToLower(lastWord(q)); q.Prefix && b.alts == nil && len([]rune(last)) >= minPrefix {
		fields := []string{fHeadings, fCode}
		if len([]rune(last)) >= minBodyPrefix {
			fields = append(fields, fBody)
		}
		for _, f := range fields {
			p := query.NewPrefixQuery(last)
			p.SetField(f)
			d.AddQuery(p)
		}
	}
	must := []query.Query{query.NewDocIDQuery(ids)}
	if len(d.Disjuncts) == 0 {
		return query.NewBooleanQuery(must, nil, nil)
	}
	return query.NewBooleanQuery(must, []query.Query{d}, nil)
}

func lastWord(q Query) string {
	if len(q.Words) == 0 {
		return ""
	}
	return q.Words[len(q.Words)-1]
}

// rerank adds to the score of the hits having the words of text next to
// each other, in the title, a heading or the body, up to proximityWeight
// times the best score, and sorts the hits again: the page with the words
// as typed comes first or close to it.
func (ix *Index) rerank(ctx context.Context, b builder, q Query, hits search.DocumentMatchCollection, text string) error {
	toks := b.en.Analyze([]byte(text))
	if len(toks) < 2 {
		return nil
	}
	req := bleve.NewSearchRequestOptions(b.matchesOn(q, hitIDs(hits)), len(hits), 0, false)
	req.IncludeLocations = true
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return err
	}
	near := map[string]float64{}
	best := 0.0
	for _, h := range res.Hits {
		for _, f := range proximityFields {
			if f.boost > near[h.ID] && hasPhrase(h.Locations[f.field], toks) {
				near[h.ID] = f.boost
			}
		}
		best = max(best, near[h.ID])
	}
	if best == 0 {
		return nil
	}
	top := hits[0].Score
	for _, h := range hits {
		h.Score += proximityWeight * top * near[h.ID] / best
	}
	slices.SortStableFunc(hits, func(a, b *search.DocumentMatch) int { return cmp.Compare(b.Score, a.Score) })
	return nil
}

// hasPhrase reports whether the terms are at the positions of the phrase
// toks (stop words between them leave gaps, as in bleve's phrase search)
// in one value of a field.
func hasPhrase(tlm search.TermLocationMap, toks analysis.TokenStream) bool {
	if tlm == nil {
		return false
	}
	for _, l := range tlm[string(toks[0].Term)] {
		found := true
		for _, t := range toks[1:] {
			want := l.Pos + uint64(t.Position-toks[0].Position)
			if !slices.ContainsFunc(tlm[string(t.Term)], func(m *search.Location) bool {
				return m.Pos == want && slices.Equal(m.ArrayPositions, l.ArrayPositions)
			}) {
				found = false
				break
			}
		}
		if found {
			return true
		}
	}
	return false
}
