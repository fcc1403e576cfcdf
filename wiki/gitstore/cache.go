package gitstore

import (
	"container/list"
	"sync"
)

// lru is a small least-recently-used cache. Everything the store caches is
// keyed by object id, and objects never change, so entries never go stale;
// the bound only keeps memory in check.
type lru[K comparable, V any] struct {
	mu     sync.Mutex
	max    int
	total  int
	weight func(V) int // nil counts every entry as 1
	ll     *list.List
	items  map[K]*list.Element
}

type lruItem[K comparable, V any] struct {
	key K
	val V
	w   int
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, ll: list.New(), items: make(map[K]*list.Element)}
}

// newWeightedLRU bounds the sum of weight over the entries instead of
// their number: trees of a large folder hold thousands of entries each,
// and a count bound let the tree cache grow to hundreds of megabytes.
func newWeightedLRU[K comparable, V any](max int, weight func(V) int) *lru[K, V] {
	c := newLRU[K, V](max)
	c.weight = weight
	return c
}

func (c *lru[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*lruItem[K, V]).val, true
	}
	var zero V
	return zero, false
}

func (c *lru[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := 1
	if c.weight != nil {
		w = c.weight(v) + 1
	}
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		it := e.Value.(*lruItem[K, V])
		c.total += w - it.w
		it.val, it.w = v, w
	} else {
		c.items[k] = c.ll.PushFront(&lruItem[K, V]{key: k, val: v, w: w})
		c.total += w
	}
	for c.total > c.max && c.ll.Len() > 1 {
		last := c.ll.Back()
		it := last.Value.(*lruItem[K, V])
		c.ll.Remove(last)
		delete(c.items, it.key)
		c.total -= it.w
	}
}
