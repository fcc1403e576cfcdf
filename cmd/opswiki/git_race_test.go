package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestGitPushSaveRace has browser saves and pushes from clones race for
// main. Every save answered 200 and every push git reported as done is on
// main; every push that is not was told so by git.
func TestGitPushSaveRace(t *testing.T) {
	s := MustServe(t, "")
	const pushers, savers, rounds = 3, 3, 6
	works := make([]string, pushers)
	for i := range works {
		works[i] = s.Clone(t)
	}
	type outcome struct {
		kind, commit, text, file string
		ok                       bool
		out                      string
	}
	var mu sync.Mutex
	var results []outcome
	add := func(o outcome) {
		mu.Lock()
		defer mu.Unlock()
		results = append(results, o)
	}
	var wg sync.WaitGroup
	for w := range pushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work := works[w]
			for i := range rounds {
				if out, err := GitErr(t, work, "pull", "-q", "--rebase"); err != nil {
					t.Errorf("pull: %v\n%s", err, out)
					return
				}
				file := fmt.Sprintf("pushed/w%d/r%d.md", w, i)
				text := fmt.Sprintf("pushed by %d in round %d", w, i)
				os.MkdirAll(filepath.Join(work, "pushed", fmt.Sprintf("w%d", w)), 0o755)
				os.WriteFile(filepath.Join(work, filepath.FromSlash(file)), []byte("# Pushed\n\n"+text+"\n"), 0o644)
				GitErr(t, work, "add", "-A")
				if out, err := GitErr(t, work, "commit", "-qm", text); err != nil {
					t.Errorf("commit: %v\n%s", err, out)
					return
				}
				commit, _ := GitErr(t, work, "rev-parse", "HEAD")
				out, err := GitErr(t, work, "push", "origin", "main")
				add(outcome{kind: "push", commit: commit, text: text, file: file, ok: err == nil, out: out})
			}
		}()
	}
	for w := range savers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("saved/s%d", w)
			base := ""
			for i := range rounds {
				text := fmt.Sprintf("# Saved\n\nsaved by %d in round %d\n", w, i)
				code, reply := s.Put(t, name, text, base, fmt.Sprintf("save %d %d", w, i))
				add(outcome{kind: "save", commit: str(reply["commit"]), text: text, file: name + ".md", ok: code == 200,
					out: fmt.Sprintf("%d %v", code, reply)})
				if code == 200 {
					base = str(reply["blob"])
				}
			}
		}()
	}
	wg.Wait()
	repo := filepath.Join(s.Data, "wiki.git")
	onMain := map[string]bool{}
	for _, c := range strings.Split(Git(t, repo, "rev-list", "main"), "\n") {
		onMain[c] = true
	}
	var accepted, rejected, lostOnServer int
	for _, r := range results {
		switch {
		case r.ok:
			accepted++
			if !onMain[r.commit] {
				t.Errorf("%s accepted as %s, which is not on main: %s", r.kind, r.commit, r.out)
				continue
			}
			if got := Git(t, repo, "show", r.commit+":"+r.file); !strings.Contains(got, strings.TrimSpace(strings.TrimPrefix(r.text, "# Saved\n\n"))) {
				t.Errorf("%s of %s: commit %s lacks %q", r.kind, r.file, r.commit, r.text)
			}
		case r.kind == "push":
			rejected++
			if !strings.Contains(r.out, "rejected") {
				t.Errorf("failed push not reported as rejected:\n%s", r.out)
			}
			if onMain[r.commit] {
				t.Errorf("push of %s reported rejected but is on main", r.commit)
			}
			if strings.Contains(r.out, "[remote rejected]") {
				lostOnServer++ // main moved after git read it: the compare-and-swap said so
			}
		default:
			t.Errorf("save failed: %s", r.out)
		}
	}
	t.Logf("%d writes accepted; %d pushes rejected as stale, %d of them by the server's compare-and-swap", accepted, rejected, lostOnServer)
	// Every accepted write is in the final tree.
	tree := Git(t, repo, "ls-tree", "-r", "--name-only", "main")
	for _, r := range results {
		if r.ok && !strings.Contains(tree, r.file) {
			t.Errorf("%s missing from main", r.file)
		}
	}
	s.Fsck(t)
	var hist struct {
		Revisions []json.RawMessage `json:"revisions"`
	}
	_, _, body := s.Get(t, "/-/api/history/saved/s0")
	json.Unmarshal([]byte(body), &hist)
	if len(hist.Revisions) != rounds {
		t.Errorf("history of a saved page has %d revisions, want %d", len(hist.Revisions), rounds)
	}
}
