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
	v := NotFoundView{Layout: s.layout("Not found"), Name: name, File: string(p), Query: url.QueryEscape(strings.ReplaceAll(p.FileTitle(), "-", " "))}
	v.Similar = s.similar(p)
	return s.html(c, http.StatusNotFound, "notfound", v)
}

// similar finds up to five pages whose file name matches the missing one's,
// ignoring case and separators: the usual cause of a 404 is a renamed or
// mistyped page.
func (s *Server) similar(p wiki.Path) []SimilarPage {
	want := normalizeName(p.FileTitle())
	var out []SimilarPage
	for _, pi := range s.catalog.Pages() {
		got := normalizeName(pi.Path.FileTitle())
		if got == want || (len(want) >= 4 && (strings.Contains(got, want) || strings.Contains(want, got) && len(got) >= 4)) {
			out = append(out, SimilarPage{Path: pi.Path, URL: pi.Path.URL(), Title: pi.Title, Kind: pi.Meta.Kind})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return normalizeName(out[i].Path.FileTitle()) == want && normalizeName(out[j].Path.FileTitle()) != want
	})
	if len(out) > 5 {
		out = out[:5]
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
