package search

import (
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/opswiki/opswiki/wiki"
)

// Limits on a request.
const (
	// DefaultLimit is the number of hits when a request gives none.
	DefaultLimit = 20
	// MaxLimit is the most hits one request returns.
	MaxLimit = 100
	// MaxOffset is the deepest page served; bleve walks every hit before it.
	MaxOffset = 10_000
	// MaxQueryBytes is how much of a query is read; the rest is ignored.
	MaxQueryBytes = 1000
	// maxTerms bounds the words, phrases, filters and exclusions used.
	maxTerms  = 32
	facetSize = 10
)

// Request is wiki.SearchRequest.
type Request = wiki.SearchRequest

// Result is wiki.SearchResult.
type Result = wiki.SearchResult

// Hit is wiki.SearchHit.
type Hit = wiki.SearchHit

// FacetCount is wiki.FacetCount.
type FacetCount = wiki.FacetCount

// facetNames are the facets counted, named as the filters a UI turns them
// back into ("service:x"). Each is a prefix of the terms of fFacets.
var facetNames = []string{"kind", "service", "tag", "owner", "severity", "status"}

// allFacetTerms is more than the distinct terms of fFacets in any wiki
// this is built for, so every facet gets its top values.
const allFacetTerms = 5000

// Search runs a query. An empty query returns no hits; a query with only
// filters lists the matching pages in path order. When nothing matches
// exactly, it retries allowing typos. Returns EUNAVAILABLE once closed.
func (ix *Index) Search(ctx context.Context, r Request) (*Result, error) {
	start := time.Now()
	if len(r.Query) > MaxQueryBytes {
		r.Query = strings.ToValidUTF8(r.Query[:MaxQueryBytes], "")
	}
	q := ParseQuery(r.Query)
	q.Words, q.Phrases = q.Words[:min(len(q.Words), maxTerms)], q.Phrases[:min(len(q.Phrases), maxTerms)]
	q.Filters, q.Exclude = q.Filters[:min(len(q.Filters), maxTerms)], q.Exclude[:min(len(q.Exclude), maxTerms)]
	res := &Result{Hits: []Hit{}, Facets: map[string][]FacetCount{}}
	if q.IsEmpty() {
		return res, nil
	}
	b := builder{en: ix.idx.Mapping().AnalyzerNamed(en.AnalyzerName)}
	sr, err := ix.run(ctx, b, q, r)
	if err == nil && sr.Total < fewHits && slices.ContainsFunc(q.Words, func(w string) bool { return fuzziness(w) > 0 }) {
		// Finding little: perhaps a typo.
		var alts map[string][]string
		if alts, err = ix.corrections(q.Words); err == nil && alts != nil {
			b.alts = alts
			var fr *bleve.SearchResult
			if fr, err = ix.run(ctx, b, q, r); err == nil && fr.Total > sr.Total {
				sr, res.Fuzzy = fr, true
			}
		}
	}
	if err != nil {
		if errors.Is(err, bleve.ErrorIndexClosed) {
			return nil, &wiki.Error{Code: wiki.EUNAVAILABLE, Message: "The search index is closed.", Err: err}
		}
		return nil, fmt.Errorf("search %q: %w", r.Query, err)
	}
	res.Total = sr.Total
	for _, h := range sr.Hits {
		title, _ := h.Fields[fTitle].(string)
		kind, _ := h.Fields[fKind].(string)
		res.Hits = append(res.Hits, Hit{
			Path:    wiki.Path(h.ID).Name(),
			File:    wiki.Path(h.ID),
			Title:   title,
			Kind:    kind,
			Score:   h.Score,
			Snippet: snippet(h.Fragments[fBody], h.Fragments[fCode]),
		})
	}
	if fr := sr.Facets[fFacets]; fr != nil && fr.Terms != nil {
		// Terms come sorted by count, then term.
		for _, t := range fr.Terms.Terms() {
			name, value, ok := strings.Cut(t.Term, ":")
			if ok && len(res.Facets[name]) < facetSize && slices.Contains(facetNames, name) {
				res.Facets[name] = append(res.Facets[name], FacetCount{Term: value, Count: t.Count})
			}
		}
	}
	res.TookMS = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// run searches without highlighting, then loads and highlights only the
// page of hits it returns: asking bleve for highlights makes every term
// searcher decode match locations for every matching page, most of which
// are never shown.
func (ix *Index) run(ctx context.Context, b builder, q Query, r Request) (*bleve.SearchResult, error) {
	limit := r.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	bq := b.build(q)
	req := bleve.NewSearchRequestOptions(bq, limit, min(max(r.Offset, 0), MaxOffset), false)
	if len(q.Words) == 0 && len(q.Phrases) == 0 {
		req.SortBy([]string{"_id"}) // every score is equal: list by path
	}
	if !r.NoFacets {
		req.AddFacet(fFacets, bleve.NewFacetRequest(fFacets, allFacetTerms))
	}
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil || len(res.Hits) == 0 {
		return res, err
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	hq := query.NewConjunctionQuery([]query.Query{query.NewDocIDQuery(ids), bq})
	hreq := bleve.NewSearchRequestOptions(hq, len(ids), 0, false)
	hreq.Fields = []string{fTitle, fKind}
	hreq.Highlight = bleve.NewHighlightWithStyle(highlighterName)
	hreq.Highlight.Fields = []string{fBody, fCode}
	hres, err := ix.idx.SearchInContext(ctx, hreq)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*search.DocumentMatch, len(hres.Hits))
	for _, h := range hres.Hits {
		byID[h.ID] = h
	}
	hits := res.Hits[:0]
	for _, h := range res.Hits {
		// A page deleted between the two searches is left out.
		if hh := byID[h.ID]; hh != nil {
			h.Fields, h.Fragments = hh.Fields, hh.Fragments
			hits = append(hits, h)
		}
	}
	res.Hits = hits
	return res, nil
}

// snippet picks the fragment that shows a match, body first, else the start
// of the body. bleve's html fragment formatter escapes the text around the
// <mark> tags it adds (v2.5.7 format/html); checkSnippet makes sure of it
// before the string is trusted as HTML.
func snippet(body, code []string) template.HTML {
	for _, frags := range [][]string{body, code} {
		for _, f := range frags {
			if strings.Contains(f, "<mark>") {
				return checkSnippet(f)
			}
		}
	}
	for _, frags := range [][]string{body, code} {
		if len(frags) > 0 && frags[0] != "" {
			return checkSnippet(frags[0])
		}
	}
	return ""
}

// checkSnippet trusts a fragment as HTML only when nothing but <mark> and
// </mark> is markup; anything else is escaped whole.
func checkSnippet(f string) template.HTML {
	bare := strings.ReplaceAll(strings.ReplaceAll(f, "<mark>", ""), "</mark>", "")
	if strings.ContainsAny(bare, "<>\"'") {
		return template.HTML(html.EscapeString(bare))
	}
	return template.HTML(f)
}
