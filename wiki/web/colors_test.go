package web_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"

	"github.com/opswiki/opswiki/static"
	"github.com/opswiki/opswiki/wiki/markdown"
)

var cssVar = regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})`)

// The style sheet's colours read at WCAG AA in both schemes: text, muted
// text, links, notices and kind badges on the backgrounds they sit on;
// and code blocks have the background the highlighting was checked on.
func TestColoursContrast(t *testing.T) {
	b, err := fs.ReadFile(static.FS, "app.css")
	if err != nil {
		t.Fatal(err)
	}
	css := string(b)
	light, dark, ok := strings.Cut(css, "@media (prefers-color-scheme: dark)")
	if !ok {
		t.Fatal("no dark scheme in app.css")
	}
	dark, _, _ = strings.Cut(dark, "}\n}")
	vars := func(part string) map[string]string {
		out := map[string]string{}
		for _, m := range cssVar.FindAllStringSubmatch(part, -1) {
			if _, ok := out[m[1]]; !ok {
				out[m[1]] = m[2]
			}
		}
		return out
	}
	pairs := [][2]string{{"fg", "bg"}, {"fg", "bg-soft"}, {"fg-muted", "bg"}, {"fg-muted", "bg-soft"}, {"link", "bg"}, {"missing", "bg"},
		{"error-fg", "error-bg"}, {"warn-fg", "warn-bg"}, {"runbook", "bg"}, {"service", "bg"}, {"postmortem", "bg"}, {"page", "bg"}, {"template", "bg"}, {"fg", "mark"}}
	for _, scheme := range []struct {
		name, css, code string
	}{{"light", light, markdown.CodeBackgroundLight}, {"dark", dark, markdown.CodeBackgroundDark}} {
		v := vars(scheme.css)
		if v["bg-code"] != scheme.code {
			t.Errorf("%s: --bg-code is %s, the highlighting is checked on %s", scheme.name, v["bg-code"], scheme.code)
		}
		for _, p := range pairs {
			fg, bg := v[p[0]], v[p[1]]
			if fg == "" || bg == "" {
				t.Errorf("%s: --%s or --%s missing", scheme.name, p[0], p[1])
				continue
			}
			if c := markdown.Contrast(chroma.MustParseColour(fg), chroma.MustParseColour(bg)); c < markdown.MinContrast {
				t.Errorf("%s: --%s %s on --%s %s has contrast %.2f, under %.1f", scheme.name, p[0], fg, p[1], bg, c, markdown.MinContrast)
			}
		}
	}
}
