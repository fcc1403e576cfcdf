package web

import (
	"bytes"
	"sync"

	"github.com/opswiki/opswiki/wiki"
)

// pageCache keeps rendered page views by a key that changes whenever
// anything they show changes, bounded by total bytes, least recently used
// out first. Warm page views are a map lookup and a write.
//
// Only the newest rendering of each page is kept. Once anything a page
// shows changes, its older key is never asked for again; under a steady
// stream of saves the cache would otherwise fill to its bound with
// renderings nobody can hit, and hold that memory for the collector to
// scan on every cycle.
type pageCache struct {
	c      *wiki.Cache[string, []byte]
	mu     sync.Mutex
	latest map[string]string // page → key of its newest rendering
}

func newPageCache(max int64) *pageCache {
	return &pageCache{
		c:      wiki.NewCache(max, func(key string, body []byte) int64 { return int64(len(key) + cap(body)) }),
		latest: make(map[string]string),
	}
}

// Get returns the rendering cached under key.
func (pc *pageCache) Get(key string) ([]byte, bool) { return pc.c.Get(key) }

// Put caches body as the newest rendering of page, under key, and drops
// the page's previous rendering.
func (pc *pageCache) Put(page, key string, body []byte) {
	if cap(body)-len(body) > len(body)/8 {
		body = bytes.Clone(body) // a rendering's buffer grows by doubling
	}
	pc.mu.Lock()
	old, ok := pc.latest[page]
	pc.latest[page] = key
	pc.mu.Unlock()
	if ok && old != key {
		pc.c.Remove(old)
	}
	pc.c.Put(key, body)
}
