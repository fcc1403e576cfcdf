package search

import (
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2/index/scorch"
)

// Prefixes. bleve's prefix query searches every term of the field starting
// with the prefix: the terms are found anew for every query, walking the
// term dictionary of every segment, and a short prefix in a large wiki
// becomes a disjunction of hundreds of terms. A prefix here is the
// maxPrefixTerms commonest terms starting with it, found once per prefix,
// field and index generation in the terms of each segment, read once
// (segdata.go). Every query typed without a final space ends in a
// prefix.
const (
	// maxPrefixTerms is the most terms a prefix stands for in one field.
	maxPrefixTerms = 32
	// maxPrefixScan bounds the terms of the dictionary looked at for one
	// prefix; the commonest of those are kept.
	maxPrefixScan = 20_000
)

type prefixKey struct{ field, prefix string }

// termCount is a term and how many pages have it.
type termCount struct {
	term  string
	count uint64
}

// expandPrefix returns the commonest terms of field starting with prefix
// in the snapshot snap of generation gen, commonest first. Counts are
// those of the term dictionaries, which count pages deleted since their
// segment was written.
func (ix *Index) expandPrefix(snap *scorch.IndexSnapshot, gen uint64, field, prefix string) ([]string, error) {
	k := prefixKey{field, prefix}
	if terms, ok := ix.prefixes.get(k, gen); ok {
		return terms, nil
	}
	// The terms of every segment starting with prefix, in dictionary
	// order, the counts of a term in several segments added up.
	var all []termCount
	for _, ss := range snap.Segments() {
		tl, err := ix.segData.terms(ss, field)
		if err != nil {
			return nil, err
		}
		tl.withPrefix(prefix, maxPrefixScan, func(term string, count uint32) {
			all = append(all, termCount{term, uint64(count)})
		})
	}
	slices.SortStableFunc(all, func(a, b termCount) int { return strings.Compare(a.term, b.term) })
	merged := all[:0]
	for _, t := range all {
		if n := len(merged); n > 0 && merged[n-1].term == t.term {
			merged[n-1].count += t.count
			continue
		}
		merged = append(merged, t)
	}
	var top []termCount // the commonest so far, commonest first
	for _, e := range merged[:min(len(merged), maxPrefixScan)] {
		if len(top) == maxPrefixTerms && e.count <= top[len(top)-1].count {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, e.count, func(t termCount, c uint64) int {
			if t.count >= c {
				return -1 // commoner terms first; equal counts keep dictionary order
			}
			return 1
		})
		top = slices.Insert(top, i, e)
		top = top[:min(len(top), maxPrefixTerms)]
	}
	terms := make([]string, len(top))
	for i, t := range top {
		terms[i] = t.term
	}
	ix.prefixes.put(k, gen, terms)
	return terms, nil
}

// prefix matches the terms prefix stands for in field (see expandPrefix),
// each with boost, as bleve's prefix query of those terms does: a
// disjunction of them, or the prefix as a term when it stands for no
// other.
func (b builder) prefix(field, prefix string, boost float64) (*node, error) {
	terms, err := b.ix.expandPrefix(b.r, b.gen, field, prefix)
	if err != nil {
		return nil, err
	}
	if len(terms) == 0 || len(terms) == 1 && terms[0] == prefix {
		return termNode(field, prefix, boost), nil
	}
	ns := make([]*node, len(terms))
	for i, t := range terms {
		ns[i] = termNode(field, t, boost)
	}
	return anyNode(ns...), nil
}
