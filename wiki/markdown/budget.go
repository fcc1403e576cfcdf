package markdown

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"strings"
	"time"

	"github.com/yuin/goldmark/text"
)

// Values of Result.Fallback, and the notices shown with them.
const (
	// FallbackSlow says that rendering ran over the time budget.
	FallbackSlow = "slow"
	// FallbackComplex says that the body would need more memory to render
	// than the memory budget allows.
	FallbackComplex = "complex"
	// NoticeSlow is the notice of FallbackSlow.
	NoticeSlow = "This page took too long to render; it is shown as plain text."
	// NoticeComplex is the notice of FallbackComplex.
	NoticeComplex = "This page is too large or complex to render; it is shown as plain text."
)

// errSlow stops a render that ran over its time budget, errComplex one whose
// output grew far beyond its input.
var (
	errSlow    = errors.New("markdown: render budget exceeded")
	errComplex = errors.New("markdown: render output too large")
)

// abort is the panic value that unwinds a render from inside goldmark,
// which has no way to stop a parse. Render recovers it; no other panic is
// swallowed.
type abort struct{ err error }

// checkEvery is how many ticks pass between two looks at the clock and the
// context: often enough that a render stops soon after its budget runs
// out, rarely enough to cost nothing next to the work between ticks.
const checkEvery = 256

// meter is the clock one render runs against. The parser and renderer hooks
// of this package tick it as they work; it panics with an abort when the
// context is done or the budget is spent.
type meter struct {
	ctx      context.Context
	deadline time.Time // zero: no time budget
	n        uint32
}

func newMeter(ctx context.Context, budget time.Duration) *meter {
	m := &meter{ctx: ctx}
	if budget > 0 {
		m.deadline = time.Now().Add(budget)
	}
	return m
}

func (m *meter) tick() {
	m.n++
	if m.n%checkEvery == 0 {
		m.check()
	}
}

func (m *meter) check() {
	if err := m.ctx.Err(); err != nil {
		panic(abort{err})
	}
	if !m.deadline.IsZero() && time.Now().After(m.deadline) {
		panic(abort{errSlow})
	}
}

// meteredReader is the parser's view of the body: block parsing ticks the
// meter once per line it looks at.
type meteredReader struct {
	text.Reader
	m *meter
}

func (r *meteredReader) PeekLine() ([]byte, text.Segment) {
	r.m.tick()
	return r.Reader.PeekLine()
}

func (r *meteredReader) AdvanceLine() {
	r.m.tick()
	r.Reader.AdvanceLine()
}

// meteredBuffer collects the HTML, ticking the meter on every write and
// stopping a render whose output outgrows what its input could justify.
type meteredBuffer struct {
	bytes.Buffer
	m   *meter
	max int
}

// outputFactor bounds the HTML a body may produce: highlighted code, the
// most verbose output, stays well under it.
const outputFactor = 32

func (b *meteredBuffer) Write(p []byte) (int, error) {
	b.m.tick()
	if b.max > 0 && b.Len()+len(p) > b.max {
		panic(abort{errComplex})
	}
	return b.Buffer.Write(p)
}

func (b *meteredBuffer) WriteString(s string) (int, error) {
	b.m.tick()
	if b.max > 0 && b.Len()+len(s) > b.max {
		panic(abort{errComplex})
	}
	return b.Buffer.WriteString(s)
}

// plainResult shows a body as the text its author wrote, with a notice
// saying why.
func plainResult(body []byte, reason string) *Result {
	notice := NoticeSlow
	if reason == FallbackComplex {
		notice = NoticeComplex
	}
	var b strings.Builder
	b.Grow(len(body) + len(body)/8 + 256)
	b.WriteString(`<p class="notice render-fallback" role="status">`)
	b.WriteString(notice)
	b.WriteString("</p>\n<pre class=\"plain-text\">")
	template.HTMLEscape(&b, body)
	b.WriteString("</pre>\n")
	return &Result{HTML: template.HTML(b.String()), Fallback: reason, Notice: notice} //nolint:gosec // escaped above
}

