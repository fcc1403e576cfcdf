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
	// Searches is the number of searches served since Open.
	Searches uint64 `json:"searches"`
}

// Stats returns figures about the index.
func (ix *Index) Stats() Stats {
	var s Stats
	s.Docs, _ = ix.idx.DocCount()
	m := ix.idx.StatsMap()
	s.Searches, _ = m["searches"].(uint64)
	if im, ok := m["index"].(map[string]interface{}); ok {
		s.DiskBytes, _ = im["CurOnDiskBytes"].(uint64)
		s.Segments, _ = im["TotFileSegmentsAtRoot"].(uint64)
		s.Busy, _ = im["index_bgthreads_active"].(bool)
	}
	return s
}
