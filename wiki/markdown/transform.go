package markdown

import (
	"bytes"
	"net/url"
	"sort"
	"strings"

	"github.com/alecthomas/chroma/v2"
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
	meter  *meter

	// asked and deps record every question put to res, and its answer,
	// so that a cached result can be checked cheaply against the wiki as
	// it is now instead of rendered again.
	asked map[depKey]bool
	deps  []dep

	// newlines holds the offsets of the body's line ends, built the first
	// time a line number is needed.
	newlines []int

	lexers *lexerCache
	// highlightLeft is the memory budget left for highlighting code
	// (negative: no bound); slowLookups counts lexer lookups that had to
	// match file name patterns; lexersSeen holds the lexers looked at.
	highlightLeft int64
	slowLookups   int
	lexersSeen    map[chroma.Lexer]*seenLexer

	// delimParent and delimCount count the emphasis delimiters of the
	// inline block being parsed.
	delimParent ast.Node
	delimCount  int

	// links is the reader goldmark's link parser reads through, one per
	// render.
	links linkReader

	// decided holds what the transformer decided for the renderer: a
	// heading's id, a link's *linkInfo, a fenced code block's *codeInfo.
	decided map[ast.Node]any
}

// decide records a decision of the transformer for the renderer. Kept
// apart from the tree, decisions cannot be forged by what authors write.
func (st *state) decide(n ast.Node, v any) {
	if st.decided == nil {
		st.decided = make(map[ast.Node]any)
	}
	st.decided[n] = v
}

// stateOf returns the render's state, or nil when a parse runs without one.
func stateOf(pc parser.Context) *state {
	st, _ := pc.Get(stateKey).(*state)
	return st
}

// linkInfo is what the transformer decided about a link or image; the
// renderers write exactly this. A link without one is not written as a link.
type linkInfo struct {
	href     string
	class    string // "missing" or ""
	external bool
}

func (st *state) linkInfo(n ast.Node) *linkInfo {
	li, _ := st.decided[n].(*linkInfo)
	return li
}

// transformer resolves links and names headings once the tree is complete.
type transformer struct{}

func (transformer) Transform(doc *ast.Document, _ text.Reader, pc parser.Context) {
	st := stateOf(pc)
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
		st.meter.tick()
		switch n := n.(type) {
		case *ast.Heading:
			headings = append(headings, n)
		case *ast.Link, *ast.Image, *ast.AutoLink, *wikiLink:
			nodes = append(nodes, n)
		case *ast.FencedCodeBlock:
			st.code(n)
			return ast.WalkSkipChildren, nil
		case *ast.CodeBlock, *ast.CodeSpan, *ast.HTMLBlock, *ast.RawHTML:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	st.headings(headings)
	for _, n := range nodes {
		st.meter.tick()
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
		st.meter.tick()
		txt := plainText(h, st.src)
		id := st.ids.next(txt)
		st.decide(h, id)
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
		st.decide(n, &linkInfo{})
	case urlFragment:
		st.decide(n, &linkInfo{href: escapeURL(clean)})
	case urlExternal:
		if image && !strings.HasPrefix(strings.ToLower(clean), "http") {
			unwrap(n)
			return
		}
		if !image && st.oldURL(n, clean) {
			return
		}
		st.decide(n, &linkInfo{href: escapeURL(clean), external: true})
	case urlRelative:
		t, ok := resolve(st, st.path, clean, image)
		if !ok {
			unwrap(n)
			return
		}
		li := &linkInfo{href: t.href}
		st.record(n, clean, t.path, t.page, t.exists, li)
		st.decide(n, li)
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
	if st.oldURL(n, clean) {
		return
	}
	st.decide(n, &linkInfo{href: escapeURL(clean), external: true})
}

// oldURL makes a link to the runbooks' old home (a redirect prefix of the
// repository settings, which the resolver knows) a link to the page here.
// It reports whether it did.
func (st *state) oldURL(n ast.Node, u string) bool {
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return false
	}
	p, ok := st.LookupName(st.path, u)
	if !ok {
		return false
	}
	frag := ""
	if i := strings.IndexByte(u, '#'); i >= 0 {
		frag = escapeURL(u[i:])
	}
	li := &linkInfo{href: p.URL() + frag}
	st.addLink(p)
	st.decide(n, li)
	return true
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
	p, ok := st.LookupName(st.path, name)
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
	if st.newlines == nil {
		st.newlines = make([]int, 0, bytes.Count(st.src, []byte{'\n'}))
		for i, c := range st.src {
			if c == '\n' {
				st.newlines = append(st.newlines, i)
			}
		}
	}
	// Line ends before pos, plus one.
	return sort.SearchInts(st.newlines, pos) + 1
}

// Exists implements Resolver for the render's own use, recording the
// question and its answer.
func (st *state) Exists(p wiki.Path) bool {
	ok := st.res.Exists(p)
	st.ask(dep{arg: string(p), ok: ok})
	return ok
}

// LookupName implements Resolver for the render's own use, recording the
// question and its answer.
func (st *state) LookupName(from wiki.Path, target string) (wiki.Path, bool) {
	p, ok := st.res.LookupName(from, target)
	st.ask(dep{name: true, arg: target, path: p, ok: ok})
	return p, ok
}

func (st *state) ask(d dep) {
	key := depKey{d.name, d.arg}
	if st.asked[key] {
		return
	}
	if st.asked == nil {
		st.asked = make(map[depKey]bool)
	}
	st.asked[key] = true
	st.deps = append(st.deps, d)
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
