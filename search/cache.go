package search

import (
	"container/list"
	"sync"
)

// DefaultCacheSize is the number of recent results an Index keeps when
// Options.CacheSize is zero.
const DefaultCacheSize = 256

// resultCache keeps the results of recent searches. During an incident
// many people search for the same alert or error at once, and the search
// page asks again for every page of results and every facet clicked. An
// entry is valid for the index generation it was computed on; Apply moves
// the generation on, so nothing stale is ever served.
type resultCache struct {
	mu    sync.Mutex
	size  int
	ll    *list.List // front: most recently used
	items map[cacheKey]*list.Element
}

type cacheKey struct {
	query         string
	limit, offset int
	noFacets      bool
}

type cacheEntry struct {
	key cacheKey
	gen uint64
	res *Result
}

func newResultCache(size int) *resultCache {
	if size <= 0 {
		return nil
	}
	return &resultCache{size: size, ll: list.New(), items: map[cacheKey]*list.Element{}}
}

// get returns the result cached for k at generation gen.
func (c *resultCache) get(k cacheKey, gen uint64) *Result {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.items[k]
	if e == nil {
		return nil
	}
	ce := e.Value.(*cacheEntry)
	if ce.gen != gen {
		c.ll.Remove(e)
		delete(c.items, k)
		return nil
	}
	c.ll.MoveToFront(e)
	return ce.res
}

// put caches res as the result for k at generation gen.
func (c *resultCache) put(k cacheKey, gen uint64, res *Result) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.items[k]; e != nil {
		e.Value = &cacheEntry{k, gen, res}
		c.ll.MoveToFront(e)
		return
	}
	c.items[k] = c.ll.PushFront(&cacheEntry{k, gen, res})
	for c.ll.Len() > c.size {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}

// copyResult returns a copy of res a caller may change without changing
// the cached one.
func copyResult(res *Result) *Result {
	cp := *res
	cp.Hits = append([]Hit(nil), res.Hits...)
	cp.Facets = make(map[string][]FacetCount, len(res.Facets))
	for k, v := range res.Facets {
		cp.Facets[k] = append([]FacetCount(nil), v...)
	}
	return &cp
}
