package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain lets the test binary serve as the ceiling server, as the
// bench runs itself for it.
func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) == "ceiling" {
		os.Exit(serveCeiling(os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// smokeArgs run every HTTP phase, briefly, on a wiki of 200 pages.
func smokeArgs(dir string, extra ...string) []string {
	return append([]string{"-dir", dir, "-pages", "200", "-commits", "60", "-quick", "-duration", "1s", "-mixed-duration", "2s",
		"-clients", "16", "-only", strings.Join(httpPhases, ",")}, extra...)
}

// TestSmoke runs the bench against a tiny generated wiki with the real
// binary: every HTTP phase must pass and report its rows. It takes about
// half a minute on 2 cores.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("the smoke test builds opswiki and loads it for about half a minute; skipped with -short")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), smokeArgs(dir, "-json"), &stdout, &stderr)
	var out struct {
		Machine  Machine
		Rows     []Row
		Failures []string
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("exit %d, output not JSON: %v\n%s\n%s", code, err, stdout.String(), stderr.String())
	}
	if code != 0 || len(out.Failures) > 0 {
		t.Fatalf("exit %d, failures %q\n%s", code, out.Failures, stderr.String())
	}
	if out.Machine.Cores < 1 || out.Machine.CPU == "" || out.Machine.LoadBefore == "" || out.Machine.LoadAfter == "" {
		t.Errorf("machine %+v", out.Machine)
	}
	want := []string{"generate the wiki", "opswiki init --from", "ceiling:", "page view, warm", "conditional GET", "search over HTTP",
		"service pages (", "service pages while", "save → commit → searchable", "30 writers", "mixed load, 90 %", "mixed load: saves",
		"resident memory", "GC share", "`git push` of", "`git clone --bare`", "start with an existing index", "start with no index"}
	for _, w := range want {
		found := false
		for _, r := range out.Rows {
			if strings.Contains(r.What, w) {
				found = true
				if r.Figure == "" || strings.HasPrefix(r.Figure, "not reported") || (r.Target != "" && r.Met == nil) {
					t.Errorf("row %+v", r)
				}
			}
		}
		if !found {
			t.Errorf("no row for %q", w)
		}
	}
	if t.Failed() {
		t.Logf("progress:\n%s", stderr.String())
	}

	t.Run("BrokenBinary", func(t *testing.T) {
		broken := filepath.Join(t.TempDir(), "opswiki")
		if err := os.WriteFile(broken, []byte("#!/bin/sh\necho this opswiki is broken >&2\nexit 3\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), smokeArgs(dir, "-opswiki", broken), &stdout, &stderr); code != 1 {
			t.Errorf("exit %d with a broken binary, want 1", code)
		}
		if !strings.Contains(stdout.String(), "setup: opswiki init: exit status 3") || !strings.Contains(stdout.String(), "this opswiki is broken") {
			t.Errorf("output:\n%s", stdout.String())
		}
	})

	t.Run("Interrupted", func(t *testing.T) {
		// The wiki generated above is reused; an interrupt in the middle
		// of the views stops every process the bench started.
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var stdout bytes.Buffer
		var stderr syncBuffer
		done := make(chan int)
		go func() { done <- run(ctx, smokeArgs(dir, "-duration", "1m"), &stdout, &stderr) }()
		for !strings.Contains(stderr.String(), "ceiling, then page views") {
			select {
			case code := <-done:
				t.Fatalf("the bench ended (exit %d) before the views:\n%s\n%s", code, stdout.String(), stderr.String())
			case <-time.After(50 * time.Millisecond):
			}
		}
		if running := processesUnder(t, dir); len(running) < 2 {
			t.Errorf("during the views, %d processes of the bench run, want the server and the ceiling: %q", len(running), running)
		}
		cancel()
		if code := <-done; code != 1 {
			t.Errorf("exit %d after an interrupt, want 1", code)
		}
		if !strings.Contains(stderr.String(), "reusing the generated wiki") || !strings.Contains(stdout.String(), "interrupted") {
			t.Errorf("output:\n%s\n%s", stdout.String(), stderr.String())
		}
		if running := processesUnder(t, dir); len(running) > 0 {
			t.Errorf("still running after the interrupt: %q", running)
		}
	})
}

// processesUnder lists the command lines of processes that run a program
// in dir or were started in it.
func processesUnder(t *testing.T, dir string) []string {
	t.Helper()
	procs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range procs {
		cmdline, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err != nil {
			continue
		}
		cwd, _ := os.Readlink(filepath.Join(p, "cwd"))
		line := strings.ReplaceAll(string(cmdline), "\x00", " ")
		if strings.Contains(line, dir) || strings.HasPrefix(cwd, dir) {
			out = append(out, line)
		}
	}
	return out
}

// syncBuffer is a buffer the bench writes progress to while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
