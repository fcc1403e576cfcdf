package gitstore_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki/gitstore"
)

// MustHistoryRepo builds a bare repository of pages pages added over
// commits commits, later commits editing earlier pages, with git
// fast-import, which stores each version as a delta of the one before.
func MustHistoryRepo(tb testing.TB, pages, commits int) (*gitstore.Store, string) {
	tb.Helper()
	var in strings.Builder
	perCommit := (pages + commits - 1) / commits
	next := 0
	for c := range commits {
		fmt.Fprintf(&in, "commit refs/heads/main\ncommitter Bob <bob@example.com> %d +0000\ndata 10\nchange %03d\n", 1700000000+c*60, c%1000)
		for k := range perCommit + 1 {
			i := next
			if k == perCommit || next >= pages {
				i = (c * 7919) % min(max(next, 1), pages) // an edit of an earlier page
			} else {
				next++
			}
			body := fmt.Sprintf("---\ntitle: Page %d\n---\n# Page %d\n\n%s\nRevised in change %d.\n", i, i, strings.Repeat("Some runbook text. ", 40), c)
			fmt.Fprintf(&in, "M 100644 inline %s\ndata %d\n%s\n", benchPath(i), len(body), body)
		}
	}
	return MustFastImport(tb, in.String())
}

// BenchmarkSendPack measures the pack of a clone and of fetches of the
// last commits of a 10,000-page, 3,000-commit history, written to nowhere:
// choosing the objects and copying them from the repository's pack.
func BenchmarkSendPack(b *testing.B) {
	s, dir := MustHistoryRepo(b, benchFiles, 3000)
	// The server's history index has read every commit of main through
	// the store, whose cache SendPack consults.
	if _, err := s.Log(ctx, MustHead(b, s), 0); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		have string
	}{{"Clone", ""}, {"Fetch1", "main~1"}, {"Fetch100", "main~100"}} {
		b.Run(tc.name, func(b *testing.B) {
			req := gitstore.SendRequest{Wants: []plumbing.Hash{plumbing.NewHash(Git(b, dir, "rev-parse", "main"))}, OfsDelta: true, ThinPack: true}
			if tc.have != "" {
				req.Haves = []plumbing.Hash{plumbing.NewHash(Git(b, dir, "rev-parse", tc.have))}
			}
			b.ReportAllocs()
			var st gitstore.SendStats
			for b.Loop() {
				var err error
				if st, err = s.SendPack(ctx, io.Discard, req); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(st.Objects), "objects")
			b.ReportMetric(float64(st.Reused), "reused")
			b.ReportMetric(float64(st.Bytes)/(1<<20), "MB")
			b.ReportMetric(float64(st.Objects)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}
