package markdown

import (
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// newParser builds the goldmark parser a Renderer shares between renders;
// per-render state travels in the parser context.
//
// The parser is assembled here rather than from goldmark's defaults and
// extensions so that every part whose work can grow faster than the page
// is bounded (see limits.go): container blocks are depth-limited, emphasis
// delimiters counted, links read through a bounded reader, tables checked
// for padding, and footnotes indexed (footnote.go). Fenced code is written
// by this package (code.go).
//
// Not enabled, on purpose: the typographer (runbook commands must stay
// literal: "--force" must not become an en dash), html.WithUnsafe, and
// parser.WithAttribute (authors could set ids and classes the layout uses).
func newParser(last ...util.PrioritizedValue) parser.Parser {
	return parser.NewParser(
		parser.WithBlockParsers(
			util.Prioritized(parser.NewSetextHeadingParser(), 100),
			util.Prioritized(depthLimited{BlockParser: extension.NewDefinitionListParser(), own: 2}, 101),
			util.Prioritized(extension.NewDefinitionDescriptionParser(), 102),
			util.Prioritized(parser.NewThematicBreakParser(), 200),
			util.Prioritized(depthLimited{BlockParser: parser.NewListParser(), own: 2}, 300),
			util.Prioritized(parser.NewListItemParser(), 400),
			util.Prioritized(parser.NewCodeBlockParser(), 500),
			util.Prioritized(parser.NewATXHeadingParser(), 600),
			util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
			util.Prioritized(depthLimited{BlockParser: parser.NewBlockquoteParser(), own: 1}, 800),
			util.Prioritized(parser.NewHTMLBlockParser(), 900),
			util.Prioritized(depthLimited{BlockParser: footnoteBlockParser{}, own: 1}, 999),
			util.Prioritized(parser.NewParagraphParser(), 1000),
		),
		parser.WithInlineParsers(
			// The wiki link parser runs before goldmark's link parser (200)
			// and the footnote parser (101), which also start at '['.
			util.Prioritized(metered{extension.NewTaskCheckBoxParser()}, 0),
			util.Prioritized(wikiLinkParser{}, 100),
			util.Prioritized(metered{parser.NewCodeSpanParser()}, 100),
			util.Prioritized(footnoteParser{}, 101),
			util.Prioritized(linkParser{inner: parser.NewLinkParser()}, 200),
			util.Prioritized(metered{parser.NewAutoLinkParser()}, 300),
			util.Prioritized(metered{parser.NewRawHTMLParser()}, 400),
			util.Prioritized(delimLimited{InlineParser: parser.NewEmphasisParser()}, 500),
			util.Prioritized(delimLimited{InlineParser: extension.NewStrikethroughParser()}, 500),
			util.Prioritized(metered{extension.NewLinkifyParser()}, 999),
		),
		parser.WithParagraphTransformers(
			util.Prioritized(parser.LinkReferenceParagraphTransformer, 100),
			util.Prioritized(boundedTables{inner: extension.NewTableParagraphTransformer()}, 200),
		),
		parser.WithASTTransformers(
			util.Prioritized(extension.NewTableASTTransformer(), 0),
			util.Prioritized(footnoteTransformer{}, 999),
		),
		parser.WithASTTransformers(last...),
	)
}

// newHTMLRenderer builds the renderer of one render: goldmark's renderers
// for CommonMark and the extensions, and this package's for everything
// whose output decides whether a page is safe, which read the render's
// decisions from st. Building one is cheap next to rendering.
func newHTMLRenderer(st *state) renderer.Renderer {
	return renderer.NewRenderer(renderer.WithNodeRenderers(
		util.Prioritized(html.NewRenderer(), 1000),
		// The align attribute instead of style="text-align" keeps pages
		// working under a Content-Security-Policy without unsafe-inline.
		util.Prioritized(extension.NewTableHTMLRenderer(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)), 500),
		util.Prioritized(extension.NewStrikethroughHTMLRenderer(), 500),
		util.Prioritized(extension.NewTaskCheckBoxHTMLRenderer(), 500),
		util.Prioritized(extension.NewDefinitionListHTMLRenderer(), 500),
		util.Prioritized(extension.NewFootnoteHTMLRenderer(), 500),
		util.Prioritized(htmlRenderer{st: st}, 100),
	))
}
