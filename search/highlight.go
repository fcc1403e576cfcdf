package search

import (
	"fmt"
	"sort"

	"github.com/blevesearch/bleve/v2/registry"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/highlight"
	htmlformat "github.com/blevesearch/bleve/v2/search/highlight/format/html"
	simplefrag "github.com/blevesearch/bleve/v2/search/highlight/fragmenter/simple"
	simplehl "github.com/blevesearch/bleve/v2/search/highlight/highlighter/simple"
	index "github.com/blevesearch/bleve_index_api"
)

// highlighterName is bleve's html highlighter (simple fragmenter, html
// formatter that escapes text and adds <mark>) with one fix: the ident
// analyzer indexes "pg_locks" and its parts "pg" and "locks" at the same
// place, and bleve's merge of overlapping matches would mark the parts
// apart ("<mark>pg</mark>_<mark>locks</mark>"). Matches inside a larger
// match are dropped first, so the whole identifier is marked once.
const highlighterName = "opswiki_html"

func init() {
	err := registry.RegisterHighlighter(highlighterName, func(_ map[string]interface{}, cache *registry.Cache) (highlight.Highlighter, error) {
		frag, err := cache.FragmenterNamed(simplefrag.Name)
		if err != nil {
			return nil, fmt.Errorf("build fragmenter: %w", err)
		}
		format, err := cache.FragmentFormatterNamed(htmlformat.Name)
		if err != nil {
			return nil, fmt.Errorf("build fragment formatter: %w", err)
		}
		return highlighter{simplehl.NewHighlighter(frag, format, simplehl.DefaultSeparator)}, nil
	})
	if err != nil {
		panic(err)
	}
}

type highlighter struct{ *simplehl.Highlighter }

// BestFragmentInField returns the best fragment of a field.
func (h highlighter) BestFragmentInField(dm *search.DocumentMatch, doc index.Document, field string) string {
	if fs := h.BestFragmentsInField(dm, doc, field, 1); len(fs) > 0 {
		return fs[0]
	}
	return ""
}

// BestFragmentsInField returns the num best fragments of a field. Only
// the body's first fragment is wanted without a match (the snippet of a
// page found by its title); other fields without one are skipped.
func (h highlighter) BestFragmentsInField(dm *search.DocumentMatch, doc index.Document, field string, num int) []string {
	if field != fBody && len(dm.Locations[field]) == 0 {
		return nil
	}
	dropNested(dm.Locations[field])
	return h.Highlighter.BestFragmentsInField(dm, doc, field, num)
}

// dropNested removes the locations lying within another location of the
// same field, in place.
func dropNested(tlm search.TermLocationMap) {
	type loc struct {
		term  string
		i     int
		start uint64
		end   uint64
	}
	var all []loc
	for term, ls := range tlm {
		for i, l := range ls {
			all = append(all, loc{term, i, l.Start, l.End})
		}
	}
	if len(all) < 2 {
		return
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].start != all[j].start {
			return all[i].start < all[j].start
		}
		return all[i].end > all[j].end
	})
	drop := map[string]map[int]bool{}
	var maxEnd uint64
	for k, l := range all {
		if k > 0 && l.end <= maxEnd {
			if drop[l.term] == nil {
				drop[l.term] = map[int]bool{}
			}
			drop[l.term][l.i] = true
			continue
		}
		maxEnd = max(maxEnd, l.end)
	}
	for term, idx := range drop {
		ls := tlm[term]
		kept := ls[:0]
		for i, l := range ls {
			if !idx[i] {
				kept = append(kept, l)
			}
		}
		if len(kept) == 0 {
			delete(tlm, term)
		} else {
			tlm[term] = kept
		}
	}
}
