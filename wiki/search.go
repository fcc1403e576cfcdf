package wiki

import (
	"context"
)

// SearchRequest is one query from the search box or the API.
type SearchRequest struct {
	Query string
	// Limit is the number of hits to return; the searcher applies its
	// default when zero and its maximum when larger.
	Limit  int
	Offset int
	// NoFacets skips facet counting, for as-you-type suggestions.
	NoFacets bool
}

// SearchHit is one page that matched.
type SearchHit struct {
	// Path is the page name as in its URL, without ".md" (SPEC §4).
	Path string `json:"path"`
	// File is the page's file in the repository.
	File  Path    `json:"-"`
	Title string  `json:"title"`
	Kind  string  `json:"kind"`
	Score float64 `json:"score"`
	// Snippet is HTML: the matching text, escaped, with <mark> around
	// the matches. The web layer shows it as it is.
	Snippet string `json:"snippet"`
}

// FacetCount is how many hits have one value of a facet field.
type FacetCount struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
}

// SearchResult is one page of hits with their total and facet counts.
// Facets are keyed by filter name: kind, service, tag, owner, severity, status.
type SearchResult struct {
	Total  uint64                  `json:"total"`
	TookMS float64                 `json:"took_ms"`
	Hits   []SearchHit             `json:"hits"`
	Facets map[string][]FacetCount `json:"facets"`
	// Fuzzy says no page matched exactly and the hits allow typos.
	Fuzzy bool `json:"fuzzy,omitempty"`
}

// Searcher answers queries in the syntax of SPEC §5.
type Searcher interface {
	// Search runs a query. A query it cannot parse is searched as plain
	// text; it returns EUNAVAILABLE only when no index can answer at all.
	Search(ctx context.Context, req SearchRequest) (*SearchResult, error)
}
