package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// contentSecurityPolicy allows only the wiki's own scripts and styles, and
// images from anywhere over https (runbooks embed dashboards' graphs).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// securityHeaders sets the headers every response carries.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		return next(c)
	}
}

// requestLog gives every request an id (kept from X-Request-Id when a proxy
// set one) and logs failures and slow requests; every request at debug.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if id == "" || len(id) > 64 {
			id = newRequestID()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		took := time.Since(start)
		status := c.Response().Status
		if s.cfg.ObserveRequest != nil {
			route := c.Path()
			if !s.patterns[route] {
				route = "unmatched"
			}
			s.cfg.ObserveRequest(route, metricMethod(c.Request().Method), status, took)
		}
		level := slog.LevelDebug
		if status >= 500 || took > time.Second {
			level = slog.LevelWarn
		}
		if s.log.Enabled(c.Request().Context(), level) {
			s.log.Log(c.Request().Context(), level, "request", "method", c.Request().Method, "path", c.Request().URL.Path,
				"status", status, "took", took, "request_id", id)
		}
		return nil
	}
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// metricMethod returns a standard method as it is and "other" for any
// other, so clients cannot add label values to the request metrics.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// checkHost refuses, before any handler runs, a request for a host name
// the wiki does not answer to: a page of another site whose name has been
// pointed at this server (DNS rebinding) would otherwise be treated by the
// browser as one site with the wiki, and could read it and, with access
// control off, change it. Accepted are the base URL's host, else the
// listen address's host; "localhost"; and IP addresses, which a browser
// sends only when the page itself was opened at that address.
//
// With a base URL, every request is then seen as addressed to it, so the
// absolute links the wiki writes (the feed, the search description, the
// clone instructions) and the session cookie's Secure flag follow the
// public address rather than whichever accepted name was used.
func (s *Server) checkHost(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !s.hostAllowed(r.Host) {
			name := r.Host
			if len(name) > 100 {
				name = name[:100] + "…"
			}
			if s.base != nil {
				return wiki.Errorf(wiki.EMISDIRECTED, "This wiki does not answer to the name %q; open it at %s.", name, s.base)
			}
			return wiki.Errorf(wiki.EMISDIRECTED, "This wiki does not answer to the name %q. If that is its address, its administrator sets it as the base URL.", name)
		}
		if s.base != nil {
			r.Host = s.base.Host
			r.Header.Set("X-Forwarded-Proto", s.base.Scheme)
		}
		return next(c)
	}
}

// hostAllowed reports whether a Host header names this wiki.
func (s *Server) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")), ".")
	switch {
	case host == "":
		// HTTP/1.0 without Host: no browser sends that.
		return true
	case host == "localhost":
		return true
	case s.base != nil:
		if host == strings.ToLower(s.base.Hostname()) {
			return true
		}
	case s.cfg.ListenHost != "" && host == strings.ToLower(s.cfg.ListenHost):
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// limitBodyRate cuts off a request body that stalls for BodyTimeout or
// falls behind BodyMinRate on average, after a first BodyTimeout of grace:
// a client trickling a body would otherwise hold a connection and what
// the handler buffered for as long as it likes. A push or upload at any
// usable speed is not affected, however large.
func (s *Server) limitBodyRate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if s.cfg.BodyTimeout <= 0 || r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			return next(c)
		}
		p := &pacedBody{body: r.Body, rc: http.NewResponseController(c.Response().Writer), start: time.Now(),
			timeout: s.cfg.BodyTimeout, rate: s.cfg.BodyMinRate}
		r.Body = p
		err := next(c)
		if p.timedOut {
			s.log.Info("request body too slow; cut off", "method", r.Method, "path", r.URL.Path, "bytes", p.n, "after", time.Since(p.start).Round(time.Millisecond))
			if err != nil || !c.Response().Committed {
				return p.err()
			}
		}
		return err
	}
}

// pacedBody sets the connection's read deadline before every read of a
// request body, so each read waits at most until the body is late.
type pacedBody struct {
	body     io.ReadCloser
	rc       *http.ResponseController
	start    time.Time
	timeout  time.Duration
	rate     int64
	n        int64
	done     bool
	timedOut bool
}

func (p *pacedBody) Read(b []byte) (int, error) {
	if p.timedOut {
		return 0, p.err()
	}
	if !p.done {
		now := time.Now()
		deadline := now.Add(p.timeout)
		if p.rate > 0 {
			due := p.start.Add(p.timeout + time.Duration(float64(p.n)/float64(p.rate)*float64(time.Second)))
			if due.Before(deadline) {
				deadline = due
			}
		}
		// Without deadlines (a writer that is not a connection) the body
		// is read as it comes.
		_ = p.rc.SetReadDeadline(deadline)
	}
	n, err := p.body.Read(b)
	p.n += int64(n)
	switch {
	case err == nil:
	case errors.Is(err, os.ErrDeadlineExceeded):
		p.timedOut = true
		return n, p.err()
	default:
		// The whole body is in (or the client went away): the handler
		// may take as long as it needs without the deadline cutting the
		// connection under it.
		if !p.done {
			p.done = true
			_ = p.rc.SetReadDeadline(time.Time{})
		}
	}
	return n, err
}

func (p *pacedBody) Close() error { return p.body.Close() }

func (p *pacedBody) err() error {
	if p.rate > 0 {
		return wiki.Errorf(wiki.ETIMEOUT, "The request body stopped arriving, or arrived slower than %s per second, and was cut off after %s. Send it again over a faster connection.",
			wiki.ByteSize(p.rate), time.Since(p.start).Round(time.Second))
	}
	return wiki.Errorf(wiki.ETIMEOUT, "The request body stopped arriving for %s and was cut off. Send it again.", p.timeout)
}
