package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRequestPath sends arbitrary paths to the server: none may fail with
// a server error, and none may serve anything but the wiki's own files.
func FuzzRequestPath(f *testing.F) {
	ts := MustServer(f, map[string]string{"README.md": "# Home\n", "runbooks/a.md": "# A\n", "img/x.png": "png"})
	for _, s := range []string{"/", "/runbooks/a", "/runbooks/a.md", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/.git/config",
		"/-/edit/../../x", "/-/api/pages/%00", "/img/x.png", "/RUNBOOKS/A", "//evil.example", "/-/alerts/%ff", "/-/history/runbooks/a?rev=..",
		"/-/diff/a?from=x&to=y", "/-/static/../../../etc/passwd", "/wiki.git/info/refs"} {
		f.Add(s)
	}
	handler := ts.Config.Handler
	f.Fuzz(func(t *testing.T, path string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest("GET", "http://wiki.test"+path, nil)
		if err != nil {
			return // not a URL a client could send
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("GET %q = %d: %s", path, rec.Code, rec.Body.String())
		}
		if body := rec.Body.String(); strings.Contains(body, "root:x:0:0") || strings.Contains(body, "[core]") {
			t.Fatalf("GET %q served a file from outside the wiki", path)
		}
	})
}
