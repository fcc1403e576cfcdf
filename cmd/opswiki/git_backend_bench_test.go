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
	"testing"
	"time"
)

// HTTPBackend is git's own smart HTTP server, git http-backend run as a
// CGI program, serving the repositories under a folder on 127.0.0.1: the
// baseline the clone benchmarks hold our server to (SPEC §9).
type HTTPBackend struct {
	URL string
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
	handler := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(out)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + tb.TempDir()},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			tb.Errorf("stop git http-backend: %v", err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			tb.Errorf("git http-backend server: %v", err)
		}
	})
	return &HTTPBackend{URL: "http://" + ln.Addr().String()}
}
