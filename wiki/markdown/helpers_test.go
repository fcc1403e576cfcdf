package markdown_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/markdown"
)

// fakeResolver knows a fixed set of repository files.
type fakeResolver struct {
	files map[wiki.Path]bool
	calls atomic.Int64
}

func newFakeResolver(paths ...wiki.Path) *fakeResolver {
	f := &fakeResolver{files: map[wiki.Path]bool{}}
	for _, p := range paths {
		f.files[p] = true
		for d := p.Dir(); d != ""; d = d.Dir() {
			f.files[d] = true // folders exist too
		}
	}
	return f
}

// add creates files, remove deletes them, as commits would.
func (f *fakeResolver) add(paths ...wiki.Path) {
	for _, p := range paths {
		f.files[p] = true
		for d := p.Dir(); d != ""; d = d.Dir() {
			f.files[d] = true
		}
	}
}

func (f *fakeResolver) remove(paths ...wiki.Path) {
	for _, p := range paths {
		delete(f.files, p)
	}
}

func (f *fakeResolver) Exists(p wiki.Path) bool {
	f.calls.Add(1)
	return f.files[p]
}

// LookupName resolves by page name, exactly, then as a folder page, then
// case-insensitively, then by the file name turned into words ("Disk Full").
func (f *fakeResolver) LookupName(_ wiki.Path, target string) (wiki.Path, bool) {
	f.calls.Add(1)
	if p, err := wiki.PathFromName(target); err == nil && f.files[p] {
		return p, true
	}
	for _, n := range wiki.IndexNames() {
		if p := wiki.Path(target).Join(n); f.files[p] {
			return p, true
		}
	}
	want := strings.ToLower(strings.ReplaceAll(target, " ", "-"))
	for p := range f.files {
		if !p.IsPage() {
			continue
		}
		name := strings.ToLower(p.Name())
		if name == want || strings.ToLower(p.FileTitle()) == want {
			return p, true
		}
	}
	return "", false
}

// defaultFiles is the repository most tests render against.
var defaultFiles = []wiki.Path{
	"README.md",
	"runbooks/README.md",
	"runbooks/disk-full.md",
	"runbooks/escalation.md",
	"runbooks/db/replication-lag.md",
	"runbooks/db/diagram.png",
	"services/orders-db.md",
	"services/api/index.md",
	"docs/guide.pdf",
	"docs/my page.md",
}

// mustRender renders body as the page at path against the default files.
func mustRender(tb testing.TB, path wiki.Path, body string) *markdown.Result {
	tb.Helper()
	r := markdown.New(markdown.Options{CacheBytes: -1})
	res, err := r.Render(context.Background(), path, "", []byte(body), newFakeResolver(defaultFiles...))
	if err != nil {
		tb.Fatalf("Render(%q): %v", body, err)
	}
	return res
}

// mustHTML renders body at runbooks/db/page.md and returns the HTML.
func mustHTML(tb testing.TB, body string) string {
	tb.Helper()
	return string(mustRender(tb, "runbooks/db/page.md", body).HTML)
}

func mustReadFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// stripFrontMatter removes a leading "---" block, as the domain package does
// before it hands a body to the renderer.
func stripFrontMatter(b []byte) []byte {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	if !strings.HasPrefix(s, "---\n") {
		return []byte(s)
	}
	end := strings.Index(s[4:], "\n---")
	if end < 0 {
		return []byte(s)
	}
	rest := s[4+end+4:]
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[i+1:]
	} else {
		rest = ""
	}
	return []byte(rest)
}

func contains(tb testing.TB, out string, wants ...string) {
	tb.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			tb.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func contains1(out, want string) bool { return strings.Contains(out, want) }

func lacks(tb testing.TB, out string, bad ...string) {
	tb.Helper()
	for _, b := range bad {
		if strings.Contains(out, b) {
			tb.Errorf("output has %q:\n%s", b, out)
		}
	}
}
