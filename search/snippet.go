package search

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/index/scorch"
)

// Snippets. A page's snippet is taken from its stored text and the places
// of the query's words on it (places.go), only for the hits shown: a
// window of fragmentRunes around the most marked words, escaped, with
// <mark> around the words. A word being typed (the last one, matched as a
// prefix) is marked where a word of the text starts with it. Nothing
// depends on bleve's highlighter, which reads whole documents into new
// values and fragments every field.

// fragmentRunes is the length of a snippet fragment.
const fragmentRunes = 200

// ellipsis marks where a fragment cuts the text.
const ellipsis = "…"

// storedReader reads the stored fields of pages of one snapshot.
type storedReader struct {
	segs    []*scorch.SegmentSnapshot
	offsets []uint64 // first page number of each segment
}

func newStoredReader(snap *scorch.IndexSnapshot) *storedReader {
	segs := snap.Segments()
	sr := &storedReader{segs: segs, offsets: make([]uint64, len(segs))}
	var next uint64
	for i, s := range segs {
		sr.offsets[i] = next
		next += s.Segment().Count() // as scorch numbers pages: deleted ones too
	}
	return sr
}

// locate returns the segment of page number n and its number there.
func (sr *storedReader) locate(n uint64) (int, uint64) {
	i := len(sr.offsets) - 1
	for i > 0 && sr.offsets[i] > n {
		i--
	}
	return i, n - sr.offsets[i]
}

// visit calls fn with each stored field of page number n; value is only
// valid during the call.
func (sr *storedReader) visit(n uint64, fn func(field string, value []byte)) error {
	if len(sr.segs) == 0 {
		return fmt.Errorf("search: no segment holds page %d", n)
	}
	i, local := sr.locate(n)
	err := sr.segs[i].VisitDocument(local, func(field string, _ byte, value []byte, _ []uint64) bool {
		fn(field, value)
		return true
	})
	if err != nil {
		return fmt.Errorf("search: read page %d: %w", n, err)
	}
	return nil
}

// mark is a marked span of a text, in bytes.
type mark struct{ start, end int }

// shown is what a hit shows of its page.
type shown struct {
	id, title, kind string
	snippet         string
}

// show reads the id, title and kind of page number n and makes its snippet: a
// fragment with marked words of the body or, failing that, of the code;
// else a marked heading followed by the start of the body ("<mark>
// Mitigation</mark> · Pod is in CrashLoop…"); else the start of the body.
// ps are the places of the terms of want on the page; prefix is a word
// being typed, looked for in the body too when bodyPrefix is set (see
// minBodyPrefix). The page's text is read in place, never copied whole.
func (sr *storedReader) show(n uint64, ps []place, want []fieldTerms, prefix string, bodyPrefix bool) (shown, error) {
	st := &showing{prefix: prefix, bodyPrefix: bodyPrefix}
	for _, p := range ps {
		m := mark{p.start, p.end}
		switch want[p.field].field {
		case fBody:
			st.body = append(st.body, m)
		case fCode:
			st.code = append(st.code, m)
		case fHeadings:
			st.heads, st.headArr = append(st.heads, m), append(st.headArr, p.arr)
		}
	}
	// Words marked in the body make the snippet: the code and headings
	// need not be looked at.
	st.bodyOnly = len(st.body) > 0
	if err := sr.visit(n, st.field); err != nil {
		return shown{}, err
	}
	out := st.out
	switch {
	case st.bodyFrag != "":
		out.snippet = st.bodyFrag
	case st.codeFrag != "":
		out.snippet = st.codeFrag
	case st.head != "" && st.start != "":
		out.snippet = st.head + " · " + st.start
	case st.head != "":
		out.snippet = st.head
	default:
		out.snippet = st.start
	}
	return out, nil
}

// showing is what show gathers from the stored fields of a page.
type showing struct {
	prefix             string
	bodyPrefix         bool
	bodyOnly           bool
	body, code, heads  []mark
	headArr            []int // which heading each of heads is in
	out                shown
	bodyFrag, codeFrag string
	start, head        string
	headMarks, heading int
}

// field takes what is shown of one stored field.
func (st *showing) field(field string, value []byte) {
	switch field {
	case "_id":
		st.out.id = string(value)
	case fTitle:
		st.out.title = string(value)
	case fKind:
		st.out.kind = string(value)
	case fBody:
		if st.bodyPrefix && st.prefix != "" {
			st.body = prefixMarks(value, st.prefix, st.body)
		}
		if len(st.body) > 0 {
			st.bodyFrag = fragment(value, st.body)
		} else {
			st.start = fragment(value, nil)
		}
	case fCode:
		if st.bodyOnly {
			return
		}
		if st.prefix != "" {
			st.code = prefixMarks(value, st.prefix, st.code)
		}
		if len(st.code) > 0 {
			st.codeFrag = fragment(value, st.code)
		}
	case fHeadings: // stored in array order
		if st.bodyOnly {
			return
		}
		var ms []mark
		for k, m := range st.heads {
			if st.headArr[k] == st.heading {
				ms = append(ms, m)
			}
		}
		if st.prefix != "" {
			ms = prefixMarks(value, st.prefix, ms)
		}
		if len(ms) > st.headMarks {
			st.head, st.headMarks = fragment(value, ms), len(ms)
		}
		st.heading++
	}
}

// snippetFields are the fields snippets are taken from.
var snippetFields = []string{fBody, fCode, fHeadings}

// maxPrefixMarks bounds the words of a text marked for a prefix.
const maxPrefixMarks = 32

