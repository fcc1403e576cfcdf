package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// Where the words of a query are on a few pages: for ranking the best hits
// by proximity (rerank.go) and for the snippets of the hits shown
// (snippet.go). Each term's postings are moved forward through the pages
// asked about, in page order, and only their term vectors are kept; but
// moving forward decodes the term's postings on the way, a few
// microseconds a common word, so only the fields needed are read (see
// run.show).

// fieldTerms are the terms whose places are wanted in one field.
type fieldTerms struct {
	field string
	terms []string
}

// placeTerms returns the terms whose places snippets mark, in the fields
// of snippetFields and in that order, and with title also those in the
// title (for rerank): the words searched for, as each field's analyzer
// indexes them.
func (b builder) placeTerms(q Query, title bool) []fieldTerms {
	var words []string
	for _, w := range b.significant(q.Words) {
		if alts, ok := b.alts[w]; ok {
			words = append(words, alts...)
		} else {
			words = append(words, w)
		}
	}
	words = append(words, q.Phrases...)
	text := strings.Join(words, " ")
	var prose, code []string
	if b.en != nil {
		for _, t := range b.en.Analyze([]byte(text)) {
			if s := string(t.Term); !slices.Contains(prose, s) {
				prose = append(prose, s)
			}
		}
	}
	wholes, parts := identTerms(text)
	for i, w := range wholes {
		for _, s := range append([]string{w}, parts[i]...) {
			if !slices.Contains(code, s) {
				code = append(code, s)
			}
		}
	}
	out := make([]fieldTerms, len(snippetFields), len(snippetFields)+1)
	for i, f := range snippetFields {
		out[i] = fieldTerms{f, prose}
		if f == fCode {
			out[i].terms = code
		}
	}
	if title {
		out = append(out, fieldTerms{fTitle, prose})
	}
	return out
}

// place is where a term is in a field of a page.
type place struct {
	field int // index into the fieldTerms asked for
	term  int // index into its terms
	arr   int // which value of a multi-valued field (headings)
	pos   int // word position, for phrases
	start int // byte offsets in the value
	end   int
}

// maxPlaces bounds the places kept of one term on one page: a common word
// on a long page is highlighted and compared often enough in its first
// places.
const maxPlaces = 64

// readPlaces adds to out[i], for each i of which, the places of the terms
// of want[fi] on page docs[i] (numbers in the snapshot of sr). A term's
// postings (postings.go) tell which of the pages have it: its positions
// are read only in the segments where some do.
func readPlaces(ctx context.Context, pc *postingsCache, sr *storedReader, docs []uint64, which []int, want []fieldTerms, fi int, out [][]place) error {
	if len(which) == 0 {
		return nil
	}
	type page struct {
		i     int
		local uint32
	}
	bySeg := make([][]page, len(sr.segs))
	for _, i := range which {
		seg, local := sr.locate(docs[i])
		bySeg[seg] = append(bySeg[seg], page{i, uint32(local)})
	}
	for _, ps := range bySeg {
		slices.SortFunc(ps, func(a, b page) int { return cmp.Compare(a.local, b.local) })
	}
	ft := want[fi]
	post := make([]*postings, len(sr.segs))
	var have []page
	for ti, term := range ft.terms {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := pc.get(sr.segs, ft.field, term, post); err != nil {
			return err
		}
		for seg, ps := range bySeg {
			have = have[:0]
			for _, p := range ps {
				if _, ok := slices.BinarySearch(post[seg].docs, p.local); ok {
					have = append(have, p)
				}
			}
			if len(have) == 0 {
				continue
			}
			dict, err := sr.segs[seg].Segment().Dictionary(ft.field)
			if err != nil {
				return fmt.Errorf("search: read places of %q in %s: %w", term, ft.field, err)
			}
			pl, err := dict.PostingsList([]byte(term), nil, nil)
			if err != nil {
				return fmt.Errorf("search: read places of %q in %s: %w", term, ft.field, err)
			}
			it := pl.Iterator(true, true, true, nil)
			for _, p := range have {
				got, err := it.Advance(uint64(p.local))
				if err != nil {
					return fmt.Errorf("search: read places of %q in %s: %w", term, ft.field, err)
				}
				if got == nil {
					break
				}
				if got.Number() != uint64(p.local) {
					continue
				}
				for k, l := range got.Locations() {
					if k == maxPlaces {
						break
					}
					out[p.i] = append(out[p.i], place{field: fi, term: ti, arr: int(arrayPos(l.ArrayPositions())),
						pos: int(l.Pos()), start: int(l.Start()), end: int(l.End())})
				}
			}
		}
	}
	return nil
}

// arrayPos returns which value of a multi-valued field a location is in.
func arrayPos(ap []uint64) uint64 {
	if len(ap) == 0 {
		return 0
	}
	return ap[0]
}
