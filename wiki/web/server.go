// Package web serves the wiki over HTTP: pages, folders, attachments,
// search, recent changes, health, and the JSON API. It holds no state of its
// own beyond caches; everything it shows comes from the store, the catalog
// and the search index through interfaces.
package web

import (
	"context"
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
	// Author returns who is making a change in a request; until access
	// control exists, the configured author.
	Author func(*http.Request) wiki.Signature
	// MaxPageBytes bounds a page's markdown (1 MiB when zero) and
	// MaxUploadBytes an attachment (25 MiB when zero).
	MaxPageBytes   int64
	MaxUploadBytes int64
	// ObserveRequest, when set, is told every request's route pattern,
	// method, status and duration, for metrics.
	ObserveRequest func(route, method string, status int, took time.Duration)
	// Metrics, when set, serves GET /metrics.
	Metrics http.Handler
}

// ReservedIDs are the element ids the page layout uses, which headings in
// a page must not take.
var ReservedIDs = []string{"main", "q", "help"}

// Deps are the parts of the wiki the server shows and changes.
type Deps struct {
	Store    wiki.Store
	Catalog  *wiki.Catalog
	Follower *wiki.Follower
	Renderer *markdown.Renderer
	Search   wiki.Searcher
	Editor   *wiki.Editor
	History  wiki.History
	Differ   wiki.TextDiffer
	// Auth identifies requests and Accounts signs people in; both nil
	// (tests) means everyone may do everything.
	Auth     wiki.Authenticator
	Accounts wiki.Accounts
	// Git, when set, serves the repository over git's smart HTTP protocol
	// at /wiki.git (clone and push); the footer then shows the clone URL.
	Git http.Handler
}

// Server is the HTTP interface of the wiki.
type Server struct {
	cfg      Config
	store    wiki.Store
	catalog  *wiki.Catalog
	follower *wiki.Follower
	renderer *markdown.Renderer
	search   wiki.Searcher
	editor   *wiki.Editor
	history  wiki.History
	differ   wiki.TextDiffer
	auth     wiki.Authenticator
	accounts wiki.Accounts
	git      http.Handler
	handler  http.Handler

	echo   *echo.Echo
	tmpl   map[string]*template.Template
	static *staticFiles
	pages  *pageCache
	log    *slog.Logger
}

// New returns a server over deps. It parses every template and refuses to
// start if one is broken.
func New(cfg Config, deps Deps) (*Server, error) {
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
	if cfg.MaxPageBytes == 0 {
		cfg.MaxPageBytes = 1 << 20
	}
	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = 25 << 20
	}
	if cfg.Author == nil {
		cfg.Author = func(*http.Request) wiki.Signature {
			return wiki.Signature{Name: "opswiki", Email: "opswiki@localhost", When: time.Now()}
		}
	}
	s := &Server{cfg: cfg, store: deps.Store, catalog: deps.Catalog, follower: deps.Follower, renderer: deps.Renderer,
		search: deps.Search, editor: deps.Editor, history: deps.History, differ: deps.Differ, auth: deps.Auth, accounts: deps.Accounts,
		git: deps.Git, log: cfg.Log, pages: newPageCache(cfg.PageCacheBytes)}
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
	s.echo.Use(s.requestLog, securityHeaders, refuseCrossOrigin, s.authorize)
	s.routes()
	// Browsers send Origin and Sec-Fetch-Site with every request; a write
	// that comes from another site is refused before any handler runs.
	// Scripts send neither and are let through (they authenticate instead).
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.echo.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), crossOriginKey{}, true)))
	}))
	s.handler = csrf.Handler(s.echo)
	return s, nil
}

// crossOriginKey marks a request refused as cross-origin, so the one
// error handler renders the refusal like any other error.
type crossOriginKey struct{}

// refuseCrossOrigin answers requests marked by the cross-origin check.
func refuseCrossOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Context().Value(crossOriginKey{}) != nil {
			return wiki.Errorf(wiki.EFORBIDDEN, "This change was sent from another web site and was refused. Make it from the wiki's own pages.")
		}
		return next(c)
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// routes registers every route; the server's own live under /-/, so every
// other path is free for content.
func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.handleHealthz)
	if s.cfg.Metrics != nil {
		e.GET("/metrics", echo.WrapHandler(s.cfg.Metrics))
	}
	e.GET("/readyz", s.handleReadyz)
	e.GET(staticPrefix+"*", s.handleStatic)
	e.GET("/-/search", s.handleSearch)
	e.GET("/-/changes", s.handleChanges)
	e.GET("/-/opensearch.xml", s.handleOpenSearch)
	e.GET("/-/api/search", s.handleAPISearch)
	e.GET("/-/api/pages/*", s.handleAPIPage)
	e.PUT("/-/api/pages/*", s.handleAPISave)
	e.DELETE("/-/api/pages/*", s.handleAPIDelete)
	e.POST("/-/api/move/*", s.handleAPIMove)
	e.POST("/-/api/preview", s.handleAPIPreview)
	e.POST("/-/api/attachments/*", s.handleAPIAttach)
	e.GET("/-/api/history/*", s.handleAPIHistory)
	e.GET("/-/edit/*", s.handleEdit)
	e.POST("/-/edit/*", s.handleEditPost)
	e.GET("/-/new", s.handleNew)
	e.POST("/-/new", s.handleEditPost)
	e.POST("/-/delete/*", s.handleDeletePost)
	e.POST("/-/move/*", s.handleMovePost)
	e.GET("/-/history/*", s.handleHistory)
	e.GET("/-/revision/*", s.handleRevision)
	e.GET("/-/diff/*", s.handleDiff)
	e.POST("/-/restore/*", s.handleRestore)
	e.GET("/-/changes.atom", s.handleChangesAtom)
	s.opsRoutes(e)
	e.GET("/-/signin", s.handleSignin)
	e.POST("/-/signin", s.handleSignin)
	e.POST("/-/signout", s.handleSignout)
	e.GET("/-/account", s.handleAccount)
	e.POST("/-/account/tokens", s.handleAccount)
	e.POST("/-/account/tokens/revoke", s.handleAccount)
	if s.git != nil {
		// Authorised like every other route (a push needs an editor);
		// the git handler answers everything under /wiki.git itself.
		e.Any("/wiki.git", echo.WrapHandler(s.git))
		e.Any("/wiki.git/*", echo.WrapHandler(s.git))
	}
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
