package search

import (
	"fmt"
	"slices"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/registry"
)

// Phrases in body text. A phrase search reads the positions of its words
// on every page having all of them: for two common words that is half the
// wiki, 3 to 20 ms a phrase at 10,000 pages. So the body is indexed a
// second time as pairs of neighbouring words (fBodyPairs), each pair
// hashed into one of pairBuckets terms: the pages with a phrase's pairs
// are not many more than the pages with the phrase, whatever its words,
// and only their word positions are compared (eval.go). Hashing keeps the
// field's dictionary small: a term per distinct pair made a full index
// four times slower (segments of millions of terms to write and merge);
// 4,096 buckets cost a third more. Stop words leave gaps, as in bleve's
// phrase search: "disk is full" is the pair "disk" and "full" two
// positions apart. Pages match as bleve's phrase search matches them, with
// one difference: a gap must be stop words ("disk is full" is not found
// in "disk nearly full").

// pairsAnalyzer is the analyzer of fBodyPairs.
const pairsAnalyzer = "opswiki_pairs"

const (
	// maxPairGap is the farthest apart two words are indexed as a pair,
	// three stop words between them ("out of the box" is "out" and "box"
	// 3 apart). A phrase with more is searched by its positions alone.
	maxPairGap = 4
	// pairBuckets is the number of terms pairs are hashed into, at most
	// 1<<16 (terms are four hexadecimal digits). Changing it, the hash or
	// maxPairGap needs a new mappingVersion.
	pairBuckets = 1 << 12
)

func init() {
	err := registry.RegisterAnalyzer(pairsAnalyzer, func(_ map[string]interface{}, cache *registry.Cache) (analysis.Analyzer, error) {
		a, err := cache.AnalyzerNamed(en.AnalyzerName)
		if err != nil {
			return nil, fmt.Errorf("build %s: %w", pairsAnalyzer, err)
		}
		return pairsAnalyzerImpl{a}, nil
	})
	if err != nil {
		panic(err)
	}
}

// pairsAnalyzerImpl emits the bucket of each word of the English analysis
// and the next one.
type pairsAnalyzerImpl struct{ en analysis.Analyzer }

func (a pairsAnalyzerImpl) Analyze(in []byte) analysis.TokenStream {
	toks := a.en.Analyze(in)
	if len(toks) < 2 {
		return nil
	}
	buf := make([]byte, 0, pairTermLen*(len(toks)-1)) // one allocation for every term's bytes
	pairs := make([]analysis.Token, 0, len(toks)-1)
	for i := 1; i < len(toks); i++ {
		l, r := toks[i-1], toks[i]
		gap := r.Position - l.Position
		if gap < 1 || gap > maxPairGap {
			continue
		}
		start := len(buf)
		buf = appendPairTerm(buf, l.Term, r.Term, gap)
		pairs = append(pairs, analysis.Token{Term: buf[start:len(buf):len(buf)], Start: l.Start, End: r.End,
			Position: len(pairs) + 1, Type: analysis.AlphaNumeric})
	}
	out := make(analysis.TokenStream, len(pairs))
	for i := range pairs {
		out[i] = &pairs[i]
	}
	return out
}

// pairTermLen is the length of a pair's term.
const pairTermLen = 4

// appendPairTerm appends the term of the bucket of words l and r, gap
// positions apart: FNV-1a of the pair, in hexadecimal.
func appendPairTerm(buf, l, r []byte, gap int) []byte {
	h := uint32(2166136261)
	add := func(b byte) {
		h ^= uint32(b)
		h *= 16777619
	}
	for _, b := range l {
		add(b)
	}
	add(byte(gap)) // never in a term: words are joined unambiguously
	for _, b := range r {
		add(b)
	}
	h = (h ^ h>>16) % pairBuckets
	const hex = "0123456789abcdef"
	for i := pairTermLen - 1; i >= 0; i-- {
		buf = append(buf, hex[h>>(4*i)&0xf])
	}
	return buf
}

// pairTerms returns the unscored terms of fBodyPairs a page with the
// phrase ph in its body has, or nil when the phrase has fewer than two
// words after analysis or words too far apart to be indexed as pairs.
func pairTerms(a analysis.Analyzer, ph string) []*node {
	toks := a.Analyze([]byte(ph))
	if len(toks) < 2 {
		return nil
	}
	var pairs []string
	for i := 1; i < len(toks); i++ {
		gap := toks[i].Position - toks[i-1].Position
		if gap < 1 || gap > maxPairGap {
			return nil
		}
		if pair := string(appendPairTerm(nil, toks[i-1].Term, toks[i].Term, gap)); !slices.Contains(pairs, pair) {
			pairs = append(pairs, pair)
		}
	}
	out := make([]*node, len(pairs))
	for i, p := range pairs {
		out[i] = termNode(fBodyPairs, p, 0)
	}
	return out
}
