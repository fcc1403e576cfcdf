package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opswiki/opswiki/static"
	"github.com/opswiki/opswiki/templates"
	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
	"github.com/opswiki/opswiki/wiki/markdown"
	"github.com/opswiki/opswiki/wiki/textdiff"
	"github.com/opswiki/opswiki/wiki/web"
)

// fakeSearch answers every query with the pages whose title contains it,
// so handler tests do not depend on the search index.
type fakeSearch struct{ catalog *wiki.Catalog }

func (f fakeSearch) Search(ctx context.Context, req wiki.SearchRequest) (*wiki.SearchResult, error) {
	res := &wiki.SearchResult{Facets: map[string][]wiki.FacetCount{"kind": {{Term: "runbook", Count: 1}}}}
	for _, p := range f.catalog.Pages() {
		if strings.Contains(strings.ToLower(p.Title), strings.ToLower(req.Query)) {
			res.Hits = append(res.Hits, wiki.SearchHit{Path: p.Path.Name(), File: p.Path, Title: p.Title, Kind: p.Meta.Kind, Snippet: "a <mark>hit</mark>"})
		}
	}
	res.Total = uint64(len(res.Hits))
	return res, nil
}

// MustServer returns a test server over a new repository with files.
func MustServer(tb testing.TB, files map[string]string) *httptest.Server {
	tb.Helper()
	ts, _ := MustServerWith(tb, files, nil)
	return ts
}

