package main_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// suggestRunbooks are alert runbooks shaped like the prometheus-operator
// ones: the alert name as file name and first heading, a spaced title.
var suggestRunbooks = map[string]string{
	"runbooks/kubernetes/KubePodCrashLooping.md": "---\ntitle: Kube Pod Crash Looping\n---\n\n# KubePodCrashLooping\n\n## Meaning\n\nPod is in CrashLoop which means the app dies or is unresponsive.\n",
	"runbooks/kubernetes/KubePodNotReady.md":     "---\ntitle: Kube Pod Not Ready\n---\n\n# KubePodNotReady\n\n## Meaning\n\nPod has been in a non-ready state for more than 15 minutes.\n",
	"notes/last-week.md":                         "# Last week\n\nKubePodCrashLooping fired twice for the payments pods.\n",
}

// MustSuggestServer starts a wiki with suggestRunbooks searchable.
func MustSuggestServer(t *testing.T) *Server {
	t.Helper()
	s := MustServe(t, "")
	MustPush(t, s, "Add pod runbooks", suggestRunbooks)
	deadline := time.Now().Add(30 * time.Second)
	for s.Search(t, "KubePodNotReady", 1).Total == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the pushed runbooks never became searchable")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// typeInHeader opens the home page, focuses the header search box with
// "/" and types text, as a person would.
func typeInHeader(t *testing.T, ctx context.Context, s *Server, text string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The scripts are deferred; the browser may give the box back its
	// focus on a reload of the same page.
	if err := waitJS(ctx, `document.readyState === 'complete' && document.getElementById('q').getAttribute('role') === 'combobox'`); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`),
		chromedp.KeyEvent("/"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitJS(ctx, `document.activeElement && document.activeElement.id === 'q'`); err != nil {
		t.Fatalf("/ did not focus the search box: %v", err)
	}
	// chromedp sends a key as keydown and a separate char event, so the
	// "/" app.js takes (and prevents) on keydown still lands in the box;
	// from a keyboard it does not.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('q').value = ''`), chromedp.KeyEvent(text)); err != nil {
		t.Fatal(err)
	}
	open := `(function () {
		var q = document.getElementById('q'), list = document.getElementById(q.getAttribute('aria-controls'));
		return q.getAttribute('aria-expanded') === 'true' && list.getAttribute('data-query') === ` + jsString(text) + ` &&
			list.querySelectorAll('[role=option]').length > 0;
	})()`
	if err := waitJS(ctx, open); err != nil {
		t.Fatalf("no suggestions for %q: %v", text, err)
	}
}

