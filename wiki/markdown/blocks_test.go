package markdown_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"

	"github.com/opswiki/opswiki/wiki/markdown"
)

func TestCodeBlocks(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		want, lack []string
	}{
		{
			name: "Highlighted",
			body: "```bash\necho \"$HOME\" > /tmp/x\n```",
			want: []string{`<div class="code-block" data-lang="bash"><pre class="chroma"><code>`, `<span class="nb">echo</span>`, `&gt; /tmp/x`, "</code></pre></div>"},
			lack: []string{"style="},
		},
		{
			name: "YAMLAndGo",
			body: "```yaml\nkey: value\n```\n\n```go\nfunc main() {}\n```",
			want: []string{`data-lang="yaml"`, `data-lang="go"`, `<span class="kd">func</span>`},
			lack: []string{"style="},
		},
		{
			name: "UnknownLanguage",
			body: "```nosuchlang\n<b>literal</b>\n```",
			want: []string{`<div class="code-block" data-lang="nosuchlang"><pre><code class="language-nosuchlang">&lt;b&gt;literal&lt;/b&gt;` + "\n</code></pre></div>"},
			lack: []string{"chroma"},
		},
		{
			name: "NoLanguage",
			body: "```\nkubectl get pods -A\n```",
			want: []string{`<div class="code-block"><pre><code>kubectl get pods -A` + "\n</code></pre></div>"},
		},
		{
			name: "Indented",
			body: "text\n\n    rm -rf /tmp/<x>\n",
			want: []string{`<div class="code-block"><pre><code>rm -rf /tmp/&lt;x&gt;` + "\n</code></pre></div>"},
		},
		{
			name: "OddLanguageNotInAttribute",
			body: "```\"onmouseover=x\n<x>\n```",
			want: []string{`<div class="code-block"><pre><code>&lt;x&gt;`},
			lack: []string{"onmouseover"},
		},
		{
			name: "InfoAttributes",
			body: "```bash {linenos=table,hl_lines=[1]}\necho hi\n```",
			want: []string{`data-lang="bash"`, `class="chroma"`},
			lack: []string{"style="},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustHTML(t, tt.body)
			contains(t, out, tt.want...)
			lacks(t, out, tt.lack...)
		})
	}
}

func TestRawHTML(t *testing.T) {
	tests := []struct {
		name, body, want string
		lack             []string
	}{
		{"Block", "<div class=\"x\">\nhello\n</div>", "<p class=\"raw-html\">&lt;div class=&#34;x&#34;&gt;\nhello\n&lt;/div&gt;</p>", []string{"<div class"}},
		{"Inline", "press <kbd>Ctrl</kbd>", "press &lt;kbd&gt;Ctrl&lt;/kbd&gt;", []string{"<kbd"}},
		{"Br", "a<br>b<BR/>c", "a<br>b<br>c", nil},
		{"BrWithAttributes", `a<br onclick="x">b`, "a&lt;br onclick=&#34;x&#34;&gt;b", []string{"<br "}},
		{"CommentBlock", "<!-- fill in the timeline -->\n\ntext", "<p>text</p>", []string{"fill in", "<!--"}},
		{"CommentTrailingText", "<!-- note --> shown\n\ntext", `<p class="raw-html">shown</p>`, []string{"note"}},
		{"CommentInline", "a <!-- hidden --> b", "<p>a  b</p>", []string{"hidden"}},
		{"Script", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;", []string{"<script"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustHTML(t, tt.body)
			contains(t, out, tt.want)
			lacks(t, out, tt.lack...)
		})
	}
}

func TestGFM(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"Table", "| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |", []string{`<th align="left">a</th>`, `<td align="center">2</td>`, `<td align="right">3</td>`}},
		{"TaskList", "- [x] done\n- [ ] todo", []string{`<input checked="" disabled="" type="checkbox"> done`, `<input disabled="" type="checkbox"> todo`}},
		{"Strikethrough", "~~old~~", []string{"<del>old</del>"}},
		{"Footnote", "x[^1]\n\n[^1]: note", []string{`<a href="#fn:1" class="footnote-ref" role="doc-noteref">1</a>`, `<li id="fn:1">`}},
		{"DefinitionList", "RPO\n: recovery point objective", []string{"<dl>", "<dt>RPO</dt>", "<dd>recovery point objective</dd>"}},
		{"NoTypographer", `run "kill -9" -- it's --force...`, []string{`run &quot;kill -9&quot; -- it's --force...`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contains(t, mustHTML(t, tt.body), tt.want...)
		})
	}
}

func TestHighlightCSS(t *testing.T) {
	css := markdown.HighlightCSS("", "")
	light, dark, ok := strings.Cut(css, "@media (prefers-color-scheme: dark) {")
	if !ok {
		t.Fatalf("no dark media query:\n%s", css)
	}
	for _, part := range []string{light, dark} {
		contains(t, part, ".chroma {", ".chroma .k {", ".chroma .s {")
	}
	if !strings.HasSuffix(strings.TrimSpace(css), "}") || strings.Count(css, "{") != strings.Count(css, "}") {
		t.Errorf("unbalanced CSS:\n%s", css)
	}
	if a, b := markdown.HighlightCSS("monokai", "dracula"), css; a == b {
		t.Error("themes do not change the CSS")
	}
}

// cssRule matches one rule of the highlighting style sheet.
var cssRule = regexp.MustCompile(`\.chroma \.([a-z0-9]+) \{([^}]*)\}`)

// Every highlighting class has a colour in each scheme that reads on its
// background at WCAG AA, whatever the theme leaves unset: the dark scheme
// never keeps a light scheme's colour.
func TestHighlightContrast(t *testing.T) {
	for _, themes := range [][2]string{{"", ""}, {"monokailight", "monokai"}, {"solarized-light", "solarized-dark"}} {
		css := markdown.HighlightCSS(themes[0], themes[1])
		light, dark, _ := strings.Cut(css, "@media (prefers-color-scheme: dark) {")
		for _, scheme := range []struct {
			name, css, bg string
		}{{"light", light, markdown.CodeBackgroundLight}, {"dark", dark, markdown.CodeBackgroundDark}} {
			colour, background := map[string]string{}, map[string]string{}
			for _, m := range cssRule.FindAllStringSubmatch(scheme.css, -1) {
				for _, decl := range strings.Split(m[2], ";") {
					k, v, _ := strings.Cut(strings.TrimSpace(decl), ":")
					switch strings.TrimSpace(k) {
					case "color":
						colour[m[1]] = strings.TrimSpace(v)
					case "background-color":
						background[m[1]] = strings.TrimSpace(v)
					}
				}
			}
			for _, class := range []string{"p", "na", "nx", "ge", "nb", "k", "s", "c", "o", "gd", "gi", "err", "nv", "m"} {
				if _, ok := colour[class]; !ok {
					t.Errorf("%v %s: no colour for .%s", themes, scheme.name, class)
				}
			}
			for class, fg := range colour {
				if !strings.HasPrefix(fg, "#") {
					continue // "inherit": the text colour, checked with the page's
				}
				bg := scheme.bg
				if b, ok := background[class]; ok && b != "transparent" {
					bg = b
				}
				if c := markdown.Contrast(chroma.MustParseColour(fg), chroma.MustParseColour(bg)); c < markdown.MinContrast {
					t.Errorf("%v %s: .%s is %s on %s, contrast %.2f", themes, scheme.name, class, fg, bg, c)
				}
			}
		}
	}
}
