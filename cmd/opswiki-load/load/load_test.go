package load_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opswiki/opswiki/cmd/opswiki-load/load"
)

// FakeWiki answers like opswiki: search, pages, saves. With lose, it
// acknowledges every save and keeps none; it records every query asked.
type FakeWiki struct {
	*httptest.Server
	mu      sync.Mutex
	pages   map[string]string
	queries []string
}

func MustServeFake(tb testing.TB, lose bool) *FakeWiki {
	tb.Helper()
	f := &FakeWiki{pages: map[string]string{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/-/api/search":
			f.mu.Lock()
			f.queries = append(f.queries, r.URL.Query().Get("q"))
			f.mu.Unlock()
			w.Write([]byte(`{"hits":[{"path":"a"},{"path":"b"}]}`))
		case r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/-/api/pages/"):
			var body struct{ Content string }
			json.NewDecoder(r.Body).Decode(&body)
			f.mu.Lock()
			if !lose {
				f.pages["/"+strings.TrimPrefix(r.URL.Path, "/-/api/pages/")+".md"] = body.Content
			}
			f.mu.Unlock()
			w.Write([]byte(`{"blob":"x"}`))
		case strings.HasSuffix(r.URL.Path, ".md"):
			f.mu.Lock()
			c, ok := f.pages[r.URL.Path]
			f.mu.Unlock()
			if !ok {
				http.NotFound(w, r)
				return
			}
			io.WriteString(w, c)
		case r.URL.Path == "/missing":
			http.NotFound(w, r)
		case r.Header.Get("If-None-Match") == `"v1"`:
			w.WriteHeader(http.StatusNotModified)
		default:
			w.Write([]byte("<html>page</html>"))
		}
	}))
	tb.Cleanup(f.Close)
	return f
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	t.Run("Mixed", func(t *testing.T) {
		f := MustServeFake(t, false)
		r, err := load.Run(ctx, load.Options{URL: f.URL, Duration: 300 * time.Millisecond, Clients: 4, Mix: load.Mix{50, 30, 20}})
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() || r.View.Requests == 0 || r.Search.Requests == 0 || r.Save.Requests == 0 || r.Saved != 4 {
			t.Fatalf("%+v", r)
		}
		if r.View.P50 <= 0 || r.View.P99 < r.View.P50 || r.View.Max < r.View.P99 || r.PerSecond <= 0 {
			t.Errorf("latencies %+v", r.View)
		}
		var out strings.Builder
		r.WriteText(&out)
		if !strings.Contains(out.String(), "0 of 4 acknowledged saves lost") {
			t.Errorf("report:\n%s", out.String())
		}
	})
	t.Run("LostSaves", func(t *testing.T) {
		f := MustServeFake(t, true)
		r, err := load.Run(ctx, load.Options{URL: f.URL, Duration: 200 * time.Millisecond, Clients: 2, Mix: load.Mix{0, 0, 100}})
		if err != nil || r.Lost != 2 || r.Save.Requests == 0 || r.OK() {
			t.Fatalf("lost writes not noticed: %v %+v", err, r)
		}
	})
	t.Run("DistinctQueries", func(t *testing.T) {
		f := MustServeFake(t, false)
		qs := make([]string, 100000)
		for i := range qs {
			qs[i] = "q" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)
		}
		r, err := load.Run(ctx, load.Options{URL: f.URL, Duration: 200 * time.Millisecond, Clients: 8, Mix: load.Mix{0, 100, 0}, Queries: qs})
		if err != nil || !r.OK() {
			t.Fatal(err, r)
		}
		seen := map[string]bool{}
		for _, q := range f.queries {
			if seen[q] {
				t.Fatalf("%q asked twice of %d different queries", q, len(qs))
			}
			seen[q] = true
		}
		if r.Repeated || r.Queries != len(f.queries) {
			t.Errorf("result says %d queries (repeated %v), the wiki was asked %d", r.Queries, r.Repeated, len(f.queries))
		}
	})
	t.Run("ViewStatus", func(t *testing.T) {
		f := MustServeFake(t, false)
		r, err := load.Run(ctx, load.Options{URL: f.URL, Duration: 100 * time.Millisecond, Clients: 2, Mix: load.Mix{1, 0, 0},
			Pages: []string{"/a"}, ViewHeader: http.Header{"If-None-Match": {`"v1"`}}, ViewStatus: http.StatusNotModified})
		if err != nil || !r.OK() || r.View.Requests == 0 {
			t.Fatalf("%v %+v", err, r)
		}
		r, err = load.Run(ctx, load.Options{URL: f.URL, Duration: 100 * time.Millisecond, Clients: 2, Mix: load.Mix{1, 0, 0}, Pages: []string{"/missing"}})
		if err != nil || r.OK() || r.Failures["view 404"] != r.View.Errors || !strings.Contains(r.Examples["view 404"], "GET /missing: 404") {
			t.Fatalf("a 404 went unnoticed: %v %+v", err, r)
		}
	})
	t.Run("Unreachable", func(t *testing.T) {
		f := MustServeFake(t, false)
		f.Close()
		if _, err := load.Run(ctx, load.Options{URL: f.URL, Duration: time.Millisecond, Clients: 1, Mix: load.Mix{1, 0, 0}}); err == nil {
			t.Error("a wiki that does not answer was loaded")
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		f := MustServeFake(t, false)
		ctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(50*time.Millisecond, cancel)
		if _, err := load.Run(ctx, load.Options{URL: f.URL, Duration: time.Hour, Clients: 2, Mix: load.Mix{1, 1, 0}}); err != context.Canceled {
			t.Errorf("cancelled run returned %v", err)
		}
	})
}

func TestParseMix(t *testing.T) {
	tests := []struct {
		in   string
		want load.Mix
		ok   bool
	}{
		{"90,9,1", load.Mix{90, 9, 1}, true},
		{" 0, 100 ,0", load.Mix{0, 100, 0}, true},
		{"1,2", load.Mix{}, false},
		{"0,0,0", load.Mix{}, false},
		{"a,1,1", load.Mix{}, false},
		{"-1,1,1", load.Mix{}, false},
	}
	for _, tt := range tests {
		got, err := load.ParseMix(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseMix(%q) = %v, %v", tt.in, got, err)
		}
	}
}
