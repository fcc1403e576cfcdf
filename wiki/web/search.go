package web

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// SearchView is the search page.
type SearchView struct {
	Layout
	Result *wiki.SearchResult
	Facets []FacetGroup
	Prev   string
	Next   string
}

// FacetGroup is one facet with a one-click filter per value.
type FacetGroup struct {
	Label  string
	Values []FacetLink
}

// FacetLink adds (or, when active, removes) one filter.
type FacetLink struct {
	Term   string
	Count  int
	URL    string
	Active bool
}

// facetFields maps facet names to their label and query filter, in the
// order the page shows them.
var facetFields = []struct{ facet, label, filter string }{
	{"kind", "Kind", "kind"},
	{"service", "Service", "service"},
	{"owner", "Owner", "owner"},
	{"severity", "Severity", "severity"},
	{"status", "Status", "status"},
	{"tag", "Tag", "tag"},
}

const (
	defaultSearchLimit = 20
	maxSearchLimit     = 100
)

// searchRequest reads q, limit, offset and suggest, bounding them.
// suggest=1 asks for as-you-type suggestions: hits only, without the facet
// counts the search page shows.
func searchRequest(c echo.Context) (wiki.SearchRequest, error) {
	req := wiki.SearchRequest{Query: strings.TrimSpace(c.QueryParam("q")), Limit: defaultSearchLimit,
		NoFacets: c.QueryParam("suggest") == "1"}
	if len(req.Query) > 1000 {
		return req, wiki.Errorf(wiki.EINVALID, "The query is longer than 1000 characters.")
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSearchLimit {
			return req, wiki.Errorf(wiki.EINVALID, "limit must be a number from 1 to %d.", maxSearchLimit)
		}
		req.Limit = n
	}
	if v := c.QueryParam("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10000 {
			return req, wiki.Errorf(wiki.EINVALID, "offset must be a number from 0 to 10000.")
		}
		req.Offset = n
	}
	return req, nil
}

// handleAPISearch serves GET /-/api/search?q=&limit=&offset=&suggest=.
func (s *Server) handleAPISearch(c echo.Context) error {
	req, err := searchRequest(c)
	if err != nil {
		return err
	}
	res, err := s.search.Search(c.Request().Context(), req)
	if err != nil {
		return err
	}
	if res.Hits == nil {
		res.Hits = []wiki.SearchHit{}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, res)
}

// handleSearch serves GET /-/search?q=: the search page.
func (s *Server) handleSearch(c echo.Context) error {
	req, err := searchRequest(c)
	if err != nil {
		return err
	}
	v := SearchView{Layout: s.layout("Search")}
	v.Query = req.Query
	v.Catching = s.catchingUp()
	if req.Query != "" {
		v.Title = req.Query + " · Search"
		res, err := s.search.Search(c.Request().Context(), req)
		if err != nil {
			return err
		}
		v.Result = res
		v.Facets = facetGroups(req.Query, res.Facets)
		page := func(off int) string {
			q := url.Values{"q": {req.Query}}
			if off > 0 {
				q.Set("offset", strconv.Itoa(off))
			}
			return "/-/search?" + q.Encode()
		}
		if req.Offset > 0 {
			v.Prev = page(max(0, req.Offset-req.Limit))
		}
		if uint64(req.Offset+req.Limit) < res.Total {
			v.Next = page(req.Offset + req.Limit)
		}
	}
	return s.html(c, http.StatusOK, "search", v)
}

// facetGroups turns facet counts into filter links on the current query.
func facetGroups(query string, facets map[string][]wiki.FacetCount) []FacetGroup {
	var out []FacetGroup
	words := strings.Fields(query)
	for _, f := range facetFields {
		counts := facets[f.facet]
		if len(counts) == 0 {
			continue
		}
		g := FacetGroup{Label: f.label}
		for _, fc := range counts {
			term := fc.Term
			if strings.ContainsAny(term, " \"") {
				term = `"` + strings.ReplaceAll(term, `"`, "") + `"`
			}
			filter := f.filter + ":" + term
			active := false
			var rest []string
			for _, w := range words {
				if strings.EqualFold(w, filter) {
					active = true
					continue
				}
				rest = append(rest, w)
			}
			q := strings.Join(append(rest, filter), " ")
			if active {
				q = strings.Join(rest, " ")
			}
			g.Values = append(g.Values, FacetLink{Term: fc.Term, Count: fc.Count, Active: active,
				URL: "/-/search?" + url.Values{"q": {q}}.Encode()})
		}
		out = append(out, g)
	}
	return out
}

// handleOpenSearch serves GET /-/opensearch.xml, so browsers can add the
// wiki as a search engine and search it from the address bar.
func (s *Server) handleOpenSearch(c echo.Context) error {
	base := baseURL(c)
	name := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s.cfg.SiteName)
	body := `<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">
<ShortName>` + name + `</ShortName>
<Description>Search ` + name + `</Description>
<InputEncoding>UTF-8</InputEncoding>
<Url type="text/html" template="` + html.EscapeString(base) + `/-/search?q={searchTerms}"/>
</OpenSearchDescription>
`
	return c.Blob(http.StatusOK, "application/opensearchdescription+xml", []byte(body))
}
