package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// Init creates a wiki in a new or empty data directory: from the default
// content, or from an existing repository with its full history. It builds
// the search index too, so the first start is ready at once.
func (m *Main) Init(ctx context.Context, from string, stdout io.Writer) error {
	dir := m.Config.Data
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("data directory %s is not empty; init needs a new or empty directory", dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read data directory: %w", err)
	}
	if err := checkDataDir(dir); err != nil {
		return err
	}
	if from != "" {
		fmt.Fprintf(stdout, "Cloning %s into %s ...\n", from, m.repoDir())
		skipped, err := gitstore.Clone(ctx, from, m.repoDir())
		if err != nil {
			_ = os.RemoveAll(m.repoDir())
			return fmt.Errorf("init from %s: %w", from, err)
		}
		if len(skipped) > 0 {
			what := fmt.Sprintf("%d branches and tags", len(skipped))
			if len(skipped) == 1 {
				what = "1 branch or tag"
			}
			fmt.Fprintf(stdout, "Left out %s the source cannot give whole (the default branch is complete):\n", what)
			for _, r := range skipped {
				fmt.Fprintf(stdout, "  %s: %s\n", r.Name, r.Reason)
			}
		}
	}
	if err := m.openStore(ctx); err != nil {
		return err
	}
	defer m.store.Close()
	head, err := m.store.Head(ctx)
	if err != nil {
		return fmt.Errorf("the new wiki has no main branch: %w", err)
	}
	cat := wiki.NewCatalog()
	n, err := m.buildIndex(ctx, stdout, cat)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created the wiki in %s: main at %s, %d files read for the index.\n", dir, head[:12], n)
	if err := wiki.WriteRecognition(stdout, wiki.Recognise(cat, wiki.Report(cat, time.Now()))); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Start it with: opswiki serve --data %s\n", dir)
	return nil
}

// Reindex rebuilds the search index from git, offline.
func (m *Main) Reindex(ctx context.Context, stdout io.Writer) error {
	if !gitstore.IsRepository(m.repoDir()) {
		return fmt.Errorf("%s holds no wiki repository; create one with opswiki init", m.repoDir())
	}
	store, err := gitstore.Open(m.repoDir())
	if err != nil {
		return err
	}
	m.store = store
	defer store.Close()
	if err := os.RemoveAll(m.indexDir()); err != nil {
		return fmt.Errorf("remove the old index: %w", err)
	}
	n, err := m.buildIndex(ctx, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Read %d files into the index.\n", n)
	return nil
}

// buildIndex opens the index and the history index and brings both up to
// main, reporting progress, so the first start serves at once. Other
// views given (a catalog, for a summary of the pages) follow main with
// them.
func (m *Main) buildIndex(ctx context.Context, stdout io.Writer, views ...wiki.View) (int, error) {
	if err := m.openIndex(); err != nil {
		return 0, err
	}
	defer m.index.Close()
	start := time.Now()
	history := gitstore.OpenHistory(m.store, m.historyFile(), m.logger())
	f := wiki.NewFollower(m.store, m.logger(), time.Second, append([]wiki.View{m.index, history}, views...)...)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); f.Run(runCtx) }()
	err := f.Sync(ctx)
	cancel()
	<-done
	if err != nil {
		return 0, fmt.Errorf("build the search index: %w", err)
	}
	if err := history.Save(); err != nil {
		return 0, err
	}
	st := f.Status()[0]
	fmt.Fprintf(stdout, "Search index built in %s.\n", time.Since(start).Round(time.Millisecond))
	return st.Total, nil
}
