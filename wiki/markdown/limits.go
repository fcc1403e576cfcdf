package markdown

import (
	"bytes"
	"sort"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Limits that keep goldmark's work proportional to the size of a page.
// CommonMark allows implementations to bound nesting (spec 6.3: "at least
// three levels"); these bounds are far beyond anything a page needs.
const (
	// maxBlockDepth bounds container blocks (quotes, lists and their
	// items, definitions, footnotes) nested in each other; deeper markers
	// are text. Each level looks at the rest of its line again.
	maxBlockDepth = 32
	// maxDelimiters bounds the emphasis and strikethrough delimiters of
	// one paragraph, heading or table cell; later ones are text. Matching
	// them costs up to the square of their number.
	maxDelimiters = 500
	// maxParenDepth bounds the unclosed parentheses of a link destination.
	maxParenDepth = 32
	// tableCellsPerMark bounds the cells of a table, padding included, by
	// the pipes and rows written: a header of thousands of columns above
	// thousands of one-character rows is not a table.
	tableCellsPerMark = 4
)

// depthLimited opens its container block only where the nesting allows.
type depthLimited struct {
	parser.BlockParser
	// own is how many levels the block adds: a list opens a list and an
	// item.
	own int
}

func (p depthLimited) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	if st := stateOf(pc); st != nil {
		st.meter.tick()
	}
	d := p.own
	for n := parent; n != nil && n.Kind() != ast.KindDocument; n = n.Parent() {
		d++
	}
	if d > maxBlockDepth {
		return nil, parser.NoChildren
	}
	return p.BlockParser.Open(parent, reader, pc)
}

// metered ticks the render's meter every time its inline parser is tried,
// so that a render also stops on time inside a long paragraph.
type metered struct {
	parser.InlineParser
}

func (p metered) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	if st := stateOf(pc); st != nil {
		st.meter.tick()
	}
	return p.InlineParser.Parse(parent, block, pc)
}

// delimLimited stops opening emphasis once an inline block has
// maxDelimiters of them.
type delimLimited struct {
	parser.InlineParser
}

func (p delimLimited) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	st := stateOf(pc)
	if st == nil {
		return p.InlineParser.Parse(parent, block, pc)
	}
	st.meter.tick()
	if st.delimParent != parent {
		st.delimParent, st.delimCount = parent, 0
	}
	if st.delimCount >= maxDelimiters {
		return nil
	}
	n := p.InlineParser.Parse(parent, block, pc)
	if n != nil {
		st.delimCount++
	}
	return n
}

// linkParser is goldmark's link parser reading through a linkReader.
type linkParser struct {
	inner parser.InlineParser
}

func (p linkParser) Trigger() []byte { return p.inner.Trigger() }

func (p linkParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	st := stateOf(pc)
	if st == nil {
		return p.inner.Parse(parent, block, pc)
	}
	st.meter.tick()
	r := &st.links
	r.Reader, r.lines, r.started = block, parent.Lines(), false
	return p.inner.Parse(parent, r, pc)
}

// CloseBlock implements parser.CloseBlocker: the link parser turns the
// brackets it left open into text there.
func (p linkParser) CloseBlock(parent ast.Node, block text.Reader, pc parser.Context) {
	if cb, ok := p.inner.(parser.CloseBlocker); ok {
		cb.CloseBlock(parent, block, pc)
	}
}

// linkReader fixes two costs of goldmark's link parser that grow with the
// square of a paragraph's size.
//
// A link destination is read up to the end of its line; "[](" repeated
// along a line reads the rest of the line at every "](". The reader shows
// the destination scan only as much of the line as can be a destination:
// up to the first unescaped "<" inside "<...>" (which may not hold one), and
// nothing of a destination with more than maxParenDepth unclosed
// parentheses.
//
// Value copies text by looking for its line from the last line of the
// paragraph backwards; the reader finds it by binary search and returns
// text within one line without copying.
type linkReader struct {
	text.Reader
	lines *text.Segments
	// started is set once the parser has read the line at its trigger;
	// later reads are of a destination.
	started bool
}