// TestBrowserSearchSuggestions types part of an alert name in the header
// box, sees the runbook suggested, and opens it with the keyboard.
func TestBrowserSearchSuggestions(t *testing.T) {
	s := MustSuggestServer(t)
	ctx := MustBrowser(t)

	t.Run("ArrowDownEnterOpens", func(t *testing.T) {
		typeInHeader(t, ctx, s, "KubePodCra")
		first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () {
			var li = document.querySelector('[role=listbox] [role=option]');
			return li.querySelector('.badge').textContent + '|' + li.querySelector('.suggest-title').textContent + '|' + li.querySelector('.suggest-path').textContent;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if first != "runbook|Kube Pod Crash Looping|/runbooks/kubernetes/KubePodCrashLooping" {
			t.Errorf("first suggestion %q", first)
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowDown)); err != nil {
			t.Fatal(err)
		}
		if err := waitJS(ctx, `(function () {
			var q = document.getElementById('q'), id = q.getAttribute('aria-activedescendant');
			return !!id && document.getElementById(id).getAttribute('aria-selected') === 'true' && document.activeElement === q;
		})()`); err != nil {
			t.Fatalf("ArrowDown did not highlight a suggestion: %v", err)
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
			t.Fatal(err)
		}
		if err := waitJS(ctx, `location.pathname === '/runbooks/kubernetes/KubePodCrashLooping' && document.querySelector('article.page') !== null`); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("Enter did not open the runbook (at %s): %v", loc, err)
		}
	})

	t.Run("ArrowsMoveAndWrap", func(t *testing.T) {
		typeInHeader(t, ctx, s, "kubepod")
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[role=listbox] [role=option]').length`))
		if err != nil || n < 2 {
			t.Fatalf("%d suggestions for kubepod (%v), want both runbooks", n, err)
		}
		active := `(document.getElementById('q').getAttribute('aria-activedescendant') || '')`
		steps := []struct {
			key  string
			want string // suffix of the active option's id, "" for none
		}{{kb.ArrowDown, "-0"}, {kb.ArrowDown, "-1"}, {kb.ArrowUp, "-0"}, {kb.ArrowUp, ""}, {kb.ArrowUp, "-" + strconv.Itoa(n-1)}}
		for i, st := range steps {
			if err := chromedp.Do(ctx, chromedp.KeyEvent(st.key)); err != nil {
				t.Fatal(err)
			}
			got, err := chromedp.Run(ctx, chromedp.Evaluate[string](active))
			if err != nil {
				t.Fatal(err)
			}
			if st.want == "" && got != "" || st.want != "" && !strings.HasSuffix(got, st.want) {
				t.Errorf("step %d: active %q, want …%s", i, got, st.want)
			}
		}
	})

	t.Run("EscapeClosesThenLeaves", func(t *testing.T) {
		typeInHeader(t, ctx, s, "kubepod")
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape)); err != nil {
			t.Fatal(err)
		}
		state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () {
			var q = document.getElementById('q');
			return q.getAttribute('aria-expanded') + '|' + document.getElementById(q.getAttribute('aria-controls')).hidden + '|' + (document.activeElement === q) + '|' + q.value;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if state != "false|true|true|kubepod" {
			t.Errorf("after one Escape: %s, want the list closed, the box focused and its text kept", state)
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape)); err != nil {
			t.Fatal(err)
		}
		if err := waitJS(ctx, `document.activeElement !== document.getElementById('q')`); err != nil {
			t.Errorf("a second Escape did not leave the box: %v", err)
		}
	})

	t.Run("EnterOpensTopSuggestion", func(t *testing.T) {
		typeInHeader(t, ctx, s, "crashloop")
		top, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('ul.suggest li .suggest-path').textContent`))
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
			t.Fatal(err)
		}
		if err := waitJS(ctx, `location.pathname === `+jsString(top)); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("Enter did not open the top suggestion %s (at %s): %v", top, loc, err)
		}
	})

	t.Run("EnterAfterEscapeSearches", func(t *testing.T) {
		typeInHeader(t, ctx, s, "crashloop")
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape), chromedp.KeyEvent(kb.Enter)); err != nil {
			t.Fatal(err)
		}
		if err := waitJS(ctx, `location.pathname === '/-/search' && new URLSearchParams(location.search).get('q') === 'crashloop' && document.querySelector('.hits') !== null`); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("Enter did not submit the search (at %s): %v", loc, err)
		}
	})

	t.Run("LateAnswerIgnored", func(t *testing.T) {
		typeInHeader(t, ctx, s, "KubePodNot")
		// The next answer is held back until after the one that follows.
		slow := `(function () {
			var real = window.fetch, calls = 0;
			window.fetch = function (url, opts) {
				var delay = ++calls === 1 ? 800 : 0;
				return new Promise(function (ok) { setTimeout(ok, delay); }).then(function () {
					return real(url, { headers: opts.headers, credentials: opts.credentials });
				});
			};
			var q = document.getElementById('q');
			q.value = 'KubePodCra';
			q.dispatchEvent(new Event('input', { bubbles: true }));
			setTimeout(function () {
				q.value = 'KubePodNot';
				q.dispatchEvent(new Event('input', { bubbles: true }));
			}, 300);
		})()`
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](slow), chromedp.Sleep(1500*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () {
			var list = document.getElementById(document.getElementById('q').getAttribute('aria-controls'));
			return list.getAttribute('data-query') + '|' + list.querySelector('.suggest-path').textContent;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if got != "KubePodNot|/runbooks/kubernetes/KubePodNotReady" {
			t.Errorf("after a late answer for an older query the list shows %q", got)
		}
	})

	t.Run("Click", func(t *testing.T) {
		typeInHeader(t, ctx, s, "KubePodNot")
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[role=listbox] [role=option]`))); err != nil {
			t.Fatal(err)
		}
		if err := waitJS(ctx, `location.pathname === '/runbooks/kubernetes/KubePodNotReady'`); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("a click did not open the runbook (at %s): %v", loc, err)
		}
	})
}

