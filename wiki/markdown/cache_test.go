package markdown_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/markdown"
)

func TestCache(t *testing.T) {
	body := []byte("# T\n\n[[runbooks/disk-full]] [[runbooks/new-one]] [x](../docs/guide.pdf)\n")
	t.Run("Hit", func(t *testing.T) {
		r := markdown.New(markdown.Options{})
		res := newFakeResolver(defaultFiles...)
		a := mustRenderWith(t, r, "x.md", "blob1", body, res)
		b := mustRenderWith(t, r, "x.md", "blob1", body, res)
		if a != b {
			t.Error("second render of the same key did not come from the cache")
		}
	})
	t.Run("KeyParts", func(t *testing.T) {
		r := markdown.New(markdown.Options{})
		res := newFakeResolver(defaultFiles...)
		a := mustRenderWith(t, r, "x.md", "blob1", body, res)
		for _, k := range []struct{ path, blob string }{{"y.md", "blob1"}, {"x.md", "blob2"}} {
			if b := mustRenderWith(t, r, k.path, k.blob, body, res); a == b {
				t.Errorf("key %+v hit the entry of another key", k)
			}
		}
	})
	t.Run("UnrelatedChangeKeepsResult", func(t *testing.T) {
		r := markdown.New(markdown.Options{})
		res := newFakeResolver(defaultFiles...)
		a := mustRenderWith(t, r, "x.md", "blob1", body, res)
		res.add("runbooks/unrelated.md", "services/other.md")
		res.remove("services/orders-db.md")
		if b := mustRenderWith(t, r, "x.md", "blob1", body, res); a != b {
			t.Error("a change to pages the body does not link to rendered it again")
		}
	})
	t.Run("LinkedPageCreated", func(t *testing.T) {
		r := markdown.New(markdown.Options{})
		res := newFakeResolver(defaultFiles...)
		a := mustRenderWith(t, r, "x.md", "blob1", body, res)
		if len(a.Broken) != 1 || !contains1(string(a.HTML), `class="wikilink missing"`) {
			t.Fatalf("Broken = %v", a.Broken)
		}
		res.add("runbooks/new-one.md")
		b := mustRenderWith(t, r, "x.md", "blob1", body, res)
		if len(b.Broken) != 0 || len(b.Links) != 2 || contains1(string(b.HTML), "missing") {
			t.Errorf("after the page was created: Broken = %v, Links = %v\n%s", b.Broken, b.Links, b.HTML)
		}
	})
	t.Run("LinkedPageDeleted", func(t *testing.T) {
		r := markdown.New(markdown.Options{})
		res := newFakeResolver(defaultFiles...)
		a := mustRenderWith(t, r, "runbooks/x.md", "blob1", body, res)
		if len(a.Broken) != 1 {
			t.Fatalf("Broken = %v", a.Broken)
		}
		res.remove("docs/guide.pdf")
		b := mustRenderWith(t, r, "runbooks/x.md", "blob1", body, res)
		if len(b.Broken) != 2 || !contains1(string(b.HTML), `href="/docs/guide.pdf" class="missing"`) {
			t.Errorf("after the file was deleted: Broken = %v\n%s", b.Broken, b.HTML)
		}
		res.add("docs/guide.pdf")
		if c := mustRenderWith(t, r, "runbooks/x.md", "blob1", body, res); len(c.Broken) != 1 {
			t.Errorf("after the file came back: Broken = %v", c.Broken)
		}
	})
	t.Run("NoBlobNoCache", func(t *testing.T) {
		r := markdown.New(markdown.Options{})
		a := mustRenderWith(t, r, "x.md", "", body, nil)
		b := mustRenderWith(t, r, "x.md", "", body, nil)
		if a == b {
			t.Error("a render without blob was cached")
		}
	})
	t.Run("Disabled", func(t *testing.T) {
		r := markdown.New(markdown.Options{CacheBytes: -1})
		a := mustRenderWith(t, r, "x.md", "b", body, nil)
		b := mustRenderWith(t, r, "x.md", "b", body, nil)
		if a == b {
			t.Error("the disabled cache kept a result")
		}
	})
	t.Run("Eviction", func(t *testing.T) {
		r := markdown.New(markdown.Options{CacheBytes: 4 << 10})
		first := mustRenderWith(t, r, "x.md", "blob0", body, nil)
		for i := 1; i < 50; i++ {
			mustRenderWith(t, r, "x.md", fmt.Sprint("blob", i), body, nil)
		}
		if again := mustRenderWith(t, r, "x.md", "blob0", body, nil); again == first {
			t.Error("the oldest entry survived 49 newer ones in a 4 KB cache")
		}
		last := mustRenderWith(t, r, "x.md", "blob49", body, nil)
		if again := mustRenderWith(t, r, "x.md", "blob49", body, nil); again != last {
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
				got, err := r.Render(context.Background(), "runbooks/pg.md", fmt.Sprint("blob", i%4), big, res)
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

// TestCacheCancel: a render stops when its caller goes away, is not cached,
// and does not fail the callers that waited for it.
func TestCacheCancel(t *testing.T) {
	body := []byte("[a](a.md) [b](b.md)\n")
	t.Run("CallerGone", func(t *testing.T) {
		r := markdown.New(markdown.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := r.Render(ctx, "x.md", "blob", body, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if _, err := r.Render(context.Background(), "x.md", "blob", body, nil); err != nil {
			t.Fatalf("the cancelled render was cached: %v", err)
		}
	})
	t.Run("WaiterTakesOver", func(t *testing.T) {
		r := markdown.New(markdown.Options{})
		res := &blockingResolver{fakeResolver: newFakeResolver("a.md", "b.md"), entered: make(chan struct{}), release: make(chan struct{})}
		ctx, cancel := context.WithCancel(context.Background())
		leaderErr := make(chan error, 1)
		go func() {
			_, err := r.Render(ctx, "x.md", "blob", body, res)
			leaderErr <- err
		}()
		<-res.entered // the leader is rendering
		follower := make(chan *markdown.Result, 1)
		go func() {
			got, err := r.Render(context.Background(), "x.md", "blob", body, res)
			if err != nil {
				t.Error(err)
			}
			follower <- got
		}()
		cancel()
		close(res.release)
		if err := <-leaderErr; !errors.Is(err, context.Canceled) {
			t.Errorf("leader: err = %v, want context.Canceled", err)
		}
		if got := <-follower; got == nil || !contains1(string(got.HTML), `href="/a"`) {
			t.Errorf("follower got %v", got)
		}
	})
}

// blockingResolver holds the first question until released.
type blockingResolver struct {
	*fakeResolver
	once             sync.Once
	entered, release chan struct{}
}

func (b *blockingResolver) Exists(p wiki.Path) bool {
	b.once.Do(func() {
		close(b.entered)
		<-b.release
	})
	return b.fakeResolver.Exists(p)
}

func mustRenderWith(tb testing.TB, r *markdown.Renderer, path, blob string, body []byte, res markdown.Resolver) *markdown.Result {
	tb.Helper()
	got, err := r.Render(context.Background(), wiki.Path(path), blob, body, res)
	if err != nil {
		tb.Fatal(err)
	}
	return got
}
