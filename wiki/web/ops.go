package web

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// opsRoutes registers the operational views built from front matter.
func (s *Server) opsRoutes(read, edit routeGroup) {
	read.GET("/-/services", s.handleServices)
	read.GET("/-/alerts/:name", s.handleAlert)
	read.GET("/-/incidents/:id", s.handleIncident)
	read.GET("/-/actions", s.handleActions)
	read.GET("/-/actions.csv", s.handleActionsCSV)
	read.GET("/-/api/actions", s.handleAPIActions)
	read.GET("/-/api/runbooks", s.handleAPIRunbooks)
	edit.PATCH("/-/api/actions/*", s.handleAPIActionPatch)
	edit.POST("/-/actions/*", s.handleActionPost)
	read.GET("/-/reliability", s.handleReliability)
	read.GET("/-/api/slos", s.handleAPISLOs)
	read.GET("/-/oncall", s.handleOncall)
	read.GET("/-/api/oncall", s.handleOncall)
	read.GET("/-/report", s.handleReport)
	edit.POST("/-/reviewed/*", s.handleReviewed)
}

// PageLink is a page in a list.
type PageLink struct {
	Path  wiki.Path
	URL   string
	Title string
	Kind  string
	Extra string
}

func (s *Server) linkPages(paths []wiki.Path) []PageLink {
	out := make([]PageLink, 0, len(paths))
	for _, p := range paths {
		l := PageLink{Path: p, URL: p.URL(), Title: p.FileTitle()}
		if pi, ok := s.catalog.Page(p); ok {
			l.Title, l.Kind = pi.Title, pi.Meta.Kind
		}
		out = append(out, l)
	}
	return out
}

// ServicesView is the service catalog.
type ServicesView struct {
	Layout
	Rows []ServiceRow
}

// ServiceRow is one service of the catalog.
type ServiceRow struct {
	Name, Anchor, URL, Owner, Tier, Oncall, Lifecycle string
	HasPage                                           bool
	Runbooks, Postmortems, OpenActions                int
	Incidents90d                                      int
	DependsOn, Dependents                             []ServiceLink
}

// ServiceLink names a service and links to its page when it has one.
type ServiceLink struct {
	Name string
	URL  string
}

func (s *Server) serviceLink(g *wiki.Graph, name string) ServiceLink {
	if n, ok := g.Service(name); ok {
		return ServiceLink{Name: n.Name, URL: s.serviceURL(n)}
	}
	return ServiceLink{Name: name}
}

// serviceURL is where a service is described: its page; else, for a
// service only a Backstage descriptor describes, the descriptor's folder
// (where its docs live) or its row in the catalog.
func (s *Server) serviceURL(n *wiki.ServiceNode) string {
	if n.Page != nil {
		return n.Page.Path.URL()
	}
	if home, ok := s.catalog.TechDocsHome(n); ok {
		return home.URL()
	}
	switch {
	case n.Entity != nil && n.EntityFile.Dir() != "":
		return wiki.NameURL(string(n.EntityFile.Dir()))
	case n.Entity != nil:
		return "/-/services#" + serviceAnchor(n.Name)
	}
	return ""
}

// serviceAnchor is a service's row id on /-/services.
func serviceAnchor(name string) string { return "service-" + wiki.Slug(name) }

// onCallText writes where a service's on-call is, leaving out the
// annotations that are credentials (integration and routing keys).
func onCallText(n *wiki.ServiceNode) string {
	var parts []string
	for _, o := range n.OnCall() {
		if !o.Secret() {
			parts = append(parts, o.Provider+" "+o.Label+" "+o.Value)
		}
	}
	return strings.Join(parts, ", ")
}

// handleServices serves GET /-/services: every service, described or only
// referenced, with its owner, tier, on-call and what the wiki knows of it.
func (s *Server) handleServices(c echo.Context) error {
	g := s.catalog.Graph()
	now := s.cfg.Now()
	v := ServicesView{Layout: s.layout("Services")}
	for _, n := range g.Services() {
		row := ServiceRow{Name: n.Name, Anchor: serviceAnchor(n.Name), Runbooks: len(n.Runbooks), Postmortems: len(n.Postmortems),
			URL: s.serviceURL(n), HasPage: n.Page != nil || n.Entity != nil, Owner: n.Owner(), Oncall: onCallText(n)}
		if n.Page != nil {
			m := n.Page.Meta
			row.Tier, row.Lifecycle = m.Tier, m.Lifecycle
			if m.Oncall != "" {
				row.Oncall = m.Oncall
			}
		}
		if n.Entity != nil && row.Lifecycle == "" {
			row.Lifecycle = n.Entity.Lifecycle
		}
		for _, d := range n.DependsOn {
			row.DependsOn = append(row.DependsOn, s.serviceLink(g, d))
		}
		for _, d := range n.Dependents {
			row.Dependents = append(row.Dependents, s.serviceLink(g, d))
		}
		row.OpenActions = len(wiki.FilterActions(g.ServiceActions(n), wiki.ActionFilter{Status: "open"}, now))
		row.Incidents90d = len(wiki.ComputeReliability(n.Name, s.postmortems(n.Postmortems), now.Add(-90*24*time.Hour), now).Incidents)
		v.Rows = append(v.Rows, row)
	}
	return s.html(c, http.StatusOK, "services", v)
}

