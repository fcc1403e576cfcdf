package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/markdown"
	"github.com/opswiki/opswiki/wiki/markdown/markdowntest"
	"github.com/opswiki/opswiki/wiki/web"
)

// mustRenderServer is MustServer with the default page size limit (1 MiB)
// and a renderer made with opts.
func mustRenderServer(tb testing.TB, files map[string]string, opts markdown.Options) *httptest.Server {
	tb.Helper()
	ts, _ := MustServerWith(tb, files, func(cfg *web.Config, deps *web.Deps) {
		cfg.MaxPageBytes = 0
		opts.ReservedIDs = web.ReservedIDs
		deps.Renderer = markdown.New(opts)
	})
	return ts
}

// home is the repository of tests that need no particular page.
var home = map[string]string{"README.md": "# Home\n"}

// preview is the reply of POST /-/api/preview.
type preview struct {
	HTML     string         `json:"html"`
	Fallback string         `json:"fallback"`
	Problems []wiki.Problem `json:"problems"`
}

func postPreview(tb testing.TB, ts *httptest.Server, content string) (int, preview) {
	tb.Helper()
	b, _ := json.Marshal(map[string]string{"path": "docs/x", "content": content})
	resp, body := send(tb, ts, "POST", "/-/api/preview", "application/json", bytes.NewReader(b))
	var p preview
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			tb.Fatalf("%s: %s", err, body)
		}
	}
	return resp.StatusCode, p
}

