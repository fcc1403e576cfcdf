package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// Layout is what every HTML page shows around its content.
type Layout struct {
	Title     string
	SiteName  string
	Version   string
	Query     string
	Crumbs    []Crumb
	Tree      []TreeNode
	Catching  string
	Commit    string
	BodyClass string
	// FiringCount counts the alerts firing now, shown in the header.
	FiringCount int
	// ReadOnly marks a replica; PrimaryURL is where the wiki is edited.
	ReadOnly   bool
	PrimaryURL string
	// Upstream says when the git host cannot be reached or the wiki is
	// not level with it.
	Upstream string
	// AuthOn shows the account link: the same for everyone, since pages
	// are cached whole and must not carry who is looking.
	AuthOn bool
	// CloneURL is the git repository's address, shown in the footer: the
	// base URL's when one is set, else the path "/wiki.git", which a line
	// of app.js makes absolute, so cached pages do not depend on the host
	// they were asked by.
	CloneURL string
	// Styles and Scripts are extra static files a page needs, such as the
	// editor's.
	Styles  []string
	Scripts []string
}

// Crumb is one step of the breadcrumbs.
type Crumb struct {
	Label string
	URL   string
}

// pageNames are the page templates, each executed inside layout.html.
var pageNames = []string{"page", "folder", "notfound", "error", "changes", "search", "edit", "history", "diff",
	"services", "chooser", "actions", "reliability", "report", "signin", "account", "settings", "clone", "firing", "alerts", "oncall"}

// parseTemplates parses layout.html with each page template into its own
// set, and executes each once with a zero view to catch mistakes at start.
func (s *Server) parseTemplates(fsys fs.FS) (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"static":  s.static.URL,
		"short":   shortID,
		"nameURL": wiki.NameURL,
		// The search index escapes every snippet and adds only <mark>.
		"snippet": func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // see above
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(fsys, "layout.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout template: %w", err)
	}
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.Must(base.Clone()).ParseFS(fsys, name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// layout returns the common parts of a page view.
func (s *Server) layout(title string) Layout {
	return Layout{Title: title, SiteName: s.cfg.SiteName, Version: s.cfg.Version, Commit: s.catalog.Commit(), FiringCount: s.firing.Count(),
		ReadOnly: s.cfg.ReadOnly, PrimaryURL: s.cfg.PrimaryURL, Upstream: s.upstreamBanner(context.Background()),
		AuthOn: s.accounts != nil && s.accounts.AccessMode() != "none", CloneURL: s.cloneURL()}
}

// cloneURL returns the repository's address when git is served: absolute
// with --base-url, else a path that app.js completes with the address the
// browser used (cached pages must not depend on the Host they were asked by).
func (s *Server) cloneURL() string {
	if s.git == nil {
		return ""
	}
	if s.base != nil {
		return s.base.String() + "/wiki.git"
	}
	return "/wiki.git"
}

// execute renders a page template into bytes.
func (s *Server) execute(name string, view any) ([]byte, error) {
	t, ok := s.tmpl[name]
	if !ok {
		return nil, fmt.Errorf("template %s: %w", name, errNoTemplate)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", view); err != nil {
		return nil, fmt.Errorf("execute template %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// html renders a page template and writes it with the given status.
func (s *Server) html(c echo.Context, code int, name string, view any) error {
	b, err := s.execute(name, view)
	if err != nil {
		return err
	}
	return c.HTMLBlob(code, b)
}

func shortID(id string) string {
	if len(id) > 10 {
		return id[:10]
	}
	return id
}

// formatTime shows a timestamp the way an incident timeline reads it.
func formatTime(t time.Time) string {
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Location() == time.UTC {
		return t.Format(time.DateOnly)
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// ago describes how long ago t was, in the largest sensible unit.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return wiki.Plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return wiki.Plural(int(d/time.Hour), "hour") + " ago"
	case d < 60*24*time.Hour:
		return wiki.Plural(int(d/(24*time.Hour)), "day") + " ago"
	}
	return t.Format("2 Jan 2006")
}

// wantsHTML reports whether the client prefers an HTML error page.
func wantsHTML(r *http.Request) bool {
	return !isAPI(r) && (r.Header.Get("Accept") == "" || strings.Contains(r.Header.Get("Accept"), "html") || strings.Contains(r.Header.Get("Accept"), "*/*"))
}
