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
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/firing"
	"github.com/opswiki/opswiki/wiki/markdown"
	"github.com/opswiki/opswiki/wiki/oncall/schedule"
	"github.com/opswiki/opswiki/wiki/rules"
)

// Config holds what the web layer needs to know about its surroundings.
type Config struct {
	// SiteName is shown in the header and page titles.
	SiteName string
	// AlertmanagerToken is the bearer token Alertmanager's webhook sends
	// to POST /-/api/alertmanager; "" leaves the webhook off.
	AlertmanagerToken string
	// ReadOnly makes a replica: every write is refused, naming PrimaryURL
	// (where the wiki is edited) when set.
	ReadOnly   bool
	PrimaryURL string
	// Upstream, when set, reports how the wiki stands with its git host
	// (--upstream): a banner on every page and a part of /readyz.
	Upstream func(context.Context) UpstreamState
	// UpstreamHookSecret checks the git host's push webhook, which calls
	// UpstreamNotify (fetch now); both unset leave the webhook off.
	UpstreamHookSecret string
	UpstreamNotify     func()
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
	// ObserveRequest, when set, is told every request's route pattern
	// (or "unmatched"), method (a standard one, or "other"), status and
	// duration, for metrics: clients cannot add label values.
	ObserveRequest func(route, method string, status int, took time.Duration)
	// BaseURL is the wiki's public address, such as
	// "https://wiki.example.com"; "" when not set. Requests are answered
	// for its host name, and absolute links use it.
	BaseURL string
	// ListenHost is the host of the address the server listens on; with
	// no BaseURL, requests for it are answered too.
	ListenHost string
	// BodyTimeout is how long a request body may stall before it is cut
	// off (0: never), and BodyMinRate the bytes per second it must average
	// after the first BodyTimeout (0: any).
	BodyTimeout time.Duration
	BodyMinRate int64
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
	// Auth identifies requests and Accounts signs people in; both nil
	// (tests) means everyone may do everything.
	Auth     Authenticator
	Accounts Accounts
	// Git, when set, serves the repository over git's smart HTTP protocol
	// at /wiki.git (clone and push); the footer then shows the clone URL.
	Git http.Handler
	// Firing holds the alerts Alertmanager reports firing; nil shows none.
	Firing *firing.Store
	// Rules reads the rule files given with --rules; nil for none.
	Rules *rules.Loader
	// Schedules fetches the teams' iCalendar on-call schedules; nil makes
	// one with the defaults, closed by Close.
	Schedules *schedule.Fetcher
}

// Server is the HTTP interface of the wiki.
type Server struct {
	hookDeliveries seenDeliveries
	firing         *firing.Store
	rules          *rules.Loader
	ruleFiles      ruleCache
	oncall         *schedule.Fetcher
	ownFetcher     bool // oncall was made here and is closed by Close
	cards          cardCache
	incident       incidentDeps
	cfg            Config
	store          wiki.Store
	catalog        *wiki.Catalog
	follower       *wiki.Follower
	renderer       *markdown.Renderer
	search         wiki.Searcher
	editor         *wiki.Editor
	history        wiki.History
	auth           Authenticator
	accounts       Accounts
	git            http.Handler
	handler        http.Handler

	echo *echo.Echo
	base *url.URL
	// patterns are the registered route patterns, the only route labels
	// requests are observed with.
	patterns map[string]bool
	tmpl     map[string]*template.Template
	static   *staticFiles
	pages    *pageCache
	log      *slog.Logger

	// upMu guards the upstream's state as last looked at (upstreamNow).
	upMu    sync.Mutex
	upState UpstreamState
	upAt    time.Time
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
		search: deps.Search, editor: deps.Editor, history: deps.History, auth: deps.Auth, accounts: deps.Accounts,
		git: deps.Git, firing: deps.Firing, rules: deps.Rules, log: cfg.Log, pages: newPageCache(cfg.PageCacheBytes),
		oncall: deps.Schedules}
	if s.oncall == nil {
		s.oncall, s.ownFetcher = schedule.NewFetcher(schedule.FetcherOptions{UserAgent: "opswiki/" + cfg.Version}), true
	}
	var err error
	// One style sheet: the site's and the code highlighting's, so the
	// first screen waits for one request, not two.
	appCSS, err := fs.ReadFile(cfg.Static, "app.css")
	if err != nil {
		return nil, fmt.Errorf("read static app.css: %w", err)
	}
	extra := map[string][]byte{"app.css": append(append(appCSS, '\n'), markdown.HighlightCSS("", "")...)}
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
	if cfg.BaseURL != "" {
		if s.base, err = url.Parse(cfg.BaseURL); err != nil || s.base.Host == "" {
			return nil, fmt.Errorf("base URL %q is not an absolute URL", cfg.BaseURL)
		}
		s.base = &url.URL{Scheme: s.base.Scheme, Host: s.base.Host}
	}
	s.echo.Use(s.requestLog, securityHeaders, s.checkHost, s.limitBodyRate, refuseCrossOrigin, s.identify)
	s.routes()
	s.patterns = map[string]bool{}
	for _, r := range s.echo.Routes() {
		s.patterns[r.Path] = true
	}
	// Browsers send Origin and Sec-Fetch-Site with every request; a write
	// that comes from another site is refused before any handler runs.
	// Scripts send neither and are let through (they authenticate instead).
	csrf := http.NewCrossOriginProtection()
	if s.base != nil {
		// Behind a proxy that does not pass the Host on, the browser's
		// Origin is the public address, not the Host the wiki sees.
		if err := csrf.AddTrustedOrigin(s.base.String()); err != nil {
			return nil, fmt.Errorf("base URL %q: %w", cfg.BaseURL, err)
		}
	}
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.echo.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), crossOriginKey{}, true)))
	}))
	s.handler = withCompression(csrf.Handler(s.echo))
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

