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

// Search runs a query. An empty query returns no hits; a query with only
// filters lists the matching pages in path order. When it finds little, it
// searches again with the words that look misspelt corrected (correct.go).
// Results are kept in a cache of recent results until the next Apply.
// Returns EUNAVAILABLE once closed.
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
	if r.Limit <= 0 {
		r.Limit = DefaultLimit
	}
	r.Limit, r.Offset = min(r.Limit, MaxLimit), min(max(r.Offset, 0), MaxOffset)
	key, gen := cacheKey{r.Query, r.Limit, r.Offset, r.NoFacets}, ix.gen.Load()
	if c := ix.cache.get(key, gen); c != nil {
		res = copyResult(c)
		res.TookMS = float64(time.Since(start).Microseconds()) / 1000
		return res, nil
	}
	b := builder{en: ix.idx.Mapping().AnalyzerNamed(en.AnalyzerName)}
	sr, facets, err := ix.run(ctx, b, q, r)
	if err == nil && sr.Total < fewHits && slices.ContainsFunc(q.Words, func(w string) bool { return fuzziness(w) > 0 }) {
		// Finding little: perhaps a typo.
		var alts map[string][]string
		if alts, err = ix.corrections(q.Words); err == nil && alts != nil {
			b.alts = alts
			var fr *bleve.SearchResult
			var ff *facetCounter
			if fr, ff, err = ix.run(ctx, b, q, r); err == nil && fr.Total > sr.Total {
				sr, facets, res.Fuzzy = fr, ff, true
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
			Snippet: snippet(h.Fragments),
		})
	}
	if facets != nil {
		res.Facets = facets.result()
	}
	res.TookMS = float64(time.Since(start).Microseconds()) / 1000
	ix.cache.put(key, gen, copyResult(res))
	return res, nil
}

// run searches, then loads and highlights only the page of hits it
// returns: asking bleve for highlights makes every term searcher decode
// match locations for every matching page, most of which are never shown.
// Facets are counted as hits are collected (facets.go); the best hits are
// reranked by proximity (rerank.go).
func (ix *Index) run(ctx context.Context, b builder, q Query, r Request) (*bleve.SearchResult, *facetCounter, error) {
	from, size := r.Offset, r.Limit
	prox := b.proximityText(q)
	// Pages past the window keep their places, so paging stays consistent.
	rerank := prox != "" && r.Offset < rerankWindow
	if rerank {
		from, size = 0, max(r.Offset+r.Limit, rerankWindow)
	}
	req := bleve.NewSearchRequestOptions(b.build(q), size, from, false)
	if len(q.Words) == 0 && len(q.Phrases) == 0 {
		req.SortBy([]string{"_id"}) // every score is equal: list by path
	}
	var fc *facetCounter
	sctx := ctx
	if !r.NoFacets {
		sctx = ix.facets.withFacets(ctx, &fc)
	}
	res, err := ix.idx.SearchInContext(sctx, req)
	if err != nil || len(res.Hits) == 0 {
		return res, fc, err
	}
	if rerank {
		if err := ix.rerank(ctx, b, q, res.Hits[:min(len(res.Hits), rerankWindow)], prox); err != nil {
			return nil, nil, err
		}
		res.Hits = res.Hits[min(r.Offset, len(res.Hits)):min(r.Offset+r.Limit, len(res.Hits))]
		if len(res.Hits) == 0 {
			return res, fc, nil
		}
	}
	hreq := bleve.NewSearchRequestOptions(b.matchesOn(q, hitIDs(res.Hits)), len(res.Hits), 0, false)
	hreq.Fields = []string{fTitle, fKind}
	hreq.Highlight = bleve.NewHighlightWithStyle(highlighterName)
	hreq.Highlight.Fields = snippetFields
	hres, err := ix.idx.SearchInContext(ctx, hreq)
	if err != nil {
		return nil, nil, err
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
	return res, fc, nil
}

func hitIDs(hits search.DocumentMatchCollection) []string {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return ids
}

// snippetFields are the fields a snippet is taken from.
var snippetFields = []string{fBody, fCode, fHeadings}

// snippet picks a fragment showing a match in the body or a code block;
// for a match in the headings only, the heading and then the start of the
// body ("<mark>Mitigation</mark> · Pod is in CrashLoop…"); else the start
// of the body. bleve's html fragment formatter escapes the text around the
// <mark> tags it adds (v2.5.7 format/html); checkSnippet makes sure of it
// before the string is trusted as HTML.
func snippet(frags map[string][]string) template.HTML {
	marked := func(field string) string {
		for _, s := range frags[field] {
			if strings.Contains(s, "<mark>") {
				return s
			}
		}
		return ""
	}
	for _, f := range []string{fBody, fCode} {
		if s := marked(f); s != "" {
			return checkSnippet(s)
		}
	}
	var start template.HTML
	for _, f := range []string{fBody, fCode} {
		if fs := frags[f]; len(fs) > 0 && fs[0] != "" {
			start = checkSnippet(fs[0])
			break
		}
	}
	if h := marked(fHeadings); h != "" {
		if start == "" {
			return checkSnippet(h)
		}
		return checkSnippet(h) + " · " + start
	}
	return start
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
