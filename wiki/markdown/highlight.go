package markdown

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/styles"
)

// Default highlighting themes for HighlightCSS.
const (
	DefaultLightTheme = "github"
	DefaultDarkTheme  = "github-dark"
)

// The backgrounds code blocks have in each colour scheme (the style
// sheet's --bg-code), against which every highlighting colour must read.
const (
	CodeBackgroundLight = "#f6f8fa"
	CodeBackgroundDark  = "#151b23"
)

// MinContrast is the contrast every highlighted token has against its
// background: WCAG AA for text.
const MinContrast = 4.5

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
	writeContrastCSS(&b, light, CodeBackgroundLight)
	b.WriteString("@media (prefers-color-scheme: dark) {\n/* code highlighting: " + dark + " */\n")
	writeThemeCSS(&b, dark)
	writeContrastCSS(&b, dark, CodeBackgroundDark)
	b.WriteString("}\n")
	return b.String()
}

// writeContrastCSS gives every token class a colour of the theme that
// reads on the code background: themes leave some classes to inherit,
// which in the dark scheme would keep the light scheme's colour (dark
// punctuation on a dark background), and some of their colours are too
// faint for WCAG AA. A colour below MinContrast is moved towards the
// text colour's end (darker on light, lighter on dark) until it reads.
func writeContrastCSS(b *strings.Builder, theme, codeBG string) {
	style := styles.Get(theme)
	bg := chroma.MustParseColour(codeBG)
	types := make([]chroma.TokenType, 0, len(chroma.StandardTypes))
	for tt, class := range chroma.StandardTypes {
		switch tt {
		case chroma.Background, chroma.PreWrapper, chroma.Line, chroma.LineHighlight, chroma.LineTable,
			chroma.LineTableTD, chroma.LineLink, chroma.CodeLine:
			// Boxes around the code, not text.
		default:
			if class != "" {
				types = append(types, tt)
			}
		}
	}
	slices.Sort(types)
	b.WriteString("/* every token readable on " + codeBG + " */\n")
	for _, tt := range types {
		class := chroma.StandardTypes[tt]
		e := style.Get(tt)
		// A class's own background, or none: the other scheme's must not
		// show through (a light error background under a dark scheme's
		// error colour).
		against, background := bg, "transparent"
		if e.Background.IsSet() && e.Background != style.Get(chroma.Background).Background {
			against, background = e.Background, e.Background.String()
		}
		fg := e.Colour
		if !fg.IsSet() {
			fg = style.Get(chroma.Text).Colour
		}
		fg = readable(fg, against)
		fmt.Fprintf(b, ".chroma .%s { color: %s; background-color: %s }\n", class, fg, background)
	}
}

// readable returns c, or c moved away from bg in lightness until its
// contrast against bg is at least MinContrast.
func readable(c, bg chroma.Colour) chroma.Colour {
	if !c.IsSet() {
		if luminance(bg) > 0.5 {
			c = chroma.NewColour(0x1f, 0x23, 0x28)
		} else {
			c = chroma.NewColour(0xe6, 0xed, 0xf3)
		}
	}
	darker := luminance(bg) > 0.18
	for i := 0; Contrast(c, bg) < MinContrast && i < 100; i++ {
		if darker {
			c = chroma.NewColour(step(c.Red(), -1), step(c.Green(), -1), step(c.Blue(), -1))
		} else {
			c = chroma.NewColour(step(c.Red(), 1), step(c.Green(), 1), step(c.Blue(), 1))
		}
	}
	return c
}

// step moves a channel 4 % of the way to black (dir -1) or white (dir 1).
func step(v uint8, dir int) uint8 {
	if dir < 0 {
		return uint8(float64(v) * 0.96)
	}
	return uint8(float64(v) + (255-float64(v))*0.04 + 0.5)
}

// luminance is a colour's relative luminance (WCAG 2).
func luminance(c chroma.Colour) float64 {
	ch := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(c.Red()) + 0.7152*ch(c.Green()) + 0.0722*ch(c.Blue())
}

// Contrast is the WCAG 2 contrast ratio of two colours, from 1 to 21.
func Contrast(a, b chroma.Colour) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
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