// TestPreviewLimits: the preview is bounded like a page view, says when it
// shows plain text, and stops when the editor goes away.
func TestPreviewLimits(t *testing.T) {
	body := "# T\n\n<b>x</b> [[nowhere]]\n"
	t.Run("Rendered", func(t *testing.T) {
		ts := mustRenderServer(t, home, markdown.Options{})
		code, p := postPreview(t, ts, body)
		if code != 200 || p.Fallback != "" || !strings.Contains(p.HTML, `class="wikilink missing"`) || len(p.Problems) != 1 {
			t.Errorf("%d %+v", code, p)
		}
	})
	for _, tt := range []struct {
		name, fallback, notice string
		opts                   markdown.Options
	}{
		{"Slow", markdown.FallbackSlow, markdown.NoticeSlow, markdown.Options{Budget: time.Nanosecond}},
		{"Complex", markdown.FallbackComplex, markdown.NoticeComplex, markdown.Options{MemoryBudget: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := mustRenderServer(t, home, tt.opts)
			code, p := postPreview(t, ts, body)
			if code != 200 || p.Fallback != tt.fallback {
				t.Fatalf("%d %+v", code, p)
			}
			if !strings.Contains(p.HTML, tt.notice) || !strings.Contains(p.HTML, "<pre class=\"plain-text\"># T\n\n&lt;b&gt;x&lt;/b&gt; [[nowhere]]") {
				t.Errorf("html %s", p.HTML)
			}
			// The link is broken however the page is shown; the notice
			// says how it is shown.
			if len(p.Problems) != 2 || p.Problems[0].Message != `link to "nowhere": no such page` ||
				p.Problems[1].Message != tt.notice || p.Problems[1].Severity != wiki.SeverityWarning {
				t.Errorf("problems %+v", p.Problems)
			}
		})
	}
	t.Run("ConflictMarkers", func(t *testing.T) {
		ts := mustRenderServer(t, home, markdown.Options{})
		code, p := postPreview(t, ts, "# T\n\n<<<<<<< your edit\na\n=======\nb\n>>>>>>> current version\n")
		if code != 200 || len(p.Problems) != 2 || !strings.Contains(p.Problems[0].Message, "conflict marker") || p.Problems[0].Line != 3 {
			t.Errorf("%d %+v", code, p.Problems)
		}
	})
	t.Run("TooLarge", func(t *testing.T) {
		ts := mustRenderServer(t, home, markdown.Options{})
		if code, _ := postPreview(t, ts, strings.Repeat("a", 1<<20+1)); code != http.StatusRequestEntityTooLarge {
			t.Errorf("%d, want 413", code)
		}
	})
	t.Run("EditorGone", func(t *testing.T) {
		ts := mustRenderServer(t, home, markdown.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req := httptest.NewRequestWithContext(ctx, "POST", "/-/api/preview", strings.NewReader(`{"path":"x","content":"# x"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Host = strings.TrimPrefix(ts.URL, "http://")
		rec := httptest.NewRecorder()
		ts.Config.Handler.ServeHTTP(rec, req)
		if rec.Code != 499 || strings.Contains(rec.Body.String(), "html") {
			t.Errorf("%d %s", rec.Code, rec.Body.String())
		}
	})
}

// TestPageViewPlainText: a page over the budget is shown as plain text with
// the notice.
func TestPageViewPlainText(t *testing.T) {
	ts := mustRenderServer(t, map[string]string{"slow.md": "# Slow\n\n<i>text</i>\n"}, markdown.Options{Budget: time.Nanosecond})
	resp, page := get(t, ts, "GET", "/slow")
	if resp.StatusCode != 200 || !strings.Contains(page, markdown.NoticeSlow) || !strings.Contains(page, "<pre class=\"plain-text\"># Slow\n\n&lt;i&gt;text&lt;/i&gt;") {
		t.Errorf("%d\n%s", resp.StatusCode, page)
	}
}

// TestBrokenLinksFollowPages: a cached page marks its links to missing
// pages, and stops marking them as soon as those pages are created, and
// again when they are deleted.
func TestBrokenLinksFollowPages(t *testing.T) {
	ts := mustRenderServer(t, map[string]string{"a.md": "# A\n\nSee [[b]] and [c](c.md).\n", "other.md": "# Other\n"}, markdown.Options{})
	links := func() (b, c bool) {
		t.Helper()
		resp, page := get(t, ts, "GET", "/a")
		if resp.StatusCode != 200 {
			t.Fatalf("GET /a = %d", resp.StatusCode)
		}
		return strings.Contains(page, `href="/-/new?path=b" class="wikilink missing"`), strings.Contains(page, `href="/c" class="missing"`)
	}
	put := func(p, content string) string {
		t.Helper()
		var cur struct{ Blob string }
		if resp, body := get(t, ts, "GET", "/-/api/pages/"+p); resp.StatusCode == 200 {
			json.Unmarshal([]byte(body), &cur)
		}
		b, _ := json.Marshal(map[string]string{"content": content, "base": cur.Blob})
		resp, body := send(t, ts, "PUT", "/-/api/pages/"+p, "application/json", bytes.NewReader(b))
		if resp.StatusCode != 200 {
			t.Fatalf("PUT %s = %d %s", p, resp.StatusCode, body)
		}
		var r struct{ Blob string }
		json.Unmarshal([]byte(body), &r)
		return r.Blob
	}
	if b, c := links(); !b || !c {
		t.Fatalf("before: missing b %v, c %v", b, c)
	}
	put("other", "# Other\n\nchanged\n")
	put("unrelated", "# Unrelated\n")
	if b, c := links(); !b || !c {
		t.Errorf("after unrelated changes: missing b %v, c %v", b, c)
	}
	blob := put("b", "# B\n")
	put("c", "# C\n")
	if b, c := links(); b || c {
		t.Errorf("after b and c were created: missing b %v, c %v", b, c)
	}
	if resp, body := send(t, ts, "DELETE", "/-/api/pages/b?base="+blob, "", nil); resp.StatusCode != 200 {
		t.Fatalf("DELETE b = %d %s", resp.StatusCode, body)
	}
	if b, c := links(); !b || c {
		t.Errorf("after b was deleted: missing b %v, c %v", b, c)
	}
}

// TestPreviewPathological: the inputs that once took minutes of CPU
// through the preview now come back, rendered or as plain text, with every
// heading id distinct.
func TestPreviewPathological(t *testing.T) {
	ts := mustRenderServer(t, home, markdown.Options{})
	for _, c := range markdowntest.Pathological {
		switch c.Name {
		case "SetextHeadings", "ATXHeadings", "LongInfoString", "LinkOpeners":
		default:
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			code, p := postPreview(t, ts, c.Body(c.Size))
			if code != 200 {
				t.Fatalf("%d", code)
			}
			if p.Fallback == "" {
				ids := map[string]bool{}
				for _, m := range strings.Split(p.HTML, ` id="`)[1:] {
					id := m[:strings.IndexByte(m, '"')]
					if ids[id] {
						t.Fatalf("id %q twice", id)
					}
					ids[id] = true
				}
			}
		})
	}
}
