package search

// SetMappingVersionForTest records another mapping version in the index, as
// an index written by an older build would have.
func SetMappingVersionForTest(ix *Index, v string) error {
	return ix.idx.SetInternal(keyVersion, []byte(v))
}
