package githttp_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/githttp"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

var ctx = context.Background()

// Repo is a seeded store served over HTTP by the git handler alone.
type Repo struct {
	Store *gitstore.Store
	Dir   string
	URL   string // the clone URL
	Logs  *syncWriter
	// Pushes counts calls of AfterPush.
	Pushes atomic.Int32
}

// MustRepo seeds a store with a few pages and serves it on 127.0.0.1.
func MustRepo(tb testing.TB, configure func(*githttp.Config)) *Repo {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "wiki.git")
	s, err := gitstore.OpenOrInit(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	files := fstest.MapFS{
		"README.md":            {Data: []byte("# Home\n\nWelcome.\n")},
		"runbooks/disk.md":     {Data: []byte("---\nowner: sre\nalerts: [DiskFull]\n---\n# Disk full\n\nDelete old logs.\n")},
		"services/checkout.md": {Data: []byte("---\nowner: payments\n---\n# Checkout\n")},
	}
	if _, err := s.Seed(ctx, files, wiki.Signature{Name: "Ada", Email: "ada@example.com", When: time.Unix(1700000000, 0)}, "Seed"); err != nil {
		tb.Fatal(err)
	}
	r := &Repo{Store: s, Dir: dir, Logs: &syncWriter{}}
	cfg := githttp.Config{Store: s, Log: slog.New(slog.NewTextHandler(r.Logs, nil)),
		AfterPush: func(context.Context) error { r.Pushes.Add(1); return nil }}
	if configure != nil {
		configure(&cfg)
	}
	h := githttp.New(cfg)
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	r.URL = srv.URL + githttp.Prefix
	return r
}

// syncWriter collects the handler's log for the test to read.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// Head returns main.
func (r *Repo) Head(tb testing.TB) string {
	tb.Helper()
	h, err := r.Store.Head(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// gitEnv is the environment of every git command: no user configuration.
func gitEnv(tb testing.TB) []string {
	return append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+tb.TempDir(), "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Bob", "GIT_AUTHOR_EMAIL=bob@example.com", "GIT_COMMITTER_NAME=Bob", "GIT_COMMITTER_EMAIL=bob@example.com")
}

// Git runs git in dir and fails the test when it fails.
func Git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	out, err := GitErr(tb, dir, args...)
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// GitErr runs git in dir and returns its output and error.
func GitErr(tb testing.TB, dir string, args ...string) (string, error) {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv(tb)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// Clone clones the repository into a new folder.
func (r *Repo) Clone(tb testing.TB) string {
	tb.Helper()
	work := filepath.Join(tb.TempDir(), "work")
	Git(tb, "", "clone", "-q", r.URL, work)
	return work
}

// Fsck runs git fsck --strict on the served repository.
func (r *Repo) Fsck(tb testing.TB) {
	tb.Helper()
	if out, err := GitErr(tb, r.Dir, "fsck", "--strict", "--no-progress", "--no-dangling"); err != nil || out != "" {
		tb.Fatalf("git fsck --strict: %v\n%s", err, out)
	}
}

func write(tb testing.TB, dir, name, content string) {
	tb.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// post sends a request body to one of the endpoints.
func post(tb testing.TB, url, contentType string, body []byte, gz bool) (int, http.Header, []byte) {
	tb.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewReader(gzipIf(body, gz)))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header, out
}

// pkt frames lines as pkt-lines; "" is a flush-pkt.
func pkt(lines ...string) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		if l == "" {
			b.WriteString("0000")
			continue
		}
		b.WriteString(hex4(len(l) + 4))
		b.WriteString(l)
	}
	return b.Bytes()
}

func hex4(n int) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[n>>12&15], digits[n>>8&15], digits[n>>4&15], digits[n&15]})
}

// readPkts splits a response into pkt-line payloads ("" for flushes),
// stopping at the first payload that is not a pkt-line.
func readPkts(b []byte) (lines []string, rest []byte) {
	for len(b) >= 4 {
		var n int
		for _, c := range b[:4] {
			v := strings.IndexByte("0123456789abcdef", c)
			if v < 0 {
				return lines, b
			}
			n = n*16 + v
		}
		if n == 0 {
			lines = append(lines, "")
			b = b[4:]
			continue
		}
		if n < 4 || n > len(b) {
			return lines, b
		}
		lines = append(lines, string(b[4:n]))
		b = b[n:]
	}
	return lines, b
}

func gzipIf(b []byte, gz bool) []byte {
	if !gz {
		return b
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// httptestRecorder serves one request without a network.
func httptestRecorder(h http.Handler, method, target string, body []byte) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, bytes.NewReader(body)))
	return rec
}
