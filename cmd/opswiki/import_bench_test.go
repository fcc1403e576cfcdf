package main_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// mustWildHistory builds, with git fast-import, a repository as large
// teams have them: commits over pages in a dozen folders, branches off
// commits all along the history, annotated release tags and merges.
func mustWildHistory(tb testing.TB, commits, branches, tags int) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "source")
	Git(tb, "", "init", "-q", "-b", "main", dir)
	var s bytes.Buffer
	folders := []string{"runbooks/db", "runbooks/k8s", "runbooks/edge", "services", "postmortems/2025", "postmortems/2026", "docs", "alerts/network", "alerts/storage", "playbooks", "team", "handbook"}
	when := int64(1700000000)
	for i := 1; i <= commits; i++ {
		when += 97
		path := fmt.Sprintf("%s/page-%04d.md", folders[i%len(folders)], i%1500)
		body := fmt.Sprintf("# Page %d\n\n## Mitigation\n\nRevision %d: restart the %s consumer, then watch the lag for ten minutes.\n", i%1500, i, folders[(i*7)%len(folders)])
		msg := fmt.Sprintf("Edit %s (%d)", path, i)
		fmt.Fprintf(&s, "commit refs/heads/main\nmark :%d\ncommitter Ops Person <ops@example.com> %d +0000\ndata %d\n%s\n", i, when, len(msg), msg)
		if i > 1 && i%500 == 0 {
			// A merge of the branch made 300 commits ago back into main.
			fmt.Fprintf(&s, "merge :%d\n", i-300)
		}
		fmt.Fprintf(&s, "M 100644 inline %s\ndata %d\n%s\n", path, len(body), body)
	}
	for b := range branches {
		fmt.Fprintf(&s, "reset refs/heads/feature/%04d\nfrom :%d\n\n", b, 1+(b*commits/branches)%commits)
	}
	for t := range tags {
		msg := fmt.Sprintf("Release %d", t)
		fmt.Fprintf(&s, "tag v1.%d\nfrom :%d\ntagger Release Bot <bot@example.com> %d +0000\ndata %d\n%s\n", t, 1+(t*commits/tags)%commits, when, len(msg), msg)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir, cmd.Stdin = dir, &s
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("fast-import: %v\n%s", err, out)
	}
	return dir
}

// BenchmarkInitFromWild is opswiki init --from of a repository with 10,000
// commits, 1,500 branches and 300 annotated tags: the time to a wiki ready
// to serve (clone with history, search and history index) and the Go heap
// at its highest meanwhile.
//
//	go test ./cmd/opswiki -run '^$' -bench InitFromWild -benchtime 1x
func BenchmarkInitFromWild(b *testing.B) {
	src := mustWildHistory(b, 10000, 1500, 300)
	if n := Git(b, src, "for-each-ref", "--count=100000", "--format=x"); len(n) < 2*1800-1 {
		b.Fatalf("source has too few refs")
	}
	var peak uint64
	for b.Loop() {
		cfg := main.DefaultConfig()
		cfg.Data = filepath.Join(b.TempDir(), "data")
		m := &main.Main{Config: cfg, Stderr: io.Discard}
		runtime.GC()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
		var out bytes.Buffer
		err := m.Init(context.Background(), src, &out)
		close(stop)
		wg.Wait()
		if err != nil {
			b.Fatalf("init: %v\n%s", err, out.String())
		}
		refs := strings.Count(Git(b, filepath.Join(cfg.Data, "wiki.git"), "for-each-ref", "--format=%(refname)"), "\n") + 1
		if refs < 1+1500+300 {
			b.Fatalf("the wiki has %d refs, want main, 1,500 branches and 300 tags", refs)
		}
		b.Logf("%s", out.String())
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/import")
	b.ReportMetric(float64(peak)/(1<<20), "MB-peak-heap")
}
