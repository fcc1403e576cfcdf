package markdown_test

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/opswiki/opswiki/wiki/markdown"
	"github.com/opswiki/opswiki/wiki/markdown/markdowntest"
)

// nasty is markdown that tries to get script into the page, one way each.
var nasty = []struct{ name, body string }{
	{"ScriptBlock", "<script>alert(1)</script>"},
	{"ScriptInline", "text <script>alert(1)</script> text"},
	{"ImgOnerror", `<img src=x onerror=alert(1)>`},
	{"ImgOnerrorInline", `text <img src=x onerror="alert(1)"> text`},
	{"SVGOnload", `<svg onload=alert(1)><circle r=1 /></svg>`},
	{"SVGInline", `a <svg><script>alert(1)</script></svg> b`},
	{"Iframe", `<iframe src="javascript:alert(1)"></iframe>`},
	{"Style", "<style>body{display:none}</style>"},
	{"ObjectEmbed", `<object data="x.swf"></object><embed src="x.swf">`},
	{"RawAnchor", `<a href="javascript:alert(1)">x</a>`},
	{"DetailsToggle", "<details open ontoggle=alert(1)>\n\nx\n\n</details>"},
	{"MathML", `<math><mi xlink:href="javascript:alert(1)">x</mi></math>`},
	{"UnclosedTag", `<img src="x" onerror="alert(1)"`},
	{"NestedTags", `<<script>>alert(1)<</script>> <scr<script>ipt>alert(1)</script>`},
	{"CommentBreakout", "<!-- --><script>alert(1)</script> -->"},
	{"CDATA", "<![CDATA[<script>alert(1)</script>]]>"},
	{"InlineJS", "[x](javascript:alert(1))"},
	{"MixedCase", "[x](JaVaScRiPt:alert(1))"},
	{"AngleDest", "[x](<javascript:alert(1)>)"},
	{"TabEntity", "[x](jav&#x09;ascript:alert(1))"},
	{"NewlineEntity", "[x](java&#x0A;script:alert(1))"},
	{"DecimalEntity", "[x](&#106;avascript:alert(1))"},
	{"ColonEntity", "[x](javascript&#58;alert(1))"},
	{"NamedColon", "[x](javascript&colon;alert(1))"},
	{"NoSemicolonEntities", "[x](&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1))"},
	{"LiteralTab", "[x](java\tscript:alert(1))"},
	{"ControlChar", "[x](java\x01script:alert(1))"},
	{"LeadingControl", "[x](\x01javascript:alert(1))"},
	{"NUL", "[x](java\x00script:alert(1))"},
	{"Percent", "[x](javascript%3Aalert(1))"},
	{"PercentScheme", "[x](%6Aavascript:alert(1))"},
	{"Fullwidth", "[x](ｊａｖａｓｃｒｉｐｔ:alert(1))"},
	{"ZeroWidth", "[x](\u200bjavascript:alert(1))"},
	{"Reference", "[x][r]\n\n[r]: javascript:alert(1)"},
	{"ReferenceTitle", "[x][r]\n\n[r]: javascript:alert(1) \"t\""},
	{"Autolink", "<javascript:alert(1)>"},
	{"AutolinkUpper", "<JAVASCRIPT:alert(1)>"},
	{"Image", "![x](javascript:alert(1))"},
	{"ImageReference", "![x][i]\n\n[i]: javascript:alert(1)"},
	{"DataSVG", "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"},
	{"DataPNG", "![x](data:image/png;base64,iVBORw0KGgo=)"},
	{"DataHTML", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"},
	{"VBScript", "[x](vbscript:msgbox(1))"},
	{"File", "[x](file:///etc/passwd)"},
	{"WikiTarget", "[[javascript:alert(1)]]"},
	{"WikiTargetLabel", "[[javascript:alert(1)|click]]"},
	{"WikiLabelHTML", "[[x|<script>alert(1)</script>]]"},
	{"WikiAnchorQuote", "[[x#\"><script>alert(1)</script>]]"},
	{"AttributeBreakout", `[x](https://ok.example/"onmouseover="alert(1))`},
	{"TitleBreakout", `[x](https://ok.example "t\" onmouseover=alert(1) x=\"")`},
	{"LinkifyBreakout", `https://example.com/"><script>alert(1)</script>`},
	{"WWWScript", "www.example.com/<script>alert(1)</script>"},
	{"AutolinkQuote", `<http://a.example/"onclick="alert(1)>`},
	{"HTMLInLinkText", "[<img src=x onerror=alert(1)>](https://x.example)"},
	{"HTMLInAlt", "![<img src=x onerror=alert(1)>](diagram.png)"},
	{"AltQuote", "![\" onerror=\"alert(1)](diagram.png)"},
	{"InfoString", "```\"><script>alert(1)</script>\ncode\n```"},
	{"InfoAttributes", "```bash {style=\"x\" onclick=alert(1) linenos=true}\necho\n```"},
	{"HeadingScript", "# Heading <script>alert(1)</script>\n\n## \"><img src=x onerror=alert(1)>"},
	{"FootnoteScript", "x[^a]\n\n[^a]: <script>alert(1)</script> [y](javascript:alert(1))"},
	{"TableScript", "| a |\n| - |\n| <script>alert(1)</script> [x](javascript:alert(1)) |"},
	{"DefinitionScript", "term\n: <iframe src=x></iframe>"},
	{"ProtocolRelative", "[x](//evil.example/)"},
	{"BackslashHost", "[x](/\\evil.example)"},
	{"FormAction", `<form action="javascript:alert(1)"><button>x</button></form>`},
	{"MetaRefresh", `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`},
	{"BaseHref", `<base href="javascript:alert(1)//">`},
	{"LinkInLink", "[a [b](javascript:alert(1)) c](javascript:alert(2))"},
}

func TestSafety(t *testing.T) {
	for _, tt := range nasty {
		t.Run(tt.name, func(t *testing.T) {
			assertSafe(t, mustHTML(t, tt.body))
		})
	}
}

// FuzzRender feeds arbitrary markdown to the renderer and checks the safety
// invariants on whatever comes out. `go test` runs the seeds only; run
// `go test -fuzz FuzzRender ./wiki/markdown/` to search.
func FuzzRender(f *testing.F) {
	for _, tt := range nasty {
		f.Add(tt.body)
	}
	f.Add(string(mustReadFile(f, "runbook.md")))
	// The shapes that once made rendering slow, small enough to fuzz from.
	for _, c := range markdowntest.Pathological {
		f.Add(c.Body(max(c.Size/500, 3)))
	}
	r := markdown.New(markdown.Options{CacheBytes: -1})
	res := newFakeResolver(defaultFiles...)
	f.Fuzz(func(t *testing.T, body string) {
		out, err := r.Render(context.Background(), "runbooks/db/page.md", "", []byte(body), res)
		if err != nil {
			t.Fatal(err)
		}
		assertSafe(t, string(out.HTML))
	})
}

// TestAssertSafe makes sure the checker itself catches what it looks for.
func TestAssertSafe(t *testing.T) {
	bad := []string{
		`<script>alert(1)</script>`,
		`<p><img src="x" onerror="alert(1)"></p>`,
		`<a href="javascript:alert(1)">x</a>`,
		`<a href="jav&#x09;ascript:alert(1)">x</a>`,
		`<a href=" JAVASCRIPT:alert(1)">x</a>`,
		`<img src="data:image/png;base64,AAAA">`,
		`<a href="//evil.example/">x</a>`,
		`<p style="color:red">x</p>`,
		`<iframe src="https://x.example"></iframe>`,
		`<input type="text">`,
	}
	for _, out := range bad {
		rec := &recorder{TB: t}
		assertSafe(rec, out)
		if !rec.failed {
			t.Errorf("assertSafe accepted %s", out)
		}
	}
	assertSafe(t, `<p><a href="/x#y" class="missing">x</a> <a href="https://x.example/" rel="nofollow noopener">y</a></p>`)
}

// recorder notes failures instead of failing the test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

// Elements and attributes the renderer may write; anything else in the
// output got there by mistake.
var (
	allowedElements = set("html", "head", "body", // added by the HTML parser
		"a", "p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "del", "code", "pre",
		"span", "div", "ul", "ol", "li", "input", "table", "thead", "tbody", "tr", "th", "td",
		"blockquote", "hr", "br", "img", "sup", "dl", "dt", "dd")
	allowedAttrs = set("href", "src", "alt", "title", "class", "id", "rel", "aria-hidden",
		"tabindex", "data-lang", "loading", "align", "type", "checked", "disabled", "role", "start")
	dangerousTags = []string{"<script", "<iframe", "<svg", "<style", "<object", "<embed",
		"<math", "<form", "<meta", "<base", "<link", "<details"}
)

// assertSafe parses the output as a browser would and checks every element,
// attribute and URL in it.
func assertSafe(tb testing.TB, out string) {
	tb.Helper()
	lower := strings.ToLower(out)
	for _, tag := range dangerousTags {
		if strings.Contains(lower, tag) {
			tb.Errorf("output contains %s:\n%s", tag, out)
		}
	}
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		tb.Fatalf("parse output: %v", err)
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		if !allowedElements[n.Data] {
			tb.Errorf("element <%s> in output:\n%s", n.Data, out)
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") || !allowedAttrs[key] || a.Namespace != "" {
				tb.Errorf("attribute %s=%q on <%s>:\n%s", a.Key, a.Val, n.Data, out)
			}
			if key == "href" || key == "src" {
				if !safeURL(a.Val) {
					tb.Errorf("%s=%q on <%s>:\n%s", a.Key, a.Val, n.Data, out)
				}
			}
			if n.Data == "input" && key == "type" && a.Val != "checkbox" {
				tb.Errorf("input of type %q", a.Val)
			}
		}
	}
}

// safeURL accepts what the renderer may write: empty, a fragment or query,
// an absolute path on this host, or http, https and mailto URLs. It looks
// at the URL as a browser does, with tabs, newlines and outer controls gone.
func safeURL(v string) bool {
	s := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, v)
	s = strings.ToLower(strings.TrimFunc(s, func(r rune) bool { return r <= ' ' }))
	switch {
	case s == "", strings.HasPrefix(s, "#"), strings.HasPrefix(s, "?"):
		return true
	case strings.HasPrefix(s, "/"):
		return !strings.HasPrefix(s, "//") && !strings.HasPrefix(s, `/\`)
	}
	for _, scheme := range []string{"http:", "https:", "mailto:"} {
		if strings.HasPrefix(s, scheme) {
			return true
		}
	}
	return false
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
