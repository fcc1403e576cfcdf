package search

// SetMappingVersionForTest records another mapping version in the index, as
// an index written by an older build would have.
func SetMappingVersionForTest(ix *Index, v string) error {
	return ix.idx.SetInternal(keyVersion, []byte(v))
}

// SetCacheForTest replaces the cache of recent results with one of size
// entries (0 for the default size, negative for none). Not safe while
// searches run.
func SetCacheForTest(ix *Index, size int) {
	if size == 0 {
		size = DefaultCacheSize
	}
	ix.cache = newResultCache(size)
}
