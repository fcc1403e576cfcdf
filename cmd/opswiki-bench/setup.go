package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opswiki/opswiki/wiki/wikitest"
)

// distinctQueries is how many different queries the search loads ask
// from: more than any run asks, so none is answered from a cache of
// recent results.
const distinctQueries = 60000

// setup generates or checks the wiki, builds opswiki and initialises a
// fresh data directory from the wiki.
func (b *bench) setup(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(b.source, "HEAD")); err == nil {
		if err := b.checkSource(ctx); err != nil {
			return err
		}
		b.logf("reusing the generated wiki in %s", b.source)
	} else {
		b.logf("generating a wiki of %d pages over %d commits in %s", b.pages, b.commits, b.source)
		start := time.Now()
		if err := wikitest.GenerateWiki(b.source, b.pages, b.commits); err != nil {
			return err
		}
		b.add(Row{What: fmt.Sprintf("generate the wiki (%s pages, %s commits) with git fast-import, when -dir holds none", num(float64(b.pages), 0), num(float64(b.commits), 0)),
			Figure: sec(time.Since(start).Seconds()), Reproduce: repro("startup")})
	}
	if b.binary == "" {
		b.binary = filepath.Join(b.work, "opswiki")
		b.logf("go build -o %s ./cmd/opswiki", b.binary)
		if out, err := b.output(ctx, b.root, "go", "build", "-o", b.binary, "./cmd/opswiki"); err != nil {
			return fmt.Errorf("go build ./cmd/opswiki: %w\n%s", err, tail(out, 20))
		}
	} else if abs, err := filepath.Abs(b.binary); err == nil {
		b.binary = abs
	}
	if err := os.RemoveAll(b.data); err != nil {
		return err
	}
	b.logf("opswiki init --data %s --from %s", b.data, b.source)
	start := time.Now()
	if out, err := b.output(ctx, b.work, b.binary, "init", "--data", b.data, "--from", b.source); err != nil {
		return fmt.Errorf("opswiki init: %w\n%s", err, tail(out, 20))
	}
	b.add(Row{What: "`opswiki init --from` the generated wiki (clone with history, full index), before the HTTP phases of every run", Figure: sec(time.Since(start).Seconds()),
		Reproduce: repro("startup")})
	b.viewPaths = wikitest.Paths(b.viewPages, b.pages)
	b.queryKinds = wikitest.Queries(distinctQueries, b.pages)
	for _, q := range b.queryKinds {
		b.queries = append(b.queries, q.Text)
	}
	return nil
}

// checkSource makes sure a reused wiki is what the generator makes for
// the settings of this run.
func (b *bench) checkSource(ctx context.Context) error {
	out, err := b.output(ctx, b.source, "git", "ls-tree", "-r", "--name-only", "main")
	if err != nil {
		return fmt.Errorf("read the generated wiki in %s: %w: %s", b.source, err, tail(out, 5))
	}
	files := strings.Count(string(out), "\n")
	hasServices := strings.Contains(string(out), wikitest.ServicePath(wikitest.Services[0])+"\n")
	out, err = b.output(ctx, b.source, "git", "rev-list", "--count", "main")
	if err != nil {
		return fmt.Errorf("count the commits of %s: %w", b.source, err)
	}
	commits := strings.TrimSpace(string(out))
	if want := b.pages + len(wikitest.Services); files != want || !hasServices || commits != fmt.Sprint(b.commits) {
		return fmt.Errorf("%s holds %d files over %s commits, not the %d pages, %d service pages and %d commits asked for: remove it to generate the wiki again, or give -pages and -commits as it was made",
			b.source, files, commits, b.pages, len(wikitest.Services), b.commits)
	}
	return nil
}
