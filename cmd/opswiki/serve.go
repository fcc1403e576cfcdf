package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opswiki/opswiki/content"
	"github.com/opswiki/opswiki/search"
	"github.com/opswiki/opswiki/static"
	"github.com/opswiki/opswiki/templates"
	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/auth"

	"github.com/opswiki/opswiki/wiki/firing"
	"github.com/opswiki/opswiki/wiki/githttp"
	"github.com/opswiki/opswiki/wiki/gitstore"
	"github.com/opswiki/opswiki/wiki/markdown"
	"github.com/opswiki/opswiki/wiki/oncall/schedule"
	"github.com/opswiki/opswiki/wiki/rules"
	"github.com/opswiki/opswiki/wiki/textdiff"
	"github.com/opswiki/opswiki/wiki/web"
)

// Main holds the running program: the only place that knows every
// concrete type and wires them together.
type Main struct {
	Config Config
	Stderr io.Writer

	log      *slog.Logger
	store    *gitstore.Store
	upstream *gitstore.Upstream // nil without --upstream
	index    *search.Index
	catalog  *wiki.Catalog
	follower *wiki.Follower
	server   *web.Server
	httpSrv  *http.Server
	listener net.Listener

	// Ready is closed once the server accepts requests (tests wait on it).
	Ready chan struct{}
}

