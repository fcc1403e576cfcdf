package markdown

import (
	"bytes"
	"html"
	"strconv"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	ghtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// htmlRenderer writes the nodes whose output decides whether a page is
// safe: links, images, headings, raw HTML, code. It writes only what the
// transformer decided, escaping every value.
type htmlRenderer struct {
	st *state
}

func (r htmlRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHeading, r.heading)
	reg.Register(ast.KindLink, r.link)
	reg.Register(ast.KindImage, r.image)
	reg.Register(ast.KindAutoLink, r.autoLink)
	reg.Register(ast.KindRawHTML, r.rawHTML)
	reg.Register(ast.KindHTMLBlock, r.htmlBlock)
	reg.Register(ast.KindCodeBlock, r.codeBlock)
	reg.Register(ast.KindFencedCodeBlock, r.fencedCode)
	reg.Register(kindWikiLink, r.wikiLink)
}

const externalRel = "nofollow noopener"

// heading writes <hN id="x">text<a class="anchor" href="#x">#</a></hN>. The
// anchor comes after the text so that pages without CSS, printouts and
// copied text read "Mitigation #" rather than "#Mitigation".
func (r htmlRenderer) heading(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Heading)
	id, _ := r.st.decided[n].(string)
	level := strconv.Itoa(n.Level)
	if entering {
		_, _ = w.WriteString("<h" + level)
		if id != "" {
			writeAttr(w, "id", id)
		}
		_ = w.WriteByte('>')
		return ast.WalkContinue, nil
	}
	if id != "" {
		_, _ = w.WriteString(`<a class="anchor" href="#`)
		_, _ = w.WriteString(html.EscapeString(id))
		_, _ = w.WriteString(`" aria-hidden="true" tabindex="-1">#</a>`)
	}
	_, _ = w.WriteString("</h" + level + ">\n")
	return ast.WalkContinue, nil
}

func (r htmlRenderer) link(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	li := r.st.linkInfo(n)
	if li == nil {
		// No decision means no link: fail closed and keep the text.
		return ast.WalkContinue, nil
	}
	if !entering {
		_, _ = w.WriteString("</a>")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("<a")
	writeAttr(w, "href", li.href)
	writeLinkAttrs(w, li, n.Title)
	_ = w.WriteByte('>')
	return ast.WalkContinue, nil
}

func writeLinkAttrs(w util.BufWriter, li *linkInfo, title []byte) {
	if li.class != "" {
		writeAttr(w, "class", li.class)
	}
	if li.external {
		writeAttr(w, "rel", externalRel)
	}
	switch {
	case title != nil:
		_, _ = w.WriteString(` title="`)
		ghtml.DefaultWriter.Write(w, title) // resolves entities, escapes
		_ = w.WriteByte('"')
	case li.class == "missing":
		writeAttr(w, "title", "Page does not exist")
	}
}

func (r htmlRenderer) image(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Image)
	li := r.st.linkInfo(n)
	if li == nil {
		return ast.WalkContinue, nil
	}
	if !entering {
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("<img")
	writeAttr(w, "src", li.href)
	writeAttr(w, "alt", plainText(n, source))
	li.external = false // rel means nothing on an image
	writeLinkAttrs(w, li, n.Title)
	_, _ = w.WriteString(` loading="lazy">`)
	return ast.WalkSkipChildren, nil
}

func (r htmlRenderer) autoLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.AutoLink)
	li := r.st.linkInfo(n)
	if !entering {
		return ast.WalkContinue, nil
	}
	if li == nil {
		_, _ = w.WriteString(html.EscapeString(string(n.Label(source))))
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("<a")
	writeAttr(w, "href", li.href)
	writeLinkAttrs(w, li, nil)
	_ = w.WriteByte('>')
	_, _ = w.WriteString(html.EscapeString(string(n.Label(source))))
	_, _ = w.WriteString("</a>")
	return ast.WalkContinue, nil
}

func (htmlRenderer) wikiLink(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*wikiLink)
	if !entering {
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("<a")
	writeAttr(w, "href", n.href)
	if n.missing {
		writeAttr(w, "class", "wikilink missing")
		writeAttr(w, "title", "Page does not exist")
	} else {
		writeAttr(w, "class", "wikilink")
	}
	_ = w.WriteByte('>')
	_, _ = w.WriteString(html.EscapeString(n.label))
	_, _ = w.WriteString("</a>")
	return ast.WalkContinue, nil
}

var (
	commentStart = []byte("<!--")
	commentEnd   = []byte("-->")
	brTags       = [][]byte{[]byte("<br>"), []byte("<br/>"), []byte("<br />")}
)

// rawHTML shows inline HTML as the text the author wrote. Comments are meant
// to be invisible and are left out; <br>, common in table cells, is the one
// tag written as itself (as a fixed string, never the author's bytes).
func (htmlRenderer) rawHTML(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.RawHTML)
	var raw []byte
	for i := range n.Segments.Len() {
		seg := n.Segments.At(i)
		raw = append(raw, seg.Value(source)...)
	}
	switch {
	case bytes.HasPrefix(raw, commentStart):
	case isBr(raw):
		_, _ = w.WriteString("<br>")
	default:
		_, _ = w.WriteString(html.EscapeString(string(raw)))
	}
	return ast.WalkSkipChildren, nil
}

func isBr(b []byte) bool {
	for _, t := range brTags {
		if bytes.EqualFold(b, t) {
			return true
		}
	}
	return false
}

// htmlBlock shows an HTML block as a paragraph of the text the author wrote
// (class "raw-html", for white-space: pre-wrap). A comment block is left
// out, except for text after the comment on its last line.
func (htmlRenderer) htmlBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.HTMLBlock)
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	var raw []byte
	for i := range n.Lines().Len() {
		seg := n.Lines().At(i)
		raw = append(raw, seg.Value(source)...)
	}
	if n.HasClosure() {
		raw = append(raw, n.ClosureLine.Value(source)...)
	}
	if n.HTMLBlockType == ast.HTMLBlockType2 {
		_, raw, _ = bytes.Cut(raw, commentEnd)
		raw = bytes.TrimSpace(raw)
	}
	raw = bytes.TrimRight(raw, "\r\n")
	if len(raw) == 0 {
		return ast.WalkSkipChildren, nil
	}
	_, _ = w.WriteString(`<p class="raw-html">`)
	_, _ = w.WriteString(html.EscapeString(string(raw)))
	_, _ = w.WriteString("</p>\n")
	return ast.WalkSkipChildren, nil
}

// codeBlock writes indented code blocks like unhighlighted fenced ones.
func (htmlRenderer) codeBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	openCodeBlock(w, nil)
	_, _ = w.WriteString("<pre><code>")
	for i := range node.Lines().Len() {
		seg := node.Lines().At(i)
		ghtml.DefaultWriter.RawWrite(w, seg.Value(source))
	}
	_, _ = w.WriteString("</code></pre></div>\n")
	return ast.WalkSkipChildren, nil
}

func writeAttr(w util.BufWriter, name, value string) {
	_ = w.WriteByte(' ')
	_, _ = w.WriteString(name)
	_, _ = w.WriteString(`="`)
	_, _ = w.WriteString(html.EscapeString(value))
	_ = w.WriteByte('"')
}