// Close ends what the server started: fetches of on-call schedules.
func (s *Server) Close() error {
	if s.ownFetcher {
		return s.oncall.Close()
	}
	return nil
}

// routes registers every route with the role it needs: none for health,
// metrics, assets and signing in; reading for everything that only shows;
// editing for everything that changes the wiki. The server's own routes
// live under /-/, so every other path is free for content.
func (s *Server) routes() {
	open := routeGroup{e: s.echo}
	read := routeGroup{e: s.echo, mw: []echo.MiddlewareFunc{s.require(wiki.RoleReader)}}
	edit := routeGroup{e: s.echo, mw: []echo.MiddlewareFunc{s.refuseReadOnly, s.require(wiki.RoleEditor)}}

	open.GET("/healthz", s.handleHealthz)
	if s.cfg.Metrics != nil {
		open.GET("/metrics", echo.WrapHandler(s.cfg.Metrics))
	}
	open.GET("/readyz", s.handleReadyz)
	open.GET(staticPrefix+"*", s.handleStatic)
	open.GET("/-/opensearch.xml", s.handleOpenSearch)
	s.offlineRoutes(open)
	open.GET("/-/signin", s.handleSignin)
	open.POST("/-/signin", s.handleSignin)
	open.POST("/-/signout", s.handleSignout)
	open.GET("/-/oidc/login", s.handleProviderSignin)
	open.GET("/-/oidc/callback", s.handleProviderCallback)

	read.GET("/-/search", s.handleSearch)
	read.GET("/-/api/search", s.handleAPISearch)
	read.GET("/-/changes", s.handleChanges)
	read.GET("/-/changes.atom", s.handleChangesAtom)
	read.GET("/-/account", s.handleAccount)
	read.POST("/-/account/tokens", s.handleAccount)
	read.POST("/-/account/tokens/revoke", s.handleAccount)
	s.editRoutes(read, edit)
	s.opsRoutes(read, edit)
	s.settingsRoutes(read, edit)
	s.firingRoutes(open, read)
	open.POST("/-/api/upstream/hook", s.handleUpstreamHook) // signed by the git host
	if s.git != nil {
		// Cloning and fetching need a reader, pushing an editor; the git
		// handler answers everything under /wiki.git itself.
		git := echo.WrapHandler(s.git)
		read.Any("/wiki.git", func(c echo.Context) error {
			// A person who opened the clone URL in a browser gets a page
			// saying how to clone; git and scripts get git's answer.
			if r := c.Request(); r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
				return s.handleCloneInfo(c)
			}
			return git(c)
		})
		read.GET("/wiki.git/info/refs", func(c echo.Context) error {
			if c.QueryParam("service") == "git-receive-pack" {
				// A read-only replica lets the push begin so git shows
				// the refusal and where to edit (see githttp's ReadOnly).
				if err := s.check(c, wiki.RoleEditor); err != nil {
					return err
				}
			}
			return git(c)
		})
		// A push to a read-only replica is refused by the git handler,
		// in git's own terms.
		routeGroup{e: s.echo, mw: []echo.MiddlewareFunc{s.require(wiki.RoleEditor)}}.POST("/wiki.git/git-receive-pack", git)
		read.Any("/wiki.git/*", git)
	}
	read.Any("/-/*", func(echo.Context) error {
		return wiki.Errorf(wiki.ENOTFOUND, "There is no such page in the wiki's own pages.")
	})
	read.GET("/*", s.handleContent)
	read.HEAD("/*", s.handleContent)
}

