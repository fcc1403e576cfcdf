package markdown

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/opswiki/opswiki/wiki"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// state is what one render knows and collects; it travels in the parser
// context because goldmark's node renderers see only the tree.
type state struct {
	path   wiki.Path
	res    Resolver
	src    []byte
	ids    *ids
	result *Result
	seen   map[wiki.Path]bool
}

// linkInfo is what the transformer decided about a link or image; the
// renderers write exactly this. A link without one is not written as a link.
type linkInfo struct {
	href     string
	class    string // "missing" or ""
	external bool
}

// Attribute names under which the transformer leaves its decisions. The
// parser never sets attributes (parser.WithAttribute is off), so authors
// cannot forge them.
var (
	attrLink = []byte("opswiki-link")
	attrID   = []byte("id")
)

func infoOf(n ast.Node) *linkInfo {
	v, _ := n.Attribute(attrLink)
	li, _ := v.(*linkInfo)
	return li
}

// transformer resolves links and names headings once the tree is complete.
type transformer struct{}

func (transformer) Transform(doc *ast.Document, _ text.Reader, pc parser.Context) {
	st, _ := pc.Get(stateKey).(*state)
	if st == nil {
		return
	}
	// Collect first, change after: unwrapping nodes during a walk would
	// confuse the walk.
	var nodes []ast.Node
	var headings []*ast.Heading
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			headings = append(headings, n)
		case *ast.Link, *ast.Image, *ast.AutoLink, *wikiLink:
			nodes = append(nodes, n)
		case *ast.CodeBlock, *ast.FencedCodeBlock, *ast.CodeSpan, *ast.HTMLBlock, *ast.RawHTML:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	st.headings(headings)
	for _, n := range nodes {
		switch n := n.(type) {
		case *ast.Link:
			st.link(n, string(unescape(n.Destination)), false)
		case *ast.Image:
			st.link(n, string(unescape(n.Destination)), true)
		case *ast.AutoLink:
			st.autoLink(n)
		case *wikiLink:
			st.wikiLink(n)
		}
	}
}

// headings gives every heading its id and builds the table of contents.
func (st *state) headings(hs []*ast.Heading) {
	h1 := 0
	for _, h := range hs {
		if h.Level == 1 {
			h1++
		}
	}
	for i, h := range hs {
		txt := plainText(h, st.src)
		id := st.ids.next(txt)
		h.SetAttribute(attrID, id)
		if h.Level > 3 || (i == 0 && h.Level == 1 && h1 == 1) {
			continue
		}
		st.result.TOC = append(st.result.TOC, TOCEntry{Level: h.Level, ID: id, Text: txt})
	}
}

func (st *state) link(n ast.Node, dest string, image bool) {
	clean, kind := classify(dest)
	switch kind {
	case urlEmpty:
		n.SetAttribute(attrLink, &linkInfo{})
	case urlFragment:
		n.SetAttribute(attrLink, &linkInfo{href: escapeURL(clean)})
	case urlExternal:
		if image && !strings.HasPrefix(strings.ToLower(clean), "http") {
			unwrap(n)
			return
		}
		n.SetAttribute(attrLink, &linkInfo{href: escapeURL(clean), external: true})
	case urlRelative:
		t, ok := resolve(st.res, st.path, clean, image)
		if !ok {
			unwrap(n)
			return
		}
		li := &linkInfo{href: t.href}
		st.record(n, clean, t.path, t.page, t.exists, li)
		n.SetAttribute(attrLink, li)
	default:
		unwrap(n)
	}
}

func (st *state) autoLink(n *ast.AutoLink) {
	u := string(n.URL(st.src))
	if n.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(u), "mailto:") {
		u = "mailto:" + u
	}
	clean, kind := classify(u)
	if kind != urlExternal {
		s := ast.NewString(n.Label(st.src))
		s.SetRaw(true)
		n.Parent().ReplaceChild(n.Parent(), n, s)
		return
	}
	n.SetAttribute(attrLink, &linkInfo{href: escapeURL(clean), external: true})
}

func (st *state) wikiLink(n *wikiLink) {
	name, frag, _ := strings.Cut(n.target, "#")
	name = strings.TrimSpace(name)
	if frag = Slug(frag); frag != "" {
		frag = "#" + frag
	}
	if name == "" {
		n.href = frag
		return
	}
	p, ok := st.res.LookupName(st.path, name)
	if !ok {
		n.href = "/-/new?path=" + url.QueryEscape(name)
		n.missing = true
		st.broken(n, n.target)
		return
	}
	n.href = p.URL() + frag
	st.addLink(p)
}

// record notes a resolved relative link in the result and marks it missing.
func (st *state) record(n ast.Node, written string, p wiki.Path, page, exists bool, li *linkInfo) {
	switch {
	case !exists:
		li.class = "missing"
		st.broken(n, written)
	case page && p != "":
		st.addLink(p)
	}
}

// addLink records a link to an existing page; links to the page itself are
// not backlinks.
func (st *state) addLink(p wiki.Path) {
	if p == st.path {
		return
	}
	if st.seen == nil {
		st.seen = make(map[wiki.Path]bool)
	}
	if !st.seen[p] {
		st.seen[p] = true
		st.result.Links = append(st.result.Links, p)
	}
}

func (st *state) broken(n ast.Node, written string) {
	st.result.Broken = append(st.result.Broken, BrokenLink{Target: written, Line: st.line(n)})
}

// line returns the 1-based body line a node starts on, from its own position
// or its closest block's first line.
func (st *state) line(n ast.Node) int {
	pos := n.Pos()
	for b := n; pos < 0 && b != nil; b = b.Parent() {
		if b.Type() == ast.TypeBlock && b.Lines().Len() > 0 {
			pos = b.Lines().At(0).Start
		}
	}
	if pos < 0 || pos > len(st.src) {
		return 0
	}
	return bytes.Count(st.src[:pos], []byte{'\n'}) + 1
}

// unwrap replaces a link or image that may not be written with its text.
func unwrap(n ast.Node) {
	parent := n.Parent()
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		parent.InsertBefore(parent, n, c)
		c = next
	}
	parent.RemoveChild(parent, n)
}

// plainText returns the text of inline content, markup removed, as a reader
// sees it: for heading ids, the table of contents and image alt text.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	writeText(&b, n, src)
	return strings.TrimSpace(b.String())
}

func writeText(b *strings.Builder, n ast.Node, src []byte) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			if c.IsRaw() {
				b.Write(c.Segment.Value(src))
			} else {
				b.Write(unescape(c.Segment.Value(src)))
			}
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.AutoLink:
			b.Write(c.Label(src))
		case *wikiLink:
			b.WriteString(c.label)
		case *ast.RawHTML:
		default:
			writeText(b, c, src)
		}
	}
}

// unescape resolves backslash escapes and entity references, which goldmark
// leaves in link destinations and text for the renderer to resolve.
func unescape(b []byte) []byte {
	if bytes.IndexByte(b, '\\') < 0 && bytes.IndexByte(b, '&') < 0 {
		return b
	}
	b = util.UnescapePunctuations(b)
	b = util.ResolveNumericReferences(b)
	return util.ResolveEntityNames(b)
}
