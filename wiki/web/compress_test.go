package web_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// decode undoes a response's Content-Encoding.
func decode(t *testing.T, resp *http.Response, body string) string {
	t.Helper()
	var r io.Reader
	switch resp.Header.Get("Content-Encoding") {
	case "":
		return body
	case "br":
		r = brotli.NewReader(strings.NewReader(body))
	case "gzip":
		gr, err := gzip.NewReader(strings.NewReader(body))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = gr
	default:
		t.Fatalf("unknown encoding %q", resp.Header.Get("Content-Encoding"))
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s: %v", resp.Header.Get("Content-Encoding"), err)
	}
	return string(b)
}

// Every text response is compressed as the browser accepts (brotli before
// gzip), means the same once decoded, and revalidates with its weakened
// ETag; short answers, git's protocol and what the client refuses are
// sent as they are.
func TestCompression(t *testing.T) {
	body := "---\nowner: sre\nalerts: [DiskFull]\n---\n# Disk full\n\n## Mitigation\n\n" + strings.Repeat("Delete the oldest WAL segments, then check the volume again.\n\n", 40)
	ts := MustServer(t, map[string]string{"runbooks/disk-full.md": body, "README.md": "# Home\n"})

	_, plain := get(t, ts, "GET", "/runbooks/disk-full", "Accept-Encoding", "identity")
	for _, tc := range []struct {
		name, path, accept, want string
	}{
		{"PageBrotli", "/runbooks/disk-full", "gzip, deflate, br", "br"},
		{"PageGzip", "/runbooks/disk-full", "gzip", "gzip"},
		{"PagePrefersQ", "/runbooks/disk-full", "br;q=0.5, gzip;q=0.9", "gzip"},
		{"PageRefusesBrotli", "/runbooks/disk-full", "br;q=0, *", "gzip"},
		{"PageIdentity", "/runbooks/disk-full", "identity", ""},
		{"PageNone", "/runbooks/disk-full", "", ""},
		{"Search", "/-/search?q=wal", "br", "br"},
		{"JSON", "/-/api/pages/runbooks/disk-full", "gzip", "gzip"},
		{"Raw", "/runbooks/disk-full.md", "br", "br"},
		{"Redirect", "/RUNBOOKS/DISK-FULL", "br", ""},
		{"GitRefs", "/wiki.git", "gzip, br", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := []string{"Accept-Encoding", tc.accept}
			if tc.accept == "" {
				hdr = nil
			}
			resp, raw := get(t, ts, "GET", tc.path, hdr...)
			if got := resp.Header.Get("Content-Encoding"); got != tc.want {
				t.Fatalf("Content-Encoding = %q, want %q", got, tc.want)
			}
			if tc.want == "" {
				return
			}
			if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") || len(resp.Header.Values("Vary")) != 1 {
				t.Errorf("Vary = %q", resp.Header.Values("Vary"))
			}
			text := decode(t, resp, raw)
			if len(raw) >= len(text) {
				t.Errorf("%d bytes compressed to %d", len(text), len(raw))
			}
			if tc.path == "/runbooks/disk-full" {
				if text != plain {
					t.Error("the compressed page differs from the page")
				}
				etag := resp.Header.Get("ETag")
				if !strings.HasPrefix(etag, `W/"`) {
					t.Errorf("ETag of a compressed page = %q, want a weak one", etag)
				}
				if again, _ := get(t, ts, "GET", tc.path, "Accept-Encoding", tc.accept, "If-None-Match", etag); again.StatusCode != http.StatusNotModified {
					t.Errorf("revalidation with %s = %d", etag, again.StatusCode)
				}
			}
		})
	}

	// The page's rendering is compressed once: the second answer is the
	// same bytes.
	_, first := get(t, ts, "GET", "/runbooks/disk-full", "Accept-Encoding", "br")
	_, second := get(t, ts, "GET", "/runbooks/disk-full", "Accept-Encoding", "br")
	if first != second {
		t.Error("two answers of the cached page differ")
	}

	// Static assets: compressed, immutable, and 304 on revalidation.
	css := between(plain, `<link rel="stylesheet" href="`, `"`)
	resp, raw := get(t, ts, "GET", css, "Accept-Encoding", "br")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "br" || !strings.Contains(decode(t, resp, raw), "--accent") {
		t.Fatalf("stylesheet %s = %d %q", css, resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	if again, _ := get(t, ts, "GET", css, "Accept-Encoding", "br", "If-None-Match", resp.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
		t.Errorf("stylesheet revalidation = %d", again.StatusCode)
	}
	if head, b := get(t, ts, "HEAD", "/runbooks/disk-full", "Accept-Encoding", "br"); head.StatusCode != 200 || b != "" {
		t.Errorf("HEAD = %d with %d bytes", head.StatusCode, len(b))
	}
}

// between returns what lies between the first start and the end after it.
func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return s
}
