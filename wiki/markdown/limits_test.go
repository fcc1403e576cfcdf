package markdown_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki/markdown"
	"github.com/opswiki/opswiki/wiki/markdown/markdowntest"
)

// unbounded renders without time or memory budget, so that the parser's
// own bounds are what a test sees.
func unbounded() *markdown.Renderer {
	return markdown.New(markdown.Options{CacheBytes: -1, Budget: -1, MemoryBudget: -1})
}

func renderWith(tb testing.TB, r *markdown.Renderer, body string) *markdown.Result {
	tb.Helper()
	res, err := r.Render(context.Background(), "runbooks/db/page.md", "", []byte(body), newFakeResolver(defaultFiles...))
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// TestHeadingIDs: ids are handed out as GitHub does, however headings
// repeat and collide, and in time linear in their number.
func TestHeadingIDs(t *testing.T) {
	tests := []struct {
		name     string
		headings []string
		reserved []string
		want     []string
	}{
		{"Repeated", []string{"a", "a", "a"}, nil, []string{"a", "a-1", "a-2"}},
		{"LiteralSuffixLater", []string{"a", "a", "a-1"}, nil, []string{"a", "a-1", "a-1-1"}},
		{"LiteralSuffixFirst", []string{"a-1", "a", "a"}, nil, []string{"a-1", "a", "a-2"}},
		{"LiteralBetween", []string{"a", "a-1", "a", "a"}, nil, []string{"a", "a-1", "a-2", "a-3"}},
		{"SuffixOfSuffix", []string{"a", "a", "a-1", "a-1", "a"}, nil, []string{"a", "a-1", "a-1-1", "a-1-2", "a-2"}},
		{"Empty", []string{"!!!", "???", "section"}, nil, []string{"section", "section-1", "section-2"}},
		{"Reserved", []string{"Search", "Search", "search-1"}, []string{"search"}, []string{"search-1", "search-2", "search-1-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body strings.Builder
			for _, h := range tt.headings {
				body.WriteString("## " + h + "\n\n")
			}
			r := markdown.New(markdown.Options{CacheBytes: -1, ReservedIDs: tt.reserved})
			res := renderWith(t, r, body.String())
			var got []string
			for _, e := range res.TOC {
				got = append(got, e.ID)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("Many", func(t *testing.T) {
		const n = 50_000
		res := renderWith(t, unbounded(), strings.Repeat("a\n=\n", n))
		seen := map[string]bool{}
		for i, e := range res.TOC {
			want := "a"
			if i > 0 {
				want = fmt.Sprint("a-", i)
			}
			if e.ID != want || seen[e.ID] {
				t.Fatalf("heading %d: id %q, want %q", i, e.ID, want)
			}
			seen[e.ID] = true
		}
		if len(res.TOC) != n {
			t.Errorf("%d entries", len(res.TOC))
		}
	})
}

// TestParserBounds: what lies beyond each bound of the parser is text, and
// everything within it renders as before.
func TestParserBounds(t *testing.T) {
	table := func(cols, rows int, row string) string {
		return strings.Repeat("|a", cols) + "|\n" + strings.Repeat("|-", cols) + "|\n" + strings.Repeat(row+"\n", rows)
	}
	tests := []struct {
		name  string
		body  string
		count map[string]int
	}{
		{"Quotes", strings.Repeat(">", 1000) + " a\n", map[string]int{"<blockquote>": markdown.MaxBlockDepth}},
		{"QuotesWithin", strings.Repeat(">", 10) + " a\n", map[string]int{"<blockquote>": 10}},
		{"Lists", strings.Repeat("- ", 1000) + "a\n", map[string]int{"<ul>": markdown.MaxBlockDepth / 2}},
		{"ListsWithin", "- a\n  - b\n    - c\n      1. d\n", map[string]int{"<ul>": 3, "<ol>": 1}},
		{"Emphasis", strings.Repeat("*a* ", 1000) + "\n\n" + strings.Repeat("_b_ ", 100), map[string]int{"<em>": markdown.MaxDelimiters/2 + 100}},
		{"Strikethrough", strings.Repeat("~~a~~ ", 1000), map[string]int{"<del>": markdown.MaxDelimiters / 2}},
		{"WideTableOfEmptyRows", table(2000, 500, "x"), map[string]int{"<table>": 0, "<td": 0}},
		{"TableWithShortRows", table(8, 50, "| 1 |"), map[string]int{"<table>": 1, "<td": 400}},
		{"WikiLinkTooLong", "[[" + strings.Repeat("a", markdown.MaxWikiLink+1) + "]]", map[string]int{"wikilink": 0}},
		{"WikiLinkLongest", "[[" + strings.Repeat("a", markdown.MaxWikiLink) + "]]", map[string]int{"wikilink": 1}},
		{"DestinationParens", "[a](" + strings.Repeat("(", 33) + "x" + strings.Repeat(")", 33) + ")", map[string]int{"<a ": 0}},
		{"DestinationParensWithin", "[a](" + strings.Repeat("(", 32) + "x" + strings.Repeat(")", 32) + ")", map[string]int{"<a ": 1}},
		{"LinkOpeners", strings.Repeat("[](", 25_000) + "\n\n[a](b.md)", map[string]int{"<a ": 1}},
		{"LongInfoString", "```" + strings.Repeat("a", 100_000) + "\ncode\n```\n", map[string]int{"data-lang": 0, "code-block": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(renderWith(t, unbounded(), tt.body).HTML)
			for s, want := range tt.count {
				if got := strings.Count(out, s); got != want {
					t.Errorf("%d × %q, want %d", got, s, want)
				}
			}
		})
	}
}

func TestDestinationView(t *testing.T) {
	tests := []struct {
		line string
		want int
	}{
		{"a)", 2},
		{"a b)", 4},
		{"(a)(b))", 7},
		{strings.Repeat("(", 32), 32},
		{strings.Repeat("(", 40), 0},
		{`\(` + strings.Repeat("(", 40), 0},
		{`\(` + strings.Repeat("(", 32) + " ", 35},
		{"<a b>)", 6},
		{"<a<b>)", 2},
		{`<a\<b>)`, 7},
	}
	for _, tt := range tests {
		if got := markdown.DestinationView([]byte(tt.line)); got != tt.want {
			t.Errorf("DestinationView(%q) = %d, want %d", tt.line, got, tt.want)
		}
	}
}

func TestLanguage(t *testing.T) {
	tests := []struct{ info, want string }{
		{"bash", "bash"},
		{"go {linenos=true}", "go"},
		{"c++\tx", "c++"},
		{"yaml{x}", "yaml"},
		{strings.Repeat("a", 40), strings.Repeat("a", 40)},
		{strings.Repeat("a", 41), ""},
		{strings.Repeat("a", 100_000), ""},
		{`"><x`, ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := string(markdown.Language([]byte(tt.info))); got != tt.want {
			t.Errorf("Language(%.50q) = %q, want %q", tt.info, got, tt.want)
		}
	}
}

// TestFootnotesAtScale: thousands of footnotes are numbered by their first
// reference and each gets its links back, as goldmark numbers them.
func TestFootnotesAtScale(t *testing.T) {
	const n = 3000
	var b strings.Builder
	for i := n; i > 0; i-- { // referred to in reverse order of definition
		fmt.Fprintf(&b, "x[^%d] y[^%d]\n", i, i)
	}
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "\n[^%d]: note %d\n", i, i)
	}
	b.WriteString("\n[^unused]: never referred to\n")
	out := string(renderWith(t, unbounded(), b.String()).HTML)
	if got := strings.Count(out, `class="footnote-backref"`); got != 2*n {
		t.Errorf("%d back links, want %d", got, 2*n)
	}
	if strings.Contains(out, "never referred to") {
		t.Error("an unused footnote was shown")
	}
	// Footnote 1 is the first referred to: the last defined.
	first := strings.Index(out, `<li id="fn:1">`)
	if first < 0 || !strings.HasPrefix(out[first:], fmt.Sprintf("<li id=\"fn:1\">\n<p>note %d&#160;", n)) {
		t.Errorf("footnote 1 is not note %d: %.100s", n, out[max(first, 0):])
	}
	if last := strings.Index(out, fmt.Sprintf(`<li id="fn:%d">`, n)); last < first {
		t.Error("footnotes out of order")
	}
}

// TestBudget: a body over the time or memory budget is shown as plain text
// with a notice, and that result is cached like any other.
func TestBudget(t *testing.T) {
	body := "# Title\n\n<b>bold</b> & [link](x.md)\n"
	escaped := "# Title\n\n&lt;b&gt;bold&lt;/b&gt; &amp; [link](x.md)\n"
	t.Run("Slow", func(t *testing.T) {
		r := markdown.New(markdown.Options{Budget: time.Nanosecond})
		res := mustRenderWith(t, r, "x.md", "blob", []byte(body), newFakeResolver(defaultFiles...))
		if res.Fallback != markdown.FallbackSlow || res.Notice != markdown.NoticeSlow {
			t.Fatalf("Fallback = %q, Notice = %q", res.Fallback, res.Notice)
		}
		want := `<p class="notice render-fallback" role="status">` + markdown.NoticeSlow + "</p>\n<pre class=\"plain-text\">" + escaped + "</pre>\n"
		if string(res.HTML) != want {
			t.Errorf("HTML = %q, want %q", res.HTML, want)
		}
		if len(res.TOC)+len(res.Links)+len(res.Broken) != 0 {
			t.Errorf("plain text with TOC %v, links %v, broken %v", res.TOC, res.Links, res.Broken)
		}
		if again := mustRenderWith(t, r, "x.md", "blob", []byte(body), nil); again != res {
			t.Error("the plain text was not cached")
		}
	})
	t.Run("SlowTriedAgainLater", func(t *testing.T) {
		r := markdown.New(markdown.Options{Budget: time.Nanosecond})
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		markdown.SetClock(r, func() time.Time { return now })
		a := mustRenderWith(t, r, "x.md", "blob", []byte(body), nil)
		now = now.Add(5 * time.Minute)
		if b := mustRenderWith(t, r, "x.md", "blob", []byte(body), nil); b != a {
			t.Error("tried again after 5 minutes")
		}
		now = now.Add(6 * time.Minute)
		if c := mustRenderWith(t, r, "x.md", "blob", []byte(body), nil); c == a {
			t.Error("not tried again after 11 minutes")
		}
	})
	t.Run("Complex", func(t *testing.T) {
		r := markdown.New(markdown.Options{MemoryBudget: markdown.Estimate([]byte(body)) - 1})
		res := mustRenderWith(t, r, "x.md", "blob", []byte(body), nil)
		if res.Fallback != markdown.FallbackComplex || !strings.Contains(string(res.HTML), markdown.NoticeComplex) ||
			!strings.Contains(string(res.HTML), escaped) {
			t.Errorf("Fallback = %q, HTML = %s", res.Fallback, res.HTML)
		}
		r = markdown.New(markdown.Options{MemoryBudget: markdown.Estimate([]byte(body))})
		if res := mustRenderWith(t, r, "x.md", "blob", []byte(body), nil); res.Fallback != "" {
			t.Errorf("within the budget: Fallback = %q", res.Fallback)
		}
	})
	t.Run("HighlightWhileBudgetLasts", func(t *testing.T) {
		code := strings.Repeat("echo \"$HOME\" | grep -v x\n", 100)
		page := "```bash\n" + code + "```\n\n```bash\n" + code + "```\n"
		enough := markdown.Estimate([]byte(page)) + markdown.HighlightCost([]byte(code))
		r := markdown.New(markdown.Options{CacheBytes: -1, MemoryBudget: enough})
		if got := strings.Count(string(renderWith(t, r, page).HTML), `class="chroma"`); got != 1 {
			t.Errorf("%d blocks highlighted, want 1", got)
		}
		r = markdown.New(markdown.Options{CacheBytes: -1, MemoryBudget: enough + int64(len(code))*markdown.CostHighlight + markdown.CostHighlightBlock})
		if got := strings.Count(string(renderWith(t, r, page).HTML), `class="chroma"`); got != 2 {
			t.Errorf("%d blocks highlighted, want 2", got)
		}
	})
}

// TestEstimateCoversAllocation: for every shape of the pathological
// corpus, rendering allocates no more than the estimate that lets it
// through, highlighting included: at an eighth of its size with a budget
// just over the estimate, and at full size with the default budget (where
// most shapes are refused and shown as plain text).
func TestEstimateCoversAllocation(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes what allocates; run without -race")
	}
	for _, c := range markdowntest.Pathological {
		t.Run(c.Name, func(t *testing.T) {
			body := []byte(c.Body(max(c.Size/8, 1)))
			budget := markdown.Estimate(body) + 8<<20
			r := markdown.New(markdown.Options{CacheBytes: -1, Budget: -1, MemoryBudget: budget})
			alloc, res := allocated(t, r, body)
			if res.Fallback != "" {
				t.Fatalf("Fallback %q", res.Fallback)
			}
			if alloc > uint64(budget) {
				t.Errorf("an eighth: allocated %.1f MB, estimate %.1f MB for %d bytes", float64(alloc)/1e6, float64(budget)/1e6, len(body))
			}
			if testing.Short() {
				return
			}
			body = []byte(c.Body(c.Size))
			r = markdown.New(markdown.Options{CacheBytes: -1, Budget: -1})
			alloc, res = allocated(t, r, body)
			// Plain text costs a few times the body: escaping, copies.
			if limit := uint64(markdown.DefaultMemoryBudget + 16*len(body)); alloc > limit {
				t.Errorf("full size: allocated %.1f MB, limit %.1f MB for %d bytes (fallback %q)",
					float64(alloc)/1e6, float64(limit)/1e6, len(body), res.Fallback)
			}
		})
	}
}

// allocated renders body and returns the bytes allocated meanwhile.
func allocated(tb testing.TB, r *markdown.Renderer, body []byte) (uint64, *markdown.Result) {
	tb.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := r.Render(context.Background(), "runbooks/db/page.md", "", body, newFakeResolver(defaultFiles...))
	runtime.ReadMemStats(&after)
	if err != nil {
		tb.Fatal(err)
	}
	return after.TotalAlloc - before.TotalAlloc, res
}
