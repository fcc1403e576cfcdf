package markdown

import (
	"strings"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/styles"
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
