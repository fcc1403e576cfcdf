package search

import (
	"fmt"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
)

// Typo correction. Rather than matching every field fuzzily (a Levenshtein
// automaton per word and field, on stemmed terms where a typo often
// changes the stem), a word the index does not know is looked up once in
// the dictionary of fWords, whole unstemmed words, and the nearest words
// found there are searched instead, exactly: with stemming, highlighting
// and ranking as if they had been typed.
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
// and joined by much commoner near words.
func (ix *Index) corrections(words []string) (map[string][]string, error) {
	adv, err := ix.idx.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	if snap, ok := r.(*scorch.IndexSnapshot); ok && snap == nil {
		return nil, bleve.ErrorIndexClosed // closed since the search
	}
	defer r.Close()
	fr, ok := r.(index.IndexReaderFuzzy)
	if !ok {
		return nil, nil
	}
	alts := map[string][]string{}
	for _, w := range words {
		fz := fuzziness(w)
		if fz == 0 || !isIdentifier(w) {
			continue
		}
		lw := strings.ToLower(w)
		self, cands, err := nearWords(fr, lw, fz)
		if err != nil {
			return nil, err
		}
		switch {
		case len(cands) == 0:
		case self == 0:
			alts[w] = termsOf(cands)
		case self <= rareWord:
			var common []string
			for _, c := range cands {
				if c.count >= commonerBy*self {
					common = append(common, c.term)
				}
			}
			if len(common) > 0 {
				alts[w] = append([]string{w}, common...)
			}
		}
	}
	if len(alts) == 0 {
		return nil, nil
	}
	return alts, nil
}

type near struct {
	term  string
	dist  int
	count uint64
}

// nearWords returns how many pages have the word w itself and the words
// within edit distance fz of it (see editDistance), nearest and then commonest first, at most
// maxCorrections of the nearest distance found.
func nearWords(fr index.IndexReaderFuzzy, w string, fz int) (self uint64, out []near, _ error) {
	// bleve's automaton counts a transposition as two edits: ask for one
	// more, then keep what is near enough by editDistance.
	fd, err := fr.FieldDictFuzzy(fWords, w, min(fz+1, 2), "")
	if err != nil {
		return 0, nil, fmt.Errorf("search: look up words near %q: %w", w, err)
	}
	defer fd.Close()
	var all []near
	for {
		e, err := fd.Next()
		if err != nil {
			return 0, nil, fmt.Errorf("search: look up words near %q: %w", w, err)
		}
		if e == nil {
			break
		}
		if e.Term == w {
			self = e.Count
			continue
		}
		if d := editDistance(w, e.Term); d <= fz {
			all = append(all, near{e.Term, d, e.Count})
		}
	}
	slices.SortFunc(all, func(a, b near) int {
		if a.dist != b.dist {
			return a.dist - b.dist
		}
		if a.count != b.count {
			if a.count > b.count {
				return -1
			}
			return 1
		}
		return strings.Compare(a.term, b.term)
	})
	for _, n := range all {
		if n.dist != all[0].dist || len(out) == maxCorrections {
			break
		}
		out = append(out, n)
	}
	return self, out, nil
}

func termsOf(ns []near) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.term
	}
	return out
}

// editDistance returns the optimal string alignment distance between a
// and b in runes: insertions, deletions, substitutions and transpositions
// of neighbours ("teh") each count one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
