package web

import "github.com/opswiki/opswiki/wiki"

// pageCache keeps rendered page views by a key that changes whenever
// anything they show changes, bounded by total bytes, least recently used
// out first. Warm page views are a map lookup and a write.
type pageCache = wiki.Cache[string, []byte]

func newPageCache(max int64) *pageCache {
	return wiki.NewCache(max, func(key string, body []byte) int64 { return int64(len(key) + len(body)) })
}
