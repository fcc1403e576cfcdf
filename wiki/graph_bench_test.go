package wiki_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

// benchCatalog returns a catalog of n generated pages of every kind, linked
// to each other, and the model that made them.
func benchCatalog(b *testing.B, n int) (*wiki.Catalog, *graphModel) {
	b.Helper()
	m := &graphModel{r: rand.New(rand.NewPCG(3, 4)), files: map[wiki.Path]string{}, blobs: map[string]string{}}
	folders := []string{"services", "runbooks", "postmortems/2026", "docs"}
	for i := range n {
		p := wiki.Path(fmt.Sprintf("%s/page-%05d.md", folders[i%len(folders)], i))
		text := m.content(p) + fmt.Sprintf("\nSee [[%s/page-%05d]] and [[page-%05d]].\n", folders[(i+1)%len(folders)], (i+1)%n, (i*7)%n)
		m.files[p] = text
		m.blobs[wiki.BlobID([]byte(text))] = text
	}
	cat := wiki.NewCatalog()
	if err := cat.Apply(context.Background(), m.all("c0")); err != nil {
		b.Fatal(err)
	}
	return cat, m
}

// BenchmarkGraph measures deriving the graph: from scratch for 10,000
// pages, and for a commit changing one page of them.
func BenchmarkGraph(b *testing.B) {
	ctx := context.Background()
	b.Run("build-10k", func(b *testing.B) {
		for b.Loop() {
			benchCatalog(b, 10000)
		}
	})
	b.Run("one-page-commit-10k", func(b *testing.B) {
		cat, m := benchCatalog(b, 10000)
		p := wiki.Path("runbooks/page-00001.md")
		i := 0
		for b.Loop() {
			i++
			text := m.files[p] + fmt.Sprintf("\nEdit %d.\n", i)
			m.blobs[wiki.BlobID([]byte(text))] = text
			m.files[p] = text
			u := m.update(fmt.Sprintf("c%d", i-1), fmt.Sprintf("c%d", i), []wiki.Change{{Kind: wiki.Modified, Path: p, Blob: wiki.BlobID([]byte(text))}})
			if err := cat.Apply(ctx, u); err != nil {
				b.Fatal(err)
			}
		}
	})
}
