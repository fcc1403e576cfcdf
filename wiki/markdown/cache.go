package markdown

import (
	"container/list"
	"errors"
	"sync"

	"github.com/opswiki/opswiki/wiki"
)

// cacheKey names one rendering: the same blob renders differently at another
// path (relative links) or generation (links to missing pages).
type cacheKey struct {
	path wiki.Path
	blob string
	gen  uint64
}

// cache is a byte-bounded LRU of results. Concurrent renders of one key
// share a single rendering: when an alert fires, the whole on-call rotation
// opens the same runbook at once.
type cache struct {
	mu       sync.Mutex
	max, cur int64
	lru      *list.List // of *cacheEntry, most recent first
	items    map[cacheKey]*list.Element
	calls    map[cacheKey]*call
}

type cacheEntry struct {
	key  cacheKey
	res  *Result
	size int64
}

// call is a rendering in progress; waiters block on done.
type call struct {
	done chan struct{}
	res  *Result
	err  error
}

var errRenderPanic = errors.New("markdown: rendering panicked")

func newCache(max int64) *cache {
	return &cache{
		max:   max,
		lru:   list.New(),
		items: make(map[cacheKey]*list.Element),
		calls: make(map[cacheKey]*call),
	}
}

// do returns the cached result for key, or renders it with fn, once however
// many goroutines ask for it at the same time.
func (c *cache) do(key cacheKey, fn func() (*Result, error)) (*Result, error) {
	c.mu.Lock()
	if el, ok := c.items[key]; ok {
		c.lru.MoveToFront(el)
		res := el.Value.(*cacheEntry).res
		c.mu.Unlock()
		return res, nil
	}
	if cl, ok := c.calls[key]; ok {
		c.mu.Unlock()
		<-cl.done
		return cl.res, cl.err
	}
	cl := &call{done: make(chan struct{})}
	c.calls[key] = cl
	c.mu.Unlock()

	defer func() {
		if cl.res == nil && cl.err == nil {
			cl.err = errRenderPanic // fn panicked; the panic goes on up this goroutine
		}
		c.mu.Lock()
		delete(c.calls, key)
		if cl.err == nil && cl.res != nil {
			c.add(key, cl.res)
		}
		c.mu.Unlock()
		close(cl.done)
	}()
	cl.res, cl.err = fn()
	return cl.res, cl.err
}

// add stores a result; c.mu is held. A result bigger than the whole cache is
// not kept, so one huge page cannot flush every runbook.
func (c *cache) add(key cacheKey, res *Result) {
	size := resultSize(key, res)
	if size > c.max {
		return
	}
	c.items[key] = c.lru.PushFront(&cacheEntry{key: key, res: res, size: size})
	c.cur += size
	for c.cur > c.max {
		el := c.lru.Back()
		e := el.Value.(*cacheEntry)
		c.lru.Remove(el)
		delete(c.items, e.key)
		c.cur -= e.size
	}
}

// resultSize estimates the memory a cached result holds.
func resultSize(key cacheKey, res *Result) int64 {
	const overhead = 256 // entry, list element, map slot, slice headers
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
	return n
}
