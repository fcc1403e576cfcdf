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

// MaxPrefixTermsForTest is the most terms a prefix stands for in a field.
const MaxPrefixTermsForTest = maxPrefixTerms

// PrefixTermsForTest returns the terms prefix stands for in page titles
// now, as a search would use them.
func PrefixTermsForTest(ix *Index, prefix string) ([]string, error) {
	snap, err := ix.snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	return ix.expandPrefix(snap, ix.gen.Load(), fTitle, prefix)
}

// TermCachesForTest returns the number of words with corrections and of
// prefixes with terms cached, stale ones included.
func TermCachesForTest(ix *Index) (corrections, prefixes int) {
	return ix.corrected.len(), ix.prefixes.len()
}
