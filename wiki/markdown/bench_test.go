package markdown_test

import (
	"context"
	"testing"

	"github.com/opswiki/opswiki/wiki/markdown"
)

// BenchmarkRender renders testdata/runbook.md (about 8 KB: headings,
// tables, bash, sql, yaml and go code, links and wiki links).
func BenchmarkRender(b *testing.B) {
	body := mustReadFile(b, "runbook.md")
	res := newFakeResolver(defaultFiles...)
	b.Run("Uncached", func(b *testing.B) {
		r := markdown.New(markdown.Options{CacheBytes: -1})
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := r.Render(context.Background(), "runbooks/pg.md", "blob", body, res); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Cached", func(b *testing.B) {
		r := markdown.New(markdown.Options{})
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := r.Render(context.Background(), "runbooks/pg.md", "blob", body, res); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CachedParallel", func(b *testing.B) {
		r := markdown.New(markdown.Options{})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := r.Render(context.Background(), "runbooks/pg.md", "blob", body, res); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
