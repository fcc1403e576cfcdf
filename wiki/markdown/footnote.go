package markdown

import (
	"slices"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Footnotes, with the syntax and HTML of goldmark's footnote extension
// ("x[^1]" and "[^1]: note"), which renders them. goldmark's own parsers
// compare every reference with every definition and sort the definitions
// by insertion, both in the square of their number; these find a
// definition by its label in a map and sort once.

// footnoteLabelLimit is the longest footnote label, as for link labels.
const footnoteLabelLimit = 999

var footnotesKey = parser.NewContextKey()

// footnotes is what one parse knows of its footnotes.
type footnotes struct {
	list  *east.FootnoteList
	byRef map[string]*east.Footnote
	links []*east.FootnoteLink
}

func footnotesOf(pc parser.Context) *footnotes {
	f, _ := pc.Get(footnotesKey).(*footnotes)
	return f
}

// footnoteBlockParser parses "[^label]: text" definitions.
type footnoteBlockParser struct{}

func (footnoteBlockParser) Trigger() []byte { return []byte{'['} }

func (footnoteBlockParser) Open(_ ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, segment := reader.PeekLine()
	pos := pc.BlockOffset()
	if pos < 0 || line[pos] != '[' {
		return nil, parser.NoChildren
	}
	pos++
	if pos > len(line)-1 || line[pos] != '^' {
		return nil, parser.NoChildren
	}
	open := pos + 1
	closure := util.FindClosure(line[open:min(len(line), open+footnoteLabelLimit)], '[', ']', false, false) //nolint:staticcheck // the non-deprecated form takes options goldmark's own parser does not use either
	if closure < 0 {
		return nil, parser.NoChildren
	}
	closes := open + closure
	next := closes + 1
	if next >= len(line) || line[next] != ':' {
		return nil, parser.NoChildren
	}
	padding := segment.Padding
	label := reader.Value(text.NewSegment(segment.Start+open-padding, segment.Start+closes-padding))
	if util.IsBlank(label) {
		return nil, parser.NoChildren
	}
	item := east.NewFootnote(label)
	pos = next + 1 - padding
	if pos >= len(line) {
		reader.Advance(pos)
		return item, parser.NoChildren
	}
	reader.AdvanceAndSetPadding(pos, padding)
	return item, parser.HasChildren
}

func (footnoteBlockParser) Continue(_ ast.Node, reader text.Reader, _ parser.Context) parser.State {
	line, _ := reader.PeekLine()
	if util.IsBlank(line) {
		return parser.Continue | parser.HasChildren
	}
	childpos, padding := util.IndentPosition(line, reader.LineOffset(), 4)
	if childpos < 0 {
		return parser.Close
	}
	reader.AdvanceAndSetPadding(childpos, padding)
	return parser.Continue | parser.HasChildren
}

// Close moves the definition into the document's footnote list, which
// stands where the first definition was until the transformer moves it to
// the end. The first definition of a label is the one references use.
func (footnoteBlockParser) Close(node ast.Node, _ text.Reader, pc parser.Context) {
	f := footnotesOf(pc)
	if f == nil {
		f = &footnotes{list: east.NewFootnoteList(), byRef: map[string]*east.Footnote{}}
		pc.Set(footnotesKey, f)
		node.Parent().InsertBefore(node.Parent(), node, f.list)
	}
	node.Parent().RemoveChild(node.Parent(), node)
	f.list.AppendChild(f.list, node)
	fn := node.(*east.Footnote)
	if _, ok := f.byRef[string(fn.Ref)]; !ok {
		f.byRef[string(fn.Ref)] = fn
	}
}

func (footnoteBlockParser) CanInterruptParagraph() bool { return true }

func (footnoteBlockParser) CanAcceptIndentedLine() bool { return false }

// footnoteParser parses "[^label]" references. Footnotes are numbered in
// the order of their first reference.
type footnoteParser struct{}

func (footnoteParser) Trigger() []byte { return []byte{'!', '['} }

func (footnoteParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	f := footnotesOf(pc)
	if f == nil {
		return nil
	}
	line, segment := block.PeekLine()
	pos := 1
	if len(line) > 0 && line[0] == '!' {
		pos++
	}
	if pos >= len(line) || line[pos] != '^' {
		return nil
	}
	pos++
	if pos >= len(line) {
		return nil
	}
	closure := util.FindClosure(line[pos:min(len(line), pos+footnoteLabelLimit)], '[', ']', false, false) //nolint:staticcheck // as above
	if closure < 0 {
		return nil
	}
	fn := f.byRef[string(line[pos:pos+closure])]
	if fn == nil {
		return nil
	}
	block.Advance(pos + closure + 1)
	if fn.Index < 0 {
		f.list.Count++
		fn.Index = f.list.Count
	}
	link := east.NewFootnoteLink(fn.Index)
	f.links = append(f.links, link)
	if line[0] == '!' {
		parent.AppendChild(parent, ast.NewTextSegment(text.NewSegment(segment.Start, segment.Start+1)))
	}
	return link
}

// footnoteTransformer numbers the references, gives each definition its
// links back, drops definitions nobody refers to and moves the list to the
// end of the document.
type footnoteTransformer struct{}

func (footnoteTransformer) Transform(doc *ast.Document, _ text.Reader, pc parser.Context) {
	f := footnotesOf(pc)
	if f == nil {
		return
	}
	pc.Set(footnotesKey, nil)
	refs := map[int]int{}
	for _, l := range f.links {
		refs[l.Index]++
	}
	seen := map[int]int{}
	for _, l := range f.links {
		l.RefCount = refs[l.Index]
		l.RefIndex = seen[l.Index]
		seen[l.Index]++
	}
	var kept []*east.Footnote
	for n := f.list.FirstChild(); n != nil; {
		next := n.NextSibling()
		fn := n.(*east.Footnote)
		f.list.RemoveChild(f.list, n)
		if fn.Index >= 0 {
			var container ast.Node = fn
			if last := fn.LastChild(); last != nil && ast.IsParagraph(last) {
				container = last
			}
			count := refs[fn.Index]
			for i := range max(count, 1) {
				back := east.NewFootnoteBacklink(fn.Index)
				back.RefCount, back.RefIndex = count, i
				container.AppendChild(container, back)
			}
			kept = append(kept, fn)
		}
		n = next
	}
	slices.SortFunc(kept, func(a, b *east.Footnote) int { return a.Index - b.Index })
	for _, fn := range kept {
		f.list.AppendChild(f.list, fn)
	}
	f.list.Parent().RemoveChild(f.list.Parent(), f.list)
	if f.list.Count > 0 {
		doc.AppendChild(doc, f.list)
	}
}
