// Package web serves the wiki over HTTP: pages, folders, attachments,
// search, recent changes, health, and the JSON API. It holds no state of its
// own beyond caches; everything it shows comes from the store, the catalog
// and the search index through interfaces.
package web

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/markdown"
)

// Config holds what the web layer needs to know about its surroundings.
type Config struct {
	// SiteName is shown in the header and page titles.
	SiteName string
	// Version is shown in the footer.
	Version string
	// Templates and Static are the embedded template and asset files.
	Templates fs.FS
	Static    fs.FS
	// PageCacheBytes bounds the cache of rendered pages; 64 MiB when zero.
	PageCacheBytes int64
	// Log receives errors and, at debug level, every request.
	Log *slog.Logger
	// Now returns the current time; time.Now when nil. Tests set it.
	Now func() time.Time
}

// ReservedIDs are the element ids the page layout uses, which headings in
// a page must not take.
var ReservedIDs = []string{"main", "q", "help"}

// Server is the HTTP interface of the wiki.
type Server struct {
	cfg      Config
	store    wiki.Store
	catalog  *wiki.Catalog
	follower *wiki.Follower
	renderer *markdown.Renderer
	search   wiki.Searcher

	echo   *echo.Echo
	tmpl   map[string]*template.Template
	static *staticFiles
	pages  *pageCache
	log    *slog.Logger
}

// New returns a server over the given store, catalog, follower, renderer
// and searcher. It parses every template and refuses to start if one is
// broken.
func New(cfg Config, store wiki.Store, catalog *wiki.Catalog, follower *wiki.Follower, renderer *markdown.Renderer, searcher wiki.Searcher) (*Server, error) {
	if cfg.SiteName == "" {
		cfg.SiteName = "opswiki"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.PageCacheBytes == 0 {
		cfg.PageCacheBytes = 64 << 20
	}
	s := &Server{cfg: cfg, store: store, catalog: catalog, follower: follower, renderer: renderer,
		search: searcher, log: cfg.Log, pages: newPageCache(cfg.PageCacheBytes)}
	var err error
	extra := map[string][]byte{"highlight.css": []byte(markdown.HighlightCSS("", ""))}
	if s.static, err = loadStatic(cfg.Static, extra); err != nil {
		return nil, err
	}
	if s.tmpl, err = s.parseTemplates(cfg.Templates); err != nil {
		return nil, err
	}
	s.echo = echo.New()
	s.echo.HideBanner = true
	s.echo.HidePort = true
	s.echo.HTTPErrorHandler = s.handleError
	s.echo.Use(s.requestLog, securityHeaders)
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// routes registers every route; the server's own live under /-/, so every
// other path is free for content.
func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.handleHealthz)
	e.GET("/readyz", s.handleReadyz)
	e.GET(staticPrefix+"*", s.handleStatic)
	e.GET("/-/search", s.handleSearch)
	e.GET("/-/changes", s.handleChanges)
	e.GET("/-/opensearch.xml", s.handleOpenSearch)
	e.GET("/-/api/search", s.handleAPISearch)
	e.GET("/-/api/pages/*", s.handleAPIPage)
	e.Any("/-/*", func(echo.Context) error {
		return wiki.Errorf(wiki.ENOTFOUND, "There is no such page in the wiki's own pages.")
	})
	e.GET("/*", s.handleContent)
	e.HEAD("/*", s.handleContent)
}

// handleStatic serves GET /-/static/*.
func (s *Server) handleStatic(c echo.Context) error {
	if !s.static.serve(c.Response(), c.Request(), strings.TrimPrefix(c.Request().URL.Path, staticPrefix)) {
		return wiki.ErrNotFound
	}
	return nil
}

// handleHealthz serves GET /healthz: the process answers.
func (s *Server) handleHealthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readiness is the body of /readyz.
type readiness struct {
	Ready bool              `json:"ready"`
	Views []wiki.ViewStatus `json:"views"`
}

// handleReadyz serves GET /readyz: 200 once every derived view reflects
// main, 503 with each view's progress before.
func (s *Server) handleReadyz(c echo.Context) error {
	st := s.follower.Status()
	r := readiness{Ready: true, Views: st}
	for _, v := range st {
		r.Ready = r.Ready && v.Ready
	}
	code := http.StatusOK
	if !r.Ready {
		code = http.StatusServiceUnavailable
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(code, r)
}

// catchingUp describes a search index that is still being built, for a
// banner; "" when every view is ready.
func (s *Server) catchingUp() string {
	for _, v := range s.follower.Status() {
		if v.Ready || v.Name != "search" {
			continue
		}
		if v.Total > 0 {
			return fmt.Sprintf("Search is catching up with the wiki: %d of %d changes indexed. Results may be incomplete.", v.Done, v.Total)
		}
		return "Search is catching up with the wiki. Results may be incomplete."
	}
	return ""
}

// isAPI reports whether a request wants JSON rather than HTML.
func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/-/api/") || r.URL.Path == "/readyz"
}

var errNoTemplate = errors.New("no such template")
