package web

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
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
			if route == "" {
				route = "unmatched"
			}
			s.cfg.ObserveRequest(route, c.Request().Method, status, took)
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
