package web

import (
	"encoding/json"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
)

// offlineRoutes registers what makes the wiki installable and readable
// offline: the web app manifest and the service worker, which keeps the
// pages a person opened (and the runbooks of the services they chose) on
// their device.
func (s *Server) offlineRoutes(open routeGroup) {
	open.GET("/-/sw.js", s.handleServiceWorker)
	open.GET("/-/manifest.webmanifest", s.handleManifest)
}

// handleServiceWorker serves GET /-/sw.js. Its scope is the whole site, so
// it lives outside the content-hashed assets (a worker's address must not
// change) and is revalidated on every start.
func (s *Server) handleServiceWorker(c echo.Context) error {
	b, err := fs.ReadFile(s.cfg.Static, "sw.js")
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Service-Worker-Allowed", "/")
	h.Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", b)
}

// handleManifest serves GET /-/manifest.webmanifest: the wiki as an app on
// a phone's home screen, opening on the home page.
func (s *Server) handleManifest(c echo.Context) error {
	icon, err := s.static.URL("favicon.svg")
	if err != nil {
		return err
	}
	m := map[string]any{
		"name": s.cfg.SiteName, "short_name": s.cfg.SiteName, "start_url": "/", "scope": "/",
		"display": "standalone", "background_color": "#0d1117", "theme_color": "#1f6feb",
		"description": "Runbooks, services and postmortems",
		"icons":       []map[string]string{{"src": icon, "sizes": "any", "type": "image/svg+xml", "purpose": "any"}},
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "application/manifest+json", b)
}
