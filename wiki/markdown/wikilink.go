package markdown

import (
	"bytes"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// wikiLink is a [[target]] or [[target|label]] link. The parser fills
// target and label; the transformer fills href and missing.
type wikiLink struct {
	ast.BaseInline
	target  string // as written, anchor included
	label   string
	href    string
	missing bool
}

var kindWikiLink = ast.NewNodeKind("WikiLink")

// Kind implements ast.Node.
func (n *wikiLink) Kind() ast.NodeKind { return kindWikiLink }

// Dump implements ast.Node.
func (n *wikiLink) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Target": n.target, "Label": n.label}, nil)
}

// wikiLinkParser parses wiki links. A link lives on one line, holds no
// brackets and is at most maxWikiLink bytes long; anything else is left to
// the ordinary link parser. In a table, where "|" splits cells, authors
// write [[target\|label]].
type wikiLinkParser struct{}

// maxWikiLink bounds what the parser reads looking for "]]": without it, a
// line of "[[" would be read to its end from every one of them.
const maxWikiLink = 1024

var wikiTrigger = []byte{'['}

func (wikiLinkParser) Trigger() []byte { return wikiTrigger }

func (wikiLinkParser) Parse(_ ast.Node, block text.Reader, pc parser.Context) ast.Node {
	if st := stateOf(pc); st != nil {
		st.meter.tick()
	}
	if pc.IsInLinkLabel() {
		return nil
	}
	line, _ := block.PeekLine()
	if len(line) < 5 || line[1] != '[' {
		return nil
	}
	end := bytes.Index(line[2:min(len(line), 2+maxWikiLink+2)], []byte("]]"))
	if end < 0 {
		return nil
	}
	inner := line[2 : 2+end]
	if bytes.ContainsAny(inner, "[]\n") {
		return nil
	}
	tgt, label := string(inner), ""
	if i := strings.IndexByte(tgt, '|'); i >= 0 {
		tgt, label = tgt[:i], strings.TrimSpace(tgt[i+1:])
		tgt = strings.TrimSuffix(tgt, `\`)
	}
	tgt = strings.TrimSpace(tgt)
	if tgt == "" || tgt == "#" {
		return nil
	}
	if label == "" {
		label = tgt
	}
	block.Advance(end + 4)
	return &wikiLink{target: tgt, label: label}
}
