package search

// Stats describes the index for metrics and readiness.
type Stats struct {
	// Docs is the number of pages in the index.
	Docs uint64 `json:"docs"`
	// DiskBytes is the size of the index files.
	DiskBytes uint64 `json:"disk_bytes"`
	// Segments is the number of segment files searches read.
	Segments uint64 `json:"segments"`
	// Busy says background persisting or merging is under way; searches
	// are slower until it settles.
	Busy bool `json:"busy"`
	// Searches is the number of searches served since Open, the ones
	// answered from the cache of recent results left out.
	Searches uint64 `json:"searches"`
}

// Stats returns figures about the index.
func (ix *Index) Stats() Stats {
	var s Stats
	s.Docs, _ = ix.idx.DocCount()
	s.Searches = ix.searches.Load()
	if im, ok := ix.idx.StatsMap()["index"].(map[string]interface{}); ok {
		s.DiskBytes, _ = im["CurOnDiskBytes"].(uint64)
		s.Segments, _ = im["TotFileSegmentsAtRoot"].(uint64)
		// Until a batch is applied after Open the current epoch reads 0
		// (scorch counts it from introductions): nothing is in progress.
		root, _ := im["CurRootEpoch"].(uint64)
		merged, _ := im["LastMergedEpoch"].(uint64)
		persisted, _ := im["LastPersistedEpoch"].(uint64)
		s.Busy = root != 0 && (merged != root || persisted != root)
	}
	return s
}
