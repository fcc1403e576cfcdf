package markdown_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/markdown"
)

func TestCache(t *testing.T) {
	body := []byte("# T\n\n[[runbooks/disk-full]] [[runbooks/new-one]]\n")
	t.Run("Hit", func(t *testing.T) {
		r := markdown.New(markdown.Options{})
		res := newFakeResolver(defaultFiles...)
		a := mustRenderWith(t, r, "x.md", "blob1", 1, body, res)
		calls := res.calls.Load()
		b := mustRenderWith(t, r, "x.md", "blob1", 1, body, res)
		if a != b {
			t.Error("second render of the same key did not come from the cache")
		}
		if res.calls.Load() != calls {
			t.Error("a cache hit asked the resolver")
		}
	})
	t.Run("KeyParts", func(t *testing.T) {
		r := markdown.New(markdown.Options{})
		res := newFakeResolver(defaultFiles...)
		a := mustRenderWith(t, r, "x.md", "blob1", 1, body, res)
		for _, k := range []struct {
			path, blob string
			gen        uint64
		}{{"y.md", "blob1", 1}, {"x.md", "blob2", 1}, {"x.md", "blob1", 2}} {
			if b := mustRenderWith(t, r, k.path, k.blob, k.gen, body, res); a == b {
				t.Errorf("key %+v hit the entry of another key", k)
			}
		}
	})
	t.Run("GenerationPicksUpNewPage", func(t *testing.T) {
		r := markdown.New(markdown.Options{})
		res := newFakeResolver(defaultFiles...)
		a := mustRenderWith(t, r, "x.md", "blob1", 1, body, res)
		if len(a.Broken) != 1 {
			t.Fatalf("Broken = %v", a.Broken)
		}
		res.files["runbooks/new-one.md"] = true
		b := mustRenderWith(t, r, "x.md", "blob1", 2, body, res)
		if len(b.Broken) != 0 || len(b.Links) != 2 {
			t.Errorf("after the page was created: Broken = %v, Links = %v", b.Broken, b.Links)
		}
	})
	t.Run("NoBlobNoCache", func(t *testing.T) {
		r := markdown.New(markdown.Options{})
		a := mustRenderWith(t, r, "x.md", "", 1, body, nil)
		b := mustRenderWith(t, r, "x.md", "", 1, body, nil)
		if a == b {
			t.Error("a render without blob was cached")
		}
	})
	t.Run("Disabled", func(t *testing.T) {
		r := markdown.New(markdown.Options{CacheBytes: -1})
		a := mustRenderWith(t, r, "x.md", "b", 1, body, nil)
		b := mustRenderWith(t, r, "x.md", "b", 1, body, nil)
		if a == b {
			t.Error("the disabled cache kept a result")
		}
	})
	t.Run("Eviction", func(t *testing.T) {
		r := markdown.New(markdown.Options{CacheBytes: 4 << 10})
		first := mustRenderWith(t, r, "x.md", "blob0", 1, body, nil)
		for i := 1; i < 50; i++ {
			mustRenderWith(t, r, "x.md", fmt.Sprint("blob", i), 1, body, nil)
		}
		if again := mustRenderWith(t, r, "x.md", "blob0", 1, body, nil); again == first {
			t.Error("the oldest entry survived 49 newer ones in a 4 KB cache")
		}
		last := mustRenderWith(t, r, "x.md", "blob49", 1, body, nil)
		if again := mustRenderWith(t, r, "x.md", "blob49", 1, body, nil); again != last {
			t.Error("the newest entry was evicted")
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		r := markdown.New(markdown.Options{CacheBytes: 64 << 10})
		res := newFakeResolver(defaultFiles...)
		big := mustReadFile(t, "runbook.md")
		var wg sync.WaitGroup
		results := make([]*markdown.Result, 64)
		for i := range results {
			wg.Go(func() {
				blob := fmt.Sprint("blob", i%4)
				got, err := r.Render("runbooks/pg.md", blob, uint64(i%2), big, res)
				if err != nil {
					t.Error(err)
					return
				}
				results[i] = got
			})
		}
		wg.Wait()
		for i, got := range results {
			if got == nil || got.HTML != results[0].HTML {
				t.Fatalf("result %d differs", i)
			}
		}
	})
}

func mustRenderWith(tb testing.TB, r *markdown.Renderer, path, blob string, gen uint64, body []byte, res markdown.Resolver) *markdown.Result {
	tb.Helper()
	got, err := r.Render(wiki.Path(path), blob, gen, body, res)
	if err != nil {
		tb.Fatal(err)
	}
	return got
}
