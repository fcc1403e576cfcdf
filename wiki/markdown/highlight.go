package markdown

import (
	"strings"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/styles"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
	"github.com/yuin/goldmark/util"
)

// Default highlighting themes for HighlightCSS.
const (
	DefaultLightTheme = "github"
	DefaultDarkTheme  = "github-dark"
)

// HighlightCSS returns the style sheet for highlighted code blocks: the
// light theme's rules, then the dark theme's inside
// "@media (prefers-color-scheme: dark)". Themes are chroma style names;
// an unknown name falls back to chroma's default style, and "" picks the
// defaults above. The web layer serves the result as a static file.
func HighlightCSS(light, dark string) string {
	if light == "" {
		light = DefaultLightTheme
	}
	if dark == "" {
		dark = DefaultDarkTheme
	}
	var b strings.Builder
	b.WriteString("/* code highlighting: " + light + " */\n")
	writeThemeCSS(&b, light)
	b.WriteString("@media (prefers-color-scheme: dark) {\n/* code highlighting: " + dark + " */\n")
	writeThemeCSS(&b, dark)
	b.WriteString("}\n")
	return b.String()
}

// writeThemeCSS writes a theme's rules, except the one for ".bg", which only
// chroma's standalone pages use and whose name is too generic to leave in a
// site-wide style sheet.
func writeThemeCSS(b *strings.Builder, theme string) {
	var css strings.Builder
	f := chromahtml.New(chromahtml.WithClasses(true), chromahtml.WithCSSComments(false))
	_ = f.WriteCSS(&css, styles.Get(theme)) // a strings.Builder never fails
	for line := range strings.Lines(css.String()) {
		if !strings.HasPrefix(line, ".bg ") {
			b.WriteString(line)
		}
	}
}

// wrapCode puts every fenced code block in a <div class="code-block"> for the
// web layer's copy button, with data-lang when the block names a language.
// Highlighted blocks get their <pre class="chroma"><code> from chroma; the
// others get a plain <pre><code> here.
func wrapCode(w util.BufWriter, c highlighting.CodeBlockContext, entering bool) {
	lang, _ := c.Language()
	if !safeLang(lang) {
		lang = nil
	}
	if !entering {
		if !c.Highlighted() {
			_, _ = w.WriteString("</code></pre>")
		}
		_, _ = w.WriteString("</div>\n")
		return
	}
	openCodeBlock(w, lang)
	if !c.Highlighted() {
		_, _ = w.WriteString("<pre><code")
		if lang != nil {
			_, _ = w.WriteString(` class="language-`)
			_, _ = w.Write(lang)
			_ = w.WriteByte('"')
		}
		_ = w.WriteByte('>')
	}
}

func openCodeBlock(w util.BufWriter, lang []byte) {
	_, _ = w.WriteString(`<div class="code-block"`)
	if lang != nil {
		_, _ = w.WriteString(` data-lang="`)
		_, _ = w.Write(lang)
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
}

// safeLang reports whether an info string's language is a plain name
// ("bash", "c++", "objective-c", "c#") that needs no escaping in an attribute.
func safeLang(b []byte) bool {
	if len(b) == 0 || len(b) > 40 {
		return false
	}
	for _, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '+' || c == '.' || c == '#':
		default:
			return false
		}
	}
	return true
}
