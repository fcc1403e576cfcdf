package search

import (
	"fmt"
	"github.com/opswiki/opswiki/wiki/textdiff"
	"math/bits"
	"slices"
	"unicode/utf8"

	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Words near a typo. bleve finds them with a Levenshtein automaton run
// over the term dictionary of every segment: building the automaton and
// walking the dictionaries cost 0.3 to 4 ms a word at 10,000 pages, and a
// transposition counts as two edits there. Here each segment's words are
// read once into a table grouped by length, each with a signature of the
// letters in it, and a word's neighbours are the words of a length within
// the allowed distance whose signatures differ in few enough letters,
// checked by textdiff.Distance: a few thousand comparisons of two integers.

// wordDict is the dictionary of fWords of one segment.
type wordDict struct {
	text   []byte   // the words, one after the other, shortest first
	ends   []uint32 // where each word ends in text
	counts []uint32 // pages of the segment with each word, deleted ones too
	sigs   []uint64 // letterSig of each word
	// byLen[n] is the index of the first word of n runes, for every n
	// up to the longest and one past it.
	byLen []int
}

// readWordDict reads the dictionary of fWords of a segment.
func readWordDict(seg segment.Segment) (*wordDict, error) {
	dict, err := seg.Dictionary(fWords)
	if err != nil {
		return nil, fmt.Errorf("search: read the words of a segment: %w", err)
	}
	type entry struct {
		word  string
		runes int
		count uint32
	}
	var all []entry
	it := dict.AutomatonIterator(everyTerm{}, nil, nil)
	for {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("search: read the words of a segment: %w", err)
		}
		if e == nil {
			break
		}
		all = append(all, entry{e.Term, utf8.RuneCountInString(e.Term), uint32(min(e.Count, 1<<32-1))})
	}
	slices.SortStableFunc(all, func(a, b entry) int { return a.runes - b.runes })
	d := &wordDict{ends: make([]uint32, len(all)), counts: make([]uint32, len(all)), sigs: make([]uint64, len(all))}
	for i, e := range all {
		for len(d.byLen) <= e.runes {
			d.byLen = append(d.byLen, i)
		}
		d.text = append(d.text, e.word...)
		d.ends[i] = uint32(len(d.text))
		d.counts[i] = e.count
		d.sigs[i] = letterSig(e.word)
	}
	d.byLen = append(d.byLen, len(all))
	return d, nil
}

func (d *wordDict) word(i int) string {
	start := uint32(0)
	if i > 0 {
		start = d.ends[i-1]
	}
	return string(d.text[start:d.ends[i]])
}

// near calls fn with every other word within edit distance fz of w, its
// distance and the segment's count of it.
func (d *wordDict) near(w string, fz int, fn func(word string, dist int, count uint32)) {
	n := utf8.RuneCountInString(w)
	sig := letterSig(w)
	wr := []rune(w)
	var buf []rune
	for l := max(n-fz, 1); l <= n+fz && l+1 < len(d.byLen); l++ {
		for i := d.byLen[l]; i < d.byLen[l+1]; i++ {
			// An edit changes at most two letters of the signature.
			if bits.OnesCount64(d.sigs[i]^sig) > 2*fz {
				continue
			}
			start := uint32(0)
			if i > 0 {
				start = d.ends[i-1]
			}
			buf = appendRunes(buf[:0], d.text[start:d.ends[i]])
			if dist := textdiff.Distance(wr, buf, fz); dist <= fz && dist > 0 {
				fn(d.word(i), dist, d.counts[i])
			}
		}
	}
}

// letterSig has a bit for each letter or digit in s: a to z, 0 to 9,
// and other runes folded onto the remaining bits.
func letterSig(s string) uint64 {
	var sig uint64
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z':
			sig |= 1 << (r - 'a')
		case '0' <= r && r <= '9':
			sig |= 1 << (26 + r - '0')
		default:
			sig |= 1 << (36 + uint(r)%28)
		}
	}
	return sig
}

func appendRunes(buf []rune, b []byte) []rune {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		buf = append(buf, r)
		b = b[n:]
	}
	return buf
}