// routeGroup registers routes guarded by the same middleware: the role they
// need. (echo's Group would also answer every other path below its
// prefix, which for the root prefix hides the content routes.)
type routeGroup struct {
	e  *echo.Echo
	mw []echo.MiddlewareFunc
}

func (g routeGroup) GET(path string, h echo.HandlerFunc)    { g.e.GET(path, h, g.mw...) }
func (g routeGroup) HEAD(path string, h echo.HandlerFunc)   { g.e.HEAD(path, h, g.mw...) }
func (g routeGroup) POST(path string, h echo.HandlerFunc)   { g.e.POST(path, h, g.mw...) }
func (g routeGroup) PUT(path string, h echo.HandlerFunc)    { g.e.PUT(path, h, g.mw...) }
func (g routeGroup) PATCH(path string, h echo.HandlerFunc)  { g.e.PATCH(path, h, g.mw...) }
func (g routeGroup) DELETE(path string, h echo.HandlerFunc) { g.e.DELETE(path, h, g.mw...) }
func (g routeGroup) Any(path string, h echo.HandlerFunc)    { g.e.Any(path, h, g.mw...) }

// editRoutes registers pages, their editor, history and the page API.
func (s *Server) editRoutes(read, edit routeGroup) {
	read.GET("/-/api/pages/*", s.handleAPIPage)
	edit.PUT("/-/api/pages/*", s.handleAPISave)
	edit.DELETE("/-/api/pages/*", s.handleAPIDelete)
	edit.POST("/-/api/move/*", s.handleAPIMove)
	read.POST("/-/api/preview", s.handleAPIPreview) // renders, changes nothing
	edit.POST("/-/api/attachments/*", s.handleAPIAttach)
	read.GET("/-/api/history/*", s.handleAPIHistory)
	read.GET("/-/edit/*", s.handleEdit)
	edit.POST("/-/edit/*", s.handleEditPost)
	read.GET("/-/new", s.handleNew)
	edit.POST("/-/new", s.handleEditPost)
	edit.POST("/-/delete/*", s.handleDeletePost)
	edit.POST("/-/move/*", s.handleMovePost)
	read.GET("/-/history/*", s.handleHistory)
	read.GET("/-/revision/*", s.handleRevision)
	read.GET("/-/diff/*", s.handleDiff)
	edit.POST("/-/restore/*", s.handleRestore)
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
	// Upstream is how the wiki stands with its git host; an unreachable
	// one does not make the wiki unready: it serves and keeps writes.
	Upstream *UpstreamState `json:"upstream,omitempty"`
}

// handleReadyz serves GET /readyz: 200 once every derived view reflects
// main, 503 with each view's progress before.
func (s *Server) handleReadyz(c echo.Context) error {
	st := s.follower.Status()
	r := readiness{Ready: true, Views: st}
	for _, v := range st {
		r.Ready = r.Ready && v.Ready
	}
	if up, ok := s.upstreamNow(c.Request().Context()); ok {
		r.Upstream = &up
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

// CloneView says how to clone the wiki.
type CloneView struct {
	Layout
	URL string
}

// handleCloneInfo serves GET /wiki.git to a browser.
func (s *Server) handleCloneInfo(c echo.Context) error {
	u := s.cloneURL()
	if strings.HasPrefix(u, "/") {
		r := c.Request()
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		u = scheme + "://" + r.Host + u
	}
	return s.html(c, http.StatusOK, "clone", CloneView{Layout: s.layout("Clone this wiki"), URL: u})
}

// refuseReadOnly answers every write of a read-only replica with where the
// wiki is edited.
func (s *Server) refuseReadOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.readOnlyError(); err != nil {
			return err
		}
		return next(c)
	}
}

// readOnlyError is the refusal of a write on a read-only replica; nil on a
// wiki that takes writes.
func (s *Server) readOnlyError() error {
	if !s.cfg.ReadOnly {
		return nil
	}
	if s.cfg.PrimaryURL != "" {
		return wiki.Errorf(wiki.EFORBIDDEN, "This wiki is a read-only replica: edit at %s (changes reach this copy from there).", s.cfg.PrimaryURL)
	}
	return wiki.Errorf(wiki.EFORBIDDEN, "This wiki is a read-only replica: it is edited elsewhere, and changes reach this copy from there.")
}
