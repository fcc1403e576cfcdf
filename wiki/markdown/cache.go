package markdown

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

// cacheKey names one rendering: the same blob renders differently at
// another path, because relative links resolve against it. What the wiki
// answered about link targets is not part of the key but checked on every
// hit (see dep).
type cacheKey struct {
	path wiki.Path
	blob string
}

// dep is one question a render asked its Resolver, with the answer it got.
// A cached result stays valid while every one of its questions gets the
// same answer, so creating, deleting or renaming the pages it links to
// renders it again, and any other change leaves it alone.
type dep struct {
	name bool // a LookupName question; otherwise Exists
	arg  string
	path wiki.Path // LookupName's answer
	ok   bool
}

// depKey is a question without its answer.
type depKey struct {
	name bool
	arg  string
}

// holds reports whether res still gives the recorded answer.
func (d dep) holds(res Resolver, from wiki.Path) bool {
	if d.name {
		p, ok := res.LookupName(from, d.arg)
		return ok == d.ok && p == d.path
	}
	return res.Exists(wiki.Path(d.arg)) == d.ok
}

// slowRetry is how long a render cut short by the time budget is served as
// plain text before it is tried again.
const slowRetry = 10 * time.Minute

// cache is a byte-bounded LRU of results. Concurrent renders of one key
// share a single rendering: when an alert fires, the whole on-call rotation
// opens the same runbook at once.
type cache struct {
	entries *wiki.Cache[cacheKey, *cacheEntry]
	mu      sync.Mutex // guards calls
	calls   map[cacheKey]*call
	now     func() time.Time
}

type cacheEntry struct {
	key     cacheKey
	r       *rendering
	size    int64
	expires time.Time // zero: never
}

// call is a rendering in progress; waiters block on done.
type call struct {
	done chan struct{}
	r    *rendering
	err  error
}

var errRenderPanic = errors.New("markdown: rendering panicked")

func newCache(max int64) *cache {
	return &cache{
		entries: wiki.NewCache(max, func(_ cacheKey, e *cacheEntry) int64 { return e.size }),
		calls:   make(map[cacheKey]*call),
		now:     time.Now,
	}
}

// do returns the cached result for key while its answers from res hold, or
// renders it with fn, once however many goroutines ask for it at the same
// time. A waiter whose own context ends stops waiting; when the goroutine
// that renders stops because its caller went away, the waiters still there
// take over.
func (c *cache) do(ctx context.Context, key cacheKey, res Resolver, fn func() (*rendering, error)) (*Result, error) {
	for {
		if e, ok := c.entries.Get(key); ok {
			if c.valid(e, key, res) {
				return e.r.res, nil
			}
			if cur, ok := c.entries.Get(key); ok && cur == e {
				c.entries.Remove(key)
			}
		}
		c.mu.Lock()
		if cl, ok := c.calls[key]; ok {
			c.mu.Unlock()
			select {
			case <-cl.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if cl.err != nil && isContextError(cl.err) && ctx.Err() == nil {
				continue
			}
			if cl.err != nil {
				return nil, cl.err
			}
			return cl.r.res, nil
		}
		cl := &call{done: make(chan struct{})}
		c.calls[key] = cl
		c.mu.Unlock()
		c.run(key, cl, fn)
		if cl.err != nil {
			return nil, cl.err
		}
		return cl.r.res, nil
	}
}

func (c *cache) run(key cacheKey, cl *call, fn func() (*rendering, error)) {
	defer func() {
		if cl.r == nil && cl.err == nil {
			cl.err = errRenderPanic // fn panicked; the panic goes on up this goroutine
		}
		if cl.err == nil {
			c.add(key, cl.r)
		}
		c.mu.Lock()
		delete(c.calls, key)
		c.mu.Unlock()
		close(cl.done)
	}()
	cl.r, cl.err = fn()
}

// valid reports whether a cached entry may be served: not expired, and
// every answer it was rendered with still the same.
func (c *cache) valid(e *cacheEntry, key cacheKey, res Resolver) bool {
	if !e.expires.IsZero() && c.now().After(e.expires) {
		return false
	}
	for _, d := range e.r.deps {
		if !d.holds(res, key.path) {
			return false
		}
	}
	return true
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// add stores a rendering; one whose notice says it should be tried again
// later expires.
func (c *cache) add(key cacheKey, r *rendering) {
	e := &cacheEntry{key: key, r: r, size: renderingSize(key, r)}
	if r.retry {
		e.expires = c.now().Add(slowRetry)
	}
	c.entries.Put(key, e)
}

// renderingSize estimates the memory a cached rendering holds.
func renderingSize(key cacheKey, r *rendering) int64 {
	const overhead = 256 // entry, list element, map slot, slice headers
	res := r.res
	n := int64(overhead + len(key.path) + len(key.blob) + len(res.HTML))
	for _, e := range res.TOC {
		n += int64(32 + len(e.ID) + len(e.Text))
	}
	for _, p := range res.Links {
		n += int64(16 + len(p))
	}
	for _, b := range res.Broken {
		n += int64(24 + len(b.Target))
	}
	for _, d := range r.deps {
		n += int64(48 + len(d.arg) + len(d.path))
	}
	return n
}
