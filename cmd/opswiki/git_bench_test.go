package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// BenchmarkClone measures git clone over HTTP of the 10,000-page,
// 3,000-commit wiki, with and without checking the files out.
func BenchmarkClone(b *testing.B) {
	_, data := benchWiki(b)
	s := MustServe(b, data)
	s.WaitReady(b)
	for _, mode := range []string{"Bare", "Checkout"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				dir := filepath.Join(b.TempDir(), "clone")
				args := []string{"clone", "-q", s.GitURL(), dir}
				if mode == "Bare" {
					args = []string{"clone", "-q", "--bare", s.GitURL(), dir}
				}
				Git(b, "", args...)
				b.StopTimer()
				os.RemoveAll(dir)
				b.StartTimer()
			}
		})
	}
}

// BenchmarkPush1000 changes 1,000 pages of the 10,000-page wiki in one
// commit and pushes it: push_s is how long git push takes (the server
// answers once the pages, history and search index show the push), and
// searchable_after_ms how long after git push returned the last changed
// page is found by search (SPEC §9: < 5 s).
func BenchmarkPush1000(b *testing.B) {
	_, data := benchWiki(b)
	s := MustServe(b, data)
	s.WaitReady(b)
	work := filepath.Join(b.TempDir(), "work")
	Git(b, "", "clone", "-q", s.GitURL(), work)
	var pages []string
	filepath.WalkDir(filepath.Join(work, "runbooks"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			pages = append(pages, p)
		}
		return nil
	})
	sort.Strings(pages)
	if len(pages) < 1000 {
		b.Fatalf("only %d runbooks to change", len(pages))
	}
	var push, after []time.Duration
	round := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		round++
		word := fmt.Sprintf("pushmarker%dx", round)
		for _, p := range pages[:1000] {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(f, "\nChanged in push round %d: %s.\n", round, word)
			f.Close()
		}
		Git(b, work, "commit", "-qam", fmt.Sprintf("Change 1,000 runbooks, round %d", round))
		b.StartTimer()
		start := time.Now()
		Git(b, work, "push", "-q", "origin", "main")
		returned := time.Now()
		for s.Search(b, word, 1).Total < 1000 {
			time.Sleep(time.Millisecond)
		}
		push = append(push, returned.Sub(start))
		after = append(after, time.Since(returned))
	}
	b.StopTimer()
	sum := func(d []time.Duration) (t time.Duration) {
		for _, x := range d {
			t += x
		}
		return t / time.Duration(len(d))
	}
	b.ReportMetric(sum(push).Seconds(), "push_s")
	b.ReportMetric(float64(sum(after).Microseconds())/1000, "searchable_after_ms")
	s.Fsck(b)
}