// MustServerWith is MustServer with changes to the configuration and the
// parts; it also returns the server itself.
func MustServerWith(tb testing.TB, files map[string]string, configure func(*web.Config, *web.Deps)) (*httptest.Server, *web.Server) {
	tb.Helper()
	store, err := gitstore.OpenOrInit(filepath.Join(tb.TempDir(), "wiki.git"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	var changes []wiki.FileChange
	for p, c := range files {
		changes = append(changes, wiki.FileChange{Path: wiki.Path(p), Content: []byte(c)})
	}
	sig := wiki.Signature{Name: "T", Email: "t@example.com", When: time.Now()}
	if _, err := store.Commit(context.Background(), wiki.CommitRequest{Author: sig, Message: "files", Changes: changes}); err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	cat := wiki.NewCatalog()
	history := gitstore.NewHistory(store)
	f := wiki.NewFollower(store, log, time.Second, cat, history)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	if err := f.Sync(ctx); err != nil {
		tb.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) }
	cfg := web.Config{Templates: templates.FS, Static: static.FS, Log: log, Now: now, MaxPageBytes: 4096, MaxUploadBytes: 4096}
	deps := web.Deps{Store: store, Catalog: cat, Follower: f, Renderer: markdown.New(markdown.Options{ReservedIDs: web.ReservedIDs}),
		Search: fakeSearch{cat}, Editor: wiki.NewEditor(store, textdiff.Merger{Markers: textdiff.Markers{Yours: wiki.MarkerYours, Sep: wiki.MarkerSep, Theirs: wiki.MarkerTheirs}}, f, cat, wiki.Gate{MaxPageBytes: 4096, MaxFileBytes: 4096}), History: history}
	if configure != nil {
		configure(&cfg, &deps)
	}
	s, err := web.New(cfg, deps)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(s)
	tb.Cleanup(ts.Close)
	return ts, s
}

func get(tb testing.TB, ts *httptest.Server, method, path string, header ...string) (*http.Response, string) {
	tb.Helper()
	return send(tb, ts, method, path, "", nil, header...)
}

func TestAttachments(t *testing.T) {
	ts := MustServer(t, map[string]string{
		"files/logo.svg":  `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`,
		"files/page.html": `<script>alert(1)</script>`,
		"files/notes.txt": "plain notes",
		"files/blob.bin":  "\x00\x01\x02binary",
		"files/run.js":    "alert(1)",
	})
	for _, tt := range []struct {
		path, ctype, disposition string
	}{
		{"/files/logo.svg", "image/svg+xml", ""},
		{"/files/page.html", "text/plain; charset=utf-8", ""},
		{"/files/notes.txt", "text/plain; charset=utf-8", ""},
		{"/files/blob.bin", "application/octet-stream", `attachment; filename=blob.bin`},
		{"/files/run.js", "text/plain; charset=utf-8", ""},
	} {
		t.Run(tt.path, func(t *testing.T) {
			resp, _ := get(t, ts, "GET", tt.path)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tt.ctype {
				t.Fatalf("%d %q, want %q", resp.StatusCode, resp.Header.Get("Content-Type"), tt.ctype)
			}
			if got := resp.Header.Get("Content-Disposition"); got != tt.disposition {
				t.Errorf("Content-Disposition = %q, want %q", got, tt.disposition)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("attachment CSP = %q; stored files must never run script", csp)
			}
			resp2, _ := get(t, ts, "GET", tt.path, "If-None-Match", resp.Header.Get("ETag"))
			if resp2.StatusCode != http.StatusNotModified {
				t.Errorf("conditional GET = %d", resp2.StatusCode)
			}
		})
	}
}

func TestPageViews(t *testing.T) {
	ts := MustServer(t, map[string]string{
		"README.md": "# Welcome\n\nSee [[runbooks/disk-full]] and [[missing page]].\n",
		"runbooks/disk-full.md": "---\nalerts: [DiskFull]\nowner: sre\nservices: [storage]\nlast_reviewed: 2026-01-01\n" +
			"unknown_key: {a: 1, b: [x, y]}\n---\n# Disk full\n\n## Meaning\n\nThe disk is full.\n",
		"runbooks/broken.md": "---\ntitle: [oops\n---\n# Broken\n\nBody survives.\n",
	})
	for _, tt := range []struct {
		name, method, path string
		code               int
		want, not          []string
		header             []string
	}{
		{name: "Home", method: "GET", path: "/", code: 200, want: []string{`href="/runbooks/disk-full"`, `class="wikilink missing"`, "no such page"}},
		{name: "Facts", method: "GET", path: "/runbooks/disk-full", code: 200,
			want: []string{"DiskFull", `href="/-/search?q=service%3Astorage"`, "Review due", "2026-06-30", `class="fact late"`, "unknown_key", "{a: 1; b: x, y}"}},
		{name: "BrokenFrontMatter", method: "GET", path: "/runbooks/broken", code: 200,
			want: []string{"front matter is not valid YAML", "line 2", "Body survives."}, not: []string{"title: [oops"}},
		{name: "Head", method: "HEAD", path: "/runbooks/disk-full", code: 200},
		{name: "NotFoundSuggests", method: "GET", path: "/runbook/disk_full", code: 404, want: []string{"Did you mean", `href="/runbooks/disk-full"`}},
		// A letter too many, one swapped: still the runbook; the search link
		// searches for the words, and the page can be created from here.
		{name: "NotFoundTypo", method: "GET", path: "/runbooks/dsik-fulll", code: 404,
			want: []string{"Did you mean", `href="/runbooks/disk-full"`, `href="/-/search?q=dsik%20fulll"`, "Search for “dsik fulll”",
				`href="/-/new?path=runbooks%2Fdsik-fulll.md&amp;title=dsik&#43;fulll"`, "Create this page"},
			not: []string{"%2b", "%2B", "%252"}},
		{name: "NotFoundFarOff", method: "GET", path: "/runbooks/dsik-flul-now", code: 404, not: []string{"Did you mean"}},
		{name: "NotFoundJSON", method: "GET", path: "/-/api/pages/nope", code: 404, want: []string{`{"error":{"code":"not_found"`}},
		{name: "BadPath", method: "GET", path: "/-/api/pages/../../etc/passwd", code: 404},
		{name: "Search", method: "GET", path: "/-/search?q=disk", code: 200, want: []string{"a <mark>hit</mark>", `href="/runbooks/disk-full"`, `href="/-/search?q=disk&#43;kind%3Arunbook"`}},
		{name: "SearchFacetActive", method: "GET", path: "/-/search?q=disk+kind:runbook", code: 200, want: []string{`class="active"`, `href="/-/search?q=disk"`}},
		{name: "SearchTooLong", method: "GET", path: "/-/api/search?q=" + strings.Repeat("a", 1001), code: 400, want: []string{"longer than 1000"}},
		{name: "BadOffset", method: "GET", path: "/-/api/search?q=a&offset=-1", code: 400},
		{name: "OpenSearch", method: "GET", path: "/-/opensearch.xml", code: 200, want: []string{"/-/search?q={searchTerms}"}},
		{name: "ChangesPaged", method: "GET", path: "/-/changes?limit=1", code: 200, want: []string{"files"}},
		{name: "UnknownMethod", method: "DELETE", path: "/runbooks/disk-full", code: 405},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, ts, tt.method, tt.path, tt.header...)
			if resp.StatusCode != tt.code {
				t.Fatalf("%s %s = %d, want %d\n%s", tt.method, tt.path, resp.StatusCode, tt.code, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q", w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(body, w) {
					t.Errorf("body has %q", w)
				}
			}
		})
	}
}