// Weights of the memory estimate, in bytes allocated while parsing and
// rendering, measured with the pathological corpus of this package's tests
// (see TestEstimateCoversAllocation and BenchmarkPathological): each
// covers the most that a byte, a line or a markup character cost there,
// with a margin. Fenced code is counted apart: its lines are not parsed as
// markdown, and highlighting is charged when it happens.
const (
	costByte      = 24   // output, copies of text
	costLine      = 450  // segments, a text node, a line break
	costBlank     = 40   // a blank line
	costContainer = 1300 // a quote or list item opened at the start of a line
	costHeading   = 1500 // ids, the table of contents, the heading node
	costRule      = 400  // a setext underline or thematic break
	costBracket   = 600  // link labels, destinations, images, footnotes
	costMark      = 450  // table cells, code spans, raw HTML, escapes, autolinks
	costEmphasis  = 250  // emphasis delimiters, at most maxDelimiters a block
	costWWW       = 1100 // "www." starts a link without any markup
	costCodeByte  = 16   // a byte of code shown without highlighting
	costCodeLine  = 96
	// costHighlight and costHighlightBlock are what chroma allocates per
	// byte of code it highlights and per block; highlighting stops when
	// the budget left cannot pay for the next block.
	costHighlight      = 1400
	costHighlightBlock = 16 << 10
)

// markCost is the estimate's weight of each byte value outside code, on
// top of costByte. A "(" costs only after "]", where a link destination
// starts; elsewhere it is text.
var markCost = func() (t [256]int64) {
	for _, c := range []byte("[]!") {
		t[c] = costBracket
	}
	for _, c := range []byte("|<>`^\\:@") {
		t[c] = costMark
	}
	for _, c := range []byte("*_~") {
		t[c] = costEmphasis
	}
	return t
}()

// estimate returns the memory a render of body may allocate, in one pass
// that is cheap next to parsing: rendering is refused, not started, when
// it would cost too much.
func estimate(body []byte) int64 {
	var n int64
	fence := byte(0) // the fence character while inside fenced code
	fenceLen := 0
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i+1], body[i+1:]
		} else {
			body = nil
		}
		if f, l, ok := fenceOf(line); ok && (fence == 0 || (f == fence && l >= fenceLen && isClosingFence(line))) {
			if fence == 0 {
				fence, fenceLen = f, l
			} else {
				fence, fenceLen = 0, 0
			}
			n += costLine + int64(len(line))*costByte
			continue
		}
		if fence != 0 {
			n += costCodeLine + int64(len(line))*costCodeByte
			continue
		}
		n += lineCost(line) + int64(len(line))*costByte
		for i, c := range line {
			n += markCost[c]
			switch {
			case c == '(' && i > 0 && line[i-1] == ']':
				n += costBracket
			case c == 'w' && bytes.HasPrefix(line[i:], []byte("www.")):
				n += costWWW
			}
		}
	}
	return n
}

// lineCost is the estimate's weight of a line outside code, by what its
// start opens: quotes and list items (any number of them), a heading, a
// rule.
func lineCost(line []byte) int64 {
	t := bytes.TrimSpace(line)
	if len(t) == 0 {
		return costBlank
	}
	n := int64(costLine)
	for len(t) > 0 {
		switch c := t[0]; {
		case c == '>':
			t = t[1:]
		case (c == '-' || c == '*' || c == '+' || c == ':') && (len(t) == 1 || t[1] == ' ' || t[1] == '\t'):
			t = t[1:]
		case c >= '0' && c <= '9':
			i := 0
			for i < len(t) && i < 9 && t[i] >= '0' && t[i] <= '9' {
				i++
			}
			if i == len(t) || (t[i] != '.' && t[i] != ')') {
				return n + headingCost(t)
			}
			t = t[i+1:]
		default:
			return n + headingCost(t)
		}
		n += costContainer
		t = bytes.TrimLeft(t, " \t")
	}
	return n
}

// headingCost is the weight of what follows a line's containers.
func headingCost(t []byte) int64 {
	switch {
	case t[0] == '#':
		return costHeading
	case len(bytes.Trim(t, "=")) == 0, len(bytes.Trim(t, "-* ")) == 0:
		// A setext underline makes the paragraph above a heading.
		return costHeading + costRule
	}
	return 0
}

// fenceOf reports whether line opens or closes fenced code: up to three
// spaces, then at least three backticks or tildes.
func fenceOf(line []byte) (byte, int, bool) {
	t := bytes.TrimLeft(line, " ")
	if len(line)-len(t) > 3 || len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return 0, 0, false
	}
	l := 0
	for l < len(t) && t[l] == t[0] {
		l++
	}
	return t[0], l, l >= 3
}

// isClosingFence reports whether a fence line has nothing after the fence.
func isClosingFence(line []byte) bool {
	t := bytes.TrimSpace(line)
	return len(bytes.Trim(t, string(t[:1]))) == 0
}
