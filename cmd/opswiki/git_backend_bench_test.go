package main_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/cgi"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// HTTPBackend is git's own smart HTTP server, git http-backend run as a
// CGI program, serving the repositories under a folder on 127.0.0.1: the
// baseline the clone benchmarks hold our server to (SPEC §9), and the git
// host of the upstream tests, which take it down and bring it back.
type HTTPBackend struct {
	URL string

	tb      testing.TB
	addr    string
	handler http.Handler
	mu      sync.Mutex
	srv     *http.Server
	done    chan error
}

// MustServeHTTPBackend serves root's repositories with git http-backend
// until the test ends; a repository root/NAME.git is cloned from
// URL + "/NAME.git".
func MustServeHTTPBackend(tb testing.TB, root string) *HTTPBackend {
	tb.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		tb.Fatalf("git --exec-path: %v", err)
	}
	b := &HTTPBackend{tb: tb, addr: "127.0.0.1:0", handler: &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(out)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + tb.TempDir()},
	}}
	b.Up()
	b.URL = "http://" + b.addr
	tb.Cleanup(b.Down)
	return b
}

// Up starts serving, on the address of before when it was taken down.
func (b *HTTPBackend) Up() {
	b.tb.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.srv != nil {
		return
	}
	var ln net.Listener
	var err error
	for range 50 {
		// The port of a server just stopped can take a moment to free.
		if ln, err = net.Listen("tcp", b.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		b.tb.Fatal(err)
	}
	b.addr = ln.Addr().String()
	b.srv = &http.Server{Handler: b.handler, ReadHeaderTimeout: 10 * time.Second}
	b.done = make(chan error, 1)
	go func(srv *http.Server, done chan error) { done <- srv.Serve(ln) }(b.srv, b.done)
}

// Down stops serving: connections to the address are refused, as from a
// git host that is down.
func (b *HTTPBackend) Down() {
	b.tb.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.srv.Shutdown(ctx); err != nil {
		b.tb.Errorf("stop git http-backend: %v", err)
	}
	if err := <-b.done; !errors.Is(err, http.ErrServerClosed) {
		b.tb.Errorf("git http-backend server: %v", err)
	}
	b.srv = nil
}
