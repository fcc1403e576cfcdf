// Package githttp serves the wiki's repository over git's smart HTTP
// protocol, so people clone it, edit in their editor and push it back with
// the plain git command; the server runs no git binary. Clones and fetches
// are answered from the store (protocol v0/v1; clients asking for v2 fall
// back). Pushes are parsed in memory, checked, and only then written: main
// moves only as a fast-forward, with a compare-and-swap under the store's
// write lock, and only when every changed page is free of errors.
package githttp

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// Prefix is where the repository is served.
const Prefix = "/wiki.git"

// Config holds what the git server needs.
type Config struct {
	Store *gitstore.Store
	// Log receives one line per push and every failure.
	Log *slog.Logger
	// MaxPushBytes bounds a push's pack, which is held in memory while it
	// is checked; 512 MiB when zero.
	MaxPushBytes int64
	// Authorize decides whether a request may read (clone, fetch) or, when
	// write is set, push. It returns who is asking; an error with code
	// EUNAUTHORIZED asks the client for credentials (git prompts for them),
	// EFORBIDDEN refuses. Nil lets everyone read and push (--auth none).
	// Pushed commits keep their own authors: the identity is only logged.
	Authorize func(r *http.Request, write bool) (wiki.Signature, error)
	// AfterPush runs once a push moved main, before the push is answered,
	// so the pushed pages are served and searchable when git push returns.
	AfterPush func(ctx context.Context) error
	// Agent names the server to clients ("opswiki/1.2").
	Agent string
	// Gate checks every file a push adds or changes, as it checks every
	// other write: the path rule, the size limits, the documents.
	Gate wiki.Gate
	// ReadOnly, when set, refuses every push with this message (a
	// read-only replica, saying where to edit).
	ReadOnly string
}

// Handler serves Prefix and everything under it.
type Handler struct {
	cfg   Config
	store *gitstore.Store
	log   *slog.Logger
	// packs and pushes bound how many packs are written for clones and
	// how many pushes are held in memory at once; others wait their turn.
	packs, pushes chan struct{}
}

// Concurrency limits: a clone of a large wiki takes tens of MB while its
// pack is made, and a push holds its whole pack in memory.
const (
	maxConcurrentPacks  = 2
	maxConcurrentPushes = 2
)

// New returns a handler serving cfg.Store.
func New(cfg Config) *Handler {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.MaxPushBytes <= 0 {
		cfg.MaxPushBytes = 512 << 20
	}
	if cfg.Authorize == nil {
		cfg.Authorize = func(*http.Request, bool) (wiki.Signature, error) { return wiki.Signature{}, nil }
	}
	if cfg.Agent == "" {
		cfg.Agent = "opswiki"
	}
	cfg.Agent = strings.Map(func(r rune) rune {
		if r <= ' ' || r > '~' {
			return '-'
		}
		return r
	}, cfg.Agent)
	return &Handler{cfg: cfg, store: cfg.Store, log: cfg.Log,
		packs: make(chan struct{}, maxConcurrentPacks), pushes: make(chan struct{}, maxConcurrentPushes)}
}

