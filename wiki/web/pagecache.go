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
	c      *wiki.Cache[string, *encodedBody]
	mu     sync.Mutex
	latest map[string]string // page → key of its newest rendering
}

func newPageCache(max int64) *pageCache {
	return &pageCache{
		// A rendering is weighed with room for its compressed forms, made
		// when first asked for (together about half the HTML's size).
		c:      wiki.NewCache(max, func(key string, body *encodedBody) int64 { return int64(len(key) + len(body.raw) + len(body.raw)/2) }),
		latest: make(map[string]string),
	}
}

// Get returns the rendering cached under key.
func (pc *pageCache) Get(key string) (*encodedBody, bool) { return pc.c.Get(key) }

// Put caches body as the newest rendering of page, under key, and drops
// the page's previous rendering.
func (pc *pageCache) Put(page, key string, html []byte) *encodedBody {
	if cap(html)-len(html) > len(html)/8 {
		html = bytes.Clone(html) // a rendering's buffer grows by doubling
	}
	body := newEncodedBody(html, pageBrotliLevel)
	pc.mu.Lock()
	old, ok := pc.latest[page]
	pc.latest[page] = key
	pc.mu.Unlock()
	if ok && old != key {
		pc.c.Remove(old)
	}
	pc.c.Put(key, body)
	return body
}

// pageBrotliLevel compresses a cached page view once for every time it is
// sent: a 160 KB page takes a few milliseconds, a fifth of its size.
const pageBrotliLevel = 7
