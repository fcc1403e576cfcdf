package search

import "github.com/opswiki/opswiki/wiki"

// DefaultCacheSize is the number of recent results an Index keeps when
// Options.CacheSize is zero.
const DefaultCacheSize = 256

// Sizes of the caches of what the term dictionary says about one word:
// a few thousand distinct words cover what people search for in a while,
// and an entry is a few hundred bytes.
const (
	correctionCacheSize = 4096
	prefixCacheSize     = 4096
)

// genCache is a bounded cache of the values computed from one generation
// of the index. An entry is valid for the generation it was computed on:
// Apply moves the generation on, so nothing stale is ever served, and a
// stale entry is dropped when it is next looked up or is the least
// recently used. A nil *genCache caches nothing.
type genCache[K comparable, V any] struct {
	c *wiki.Cache[K, genValue[V]]
}

type genValue[V any] struct {
	gen uint64
	val V
}

func newGenCache[K comparable, V any](size int) *genCache[K, V] {
	if size <= 0 {
		return nil
	}
	return &genCache[K, V]{c: wiki.NewCache[K, genValue[V]](int64(size), nil)}
}

// get returns the value cached for k at generation gen.
func (c *genCache[K, V]) get(k K, gen uint64) (v V, ok bool) {
	if c == nil {
		return v, false
	}
	e, ok := c.c.Get(k)
	if !ok {
		return v, false
	}
	if e.gen != gen {
		c.c.Remove(k)
		return v, false
	}
	return e.val, true
}

// put caches v as the value for k at generation gen.
func (c *genCache[K, V]) put(k K, gen uint64, v V) {
	if c == nil {
		return
	}
	if e, ok := c.c.Get(k); ok && e.gen > gen {
		return // a search on an older snapshot finishing late
	}
	c.c.Put(k, genValue[V]{gen, v})
}

// len returns the number of entries, stale ones included.
func (c *genCache[K, V]) len() int {
	if c == nil {
		return 0
	}
	return c.c.Len()
}

// resultCache keeps the results of recent searches. During an incident
// many people search for the same alert or error at once, and the search
// page asks again for every page of results and every facet clicked.
type resultCache = genCache[cacheKey, *Result]

type cacheKey struct {
	query         string
	limit, offset int
	noFacets      bool
}

func newResultCache(size int) *resultCache { return newGenCache[cacheKey, *Result](size) }

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