func (r *linkReader) PeekLine() ([]byte, text.Segment) {
	line, seg := r.Reader.PeekLine()
	if !r.started || len(line) == 0 {
		r.started = true
		return line, seg
	}
	return line[:destinationView(line)], seg
}

// destinationView returns how much of line a link destination starting
// there can use.
func destinationView(line []byte) int {
	if line[0] == '<' {
		for i := 1; i < len(line); i++ {
			switch c := line[i]; {
			case c == '\\' && i+1 < len(line) && util.IsPunct(line[i+1]):
				i++
			case c == '>':
				return len(line)
			case c == '<':
				return i
			}
		}
		return len(line)
	}
	depth := 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\' && i+1 < len(line) && util.IsPunct(line[i+1]):
			i++
		case c == '(':
			if depth++; depth > maxParenDepth {
				return 0 // nothing: not a destination at all
			}
		case c == ')':
			if depth--; depth < 0 {
				return len(line)
			}
		case util.IsSpace(c):
			return len(line)
		}
	}
	return len(line)
}

// Value returns the text of seg as goldmark's block reader does: lines
// joined, each preceded by its padding.
func (r *linkReader) Value(seg text.Segment) []byte {
	lines := r.lines
	n := 0
	if lines != nil {
		n = lines.Len()
	}
	i := sort.Search(n, func(k int) bool { return lines.At(k).Start > seg.Start }) - 1
	if i < 0 {
		return r.Reader.Value(seg)
	}
	src := r.Reader.Source()
	if s := lines.At(i); s.Padding == 0 && (seg.Stop < s.Stop ||
		(seg.Stop == s.Stop && (i+1 == n || lines.At(i+1).Padding == 0))) {
		return src[seg.Start:seg.Stop:seg.Stop]
	}
	out := make([]byte, 0, seg.Stop-seg.Start+1)
	start := seg.Start
	for ; i < n; i++ {
		s := lines.At(i)
		if start < 0 {
			start = s.Start
		}
		out = s.ConcatPadding(out)
		if stop := min(seg.Stop, s.Stop); start < stop {
			out = append(out, src[start:stop]...)
		}
		start = -1
		if s.Stop > seg.Stop {
			break
		}
	}
	return out
}

// boundedTables is goldmark's table transformer for tables whose cells,
// once short rows are padded, stay in proportion to what was written.
type boundedTables struct {
	inner parser.ParagraphTransformer
}

func (t boundedTables) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	lines := node.Lines()
	src := reader.Source()
	for i := 1; i < lines.Len(); i++ {
		seg := lines.At(i)
		cols := delimiterColumns(seg.Value(src))
		if cols == 0 {
			continue
		}
		rows := lines.Len() - i
		marks := rows
		for j := i - 1; j < lines.Len(); j++ {
			seg := lines.At(j)
			for _, c := range seg.Value(src) {
				if c == '|' {
					marks++
				}
			}
		}
		if cols*rows > tableCellsPerMark*marks {
			return
		}
		break
	}
	t.inner.Transform(node, reader, pc)
}

// delimiterColumns returns the number of columns of a table's delimiter
// row ("|:--|--:|"), or 0 when line is not one, deciding exactly as
// goldmark's table parser does.
func delimiterColumns(line []byte) int {
	if w, _ := util.IndentWidth(line, 0); w > 3 {
		return 0
	}
	allDashes := true
	for _, c := range line {
		if c != '-' {
			allDashes = false
		}
		if !util.IsSpace(c) && c != '-' && c != '|' && c != ':' {
			return 0
		}
	}
	if allDashes {
		return 0
	}
	cols := bytes.Split(line, []byte{'|'})
	if util.IsBlank(cols[0]) {
		cols = cols[1:]
	}
	if len(cols) > 0 && util.IsBlank(cols[len(cols)-1]) {
		cols = cols[:len(cols)-1]
	}
	for _, col := range cols {
		c := bytes.TrimSpace(col)
		c = bytes.TrimPrefix(c, []byte{':'})
		c = bytes.TrimSuffix(c, []byte{':'})
		if len(c) == 0 || len(bytes.Trim(c, "-")) != 0 {
			return 0
		}
	}
	return len(cols)
}