func (m *Main) logger() *slog.Logger {
	if m.log != nil {
		return m.log
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(m.Config.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(m.Stderr, opts)
	if m.Config.LogFormat == "json" {
		h = slog.NewJSONHandler(m.Stderr, opts)
	}
	m.log = slog.New(h)
	return m.log
}

func (m *Main) repoDir() string  { return filepath.Join(m.Config.Data, "wiki.git") }
func (m *Main) indexDir() string { return filepath.Join(m.Config.Data, "index") }

// author returns the signature of commits the server makes itself.
func (m *Main) author() wiki.Signature {
	name, email, _ := parseAuthor(m.Config.Author)
	return wiki.Signature{Name: name, Email: email, When: time.Now()}
}

// checkDataDir creates the data directory if needed and proves it writable,
// so a read-only volume fails at start with a clear message.
func checkDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("data directory %s cannot be created: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("data directory %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// openStore opens the repository, creating and seeding it with the default
// content on first start.
func (m *Main) openStore(ctx context.Context) error {
	if err := checkDataDir(m.Config.Data); err != nil {
		return err
	}
	store, err := gitstore.OpenOrInit(m.repoDir())
	if err != nil {
		return err
	}
	m.store = store
	if m.Config.Upstream != "" {
		// The first copy comes from the upstream (attachUpstream, once
		// the repository is recovered); an empty upstream is seeded then.
		return nil
	}
	return m.seed(ctx)
}

// seed gives an empty repository the default content.
func (m *Main) seed(ctx context.Context) error {
	store := m.store
	if _, err := store.Head(ctx); errors.Is(err, wiki.ErrEmpty) {
		c, err := store.Seed(ctx, content.FS, m.author(), "Start the wiki with opswiki's default content")
		if err != nil {
			return fmt.Errorf("seed the new wiki: %w", err)
		}
		m.logger().Info("created a new wiki", "repository", m.repoDir(), "commit", c.ID)
	} else if err != nil {
		return err
	}
	return nil
}

// openIndex opens the search index, failing fast when another process
// holds it.
func (m *Main) openIndex() error {
	idx, err := search.Open(m.indexDir(), search.Options{Logger: m.logger()})
	if err != nil {
		if errors.Is(err, search.ErrLocked) {
			return fmt.Errorf("the search index %s is in use by another opswiki process; stop it or use another --data directory", m.indexDir())
		}
		return fmt.Errorf("open search index: %w", err)
	}
	m.index = idx
	return nil
}

// Serve runs the wiki until ctx is cancelled, then shuts down gracefully:
// in-flight requests finish, the follower stops, the index is flushed.
func (m *Main) Serve(ctx context.Context) error {
	if m.Ready == nil {
		m.Ready = make(chan struct{})
	}
	log := m.logger()
	start := time.Now()
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && m.Config.MemoryLimitMB > 0 {
		debug.SetMemoryLimit(int64(m.Config.MemoryLimitMB) << 20)
	}
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("address %s is already in use; stop what listens there or choose another with --addr or OPSWIKI_ADDR", m.Config.Addr)
		}
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.listener = ln
	defer ln.Close()
	if err := m.openStore(ctx); err != nil {
		return err
	}
	defer m.store.Close()
	if err := m.openIndex(); err != nil {
		return err
	}
	defer m.index.Close()
	// Holding the index means no other opswiki uses this data directory:
	// whatever a crash left half-done can be cleared now.
	if err := m.store.Recover(log, time.Second); err != nil {
		return fmt.Errorf("recover the repository: %w", err)
	}
	if m.Config.Upstream != "" {
		if err := m.attachUpstream(ctx, log); err != nil {
			return err
		}
		if !m.Config.ReadOnly {
			if err := m.seed(ctx); err != nil {
				return err
			}
		}
	}

	m.catalog = wiki.NewCatalog()
	history := gitstore.OpenHistory(m.store, m.historyFile(), log)
	defer func() {
		// Saved once the follower has stopped, so the next start applies
		// only the commits that come after.
		if err := history.Save(); err != nil {
			log.Warn("history index not saved", "err", err)
		}
	}()
	m.follower = wiki.NewFollower(m.store, log, m.Config.Poll, m.catalog, m.index, history)
	met := newMetrics(m.follower)
	var upstreamState func(context.Context) web.UpstreamState
	if m.upstream != nil {
		m.registerUpstreamMetrics(met.reg)
		upstreamState = m.upstreamState
	}
	merger := textdiff.Merger{Markers: textdiff.Markers{Yours: wiki.MarkerYours, Sep: wiki.MarkerSep, Theirs: wiki.MarkerTheirs}}
	gate := wiki.Gate{MaxPageBytes: int64(m.Config.MaxPageKB) << 10, MaxFileBytes: int64(m.Config.MaxUploadMB) << 20,
		Catalog: m.catalog, Timeline: history}
	editor := wiki.NewEditor(countingStore{m.store, met}, merger, m.follower, m.catalog, gate)
	// Rendered pages are cached whole by the web layer; the renderer's own
	// cache only saves work when a page's surroundings change, so it is small.
	renderer := markdown.New(markdown.Options{ReservedIDs: web.ReservedIDs, CacheBytes: 8 << 20})
	authn, err := m.authenticator(ctx)
	if err != nil {
		return err
	}
	author := m.author()
	// Git over HTTP is authorised by the web server's middleware like
	// every other route (reader to clone, editor to push), so the git
	// handler's own Authorize seam is left open.
	readOnly := ""
	if m.Config.ReadOnly {
		readOnly = "this wiki is a read-only replica; push to the primary"
		if m.Config.PrimaryURL != "" {
			readOnly += ": " + strings.TrimRight(m.Config.PrimaryURL, "/") + "/wiki.git"
		}
	}
	git := githttp.New(githttp.Config{Store: m.store, Log: log, MaxPushBytes: int64(m.Config.MaxPushMB) << 20,
		Gate: gate, Agent: "opswiki/" + Version, AfterPush: m.afterPush, ReadOnly: readOnly})
	base, err := m.Config.publicURL()
	if err != nil {
		return err
	}
	listenHost, _, _ := net.SplitHostPort(m.Config.Addr)
	if base == "" && (listenHost == "" || net.ParseIP(listenHost).IsUnspecified()) {
		log.Warn("no --base-url: requests are answered only when addressed to an IP address or localhost, so the wiki cannot be reached under a DNS name that points elsewhere; set --base-url to the address people use", "addr", m.Config.Addr)
	}
	var amToken string
	if m.Config.AlertmanagerTokenFile != "" {
		b, err := os.ReadFile(m.Config.AlertmanagerTokenFile)
		if err != nil {
			return fmt.Errorf("--alertmanager-token-file: %w", err)
		}
		if amToken = strings.TrimSpace(string(b)); len(amToken) < 16 {
			return fmt.Errorf("--alertmanager-token-file %s holds a token of %d characters; use at least 16 (openssl rand -hex 32)", m.Config.AlertmanagerTokenFile, len(amToken))
		}
	}
	upstreamNow := make(chan struct{}, 1)
	var hookSecret string
	if m.Config.UpstreamHookSecretFile != "" {
		b, err := os.ReadFile(m.Config.UpstreamHookSecretFile)
		if err != nil {
			return fmt.Errorf("--upstream-hook-secret-file: %w", err)
		}
		if hookSecret = strings.TrimSpace(string(b)); len(hookSecret) < 16 {
			return fmt.Errorf("--upstream-hook-secret-file %s holds a secret of %d characters; use at least 16", m.Config.UpstreamHookSecretFile, len(hookSecret))
		}
	}
	firingAlerts, err := firing.Open(filepath.Join(m.Config.Data, "firing.json"))
	if err != nil {
		return err
	}
	var ruleLoader *rules.Loader
	if len(m.Config.Rules) > 0 {
		if _, err := rules.Files(m.Config.Rules); err != nil {
			return fmt.Errorf("--rules: %w", err)
		}
		ruleLoader = rules.NewLoader(m.Config.Rules, 2*time.Second)
	}
	// The teams' on-call schedules, fetched when a page needs them and
	// kept for a few minutes.
	schedules := schedule.NewFetcher(schedule.FetcherOptions{UserAgent: "opswiki/" + Version})
	defer schedules.Close()
	m.server, err = web.New(web.Config{SiteName: m.Config.SiteName, Version: Version, Templates: templates.FS, Static: static.FS, Log: log,
		AlertmanagerToken: amToken, ReadOnly: m.Config.ReadOnly, PrimaryURL: m.Config.PrimaryURL,
		Upstream: upstreamState, UpstreamHookSecret: hookSecret, UpstreamNotify: func() {
			select {
			case upstreamNow <- struct{}{}:
			default:
			}
		},
		PageCacheBytes: int64(m.Config.PageCacheMB) << 20, MaxPageBytes: int64(m.Config.MaxPageKB) << 10, MaxUploadBytes: int64(m.Config.MaxUploadMB) << 20,
		Author:         func(*http.Request) wiki.Signature { a := author; a.When = time.Now(); return a },
		ObserveRequest: met.observeRequest, Metrics: met.handler(),
		BaseURL: base, ListenHost: listenHost,
		BodyTimeout: m.Config.BodyTimeout, BodyMinRate: int64(m.Config.BodyMinRateKB) << 10},
		web.Deps{Store: m.store, Catalog: m.catalog, Follower: m.follower, Renderer: renderer, Search: timedSearcher{m.index, met},
			Editor: editor, History: history, Auth: authn, Accounts: authn, Git: git, Firing: firingAlerts, Rules: ruleLoader, Schedules: schedules})
	if err != nil {
		return err
	}
	met.reg.MustRegister(oncallCollector{server: m.server})

	followCtx, stopFollowing := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); m.follower.Run(followCtx) }()
	wg.Add(1)
	go func() { defer wg.Done(); m.store.RunHousekeeping(followCtx, housekeepingInterval, log) }()
	wg.Add(1)
	go func() { defer wg.Done(); authn.Watch(followCtx, accountsReload, log) }()
	if m.upstream != nil {
		wg.Add(1)
		go func() { defer wg.Done(); m.syncUpstream(followCtx, upstreamNow, log) }()
	}
	defer func() { stopFollowing(); wg.Wait() }()

	// Pages are served only once the catalog knows them, so no request sees
	// a wiki that seems empty; the search index may still be catching up.
	if err := m.follower.Sync(ctx, m.catalog.Name()); err != nil {
		return fmt.Errorf("load pages: %w", err)
	}
	pages, files := m.catalog.Counts()
	log.Info("serving", "addr", "http://"+ln.Addr().String(), "pages", pages, "files", files,
		"data", m.Config.Data, "started_in", time.Since(start).Round(time.Millisecond))
	if co := m.catalog.CodeOwners(); co != nil && m.Config.Auth == auth.ModeNone {
		log.Warn("CODEOWNERS is not enforced: with --auth none every change is the configured author's, so there is no one to tell apart; run with --auth users or --auth proxy to enforce it", "file", co.Path)
	}

	// No ReadTimeout or WriteTimeout: a clone or push of a large wiki may
	// rightly take minutes. Slow request bodies are cut off by the web
	// layer instead (--body-timeout, --body-min-rate-kb).
	m.httpSrv = &http.Server{Handler: m.server, ReadHeaderTimeout: m.Config.ReadHeaderTimeout, IdleTimeout: m.Config.IdleTimeout}
	errc := make(chan error, 1)
	go func() { errc <- m.httpSrv.Serve(ln) }()
	close(m.Ready)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.httpSrv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// accountsReload is how often the users and roles files are checked for
// changes, and so how long a removed account may still be used.
const accountsReload = 2 * time.Second

// housekeepingInterval is how often loose objects (written by saves and
// small pushes) are checked and, past gitstore.LooseLimit, packed.
const housekeepingInterval = 5 * time.Minute

// historyFile is where the page history index is kept between starts.
func (m *Main) historyFile() string { return filepath.Join(m.Config.Data, "history.idx") }

// afterPush runs when a push moved main: it waits, up to 30 s, until the
// pages, the history and the search index show the push, so git push
// returns when the pushed pages are served and searchable.
func (m *Main) afterPush(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return m.follower.Sync(ctx)
}

// Addr returns the address the server listens on, once Ready is closed.
func (m *Main) Addr() string { return m.listener.Addr().String() }

// authenticator builds access control from the configuration: everyone is
// the configured author with --auth none; otherwise users come from the
// htpasswd file, the proxy or the identity provider, with roles, tokens
// and sessions kept in the data directory.
func (m *Main) authenticator(ctx context.Context) (*auth.Authenticator, error) {
	c := m.Config
	role, _ := wiki.ParseRole(c.DefaultRole)
	name, email, _ := parseAuthor(c.Author)
	a := &auth.Authenticator{Mode: c.Auth, DefaultRole: role, AnonymousRead: c.AnonymousRead,
		None:     wiki.User{Name: name, Email: email, Role: wiki.RoleAdmin, Via: "none"},
		Throttle: auth.NewThrottle(auth.DefaultThrottlePolicy)}
	if c.Auth == auth.ModeNone {
		return a, nil
	}
	var err error
	if a.Tokens, err = auth.OpenTokens(filepath.Join(c.Data, "tokens.json")); err != nil {
		return nil, err
	}
	if a.Sessions, err = auth.OpenSessions(filepath.Join(c.Data, "sessions.json"), c.SessionTTL); err != nil {
		return nil, err
	}
	if c.UsersFile != "" {
		if a.Users, err = auth.LoadUsers(c.UsersFile); err != nil {
			return nil, err
		}
	}
	if c.RolesFile != "" {
		if a.Roles, err = auth.LoadRoles(c.RolesFile); err != nil {
			return nil, err
		}
	}
	if c.Auth == auth.ModeProxy || c.TrustedProxy != "" {
		if a.Trusted, err = c.trustedProxies(); err != nil {
			return nil, err
		}
	}
	switch c.Auth {
	case auth.ModeProxy:
		// What the proxy says of each user, for their tokens.
		if a.Identities, err = auth.OpenIdentities(filepath.Join(c.Data, "identities.json")); err != nil {
			return nil, err
		}
	case auth.ModeOIDC:
		if err := m.oidcSignin(ctx, a); err != nil {
			return nil, err
		}
	}
	m.logger().Info("access control", "mode", c.Auth, "anonymous_read", c.AnonymousRead, "default_role", c.DefaultRole)
	return a, nil
}