// TestSearchAPISuggest checks the API the suggestions use: suggest=1 gives
// the hits without facet counts, and the runbook for an alert comes first.
func TestSearchAPISuggest(t *testing.T) {
	s := MustSuggestServer(t)
	full := s.Search(t, "KubePodCrashLooping", 8)
	code, _, body := s.Get(t, "/-/api/search?limit=8&suggest=1&q=kubepodcrashloop")
	if code != 200 {
		t.Fatalf("suggest: %d %s", code, body)
	}
	var sugg SearchResult
	if err := json.Unmarshal([]byte(body), &sugg); err != nil {
		t.Fatal(err)
	}
	if len(full.Facets["kind"]) == 0 {
		t.Errorf("search without suggest has no facets: %+v", full.Facets)
	}
	if len(sugg.Facets) != 0 {
		t.Errorf("suggest=1 counted facets: %+v", sugg.Facets)
	}
	for name, res := range map[string]SearchResult{"search": full, "suggest": sugg} {
		if len(res.Hits) < 2 || res.Hits[0].Path != "runbooks/kubernetes/KubePodCrashLooping" {
			t.Errorf("%s: hits %+v, want the runbook first and the note after", name, res.Hits)
		}
	}
}

// TestSearchIndexLifecycle checks what happens to a damaged index: the
// server starts and serves pages at once, rebuilds the index from git in
// the background, and /readyz turns ready once search has caught up; and
// opswiki reindex rebuilds it offline, after which a start serves search
// at once without rebuilding.
func TestSearchIndexLifecycle(t *testing.T) {
	s := MustSuggestServer(t)
	s.Stop(t)
	data := s.Data

	// Garbage instead of every segment file.
	n := 0
	_ = filepath.Walk(filepath.Join(data, "index"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && filepath.Ext(p) == ".zap" {
			n++
			mustWrite(t, p, strings.Repeat("x", int(fi.Size())))
		}
		return nil
	})
	if n == 0 {
		t.Fatal("no segment files to damage")
	}
	s = MustServe(t, data)
	if code, _, _ := s.Get(t, "/runbooks/kubernetes/KubePodCrashLooping"); code != 200 {
		t.Errorf("page view while the index rebuilds: %d", code)
	}
	s.WaitReady(t)
	if r := s.Search(t, "KubePodCrashLooping", 1); len(r.Hits) != 1 || r.Hits[0].Path != "runbooks/kubernetes/KubePodCrashLooping" {
		t.Errorf("search after the rebuild: %+v", r.Hits)
	}
	if !strings.Contains(s.logs.String(), "recreating it empty") {
		t.Errorf("the damaged index was not reported:\n%s", s.logs.String())
	}
	s.Stop(t)

	cfg := main.DefaultConfig()
	cfg.Data = data
	var out strings.Builder
	if err := (&main.Main{Config: cfg, Stderr: io.Discard}).Reindex(context.Background(), &out); err != nil {
		t.Fatalf("reindex: %v\n%s", err, out.String())
	}
	s = MustServe(t, data)
	if code, _, body := s.Get(t, "/readyz"); code != 200 {
		t.Errorf("readyz right after a reindex: %d %s", code, body)
	}
	if r := s.Search(t, "kubepodnotready", 1); len(r.Hits) != 1 {
		t.Errorf("search after reindex: %+v", r.Hits)
	}
}