func (s *Server) postmortems(paths []wiki.Path) []*wiki.PageInfo {
	out := make([]*wiki.PageInfo, 0, len(paths))
	for _, p := range paths {
		if pi, ok := s.catalog.Page(p); ok {
			out = append(out, pi)
		}
	}
	return out
}

// ChooserView lists several pages for one alert or incident, or offers to
// create one when there is none.
type ChooserView struct {
	Layout
	Heading   string
	What      string
	Pages     []PageLink
	CreateURL string
	CreateFor string
}

// handleAlert serves GET /-/alerts/<AlertName>: the runbook for an alert,
// for Prometheus' runbook_url. One runbook: a redirect; several: a chooser;
// none: an offer to write one from the runbook template.
func (s *Server) handleAlert(c echo.Context) error {
	name, err := url.PathUnescape(c.Param("name"))
	if err != nil || strings.TrimSpace(name) == "" {
		return wiki.Errorf(wiki.EINVALID, "The alert name is missing or malformed.")
	}
	return s.choose(c, "alert", name, s.catalog.Graph().RunbooksForAlert(name), "runbook",
		url.Values{"template": {"runbook"}, "alert": {name}, "title": {name}})
}

// choose redirects to the one page found, lists several, or offers to
// write one from a template when there is none.
func (s *Server) choose(c echo.Context, what, name string, pages []wiki.Path, createFor string, create url.Values) error {
	if len(pages) == 1 {
		return c.Redirect(http.StatusFound, pages[0].URL())
	}
	label := "Alert "
	if what == "incident" {
		label = "Incident "
	}
	v := ChooserView{Layout: s.layout(label + name), Heading: name, What: what, Pages: s.linkPages(pages)}
	code := http.StatusOK
	if len(pages) == 0 {
		code = http.StatusNotFound
		v.CreateFor, v.CreateURL = createFor, "/-/new?"+create.Encode()
	}
	return s.html(c, code, "chooser", v)
}

// handleIncident serves GET /-/incidents/<id>: the postmortem(s) of an
// incident, or an offer to write one.
func (s *Server) handleIncident(c echo.Context) error {
	id, err := url.PathUnescape(c.Param("id"))
	if err != nil || strings.TrimSpace(id) == "" {
		return wiki.Errorf(wiki.EINVALID, "The incident id is missing or malformed.")
	}
	return s.choose(c, "incident", id, s.catalog.Graph().Incident(id), "postmortem",
		url.Values{"template": {"postmortem"}, "incident": {id}})
}

// ReportView is the content report: every problem in the wiki.
type ReportView struct {
	Layout
	Errors, Warnings int
	Groups           []ReportGroup
	// Notice says the repository's CODEOWNERS file is not enforced.
	Notice string
}

// ReportGroup is the problems of one file.
type ReportGroup struct {
	Path     wiki.Path
	URL      string
	Problems []wiki.Problem
}

// handleReport serves GET /-/report: every error and warning of every page,
// with file and line, the same list `opswiki check` prints.
func (s *Server) handleReport(c echo.Context) error {
	problems := wiki.ReportWith(c.Request().Context(), s.catalog, s.cfg.Now(), s.timeline())
	v := ReportView{Layout: s.layout("Content report")}
	if s.catalog.CodeOwners() != nil {
		v.Notice = s.notEnforced()
	}
	index := map[wiki.Path]int{}
	for _, p := range problems {
		if p.Severity == wiki.SeverityError {
			v.Errors++
		} else {
			v.Warnings++
		}
		i, ok := index[p.Path]
		if !ok {
			i = len(v.Groups)
			index[p.Path] = i
			u := p.Path.URL()
			if p.Path.IsSettings() {
				u = "/-/settings"
			} else if p.Path.IsCodeOwners() {
				u = "/-/settings#codeowners"
			}
			v.Groups = append(v.Groups, ReportGroup{Path: p.Path, URL: u})
		}
		v.Groups[i].Problems = append(v.Groups[i].Problems, p)
	}
	sort.SliceStable(v.Groups, func(i, j int) bool { return v.Groups[i].Path < v.Groups[j].Path })
	return s.html(c, http.StatusOK, "report", v)
}

// handleReviewed serves POST /-/reviewed/*: a runbook marked reviewed today.
func (s *Server) handleReviewed(c echo.Context) error {
	p, exists, err := s.pathParam(c, "/-/reviewed/")
	if err != nil {
		return err
	}
	if !exists {
		return wiki.Errorf(wiki.ENOTFOUND, "There is no page %s.", p.Name())
	}
	if _, err := s.editor.MarkReviewed(c.Request().Context(), p, s.cfg.Now().UTC(), s.author(c.Request())); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, p.URL())
}

// runbookJSON is one runbook with the alert names it answers.
type runbookJSON struct {
	Path   string   `json:"path"`
	Title  string   `json:"title"`
	Alerts []string `json:"alerts"`
}

// handleAPIRunbooks serves GET /-/api/runbooks: every runbook and the alert
// names it answers, for checking a rules repository against the wiki.
func (s *Server) handleAPIRunbooks(c echo.Context) error {
	out := []runbookJSON{}
	for _, pi := range s.catalog.Pages() {
		if pi.Meta.Kind != wiki.KindRunbook {
			continue
		}
		alerts := wiki.RunbookAlerts(pi)
		if alerts == nil {
			alerts = []string{}
		}
		out = append(out, runbookJSON{Path: pi.Path.Name(), Title: pi.Title, Alerts: alerts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return c.JSON(http.StatusOK, map[string]any{"runbooks": out})
}
