package wiki

import "sync"

// Cache is the wiki's one cache: a map bounded by weight that drops the
// least recently used entries first, safe for concurrent use. Everything
// cached is derived from content that never changes under its key
// (objects by id, pages by blob and what they depend on), so entries never
// go stale; the bound only keeps memory in check. A nil *Cache caches
// nothing.
type Cache[K comparable, V any] struct {
	mu     sync.Mutex
	max    int64
	total  int64
	weight func(K, V) int64
	drop   func(K, V)
	items  map[K]*cacheEntry[K, V]
	head   cacheEntry[K, V] // sentinel: head.next is the most recent entry
}

type cacheEntry[K comparable, V any] struct {
	key        K
	val        V
	w          int64
	prev, next *cacheEntry[K, V]
}

// NewCache returns a cache holding entries of at most max total weight. weight
// gives an entry's weight (bytes, say); nil counts every entry as 1. An
// entry heavier than a quarter of max is not kept, so one large value
// cannot empty the cache.
func NewCache[K comparable, V any](max int64, weight func(K, V) int64) *Cache[K, V] {
	c := &Cache[K, V]{max: max, weight: weight, items: make(map[K]*cacheEntry[K, V])}
	c.head.next, c.head.prev = &c.head, &c.head
	return c
}

// OnDrop sets a function told of every entry that leaves the cache
// (dropped for room, replaced or removed), for a cache that owns its
// values' memory and reuses it. It is called with the cache locked and
// must not use the cache. Set it before the cache is used.
func (c *Cache[K, V]) OnDrop(fn func(K, V)) { c.drop = fn }

// Get returns the value cached under k.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	if c == nil {
		var zero V
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.unlink(e)
	c.pushFront(e)
	return e.val, true
}

// Put caches v under k, replacing what was there, and drops the least
// recently used entries beyond the bound.
func (c *Cache[K, V]) Put(k K, v V) {
	if c == nil {
		return
	}
	w := int64(1)
	if c.weight != nil {
		w = c.weight(k, v)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.remove(e)
	}
	if w > c.max/4 && c.max >= 4 {
		return
	}
	e := &cacheEntry[K, V]{key: k, val: v, w: w}
	c.items[k] = e
	c.pushFront(e)
	c.total += w
	for c.total > c.max && c.head.prev != &c.head {
		c.remove(c.head.prev)
	}
}

// Remove drops the entry under k, if any.
func (c *Cache[K, V]) Remove(k K) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.remove(e)
	}
}

// Len returns the number of entries.
func (c *Cache[K, V]) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

// Weight returns the total weight of the entries.
func (c *Cache[K, V]) Weight() int64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

func (c *Cache[K, V]) remove(e *cacheEntry[K, V]) {
	c.unlink(e)
	delete(c.items, e.key)
	c.total -= e.w
	if c.drop != nil {
		c.drop(e.key, e.val)
	}
}

func (c *Cache[K, V]) unlink(e *cacheEntry[K, V]) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *Cache[K, V]) pushFront(e *cacheEntry[K, V]) {
	e.prev, e.next = &c.head, c.head.next
	c.head.next.prev = e
	c.head.next = e
}
