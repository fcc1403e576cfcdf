package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
)

// Typo correction. Rather than matching every field fuzzily (a Levenshtein
// automaton per word and field, on stemmed terms where a typo often
// changes the stem), a word the index does not know is looked up once
// among the words of fWords, whole unstemmed words (near.go), and the
// nearest words found there are searched instead, exactly: with stemming,
// highlighting and ranking as if they had been typed.
const (
	// maxCorrections bounds the words searched in place of one typo.
	maxCorrections = 4
	// rareWord is the most pages a word may be on and still be suspected
	// of being a typo when the search finds little: wikis have typos too,
	// and a query's typo may match the same typo on a page or two.
	rareWord = 2
	// fewHits is what "finds little" means.
	fewHits = 3
	// commonerBy is how many times more pages a correction of a rare
	// word must be on to be searched as well.
	commonerBy = 10
)

// corrections returns, for the words that look misspelt, the words of the
// index to search instead. A word on no page at all is replaced by its
// nearest words; a rare word (when the exact search found little) is kept
// and joined by much commoner near words. A word's corrections are kept
// per index generation, so a typo asked again costs a cache lookup, and a
// word the index knows well costs one dictionary lookup: only absent and
// rare words are looked for among their neighbours.
func (ix *Index) corrections(ctx context.Context, snap *scorch.IndexSnapshot, gen uint64, words []string) (map[string][]string, error) {
	var alts map[string][]string
	for _, w := range words {
		fz := fuzziness(w)
		if fz == 0 || !isIdentifier(w) {
			continue
		}
		lw := strings.ToLower(w)
		c, ok := ix.corrected.get(lw, gen)
		if !ok {
			var err error
			if c, err = ix.correct(ctx, snap, lw, fz); err != nil {
				return nil, err
			}
			ix.corrected.put(lw, gen, c)
		}
		if len(c) > 0 {
			if alts == nil {
				alts = map[string][]string{}
			}
			alts[w] = c
		}
	}
	return alts, nil
}

// correct returns the words to search instead of the lower-cased word w
// (w itself first when it is to be kept), or nil to search w as typed.
func (ix *Index) correct(ctx context.Context, snap *scorch.IndexSnapshot, w string, fz int) ([]string, error) {
	self, err := docFreq(ctx, snap, fWords, w)
	if err != nil || self > rareWord {
		return nil, err
	}
	cands, err := ix.nearWords(ctx, snap, w, fz)
	if err != nil || len(cands) == 0 {
		return nil, err
	}
	if self == 0 {
		return termsOf(cands), nil
	}
	out := []string{w}
	for _, c := range cands {
		if c.count >= commonerBy*self {
			out = append(out, c.term)
		}
	}
	if len(out) == 1 {
		return nil, nil
	}
	return out, nil
}

// docFreq returns how many pages have term in field.
func docFreq(ctx context.Context, r index.IndexReader, field, term string) (uint64, error) {
	tfr, err := r.TermFieldReader(ctx, []byte(term), field, false, false, false)
	if err != nil {
		return 0, fmt.Errorf("search: look up %q: %w", term, err)
	}
	n := tfr.Count()
	if err := tfr.Close(); err != nil {
		return 0, fmt.Errorf("search: look up %q: %w", term, err)
	}
	return n, nil
}

type near struct {
	term  string
	dist  int
	count uint64
}

// maxLiveCounts bounds the words near a typo counted again, live, in
// nearWords.
const maxLiveCounts = 64

// nearWords returns the other words within edit distance fz of the word w
// (see textdiff.Distance), commonest first, at most maxCorrections of the
// nearest distance found.
func (ix *Index) nearWords(ctx context.Context, snap *scorch.IndexSnapshot, w string, fz int) ([]near, error) {
	found := map[string]int{} // index in all
	var all []near
	for _, ss := range snap.Segments() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, err := ix.segData.wordDict(ss)
		if err != nil {
			return nil, err
		}
		d.near(w, fz, func(word string, dist int, count uint32) {
			if i, ok := found[word]; ok {
				all[i].count += uint64(count)
				return
			}
			found[word] = len(all)
			all = append(all, near{word, dist, uint64(count)})
		})
	}
	slices.SortFunc(all, func(a, b near) int {
		return cmp.Or(a.dist-b.dist, cmp.Compare(b.count, a.count), strings.Compare(a.term, b.term))
	})
	// A segment's dictionary keeps the words of its deleted pages until it
	// is merged away, with their old counts: the nearest words are counted
	// again, and those on no page any more are not suggested.
	var out []near
	for k, n := range all {
		if k == maxLiveCounts || len(out) > 0 && n.dist > out[0].dist {
			break
		}
		live, err := docFreq(ctx, snap, fWords, n.term)
		if err != nil {
			return nil, err
		}
		if live > 0 {
			n.count = live
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b near) int { return cmp.Or(cmp.Compare(b.count, a.count), strings.Compare(a.term, b.term)) })
	return out[:min(len(out), maxCorrections)], nil
}

func termsOf(ns []near) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.term
	}
	return out
}