// prefixMarks adds to ms the words of text starting with prefix (in any
// case), the first maxPrefixMarks of them.
func prefixMarks(text []byte, prefix string, ms []mark) []mark {
	if prefix == "" {
		return ms
	}
	p := []byte(prefix)
	// Where a prefix starting with an ASCII letter or digit may start, found
	// by comparing bytes: decoding every rune of a page costs more than
	// the rest of its snippet.
	first := -1
	if c := p[0]; c < utf8.RuneSelf && isWordRune(rune(c)) {
		first = int(c | 0x20) // lower case for letters; digits and '_' unchanged
	}
	n := 0
	for i := 0; i+len(p) <= len(text) && n < maxPrefixMarks; {
		if first >= 0 {
			c := text[i]
			if int(c|0x20) != first || c >= utf8.RuneSelf {
				i++
				continue
			}
		} else if r, size := decodeRune(text[i:]); !isWordRune(r) {
			i += size
			continue
		}
		if i > 0 {
			if r, _ := utf8.DecodeLastRune(text[:i]); isWordRune(r) {
				i = wordEnd(text, i) // inside a word
				continue
			}
		}
		j := wordEnd(text, i)
		if j-i >= len(p) && bytes.EqualFold(text[i:i+len(p)], p) {
			ms = append(ms, mark{i, j})
			n++
		}
		i = max(j, i+1)
	}
	return ms
}

// wordEnd returns the end of the run of word runes of text at i.
func wordEnd(text []byte, i int) int {
	for i < len(text) {
		r, size := decodeRune(text[i:])
		if !isWordRune(r) {
			break
		}
		i += size
	}
	return i
}

// decodeRune is utf8.DecodeRune with a shortcut for ASCII, most of any
// text searched.
func decodeRune(b []byte) (rune, int) {
	if b[0] < utf8.RuneSelf {
		return rune(b[0]), 1
	}
	return utf8.DecodeRune(b)
}

// fragment returns the fragment of text of about fragmentRunes with the
// most marks in it, escaped, the marks in <mark>, and an ellipsis where it
// cuts the text. Nested and overlapping marks are joined (the ident
// analyzer places "pg_locks", "pg" and "locks" together). Without marks it
// is the start of the text.
func fragment(text []byte, ms []mark) string {
	if len(text) == 0 {
		return ""
	}
	ms = joinMarks(text, ms)
	// The window with the most marks: marks i..j within fragmentRunes.
	bi, bj := 0, -1
	for i, j := 0, 0; i < len(ms); i++ {
		j = max(j, i)
		for j+1 < len(ms) && utf8.RuneCount(text[ms[i].start:ms[j+1].end]) <= fragmentRunes {
			j++
		}
		if j-i > bj-bi {
			bi, bj = i, j
		}
	}
	// The fragment holds text[lo:hi], the marks chosen, and as much around
	// them as fits, ending on whole words when a space is near.
	lo, hi := 0, 0
	if bj >= 0 {
		lo, hi = ms[bi].start, ms[bj].end
	}
	slack := fragmentRunes - utf8.RuneCount(text[lo:hi])
	start := backRunes(text, lo, slack/2)
	end := advanceRunes(text, hi, fragmentRunes-utf8.RuneCount(text[start:hi]))
	start = backRunes(text, start, fragmentRunes-utf8.RuneCount(text[start:end]))
	if start > 0 {
		if k := bytes.IndexAny(text[start:lo], " \n\t"); k >= 0 && k < 16 {
			start += k + 1
		}
	}
	if end < len(text) {
		if k := bytes.LastIndexAny(text[hi:end], " \n\t"); k >= 0 && end-(hi+k) < 16 {
			end = hi + k
		}
	}
	var b strings.Builder
	b.Grow(end - start + 64)
	if start > 0 {
		b.WriteString(ellipsis)
	}
	at := start
	for _, m := range ms {
		if m.start < start || m.end > end {
			continue
		}
		writeEscaped(&b, text[at:m.start])
		b.WriteString("<mark>")
		writeEscaped(&b, text[m.start:m.end])
		b.WriteString("</mark>")
		at = m.end
	}
	writeEscaped(&b, text[at:end])
	if end < len(text) {
		b.WriteString(ellipsis)
	}
	return b.String() // HTML: every piece of text escaped above
}

// writeEscaped writes text to b escaped as html.EscapeString escapes it.
func writeEscaped(b *strings.Builder, text []byte) {
	last := 0
	for i, c := range text {
		var esc string
		switch c {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '\'':
			esc = "&#39;"
		case '"':
			esc = "&#34;"
		default:
			continue
		}
		b.Write(text[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.Write(text[last:])
}

// joinMarks sorts the marks, drops those outside text or not on rune
// boundaries, and joins the nested and overlapping ones.
func joinMarks(text []byte, ms []mark) []mark {
	ms = slices.DeleteFunc(ms, func(m mark) bool {
		return m.start < 0 || m.end > len(text) || m.start >= m.end ||
			!utf8.RuneStart(text[m.start]) || m.end < len(text) && !utf8.RuneStart(text[m.end])
	})
	slices.SortFunc(ms, func(a, b mark) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	out := ms[:0]
	for _, m := range ms {
		if n := len(out); n > 0 && m.start < out[n-1].end {
			out[n-1].end = max(out[n-1].end, m.end)
			continue
		}
		out = append(out, m)
	}
	return out
}

// advanceRunes returns the byte offset n runes after i in s, or len(s).
func advanceRunes(s []byte, i, n int) int {
	for ; n > 0 && i < len(s); n-- {
		_, size := decodeRune(s[i:])
		i += size
	}
	return i
}

// backRunes returns the byte offset n runes before i in s, or 0.
func backRunes(s []byte, i, n int) int {
	for ; n > 0 && i > 0; n-- {
		_, size := utf8.DecodeLastRune(s[:i])
		i -= size
	}
	return i
}
