package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCommitFromOutside pushes to the bare repository on disk with the real
// git command, as another tool or a person on the server would, and waits
// for the change to be served and searchable without a restart.
func TestCommitFromOutside(t *testing.T) {
	s := MustServe(t, "")
	s.WaitReady(t)
	work := filepath.Join(t.TempDir(), "work")
	Git(t, "", "clone", "-q", filepath.Join(s.Data, "wiki.git"), work)

	page := "---\ntitle: Disk almost full\nkind: runbook\nservices: [checkout]\nalerts: [NodeDiskAlmostFull]\nowner: sre\n---\n" +
		"# Disk almost full\n\nWhen the quokka-compactor stalls, the volume fills up.\n\n![graph](img/graph.png)\n"
	mustWrite(t, filepath.Join(work, "runbooks", "disk-almost-full.md"), page)
	mustWrite(t, filepath.Join(work, "runbooks", "img", "graph.png"), "\x89PNG\r\n\x1a\nnot really an image")
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-q", "-m", "Add the disk runbook")
	pushed := time.Now()
	Git(t, work, "push", "-q", "origin", "HEAD:main")

	visible := waitFor(t, func() bool {
		code, _, _ := s.Get(t, "/runbooks/disk-almost-full")
		return code == 200
	})
	searchable := waitFor(t, func() bool {
		r := s.Search(t, "quokka-compactor", 5)
		return len(r.Hits) > 0 && r.Hits[0].Path == "runbooks/disk-almost-full"
	})
	t.Logf("pushed page visible after %s, searchable after %s", visible.Sub(pushed).Round(time.Millisecond), searchable.Sub(pushed).Round(time.Millisecond))

	code, h, body := s.Get(t, "/runbooks/img/graph.png")
	if code != 200 || h.Get("Content-Type") != "image/png" || !strings.HasPrefix(body, "\x89PNG") {
		t.Fatalf("attachment: %d %q", code, h.Get("Content-Type"))
	}
	_, _, html := s.Get(t, "/runbooks/disk-almost-full")
	if !strings.Contains(html, `src="/runbooks/img/graph.png"`) {
		t.Errorf("relative image not resolved to its file:\n%s", html)
	}

	// Modify one page and delete another in one push: both show.
	mustWrite(t, filepath.Join(work, "runbooks", "disk-almost-full.md"), strings.Replace(page, "quokka-compactor", "wombat-janitor", 1))
	Git(t, work, "rm", "-q", "runbooks/img/graph.png")
	Git(t, work, "commit", "-q", "-am", "Rename the compactor")
	Git(t, work, "push", "-q", "origin", "HEAD:main")
	waitFor(t, func() bool {
		r := s.Search(t, "wombat-janitor", 5)
		return len(r.Hits) == 1
	})
	if r := s.Search(t, "quokka-compactor", 5); len(r.Hits) != 0 {
		t.Errorf("old text still found: %+v", r.Hits)
	}
	if code, _, _ := s.Get(t, "/runbooks/img/graph.png"); code != 404 {
		t.Errorf("deleted attachment = %d, want 404", code)
	}
}

// waitFor polls cond until it holds, and returns when it first did. It
// fails the test only after a generous minute, so a slow CI machine does
// not fail it; the time it took is what the test reports.
func waitFor(t *testing.T, cond func() bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Now()
}

func mustWrite(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}