// acquire takes a slot of sem, waiting until one is free or ctx ends.
func acquire(ctx context.Context, sem chan struct{}) (release func(), err error) {
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// maxRequestBytes bounds an upload-pack request (wants and haves), after
// decompression.
const maxRequestBytes = 32 << 20

// ServeHTTP routes the smart HTTP endpoints:
//
//	GET  /wiki.git/info/refs?service=git-upload-pack|git-receive-pack
//	POST /wiki.git/git-upload-pack
//	POST /wiki.git/git-receive-pack
//
// GET /wiki.git itself says how to clone; the dumb protocol's files are
// not served.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("git request panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
			http.Error(w, "Internal error.", http.StatusInternalServerError)
		}
	}()
	sub, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok || (sub != "" && !strings.HasPrefix(sub, "/")) {
		http.NotFound(w, r)
		return
	}
	switch {
	case sub == "" || sub == "/":
		h.serveInfo(w, r)
	case sub == "/info/refs":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET")
			return
		}
		service := r.URL.Query().Get("service")
		if service != "git-upload-pack" && service != "git-receive-pack" {
			textError(w, http.StatusForbidden, "opswiki serves git over the smart HTTP protocol only; use git 1.6.6 or newer.")
			return
		}
		if !h.authorize(w, r, service == "git-receive-pack") {
			return
		}
		h.advertise(w, r, service)
	case sub == "/git-upload-pack" || sub == "/git-receive-pack":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
			return
		}
		write := sub == "/git-receive-pack"
		if !h.authorize(w, r, write) {
			return
		}
		if write {
			h.receivePack(w, r)
		} else {
			h.uploadPack(w, r)
		}
	case sub == "/HEAD" || strings.HasPrefix(sub, "/objects/") || strings.HasPrefix(sub, "/info/"):
		textError(w, http.StatusNotFound, "opswiki serves git over the smart HTTP protocol only; use git 1.6.6 or newer.")
	default:
		textError(w, http.StatusNotFound, "Not found.")
	}
}

// serveInfo serves GET /wiki.git: how to clone, for a person who opened
// the clone URL in a browser.
func (h *Handler) serveInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET")
		return
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	fmt.Fprintf(w, "This is the wiki's git repository. Clone it, edit the markdown in your editor and push it back:\n\n"+
		"    git clone %s://%s%s\n\nPushes to main must be fast-forwards, and pages with errors in their front matter are refused with the file and line.\n",
		scheme, r.Host, Prefix)
}

// authorize asks cfg.Authorize and answers the request when it refuses.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request, write bool) bool {
	who, err := h.cfg.Authorize(r, write)
	if err == nil {
		if who.Name != "" {
			*r = *r.WithContext(context.WithValue(r.Context(), identityKey{}, who))
		}
		return true
	}
	switch wiki.ErrorCode(err) {
	case wiki.EUNAUTHORIZED:
		w.Header().Set("WWW-Authenticate", `Basic realm="opswiki", charset="UTF-8"`)
		textError(w, http.StatusUnauthorized, wiki.ErrorMessage(err))
	case wiki.EFORBIDDEN:
		textError(w, http.StatusForbidden, wiki.ErrorMessage(err))
	default:
		h.log.Error("authorize git request", "path", r.URL.Path, "err", err)
		textError(w, http.StatusInternalServerError, "Internal error.")
	}
	return false
}

type identityKey struct{}

// identity returns who is asking, for logs: whom Authorize named, else
// the user the web server's access control identified.
func identity(r *http.Request) string {
	if who, ok := r.Context().Value(identityKey{}).(wiki.Signature); ok {
		return who.Name
	}
	if u := wiki.UserFrom(r.Context()); u != nil && u.Via != "none" {
		return u.Name
	}
	return ""
}

// requestBody returns the request body, inflated when the client gzipped
// it (git does for fetches with many haves), reading at most limit bytes.
func requestBody(r *http.Request, limit int64) (io.Reader, func(), error) {
	body := io.Reader(r.Body)
	closeFn := func() {}
	switch strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))) {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, closeFn, protocolErrorf("the request body is not valid gzip: %v", err)
		}
		body, closeFn = zr, func() { zr.Close() }
	default:
		return nil, closeFn, protocolErrorf("unsupported Content-Encoding %q", r.Header.Get("Content-Encoding"))
	}
	return &limitedReader{r: body, n: limit}, closeFn, nil
}

// errTooLarge reports a request body over its limit.
var errTooLarge = errors.New("request body too large")

// limitedReader reads at most n bytes and then fails with errTooLarge,
// unlike io.LimitReader, which would end quietly.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// noCache marks a response as never to be cached, as git-http-backend does.
func noCache(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-cache, max-age=0, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "Fri, 01 Jan 1980 00:00:00 GMT")
}

func textError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	io.WriteString(w, msg+"\n")
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	textError(w, http.StatusMethodNotAllowed, "Method not allowed.")
}

// since formats a duration for logs.
func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }
