package main_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// escapeName escapes each segment of a page name for a URL.
func escapeName(name string) string {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// refusedNames are page names whose files git refuses to check out or
// fsck refuses, or whose URLs the server's own routes take.
var refusedNames = []string{
	"h/GIT~1/z", ".git\u200c/x", ".GIT~1/u", ".gi\u200dt/y", "a/.Git/b", ".git. /c",
	"-/x", "-", "wiki.git/x", "Wiki.Git", "healthz", "metrics", "readyz", "HEALTHZ", "Metrics/index",
}

// TestWritesRefusePaths tries every refused name through the JSON API's
// save, move and attachment upload: each is refused with a client error
// that says why, nothing reaches main, and git fsck --strict stays clean.
func TestWritesRefusePaths(t *testing.T) {
	s := MustServe(t, "")
	s.WaitReady(t)
	head := s.MainCommit(t)
	check := func(t *testing.T, what string, code int, body string) {
		t.Helper()
		if code < 400 || code >= 500 {
			t.Fatalf("%s: %d %s", what, code, body)
		}
		var m map[string]any
		if json.Unmarshal([]byte(body), &m) != nil || !strings.Contains(body, "git") && !strings.Contains(body, "wiki itself") && !strings.Contains(body, "leaves") {
			t.Fatalf("%s: the refusal does not say why: %s", what, body)
		}
	}
	for _, name := range refusedNames {
		t.Run(name, func(t *testing.T) {
			code, m := s.Put(t, escapeName(name), "# Refused\n", "", "Try "+name)
			b, _ := json.Marshal(m)
			check(t, "save", code, string(b))

			body, _ := json.Marshal(map[string]string{"to": name, "message": "Move"})
			req, _ := http.NewRequest("POST", s.URL+"/-/api/move/runbooks/checkout-high-error-rate", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			code, _, out := do(t, req)
			check(t, "move", code, out)

			// An attachment goes into the page's folder: refused when the
			// folder is.
			if strings.Contains(name, "/") && name != "Metrics/index" {
				code, out = attach(t, s, escapeName(name), "diagram.png", []byte("\x89PNG\r\n\x1a\n"))
				check(t, "attach", code, out)
			}
		})
	}
	t.Run("Attachments", func(t *testing.T) {
		// Uploads lose a leading dot (.gitmodules becomes gitmodules), so
		// only the route names are left to refuse at the root.
		for _, name := range []string{"healthz", "METRICS", "Readyz"} {
			code, out := attach(t, s, "README", name, []byte("x"))
			check(t, "attach "+name, code, out)
		}
	})
	if got := s.MainCommit(t); got != head {
		t.Fatalf("main moved to %s: %s", got, Git(t, filepath.Join(s.Data, "wiki.git"), "show", "--stat", got))
	}
	s.Fsck(t)
	// A good name still saves, and its clone checks out.
	if code, m := s.Put(t, "runbooks/git-1", "# Fine\n", "", "Fine"); code != 200 {
		t.Fatalf("save: %d %v", code, m)
	}
	s.Clone(t)
	s.Fsck(t)
}

// attach uploads a file to a page through the JSON API.
func attach(t *testing.T, s *Server, page, name string, content []byte) (int, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", s.URL+"/-/api/attachments/"+page, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	code, _, out := do(t, req)
	return code, out
}

// TestWritesLeaveRefusedPaths starts from pages the rule refuses, as a
// repository brought from elsewhere may hold them: changing one is
// refused, moving one away or deleting it is not.
func TestWritesLeaveRefusedPaths(t *testing.T) {
	s := MustServe(t, "")
	s.WaitReady(t)
	work := filepath.Join(t.TempDir(), "work")
	Git(t, "", "clone", "-q", filepath.Join(s.Data, "wiki.git"), work)
	mustWrite(t, filepath.Join(work, "healthz.md"), "# Health checks\n")
	mustWrite(t, filepath.Join(work, "readyz.md"), "# Readiness\n")
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-qm", "Pages at route names")
	// Pushed to the repository on disk, which the server follows.
	Git(t, work, "push", "-q", "origin", "HEAD:main")
	waitFor(t, func() bool {
		code, _, _ := s.Get(t, "/-/api/pages/readyz")
		return code == 200
	})
	page := s.Page(t, "healthz")
	if code, m := s.Put(t, "healthz", "# Health checks, edited\n", page.Blob, "Edit"); code != 400 {
		t.Fatalf("editing a page at a route's name: %d %v", code, m)
	}
	body, _ := json.Marshal(map[string]string{"to": "runbooks/health-checks", "base": page.Blob, "message": "Move away"})
	req, _ := http.NewRequest("POST", s.URL+"/-/api/move/healthz", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if code, _, out := do(t, req); code != 200 {
		t.Fatalf("moving away: %d %s", code, out)
	}
	ready := s.Page(t, "readyz")
	req, _ = http.NewRequest("DELETE", s.URL+"/-/api/pages/readyz?base="+ready.Blob, nil)
	if code, _, out := do(t, req); code != 200 {
		t.Fatalf("deleting: %d %s", code, out)
	}
	files := Git(t, filepath.Join(s.Data, "wiki.git"), "ls-tree", "--name-only", "main")
	if strings.Contains(files, "healthz") || strings.Contains(files, "readyz") {
		t.Fatalf("left on main:\n%s", files)
	}
	s.Fsck(t)
}
