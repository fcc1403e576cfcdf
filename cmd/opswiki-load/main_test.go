package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeWiki answers like opswiki: search, pages, saves; lose drops every
// save's content after acknowledging it, to check the tool notices.
func fakeWiki(t *testing.T, lose bool) *httptest.Server {
	var mu sync.Mutex
	pages := map[string]string{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/-/api/search":
			w.Write([]byte(`{"hits":[{"path":"a"},{"path":"b"}]}`))
		case r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/-/api/pages/"):
			var body struct{ Content string }
			json.NewDecoder(r.Body).Decode(&body)
			mu.Lock()
			if !lose {
				pages["/"+strings.TrimPrefix(r.URL.Path, "/-/api/pages/")+".md"] = body.Content
			}
			mu.Unlock()
			w.Write([]byte(`{"blob":"x"}`))
		case strings.HasSuffix(r.URL.Path, ".md"):
			mu.Lock()
			c, ok := pages[r.URL.Path]
			mu.Unlock()
			if !ok {
				http.NotFound(w, r)
				return
			}
			io.WriteString(w, c)
		default:
			w.Write([]byte("<html>page</html>"))
		}
	}))
}

func TestRun(t *testing.T) {
	ts := fakeWiki(t, false)
	defer ts.Close()
	var out bytes.Buffer
	r, err := run(context.Background(), ts.URL, 300*time.Millisecond, 4, "50,30,20", "", &out)
	if err != nil {
		t.Fatal(err)
	}
	if r.errors != 0 || r.lost != 0 || len(r.latencies[save]) == 0 || len(r.latencies[view]) == 0 {
		t.Fatalf("%+v\n%s", r.errs, out.String())
	}
	if !strings.Contains(out.String(), "0 of") || !strings.Contains(out.String(), "acknowledged saves lost") {
		t.Errorf("report:\n%s", out.String())
	}
	lossy := fakeWiki(t, true)
	defer lossy.Close()
	r, err = run(context.Background(), lossy.URL, 200*time.Millisecond, 2, "0,0,100", "", io.Discard)
	if err != nil || r.lost != 2 || len(r.latencies[save]) == 0 {
		t.Fatalf("lost writes not noticed: %v lost %d pages after %d saves", err, r.lost, len(r.latencies[save]))
	}
	if _, err := run(context.Background(), ts.URL, time.Millisecond, 1, "1,2", "", io.Discard); err == nil {
		t.Error("a bad mix was accepted")
	}
}
