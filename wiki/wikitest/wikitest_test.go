package wikitest_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki/wikitest"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestGenerateWiki(t *testing.T) {
	const pages, commits = 60, 20
	dir := filepath.Join(t.TempDir(), "a.git")
	if err := wikitest.GenerateWiki(dir, pages, commits); err != nil {
		t.Fatal(err)
	}
	files := strings.Split(git(t, dir, "ls-tree", "-r", "--name-only", "main"), "\n")
	if want := pages + len(wikitest.Services); len(files) != want {
		t.Errorf("%d files, want %d pages and a page per service", len(files), want)
	}
	if n := git(t, dir, "rev-list", "--count", "main"); n != "20" {
		t.Errorf("%s commits, want %d", n, commits)
	}
	tree := map[string]bool{}
	for _, f := range files {
		tree[f] = true
	}
	t.Run("Services", func(t *testing.T) {
		for _, svc := range wikitest.Services {
			if !tree[wikitest.ServicePath(svc)] {
				t.Errorf("no page for service %s", svc)
			}
		}
		page := git(t, dir, "show", "main:"+wikitest.ServicePath("checkout"))
		if !strings.Contains(page, "depends_on: [payments]") || !strings.Contains(page, "owner: team-checkout") {
			t.Errorf("service page:\n%s", page)
		}
	})
	t.Run("Paths", func(t *testing.T) {
		paths := wikitest.Paths(30, pages)
		if len(paths) != 30 {
			t.Fatalf("%d paths", len(paths))
		}
		for _, p := range paths {
			if !strings.HasPrefix(p, "/") || !tree[p[1:]+".md"] {
				t.Errorf("%s is not a page of the wiki", p)
			}
		}
	})
	t.Run("Runbooks", func(t *testing.T) {
		for i := range pages {
			if !wikitest.IsRunbook(i) {
				continue
			}
			name := wikitest.AlertName(i)
			path := "runbooks/" + wikitest.Services[i%len(wikitest.Services)] + "/" + name + ".md"
			if !tree[path] {
				t.Errorf("runbook %d: no %s", i, path)
			}
		}
	})
	t.Run("Reproducible", func(t *testing.T) {
		again := filepath.Join(t.TempDir(), "b.git")
		if err := wikitest.GenerateWiki(again, pages, commits); err != nil {
			t.Fatal(err)
		}
		if a, b := git(t, dir, "rev-parse", "main"), git(t, again, "rev-parse", "main"); a != b {
			t.Errorf("two generations differ: %s and %s", a, b)
		}
	})
	t.Run("BadSize", func(t *testing.T) {
		if err := wikitest.GenerateWiki(filepath.Join(t.TempDir(), "c.git"), 0, 1); err == nil {
			t.Error("a wiki of no pages was generated")
		}
	})
}

func TestQueries(t *testing.T) {
	qs := wikitest.Queries(4000, wikitest.Pages)
	if len(qs) != 4000 {
		t.Fatalf("%d queries, want 4000", len(qs))
	}
	seen := map[string]bool{}
	kinds := map[string]int{}
	for _, q := range qs {
		if seen[q.Text] {
			t.Errorf("%q twice", q.Text)
		}
		seen[q.Text] = true
		kinds[q.Kind]++
		if strings.TrimSpace(q.Text) == "" {
			t.Errorf("empty %s query", q.Kind)
		}
	}
	for _, k := range wikitest.QueryKinds {
		if kinds[k] < 4000/len(wikitest.QueryKinds)/2 {
			t.Errorf("%d %s queries of 4000", kinds[k], k)
		}
	}
	if again := wikitest.Queries(4000, wikitest.Pages); again[3999] != qs[3999] || again[17] != qs[17] {
		t.Error("two calls give different queries")
	}
	t.Run("SmallWiki", func(t *testing.T) {
		// A wiki of a few pages has few alert names: that kind runs out
		// instead of repeating them, and the other kinds go on.
		qs := wikitest.Queries(100_000, 8)
		seen := map[string]bool{}
		alerts := 0
		for _, q := range qs {
			if q.Kind == "alert" {
				alerts++
			}
			if seen[q.Text] {
				t.Fatalf("%q twice", q.Text)
			}
			seen[q.Text] = true
			if q.Kind == "alert" && !strings.HasSuffix(q.Text, "0") && !strings.HasSuffix(q.Text, "1") &&
				!strings.HasSuffix(q.Text, "4") && !strings.HasSuffix(q.Text, "5") {
				t.Errorf("alert %q is not one of the 8 pages' runbooks", q.Text)
			}
		}
		if len(qs) != 100_000 || alerts > 4 {
			t.Errorf("%d queries, %d of them alert names of a wiki with 4 runbooks", len(qs), alerts)
		}
	})
}

func TestTypo(t *testing.T) {
	tests := []struct {
		word string
		seed int
		want string
	}{
		{"latency", 0, "ltency"},
		{"latency", 1, "lattency"},
		{"latency", 2, "latnecy"},
		{"latency", 3, "latercy"},
		{"lag", 3, "lag"},
	}
	for _, tt := range tests {
		if got := wikitest.Typo(tt.word, tt.seed); got != tt.want {
			t.Errorf("Typo(%q, %d) = %q, want %q", tt.word, tt.seed, got, tt.want)
		}
	}
	for seed := range 100 {
		if got := wikitest.Typo("certificate", seed); got == "certificate" || got[0] != 'c' {
			t.Errorf("Typo(certificate, %d) = %q", seed, got)
		}
	}
}

func TestCapitalize(t *testing.T) {
	for in, want := range map[string]string{"checkout": "Checkout", "": "", "Auth": "Auth", "0x1": "0x1"} {
		if got := wikitest.Capitalize(in); got != want {
			t.Errorf("Capitalize(%q) = %q, want %q", in, got, want)
		}
	}
}
