package gitstore_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// benchCommits is the length of the generated history, the size the
// specification's per-page history target is held to.
const benchCommits = 10000

// hotPath is a page edited by every tenth commit of the generated history.
const hotPath = "section-00/hot.md"

// MustHistoryBenchRepo builds a bare repository of benchCommits commits
// with git fast-import: benchFiles pages, then one change per commit (an
// edit of some page, an edit of hotPath, or a page deleted and another
// added). It returns the store, its directory and main.
func MustHistoryBenchRepo(tb testing.TB) (*gitstore.Store, string, string) {
	tb.Helper()
	var in strings.Builder
	writeBenchPages(&in)
	for i := 1; i < benchCommits; i++ {
		msg := fmt.Sprintf("change %d", i)
		fmt.Fprintf(&in, "commit refs/heads/main\nauthor Ada <ada@example.com> %d +0000\ncommitter Bob <bob@example.com> %d +0000\ndata %d\n%s\n",
			1700000000+i, 1700000000+i, len(msg), msg)
		switch {
		case i%10 == 0:
			body := fmt.Sprintf("# Hot\n\nrevision %d\n", i)
			fmt.Fprintf(&in, "M 100644 inline %s\ndata %d\n%s\n", hotPath, len(body), body)
		case i%100 == 1:
			fmt.Fprintf(&in, "D %s\n", benchPath(i))
			body := fmt.Sprintf("# New %d\n", i)
			fmt.Fprintf(&in, "M 100644 inline new/page-%05d.md\ndata %d\n%s\n", i, len(body), body)
		default:
			body := fmt.Sprintf("# Page\n\nedited in %d\n", i)
			fmt.Fprintf(&in, "M 100644 inline %s\ndata %d\n%s\n", benchPath(i*7919%benchFiles), len(body), body)
		}
	}
	s, dir := MustFastImport(tb, in.String())
	return s, dir, MustHead(tb, s)
}

// BenchmarkHistoryBuild builds the history index of a 10,000-commit,
// 10,000-page repository from scratch on a freshly opened store, as at
// server start, and reports the heap the index and the store's caches hold
// afterwards.
func BenchmarkHistoryBuild(b *testing.B) {
	_, dir, head := MustHistoryBenchRepo(b)
	build := func() (*gitstore.Store, *gitstore.History) {
		s, err := gitstore.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		h := gitstore.NewHistory(s)
		if err := h.Apply(ctx, wiki.Update{To: head}); err != nil {
			b.Fatal(err)
		}
		return s, h
	}
	for b.Loop() {
		s, _ := build()
		s.Close()
	}
	b.StopTimer()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, h := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
	runtime.KeepAlive(h)
	s.Close()
}

// BenchmarkPageHistory reads page histories from a built index: an ordinary
// page (one or two revisions), and the first 50 and all 1,000 revisions of
// a page every tenth commit edits.
func BenchmarkPageHistory(b *testing.B) {
	s, _, head := MustHistoryBenchRepo(b)
	h := gitstore.NewHistory(s)
	if err := h.Apply(ctx, wiki.Update{To: head}); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name  string
		path  func(i int) string
		limit int
		want  int
	}{
		{"Page", func(i int) string { return benchPath(i * 7919 % benchFiles) }, 0, 0},
		{"Hot50", func(int) string { return hotPath }, 50, 50},
		{"HotAll", func(int) string { return hotPath }, 0, benchCommits/10 - 1},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				revs, err := h.PageHistory(ctx, wiki.Path(c.path(i)), c.limit, "")
				if err != nil || len(revs) == 0 || (c.want > 0 && len(revs) != c.want) {
					b.Fatalf("PageHistory: %d revisions, %v", len(revs), err)
				}
			}
		})
	}
}
