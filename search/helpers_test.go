package search_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sort"
	"testing"

	"github.com/opswiki/opswiki/search"
	"github.com/opswiki/opswiki/wiki"
)

// MustOpen opens an index in dir and closes it when the test ends.
func MustOpen(tb testing.TB, dir string) *search.Index {
	tb.Helper()
	ix, err := search.Open(dir, search.Options{Logger: slog.New(slog.NewTextHandler(tb.Output(), nil))})
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	tb.Cleanup(func() { _ = ix.Close() })
	return ix
}

// MustOpenTemp opens a fresh index in a temporary directory.
func MustOpenTemp(tb testing.TB) *search.Index {
	tb.Helper()
	return MustOpen(tb, filepath.Join(tb.TempDir(), "index"))
}

// repo is a fake wiki tree: the documents Load returns, by path.
type repo map[wiki.Path]*wiki.Document

// put adds documents to the tree and returns their changes as Added.
func (r repo) put(kind wiki.ChangeKind, docs ...*wiki.Document) []wiki.Change {
	var cs []wiki.Change
	for _, d := range docs {
		r[d.Path] = d
		cs = append(cs, wiki.Change{Kind: kind, Path: d.Path, Blob: "b"})
	}
	return cs
}

// all lists every document as Added, as a rebuild sees the tree.
func (r repo) all() []wiki.Change {
	var cs []wiki.Change
	for p := range r {
		cs = append(cs, wiki.Change{Kind: wiki.Added, Path: p, Blob: "b"})
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Path < cs[j].Path })
	return cs
}

// update returns an Update whose Load reads from the tree.
func (r repo) update(from, to string, cs []wiki.Change) wiki.Update {
	return wiki.Update{
		From: from, To: to, Changes: cs,
		Load: func(_ context.Context, c wiki.Change) (*wiki.Document, error) {
			if d, ok := r[c.Path]; ok && c.Path.IsPage() {
				return d, nil
			}
			return nil, wiki.ErrNotFound
		},
	}
}

// MustApply applies an update or fails the test.
func MustApply(tb testing.TB, ix *search.Index, u wiki.Update) {
	tb.Helper()
	if err := ix.Apply(context.Background(), u); err != nil {
		tb.Fatalf("Apply(%s..%s): %v", u.From, u.To, err)
	}
}

// MustSearch runs a query or fails the test.
func MustSearch(tb testing.TB, ix *search.Index, q string) *search.Result {
	tb.Helper()
	res, err := ix.Search(context.Background(), search.Request{Query: q})
	if err != nil {
		tb.Fatalf("Search(%q): %v", q, err)
	}
	return res
}

// paths returns the file paths of the hits, in order.
func paths(res *search.Result) []string {
	out := []string{}
	for _, h := range res.Hits {
		out = append(out, string(h.File))
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func page(path, title, text string) *wiki.Document {
	return &wiki.Document{Path: wiki.Path(path), Title: title, Meta: wiki.Meta{Kind: wiki.KindPage}, Text: text}
}

func runbook(path, title, text string, alerts []string, services ...string) *wiki.Document {
	return &wiki.Document{
		Path: wiki.Path(path), Title: title, Text: text,
		Meta:     wiki.Meta{Kind: wiki.KindRunbook, Alerts: alerts, Services: services, Severity: "critical", Owner: "team-sre"},
		Headings: []wiki.Heading{{Level: 1, Text: title}, {Level: 2, Text: "Mitigation"}},
	}
}
