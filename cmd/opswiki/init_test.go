package main_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	main "github.com/opswiki/opswiki/cmd/opswiki"
	"github.com/opswiki/opswiki/wiki"
)

// corpora returns the markdown files of the shared corpora by repository
// path, or skips the calling test when they are absent.
func corpora(tb testing.TB) map[string][]byte {
	tb.Helper()
	root := filepath.Join("..", "..", "..", "shared", "corpora")
	files := map[string][]byte{}
	for _, sub := range []struct{ dir, into string }{
		{"prometheus-operator-runbooks/content/runbooks", "runbooks"},
		{"icco-postmortems/data", "postmortems/public"},
	} {
		dir := filepath.Join(root, sub.dir)
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			files[sub.into+"/"+filepath.ToSlash(rel)] = b
			return err
		})
		if os.IsNotExist(err) {
			tb.Skipf("shared corpora not found at %s; this test imports them", root)
		} else if err != nil {
			tb.Fatal(err)
		}
	}
	return files
}

// MustHistoryRepo builds a repository whose default branch is master, with
// the given files added one per commit and then edited until it has
// `commits` commits, using git fast-import so thousands take a second.
func MustHistoryRepo(tb testing.TB, files map[string][]byte, commits int) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "source")
	Git(tb, "", "init", "-q", "-b", "master", dir)
	var names []string
	for name := range files {
		names = append(names, name)
	}
	if len(names) == 0 {
		tb.Fatal("no files")
	}
	current := map[string][]byte{}
	var stream bytes.Buffer
	for i := 0; i < commits; i++ {
		name := names[i%len(names)]
		content := files[name]
		if i >= len(names) {
			content = append(append([]byte(nil), current[name]...), fmt.Sprintf("\nRevision %d: checked during the weekly review.\n", i)...)
		}
		current[name] = content
		msg := fmt.Sprintf("Update %s (%d)", name, i)
		fmt.Fprintf(&stream, "commit refs/heads/master\ncommitter Ops Person <ops@example.com> %d +0000\ndata %d\n%s\n", 1700000000+i*60, len(msg), msg)
		fmt.Fprintf(&stream, "M 100644 inline %s\ndata %d\n%s\n", name, len(content), content)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = dir
	cmd.Stdin = &stream
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("fast-import: %v\n%s", err, out)
	}
	return dir
}

// TestInitFrom starts a wiki from an existing repository of real runbooks
// and postmortems with thousands of commits, then checks every markdown file
// is served and found by a phrase from its body.
func TestInitFrom(t *testing.T) {
	files := corpora(t)
	for i := range 150 {
		files[fmt.Sprintf("runbooks/generated/shard-%03d.md", i)] = []byte(fmt.Sprintf(
			"# Shard %d lag\n\nThe %s reconciler falls behind when the %s queue backs up.\n", i, letters(i), letters(i+1000)))
	}
	src := MustHistoryRepo(t, files, 3000)
	if n := Git(t, src, "rev-list", "--count", "master"); n != "3000" {
		t.Fatalf("source has %s commits", n)
	}

	data := filepath.Join(t.TempDir(), "data")
	cfg := main.DefaultConfig()
	cfg.Data = data
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	m := &main.Main{Config: cfg, Stderr: io.Discard}
	var out bytes.Buffer
	if err := m.Init(context.Background(), src, &out); err != nil {
		t.Fatalf("init: %v\n%s", err, out.String())
	}
	if n := Git(t, filepath.Join(data, "wiki.git"), "rev-list", "--count", "main"); n != "3000" {
		t.Fatalf("the wiki has %s commits on main, want the full history of 3000", n)
	}
	t.Run("InitRefusesNonEmpty", func(t *testing.T) {
		m := &main.Main{Config: cfg, Stderr: io.Discard}
		if err := m.Init(context.Background(), src, io.Discard); err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("second init: %v", err)
		}
	})

	s := MustServe(t, data)
	s.WaitReady(t)
	word := regexp.MustCompile(`^[A-Za-z]{3,}$`)
	names := strings.Split(Git(t, src, "ls-tree", "-r", "--name-only", "master"), "\n")
	phrases := 0
	for _, name := range names {
		p := wiki.Path(name)
		if !p.IsPage() {
			continue
		}
		code, _, body := s.Get(t, p.URL())
		if code != 200 {
			t.Errorf("GET %s = %d", p.URL(), code)
			continue
		}
		// The phrase comes from the file as first written: later commits
		// only append the same review note to every file.
		doc := wiki.ParseDocument(p, files[name])
		if !strings.Contains(body, htmlEscape(doc.Title)) {
			t.Errorf("GET %s does not show its title %q", p.URL(), doc.Title)
		}
		phrase := findPhrase(doc.Text, word, 6)
		if phrase == "" {
			phrase = findPhrase(doc.Text, word, 4)
		}
		if phrase == "" {
			continue
		}
		phrases++
		r := s.Search(t, `"`+phrase+`"`, 100)
		found := false
		for _, h := range r.Hits {
			found = found || h.Path == p.Name()
		}
		if !found {
			t.Errorf("search for %q does not find %s (%d hits)", phrase, p, r.Total)
		}
	}
	if pages := strings.Count(strings.Join(names, "\n"), ".md"); phrases < pages*9/10 {
		t.Fatalf("only %d of %d pages had a phrase to search for", phrases, pages)
	}
	t.Logf("served %d files and found %d pages by a phrase from their body", len(names), phrases)
}

// findPhrase returns n consecutive plain words from the middle of text.
func findPhrase(text string, word *regexp.Regexp, n int) string {
	lines := strings.Split(text, "\n")
	for i := range lines {
		line := lines[(i+len(lines)/2)%len(lines)]
		fields := strings.Fields(line)
		for j := 0; j+n <= len(fields); j++ {
			ok := true
			for _, f := range fields[j : j+n] {
				ok = ok && word.MatchString(f)
			}
			if ok {
				return strings.Join(fields[j:j+n], " ")
			}
		}
	}
	return ""
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// letters spells n in the letters a to z, to make words unique to a page.
func letters(n int) string {
	s := ""
	for n++; n > 0; n /= 26 {
		s = string(rune('a'+n%26)) + s
	}
	return s + "ix"
}
