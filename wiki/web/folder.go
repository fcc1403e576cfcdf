package web

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// FolderView lists a folder that has no page of its own.
type FolderView struct {
	Layout
	Heading string
	Entries []FolderEntry
}

// FolderEntry is one line of a folder listing.
type FolderEntry struct {
	Name    string
	URL     string
	IsDir   bool
	Kind    string // for pages
	Title   string
	Summary string
}

// serveFolder lists a folder without a page.
func (s *Server) serveFolder(c echo.Context, dir wiki.Path) error {
	heading := dir.Base()
	if dir == "" {
		heading = s.cfg.SiteName
	}
	v := FolderView{Layout: s.layout(heading), Heading: heading}
	v.Crumbs = s.crumbs(dir.Join("README.md"), heading)
	v.Tree = s.tree(dir.Join("README.md"))
	for _, ch := range s.catalog.Children(dir) {
		e := FolderEntry{Name: ch.Name, IsDir: ch.IsDir, URL: ch.Path.URL()}
		if ch.IsDir {
			e.URL = wiki.NameURL(string(ch.Path))
			if ch.Page != nil {
				e.Summary = ch.Page.Summary
			}
		} else if ch.Page != nil {
			e.Kind, e.Title, e.Summary = ch.Page.Meta.Kind, ch.Page.Title, ch.Page.Summary
		} else {
			e.URL = ch.Path.RawURL()
		}
		v.Entries = append(v.Entries, e)
	}
	return s.html(c, http.StatusOK, "folder", v)
}

// NotFoundView offers what there is instead of a missing page.
type NotFoundView struct {
	Layout
	Name      string
	File      string
	Query     string
	CreateURL string
	Similar   []SimilarPage
}

// SimilarPage is a page whose name resembles a missing one.
type SimilarPage struct {
	Path  wiki.Path
	URL   string
	Title string
	Kind  string
}

// serveNotFound answers a missing page with 404, pages with similar names,
// and how to create it.
func (s *Server) serveNotFound(c echo.Context, name string) error {
	p, err := wiki.PathFromName(name)
	if err != nil {
		return err
	}
	// The template escapes the query for the link; escaping it here too
	// would search for "%2B".
	query := strings.Join(strings.FieldsFunc(p.FileTitle(), func(r rune) bool { return r == '-' || r == '_' }), " ")
	v := NotFoundView{Layout: s.layout("Not found"), Name: name, File: string(p), Query: query,
		CreateURL: "/-/new?" + url.Values{"path": {string(p)}, "title": {query}}.Encode()}
	v.Similar = s.similar(p)
	return s.html(c, http.StatusNotFound, "notfound", v)
}

// similar finds up to five pages whose file name matches the missing one's,
// ignoring case and separators, contains it, or is a typo or two away from
// it: the usual cause of a 404 is a renamed or mistyped page. The closest
// come first.
func (s *Server) similar(p wiki.Path) []SimilarPage {
	want := normalizeName(p.FileTitle())
	type scored struct {
		SimilarPage
		dist int
	}
	var found []scored
	for _, pi := range s.catalog.Pages() {
		got := normalizeName(pi.Path.FileTitle())
		d := -1
		switch {
		case got == want:
			d = 0
		case len(want) >= 4 && (strings.Contains(got, want) || strings.Contains(want, got) && len(got) >= 4):
			d = 3
		case len(want) >= 5:
			if e := editDistance(want, got, 2); e <= 2 {
				d = e
			}
		}
		if d >= 0 {
			found = append(found, scored{SimilarPage{Path: pi.Path, URL: pi.Path.URL(), Title: pi.Title, Kind: pi.Meta.Kind}, d})
		}
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].dist != found[j].dist {
			return found[i].dist < found[j].dist
		}
		return found[i].Path < found[j].Path
	})
	out := make([]SimilarPage, 0, min(len(found), 5))
	for _, f := range found[:min(len(found), 5)] {
		out = append(out, f.SimilarPage)
	}
	return out
}

// editDistance is the number of single-letter insertions, deletions,
// substitutions and swaps of neighbours turning a into b, or max+1 as soon
// as it is more than max.
func editDistance(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > max || -d > max {
		return max + 1
	}
	prev2, prev, cur := make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			best = min(best, cur[j])
		}
		if best > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

func normalizeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ', '.':
			return -1
		}
		return r
	}, strings.ToLower(s))
}
