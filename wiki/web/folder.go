package web

import (
	"github.com/opswiki/opswiki/wiki/textdiff"
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
			if e := textdiff.Distance([]rune(want), []rune(got), 2); e <= 2 {
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

func normalizeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ', '.':
			return -1
		}
		return r
	}, strings.ToLower(s))
}
