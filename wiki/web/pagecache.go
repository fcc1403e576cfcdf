package web

import (
	"container/list"
	"sync"
)

// pageCache keeps rendered page views by a key that changes whenever
// anything they show changes, bounded by total bytes, least recently used
// out first. Warm page views are a map lookup and a write.
type pageCache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order *list.List // front: most recent
	items map[string]*list.Element
}

type cacheEntry struct {
	key  string
	body []byte
}

func newPageCache(max int64) *pageCache {
	return &pageCache{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *pageCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).body, true
}

func (c *pageCache) put(key string, body []byte) {
	if int64(len(body)) > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; ok {
		return
	}
	c.items[key] = c.order.PushFront(&cacheEntry{key: key, body: body})
	c.size += int64(len(body))
	for c.size > c.max {
		el := c.order.Back()
		e := el.Value.(*cacheEntry)
		c.order.Remove(el)
		delete(c.items, e.key)
		c.size -= int64(len(e.body))
	}
}
