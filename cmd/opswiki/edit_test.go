package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Page is the JSON of GET /-/api/pages.
type Page struct {
	Path, Content, Blob, Commit string
	Problems                    []struct {
		Line     int
		Severity string
		Message  string
	}
}

func (s *Server) Page(tb testing.TB, name string) Page {
	tb.Helper()
	code, _, body := s.Get(tb, "/-/api/pages/"+name)
	if code != 200 {
		tb.Fatalf("GET page %s: %d %s", name, code, body)
	}
	var p Page
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		tb.Fatal(err)
	}
	return p
}

// Put saves a page through the API as a script would (no Origin header).
func (s *Server) Put(tb testing.TB, name, content, base, message string) (int, map[string]any) {
	tb.Helper()
	body, _ := json.Marshal(map[string]string{"content": content, "base": base, "message": message})
	req, _ := http.NewRequest("PUT", s.URL+"/-/api/pages/"+name, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	code, _, out := do(tb, req)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		tb.Fatalf("PUT %s: %d %q", name, code, out)
	}
	return code, m
}

// TestConcurrentSaves has goroutines save one shared page and pages of
// their own at once. Every 200 must be a commit on main containing the
// saver's text, every 409 must carry the saver's text, and nothing else may
// happen; the repository must be sound afterwards.
func TestConcurrentSaves(t *testing.T) {
	s := MustServe(t, "")
	const workers, saves = 6, 8
	var lines []string
	for i := range workers {
		lines = append(lines, fmt.Sprintf("worker %d line: original", i))
	}
	shared := "# Shared\n\nheadline: original\n\n" + strings.Join(lines, "\n\n") + "\n"
	if code, m := s.Put(t, "shared", shared, "", "start"); code != 200 {
		t.Fatalf("create: %d %v", code, m)
	}
	type outcome struct {
		code   int
		commit string
		text   string
		page   string
		reply  map[string]any
	}
	results := make(chan outcome, workers*saves*2)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := fmt.Sprintf("own-%d", w)
			for i := range saves {
				// The shared page: most edits touch the worker's own line
				// (they merge); every third also rewrites the headline,
				// which conflicts with the others doing the same.
				p := s.Page(t, "shared")
				mark := fmt.Sprintf("worker %d line: save %d", w, i)
				text := replaceLinePrefix(p.Content, fmt.Sprintf("worker %d line:", w), mark)
				if i%3 == 0 {
					text = replaceLinePrefix(text, "headline:", fmt.Sprintf("headline: by worker %d save %d", w, i))
				}
				code, reply := s.Put(t, "shared", text, p.Blob, mark)
				results <- outcome{code, str(reply["commit"]), mark, "shared.md", reply}

				// A page of the worker's own: never conflicts.
				base := ""
				if i > 0 {
					base = s.Page(t, own).Blob
				}
				ownText := fmt.Sprintf("# %s\n\nsave %d\n", own, i)
				code, reply = s.Put(t, own, ownText, base, "")
				results <- outcome{code, str(reply["commit"]), ownText, own + ".md", reply}
			}
		}()
	}
	wg.Wait()
	close(results)
	repo := filepath.Join(s.Data, "wiki.git")
	onMain := map[string]bool{}
	for _, c := range strings.Split(Git(t, repo, "rev-list", "main"), "\n") {
		onMain[c] = true
	}
	var ok, conflicts int
	for r := range results {
		switch r.code {
		case 200:
			ok++
			if !onMain[r.commit] {
				t.Errorf("200 for %s with commit %s, which is not on main", r.page, r.commit)
				continue
			}
			if got := Git(t, repo, "show", r.commit+":"+r.page); !strings.Contains(got, strings.TrimSpace(r.text)) {
				t.Errorf("commit %s of %s lacks the saved text %q:\n%s", r.commit, r.page, r.text, got)
			}
		case 409:
			conflicts++
			yours := str(r.reply["yours"])
			if !strings.Contains(yours, r.text) || !strings.Contains(str(r.reply["merged_with_markers"]), "<<<<<<< your edit") {
				t.Errorf("409 without the saver's text %q: %v", r.text, r.reply)
			}
		default:
			t.Errorf("save of %s answered %d: %v", r.page, r.code, r.reply)
		}
	}
	t.Logf("%d saves committed, %d conflicts reported", ok, conflicts)
	if ok < workers*saves {
		t.Errorf("only %d saves succeeded; the pages of each worker's own should all have", ok)
	}
	if out := Git(t, repo, "fsck", "--strict"); strings.Contains(out, "error") {
		t.Fatalf("git fsck: %s", out)
	}
}

func replaceLinePrefix(text, prefix, line string) string {
	ls := strings.Split(text, "\n")
	for i, l := range ls {
		if strings.HasPrefix(l, prefix) {
			ls[i] = line
		}
	}
	return strings.Join(ls, "\n")
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
