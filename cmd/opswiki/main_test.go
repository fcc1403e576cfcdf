package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// Server is a running opswiki for a test, on 127.0.0.1:0.
type Server struct {
	*main.Main
	URL    string
	Data   string
	cancel context.CancelFunc
	done   chan error
	logs   *lockedWriter
}

// MustServe starts the real server on a data directory (a new temporary one
// when data is ""), and stops it when the test ends.
func MustServe(tb testing.TB, data string) *Server {
	tb.Helper()
	return MustServeWith(tb, data, nil)
}

// MustServeWith is MustServe with changes to the configuration.
func MustServeWith(tb testing.TB, data string, configure func(*main.Config)) *Server {
	tb.Helper()
	if data == "" {
		data = filepath.Join(tb.TempDir(), "data")
	}
	cfg := main.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Data = data
	cfg.Poll = 50 * time.Millisecond
	if configure != nil {
		configure(&cfg)
	}
	logs := &lockedWriter{}
	m := &main.Main{Config: cfg, Stderr: logs, Ready: make(chan struct{})}
	if err := m.Config.Validate(); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{Main: m, Data: data, cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() { s.done <- m.Serve(ctx) }()
	select {
	case <-m.Ready:
	case err := <-s.done:
		cancel()
		tb.Fatalf("server did not start: %v", err)
	}
	s.URL = "http://" + m.Addr()
	tb.Cleanup(func() { s.Stop(tb) })
	return s
}

// Stop shuts the server down gracefully and reports a failed shutdown.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	if err := <-s.done; err != nil {
		tb.Errorf("serve returned %v", err)
	}
}

// Get fetches a path without following redirects.
func (s *Server) Get(tb testing.TB, path string) (int, http.Header, string) {
	tb.Helper()
	req, err := http.NewRequest("GET", s.URL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return do(tb, req)
}

func do(tb testing.TB, req *http.Request) (int, http.Header, string) {
	tb.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// SearchResult is the JSON of /-/api/search.
type SearchResult struct {
	Total uint64 `json:"total"`
	Hits  []struct {
		Path    string `json:"path"`
		Title   string `json:"title"`
		Kind    string `json:"kind"`
		Snippet string `json:"snippet"`
	} `json:"hits"`
	Facets map[string][]struct {
		Term  string `json:"term"`
		Count int    `json:"count"`
	} `json:"facets"`
}

// Search queries the JSON API.
func (s *Server) Search(tb testing.TB, q string, limit int) SearchResult {
	tb.Helper()
	code, _, body := s.Get(tb, "/-/api/search?limit="+fmt.Sprint(limit)+"&q="+url.QueryEscape(q))
	if code != 200 {
		tb.Fatalf("search %q: %d %s", q, code, body)
	}
	var r SearchResult
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		tb.Fatalf("search %q: %v in %s", q, err, body)
	}
	return r
}

// WaitReady polls /readyz until every view has caught up.
func (s *Server) WaitReady(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		code, _, body := s.Get(tb, "/readyz")
		if code == 200 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("not ready after 2 minutes: %d %s", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Git runs the real git command in dir.
func Git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+tb.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// lockedWriter lets the server log while a test reads what it wrote.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveOnce runs a server that is expected to fail at start, returning its
// error; a server that starts is stopped and reported.
func serveOnce(tb testing.TB, addr, data string) error {
	tb.Helper()
	return serveFails(tb, data, func(c *main.Config) { c.Addr = addr })
}

// serveFails starts a wiki expected to refuse to start, configured by
// configure, and returns why; one that starts is stopped and reported.
func serveFails(tb testing.TB, data string, configure func(*main.Config)) error {
	tb.Helper()
	cfg := main.DefaultConfig()
	cfg.Addr, cfg.Data = "127.0.0.1:0", data
	configure(&cfg)
	if err := cfg.Validate(); err != nil {
		return err
	}
	m := &main.Main{Config: cfg, Stderr: io.Discard, Ready: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	select {
	case err := <-done:
		if err == nil {
			tb.Fatal("the server returned without an error and without starting")
		}
		return err
	case <-m.Ready:
		cancel()
		<-done
		tb.Fatalf("the server on %s with %s started, want a start error", cfg.Addr, data)
		return nil
	}
}
