package markdown

import (
	"bytes"
	"context"
	"time"

	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
)

// Estimate exposes the memory estimate to the tests.
var Estimate = estimate

// DestinationView exposes how much of a line a link destination may use.
var DestinationView = destinationView

// Language exposes the language of an info string.
var Language = language

// ParseWith parses src with this package's parser, limits included but not
// the transformer that resolves links, and writes the tree with r: for
// comparing its trees with goldmark's own parser.
func ParseWith(src []byte, r renderer.Renderer) (string, error) {
	pc := parser.NewContext()
	pc.Set(stateKey, &state{src: src, ids: newIDs(nil), result: &Result{}, meter: newMeter(context.Background(), 0)})
	doc := newParser().Parse(text.NewReader(src), parser.WithContext(pc))
	var b bytes.Buffer
	err := r.Render(&b, src, doc)
	return b.String(), err
}

// SetClock replaces the clock of r's cache.
func SetClock(r *Renderer, now func() time.Time) { r.cache.now = now }

// CostHighlight is what the estimate charges per byte of highlighted code.
const (
	CostHighlight      = costHighlight
	CostHighlightBlock = costHighlightBlock
)

// MaxDelimiters, MaxBlockDepth and MaxWikiLink expose the parser's bounds.
const (
	MaxDelimiters = maxDelimiters
	MaxBlockDepth = maxBlockDepth
	MaxWikiLink   = maxWikiLink
)

// HighlightCost is what highlighting one block of code is charged on a page
// without other code.
func HighlightCost(code []byte) int64 {
	return int64(len(code))*costHighlight + costHighlightBlock + costLexer
}
