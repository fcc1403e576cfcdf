package main_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeSeededWiki(t *testing.T) {
	s := MustServe(t, "")
	for _, tt := range []struct {
		name, path string
		code       int
		want       []string
		header     map[string]string
	}{
		{"Home", "/", 200, []string{"<title>Home · opswiki</title>", `class="tree"`, `id="q"`}, nil},
		{"Runbook", "/runbooks/checkout-high-error-rate", 200,
			[]string{"CheckoutHighErrorRate", `class="badge kind-runbook"`, `href="/services/checkout"`, `class="code-block"`, `class="crumbs"`},
			map[string]string{"Content-Type": "text/html; charset=UTF-8", "X-Content-Type-Options": "nosniff"}},
		{"Postmortem", "/postmortems/2026/2026-10-14-inc-2041-checkout-errors", 200,
			[]string{"INC-2041", `class="actions"`, "overdue", "Time to resolve"}, nil},
		{"Service", "/services/checkout", 200, []string{`class="slos"`, `href="/services/payments-db"`}, nil},
		{"FolderPage", "/runbooks", 200, []string{`class="badge kind-page"`}, nil},
		{"FolderListing", "/postmortems/2026", 200, []string{`class="listing"`, "2026-10-14-inc-2041"}, nil},
		{"Raw", "/runbooks/checkout-high-error-rate.md", 200, []string{"---\n", "alerts:"}, map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
		{"Missing", "/runbooks/no-such-runbook", 404, []string{"No page at", "runbooks/no-such-runbook.md"}, nil},
		{"Reserved", "/-/no-such-route", 404, []string{"Not Found"}, nil},
		{"Healthz", "/healthz", 200, []string{"ok"}, nil},
		{"Changes", "/-/changes", 200, []string{"Start the wiki with opswiki", "runbooks/checkout-high-error-rate.md"}, nil},
		{"SearchPage", "/-/search", 200, []string{"kind:runbook"}, nil},
		{"BadLimit", "/-/api/search?q=x&limit=100000", 400, []string{`"code":"invalid"`}, nil},
		{"APIPageMissing", "/-/api/pages/nope", 404, []string{`"code":"not_found"`}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, h, body := s.Get(t, tt.path)
			if code != tt.code {
				t.Fatalf("GET %s = %d, want %d\n%s", tt.path, code, tt.code, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s: body lacks %q", tt.path, w)
				}
			}
			for k, v := range tt.header {
				if h.Get(k) != v {
					t.Errorf("GET %s: %s = %q, want %q", tt.path, k, h.Get(k), v)
				}
			}
			if h.Get("Content-Security-Policy") == "" {
				t.Errorf("GET %s: no Content-Security-Policy", tt.path)
			}
		})
	}

	t.Run("CaseInsensitive", func(t *testing.T) {
		code, h, _ := s.Get(t, "/RUNBOOKS/Checkout-High-Error-Rate?x=1")
		if code != http.StatusFound || h.Get("Location") != "/runbooks/checkout-high-error-rate?x=1" {
			t.Fatalf("got %d Location %q", code, h.Get("Location"))
		}
	})

	t.Run("ConditionalGet", func(t *testing.T) {
		_, h, _ := s.Get(t, "/services/checkout")
		etag := h.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		req, _ := http.NewRequest("GET", s.URL+"/services/checkout", nil)
		req.Header.Set("If-None-Match", etag)
		if code, _, _ := do(t, req); code != http.StatusNotModified {
			t.Fatalf("conditional GET = %d, want 304", code)
		}
	})

	t.Run("StaticAssets", func(t *testing.T) {
		_, _, body := s.Get(t, "/")
		i := strings.Index(body, "/-/static/app.")
		if i < 0 {
			t.Fatal("no hashed app.css link")
		}
		link := body[i : i+strings.IndexByte(body[i:], '"')]
		code, h, css := s.Get(t, link)
		if code != 200 || !strings.Contains(h.Get("Cache-Control"), "immutable") || !strings.Contains(css, "prefers-color-scheme: dark") {
			t.Fatalf("GET %s = %d, Cache-Control %q", link, code, h.Get("Cache-Control"))
		}
		if code, _, _ := s.Get(t, "/-/static/app.0000.css"); code != 404 {
			t.Fatalf("unknown asset = %d, want 404", code)
		}
	})

	t.Run("Ready", func(t *testing.T) {
		s.WaitReady(t)
		_, _, body := s.Get(t, "/readyz")
		var r struct {
			Ready bool `json:"ready"`
			Views []struct {
				Name, Commit, Head string
				Ready              bool
			} `json:"views"`
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil || !r.Ready || len(r.Views) != 3 {
			t.Fatalf("readyz = %s (%v)", body, err)
		}
		for _, v := range r.Views {
			if v.Commit != v.Head || v.Commit == "" {
				t.Errorf("view %s at %q, head %q", v.Name, v.Commit, v.Head)
			}
		}
	})

	t.Run("Search", func(t *testing.T) {
		s.WaitReady(t)
		r := s.Search(t, "CheckoutHighErrorRate", 5)
		if len(r.Hits) == 0 || r.Hits[0].Path != "runbooks/checkout-high-error-rate" {
			t.Fatalf("alert search hits = %+v", r.Hits)
		}
		code, _, body := s.Get(t, "/-/search?q=checkout+kind:runbook")
		if code != 200 || !strings.Contains(body, `href="/runbooks/checkout-high-error-rate"`) || !strings.Contains(body, "<mark>") {
			t.Fatalf("search page = %d\n%s", code, body)
		}
	})

	t.Run("APIPage", func(t *testing.T) {
		code, _, body := s.Get(t, "/-/api/pages/services/checkout")
		var p struct {
			Path, Content, Blob, Commit string
			Meta                        struct{ Kind, Owner string }
			Problems                    []any
		}
		if err := json.Unmarshal([]byte(body), &p); err != nil || code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		if p.Path != "services/checkout" || p.Meta.Kind != "service" || len(p.Blob) != 40 || !strings.HasPrefix(p.Content, "---") || p.Problems == nil {
			t.Fatalf("page = %+v", p)
		}
	})
}

// TestServeRestart checks that a second start finds the wiki and its index
// as it left them and serves at once.
func TestServeRestart(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	s := MustServe(t, data)
	s.WaitReady(t)
	s.Stop(t)
	s2 := MustServe(t, data)
	code, _, body := s2.Get(t, "/readyz")
	if code != 200 {
		t.Fatalf("readyz right after restart = %d %s; the index should have been current", code, body)
	}
	if r := s2.Search(t, "CheckoutHighErrorRate", 1); len(r.Hits) != 1 {
		t.Fatalf("search after restart: %+v", r)
	}
	for _, line := range strings.Split(s2.logs.String(), "\n") {
		if strings.Contains(line, "view=search") && strings.Contains(line, "rebuild=true") {
			t.Fatalf("restart rebuilt the search index:\n%s", s2.logs.String())
		}
	}
}

func TestServeStartErrors(t *testing.T) {
	t.Run("PortInUse", func(t *testing.T) {
		s := MustServe(t, "")
		err := serveOnce(t, s.Addr(), filepath.Join(t.TempDir(), "data"))
		if err == nil || !strings.Contains(err.Error(), "already in use") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("DataNotWritable", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := serveOnce(t, "127.0.0.1:0", filepath.Join(file, "data"))
		if err == nil || !strings.Contains(err.Error(), "data directory") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("IndexInUse", func(t *testing.T) {
		s := MustServe(t, "")
		start := time.Now()
		err := serveOnce(t, "127.0.0.1:0", s.Data)
		if err == nil || !strings.Contains(err.Error(), "in use by another opswiki process") {
			t.Fatalf("err = %v", err)
		}
		t.Logf("second process gave up after %s", time.Since(start).Round(time.Millisecond))
	})
}

func TestMetrics(t *testing.T) {
	s := MustServe(t, "")
	s.WaitReady(t)
	s.Get(t, "/services/checkout")
	s.Search(t, "checkout", 5)
	if code, m := s.Put(t, "metrics-test", "# Metrics\n", "", ""); code != 200 {
		t.Fatalf("save: %d %v", code, m)
	}
	code, h, body := s.Get(t, "/metrics")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Fatalf("%d %q", code, h.Get("Content-Type"))
	}
	for _, want := range []string{
		`opswiki_http_request_duration_seconds_count{code="200",method="GET",route="/*"}`,
		`opswiki_http_request_duration_seconds_count{code="200",method="PUT",route="/-/api/pages/*"} 1`,
		`opswiki_search_duration_seconds_count 1`,
		`opswiki_commits_total{op="write"} 1`,
		`opswiki_view_ready{view="search"} 1`,
		`opswiki_view_pending_changes{view="pages"} 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
