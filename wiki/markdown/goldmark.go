package markdown

import (
	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/yuin/goldmark"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// newGoldmark builds the one goldmark instance a Renderer shares between
// renders; per-render state travels in the parser context.
//
// Not enabled, on purpose: the typographer (runbook commands must stay
// literal: "--force" must not become an en dash), html.WithUnsafe, and
// parser.WithAttribute (authors could set ids and classes the layout uses).
func newGoldmark() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(
			// The align attribute instead of style="text-align" keeps pages
			// working under a Content-Security-Policy without unsafe-inline.
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough,
			extension.Linkify,
			extension.TaskList,
			extension.Footnote,
			extension.DefinitionList,
			highlighting.NewHighlighting(
				highlighting.WithCustomStyle(classOnlyStyle),
				highlighting.WithFormatOptions(chromahtml.WithClasses(true)),
				highlighting.WithGuessLanguage(false),
				highlighting.WithWrapperRenderer(wrapCode),
			),
			wikiExtension{},
		),
	)
}

// classOnlyStyle is the style chroma formats with. With CSS classes the
// colours come from HighlightCSS, but chroma still turns the style into CSS
// for every code block; an empty style makes that nearly free.
var classOnlyStyle = chroma.MustNewStyle("opswiki-classes", chroma.StyleEntries{})

// wikiExtension adds what this package writes itself: wiki links, link
// resolution, heading ids, and the renderers that keep the output safe.
type wikiExtension struct{}

// Priorities: the wiki link parser runs before goldmark's link parser (200)
// and footnote parser (101), which also start at '['; the transformer runs
// after every other one, so it sees the final tree; the renderers win over
// goldmark's defaults (1000).
const (
	prioWikiParser  = 100
	prioTransformer = 10000
	prioRenderer    = 100
)

func (wikiExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(
		parser.WithInlineParsers(util.Prioritized(wikiLinkParser{}, prioWikiParser)),
		parser.WithASTTransformers(util.Prioritized(transformer{}, prioTransformer)),
	)
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(htmlRenderer{}, prioRenderer)))
}
