package search

import (
	"cmp"
	"slices"

	"github.com/blevesearch/bleve/v2/analysis"
)

// A second look at the best hits. A page with the words of a query next to
// each other, in the order typed (as pasted error messages and sentences
// have them), is more relevant than one that merely has them all. Phrase
// search over every page would cost too much (phrase.go), so the positions
// of the words are read on the best hits only (places.go) and compared
// here.

// proximityFields weighs a run of the words found in each field.
var proximityFields = []fieldBoost{{fTitle, boostTitle}, {fHeadings, boostHeadings}, {fBody, boostText}}

// rerank adds to the score of the hits having the words toks next to each
// other, in the title, a heading or the body, up to proximityWeight times
// the best score, and sorts the hits and their places again: the page with
// the words as typed comes first or close to it. want names the fields and
// terms of ps. It returns the new order: where each hit was before, or nil
// when the order did not change.
func rerank(hits []hit, ps [][]place, want []fieldTerms, toks analysis.TokenStream) []int {
	if len(toks) < 2 || len(hits) == 0 {
		return nil
	}
	near := make([]float64, len(hits))
	best := 0.0
	for i := range hits {
		for _, f := range proximityFields {
			fi := slices.IndexFunc(want, func(ft fieldTerms) bool { return ft.field == f.field })
			if fi >= 0 && f.boost > near[i] && hasRun(ps[i], fi, want[fi].terms, toks) {
				near[i] = f.boost
			}
		}
		best = max(best, near[i])
	}
	if best == 0 {
		return nil
	}
	top := hits[0].score
	order := make([]int, len(hits))
	for i := range hits {
		hits[i].score += proximityWeight * top * near[i] / best
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(hits[b].score, hits[a].score) })
	sortedHits := make([]hit, len(hits))
	sortedPlaces := make([][]place, len(hits))
	for k, i := range order {
		sortedHits[k], sortedPlaces[k] = hits[i], ps[i]
	}
	copy(hits, sortedHits)
	copy(ps, sortedPlaces)
	return order
}

// permute puts xs in order: the new xs[k] is the old xs[order[k]]. A nil
// order leaves xs as it is.
func permute[T any](xs []T, order []int) {
	if order == nil {
		return
	}
	old := slices.Clone(xs)
	for k, i := range order {
		xs[k] = old[i]
	}
}

// hasRun reports whether the places of field fi have the terms of toks at
// the positions of the phrase toks (stop words between them leave gaps,
// as in bleve's phrase search) in one value of the field. terms are the
// terms the places are indexed by.
func hasRun(ps []place, fi int, terms []string, toks analysis.TokenStream) bool {
	idx := make([]int, len(toks))
	for k, t := range toks {
		if idx[k] = slices.Index(terms, string(t.Term)); idx[k] < 0 {
			return false
		}
	}
	for _, first := range ps {
		if first.field != fi || first.term != idx[0] {
			continue
		}
		found := true
		for k, t := range toks[1:] {
			want := first.pos + t.Position - toks[0].Position
			if !slices.ContainsFunc(ps, func(p place) bool {
				return p.field == fi && p.term == idx[k+1] && p.arr == first.arr && p.pos == want
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
