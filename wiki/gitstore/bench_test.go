package gitstore_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// benchFiles is the size of the generated wiki the benchmarks run on, the
// size the specification's numbers are held to.
const benchFiles = 10000

func benchPath(i int) string {
	return fmt.Sprintf("section-%02d/topic-%02d/page-%04d.md", i%20, (i/20)%10, i)
}

// MustBenchRepo builds a bare repository with benchFiles pages in one
// commit using git fast-import, which writes one pack as a clone would.
func MustBenchRepo(tb testing.TB) (*gitstore.Store, string) {
	tb.Helper()
	var in strings.Builder
	writeBenchPages(&in)
	return MustFastImport(tb, in.String())
}

// writeBenchPages writes a fast-import commit on main that adds benchFiles
// pages.
func writeBenchPages(in *strings.Builder) {
	in.WriteString("commit refs/heads/main\ncommitter Bob <bob@example.com> 1700000000 +0000\ndata 4\nbig\n")
	for i := range benchFiles {
		body := fmt.Sprintf("---\ntitle: Page %d\n---\n# Page %d\n\n%s\n", i, i, strings.Repeat("Some runbook text. ", 40))
		fmt.Fprintf(in, "M 100644 inline %s\ndata %d\n%s\n", benchPath(i), len(body), body)
	}
}

// MustFastImport builds a bare repository from a git fast-import stream.
func MustFastImport(tb testing.TB, stream string) (*gitstore.Store, string) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "wiki.git")
	if err := gitstore.Init(dir); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stream)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("fast-import: %v\n%s", err, out)
	}
	s, err := gitstore.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, dir
}

// BenchmarkCommit commits one changed page into a wiki of 10,000 pages,
// including fsync of the objects and the ref.
func BenchmarkCommit(b *testing.B) {
	s, _ := MustBenchRepo(b)
	i := 0
	for b.Loop() {
		i++
		_, err := s.Commit(ctx, wiki.CommitRequest{Author: ada, Message: "edit",
			Changes: []wiki.FileChange{put(benchPath(i*7919%benchFiles), fmt.Sprintf("edit %d\n", i))}})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiff diffs a one-page change in a wiki of 10,000 pages.
func BenchmarkDiff(b *testing.B) {
	s, _ := MustBenchRepo(b)
	from := MustHead(b, s)
	to := MustCommit(b, s, from, "edit", put(benchPath(1234), "edited")).ID
	for b.Loop() {
		d, err := s.Diff(ctx, from, to)
		if err != nil || len(d) != 1 {
			b.Fatalf("diff: %v, %v", d, err)
		}
	}
}

// BenchmarkDiffAll lists a whole 10,000-page wiki as a diff from the empty
// tree, as a full reindex does.
func BenchmarkDiffAll(b *testing.B) {
	s, _ := MustBenchRepo(b)
	head := MustHead(b, s)
	for b.Loop() {
		if d, err := s.Diff(ctx, "", head); err != nil || len(d) != benchFiles {
			b.Fatalf("diff: %d, %v", len(d), err)
		}
	}
}

// BenchmarkReadFile reads one page at main.
func BenchmarkReadFile(b *testing.B) {
	s, _ := MustBenchRepo(b)
	head := MustHead(b, s)
	i := 0
	for b.Loop() {
		i++
		if _, _, err := s.ReadFile(ctx, head, wiki.Path(benchPath(i%benchFiles))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList lists the 10,000 pages with their sizes.
func BenchmarkList(b *testing.B) {
	s, _ := MustBenchRepo(b)
	head := MustHead(b, s)
	for b.Loop() {
		if l, err := s.List(ctx, head); err != nil || len(l) != benchFiles {
			b.Fatalf("list: %d, %v", len(l), err)
		}
	}
}

// BenchmarkHead reads main from disk.
func BenchmarkHead(b *testing.B) {
	s, _ := MustBenchRepo(b)
	for b.Loop() {
		MustHead(b, s)
	}
}
