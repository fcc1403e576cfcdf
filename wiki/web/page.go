package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/markdown"
)

// PageView is the view of one page.
type PageView struct {
	Layout
	Doc        *wiki.Document
	Path       wiki.Path
	EditURL    string
	HistoryURL string
	// Notice is shown above the page, such as after a merged save.
	Notice string
	// Revision is set when the view shows an old version of the page.
	Revision *RevisionInfo
	// Backlinks are the pages that link here.
	Backlinks []PageLink
	// Service is set on a service's page.
	Service *ServicePanel
	// ReviewAction marks a runbook reviewed today.
	ReviewAction string
	Facts        []Fact
	Actions      []ActionRow
	Extra        []ExtraField
	Problems     []wiki.Problem
	TOC          []markdown.TOCEntry
	// Jump is the runbook's section that stops the bleeding, linked at
	// the top so a phone gets there in one tap.
	Jump *markdown.TOCEntry
	// FactsSummary names the facts when they are folded (on phones).
	FactsSummary string
	// Firing are the alerts firing now that the page answers.
	Firing []FiringAlert
	// Filled says the page's placeholders were filled from the request.
	Filled bool
	// Rules are the alerting rules a runbook answers.
	Rules []AlertRow
	// Owners are who may change the page, by the CODEOWNERS file.
	Owners []PageOwner
	// Then and Readiness are a postmortem's "As it was then" and
	// Readiness panels.
	Then      *ThenPanel
	Readiness *ReadinessPanel
	// Call is the Who to call card: the teams owning the page's services
	// and who is on call there now.
	Call   *WhoToCall
	HTML   template.HTML
	RawURL string
	// Sidebar and Footer are the nearest _Sidebar.md and _Footer.md of
	// GitHub and Gollum wikis, rendered, with links to edit them.
	Sidebar, Footer *Aside
}

// Aside is a page shown around other pages: a wiki's sidebar or footer.
type Aside struct {
	HTML    template.HTML
	URL     string // the page itself
	EditURL string
}

// handleContent serves GET /*: a page, a folder, an attachment or raw
// markdown, looked up exactly first and then case-insensitively.
func (s *Server) handleContent(c echo.Context) error {
	r := c.Request()
	name := strings.Trim(r.URL.Path, "/")
	t := s.catalog.Lookup(name)
	switch t.Kind {
	case wiki.TargetPage:
		if strings.HasSuffix(strings.ToLower(name), ".md") && strings.EqualFold(string(t.Path), name) {
			return s.serveFile(c, t.Path, "text/plain; charset=utf-8")
		}
		if !t.Exact {
			return c.Redirect(http.StatusFound, canonical(t)+query(r))
		}
		return s.servePage(c, t.Path)
	case wiki.TargetFile:
		if !t.Exact {
			return c.Redirect(http.StatusFound, t.Path.RawURL()+query(r))
		}
		return s.serveFile(c, t.Path, "")
	case wiki.TargetFolder:
		if !t.Exact {
			return c.Redirect(http.StatusFound, wiki.NameURL(string(t.Folder))+query(r))
		}
		return s.serveFolder(c, t.Folder)
	}
	// The wiki may have taken over the name of the pages' old home: its
	// addresses lead to the pages here.
	if old, _, ok := s.catalog.Settings().RequestRedirect(r.Host, r.URL.EscapedPath()); ok {
		if p, ok := s.catalog.LookupName("", "/"+old); ok {
			return c.Redirect(http.StatusMovedPermanently, p.URL())
		}
	}
	return s.serveNotFound(c, name)
}

func canonical(t wiki.Target) string {
	if t.IsFolder {
		return wiki.NameURL(string(t.Folder))
	}
	return t.Path.URL()
}

func query(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return "?" + r.URL.RawQuery
}

// servePage renders a page, from the page cache when nothing it shows has
// changed: its blob, where its links lead, what other pages say of it, the
// folders its navigation lists, and the day (dated warnings). A commit
// elsewhere leaves it cached.
func (s *Server) servePage(c echo.Context, p wiki.Path) error {
	pi, ok := s.catalog.Page(p)
	if !ok {
		return wiki.ErrNotFound
	}
	now := s.cfg.Now()
	_, callKey := s.card(c.Request().Context(), pi, now)
	key := pageKey(string(p), pi.Blob, s.dependsOn(pi), now.UTC().Format(time.DateOnly), s.cfg.Version,
		strconv.FormatUint(s.firing.Version(), 10), // the header's count, a runbook's banner
		s.upstreamBanner(c.Request().Context()), callKey)
	etag := `"` + key + `"`
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "no-cache")
	if match := c.Request().Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	if values := fillValues(c.QueryParams()); len(values) > 0 && hasPlaceholders(mustBody(s, c, pi), params(pi.Doc)) {
		// Filled in for one alert: said for this request only.
		v, err := s.pageView(c, p, pi.Blob, now)
		if err != nil {
			return err
		}
		h.Del("ETag")
		h.Set("Cache-Control", "no-store")
		return s.html(c, http.StatusOK, "page", v)
	}
	if c.QueryParam("merged") != "" {
		// Said once, right after a save; never cached.
		v, err := s.pageView(c, p, pi.Blob, now)
		if err != nil {
			return err
		}
		v.Notice = "Your edit was merged with a change someone else saved while you were editing. Check that the page reads as you meant."
		h.Del("ETag")
		return s.html(c, http.StatusOK, "page", v)
	}
	h.Set("Content-Type", echo.MIMETextHTMLCharsetUTF8)
	if b, ok := s.pages.Get(key); ok {
		b.write(c.Response(), c.Request(), http.StatusOK)
		return nil
	}
	b, err := s.renderPage(c, pi, now)
	if err != nil {
		h.Del("Content-Type")
		return err
	}
	s.pages.Put(string(p), key, b).write(c.Response(), c.Request(), http.StatusOK)
	return nil
}

func pageKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// renderPage builds the HTML of a page view.
func (s *Server) renderPage(c echo.Context, pi *wiki.PageInfo, now time.Time) ([]byte, error) {
	v, err := s.pageView(c, pi.Path, pi.Blob, now)
	if err != nil {
		return nil, err
	}
	return s.execute("page", v)
}

// pageView reads and renders the page at p as stored in blob: the current
// version, or an old revision.
func (s *Server) pageView(c echo.Context, p wiki.Path, blob string, now time.Time) (PageView, error) {
	content, err := s.store.ReadBlob(c.Request().Context(), blob)
	if err != nil {
		return PageView{}, fmt.Errorf("read %s: %w", p, err)
	}
	doc := wiki.ParseDocumentWith(p, content, s.catalog.Settings())
	body, key, filled := doc.Body, blob, false
	if values := fillValues(c.QueryParams()); len(values) > 0 {
		if body, filled = fillBody(doc.Body, values, params(doc)); filled {
			key = fillKey(blob, values)
		} else {
			body = doc.Body
		}
	}
	res, err := s.renderer.Render(c.Request().Context(), p, key, body, s.catalog)
	if err != nil {
		return PageView{}, fmt.Errorf("render %s: %w", p, err)
	}
	html := res.HTML
	if filled {
		html = markFilled(html)
	}
	v := PageView{Layout: s.layout(doc.Title), Doc: doc, Path: p, HTML: html, RawURL: p.RawURL(), Filled: filled,
		EditURL: "/-/edit/" + escapeName(p.Name()), HistoryURL: "/-/history/" + escapeName(p.Name())}
	v.Crumbs = s.crumbs(p, doc.Title)
	v.Tree = s.tree(p)
	v.Facts = s.facts(doc, now)
	if doc.Meta.Kind == wiki.KindDrill {
		v.Facts = append(s.drillFacts(doc, now), v.Facts...) // when and which runbooks first
	} else {
		v.Facts = append(v.Facts, s.drillFacts(doc, now)...)
	}
	v.FactsSummary = factsSummary(v.Facts)
	if doc.Meta.Kind == wiki.KindRunbook {
		v.Jump = mitigationHeading(res.TOC)
	}
	v.Actions = actionRows(doc.Meta.ActionItems, now)
	v.Extra = extraFields(doc.Meta.Extra)
	if doc.Meta.Kind == wiki.KindDrill {
		v.Extra = withoutDate(v.Extra)
	}
	v.Owners = pageOwners(s.catalog.CodeOwners(), p)
	g := s.catalog.Graph()
	if pi, ok := s.catalog.Page(p); ok && pi.Blob == blob {
		v.Problems = wiki.Problems(doc, g.BrokenOf(p), now)
	} else {
		v.Problems = wiki.Problems(doc, s.catalog.Broken(doc), now) // an old revision
	}
	if res.ShowTOC {
		v.TOC = res.TOC
	}
	v.Backlinks = s.linkPages(g.Backlinks(p))
	sidebar, footer := s.catalog.Asides(p)
	if v.Sidebar, err = s.aside(c, sidebar); err != nil {
		return PageView{}, err
	}
	if v.Footer, err = s.aside(c, footer); err != nil {
		return PageView{}, err
	}
	if pi, ok := s.catalog.Page(p); ok && pi.Blob == blob {
		var svc *wiki.ServiceNode
		if doc.Meta.Kind == wiki.KindService {
			svc, _ = g.Service(doc.Meta.Name)
		}
		v.Firing = s.firingFor(pi, svc, now)
		v.Call, _ = s.card(c.Request().Context(), pi, now)
		if doc.Meta.Kind == wiki.KindPostmortem {
			v.Then, v.Readiness = s.learning(c.Request().Context(), doc)
		}
	}
	switch doc.Meta.Kind {
	case wiki.KindService:
		v.Service = s.servicePanel(g, doc.Meta.Name, now)
	case wiki.KindPage:
		// The documentation home of a service a Backstage descriptor
		// describes shows the service.
		if n, ok := s.catalog.ServiceOfDocs(p); ok {
			v.Service = s.servicePanel(g, n.Name, now)
		}
	case wiki.KindRunbook:
		v.Rules = s.rulesFor(c.Request().Context(), p)
		v.ReviewAction = "/-/reviewed/" + escapeName(p.Name())
	}
	return v, nil
}

// aside renders a page shown around others (see Catalog.Asides), or
// returns nil for none.
func (s *Server) aside(c echo.Context, pi *wiki.PageInfo) (*Aside, error) {
	if pi == nil {
		return nil, nil
	}
	content, err := s.store.ReadBlob(c.Request().Context(), pi.Blob)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", pi.Path, err)
	}
	doc := wiki.ParseDocumentWith(pi.Path, content, s.catalog.Settings())
	res, err := s.renderer.Render(c.Request().Context(), pi.Path, pi.Blob, doc.Body, s.catalog)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", pi.Path, err)
	}
	return &Aside{HTML: res.HTML, URL: pi.Path.URL(), EditURL: "/-/edit/" + escapeName(pi.Path.Name())}, nil
}

// dependsOn fingerprints what a page shows of other pages, beyond its own
// text and the set of files: the pages linking to it and, on a service's
// page, the service's node, which the graph replaces with a new version
// whenever a page it lists changes. An edit elsewhere then leaves every
// other cached page valid.
func (s *Server) dependsOn(pi *wiki.PageInfo) string {
	g := s.catalog.Graph()
	var b strings.Builder
	if pi.Meta.Kind == wiki.KindService {
		if n, ok := g.Service(pi.Meta.Name); ok {
			b.WriteString("service ")
			b.WriteString(strconv.FormatUint(n.Version, 10))
			b.WriteByte(0)
		}
	} else if n, ok := s.catalog.ServiceOfDocs(pi.Path); ok {
		b.WriteString("docs of " + n.Name + " ")
		b.WriteString(strconv.FormatUint(n.Version, 10))
		b.WriteByte(0)
	}
	// Drills: a runbook's last exercise, a drill's runbooks, a service's
	// runbooks' drills; and a service's error budgets, whose windows move
	// with the clock.
	b.WriteString(s.drillKey(pi, s.cfg.Now()))
	b.WriteByte(0)
	if pi.Meta.Kind == wiki.KindService && len(pi.Meta.SLOs) > 0 {
		if n, ok := g.Service(pi.Meta.Name); ok {
			b.WriteString(budgetKey(g.Budgets(n.Name, s.postmortems(n.Postmortems), s.cfg.Now())))
		}
	}
	b.WriteByte(0)
	if pi.Meta.Kind == wiki.KindRunbook {
		// The rules it answers, from --rules or the repository.
		for _, r := range s.rulesFor(context.Background(), pi.Path) {
			b.WriteString("rule " + r.Source + " " + r.Expr + " " + r.For + " " + r.Severity + " " + r.Summary)
			b.WriteByte(0)
		}
	}
	if pi.Meta.Kind == wiki.KindPostmortem {
		// As it was then and Readiness read the history of the pages the
		// postmortem relies on, and the settings.
		b.WriteString(s.learningKey(context.Background(), pi))
		b.WriteByte(0)
	}
	b.WriteString("links ")
	if pi.Meta.Kind == wiki.KindTemplate {
		// Templates take no part in the graph: any new or removed file
		// may change where their links lead.
		b.WriteString("files " + strconv.FormatUint(s.catalog.Generation(), 10))
	} else {
		b.WriteString(strconv.FormatUint(g.LinksVersion(pi.Path), 10))
	}
	b.WriteString(" tree")
	for d := pi.Path.Dir(); ; d = d.Dir() {
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(s.catalog.ListingVersion(d), 10))
		if d == "" {
			break
		}
	}
	b.WriteByte(0)
	// The sidebar and footer shown around the page: which ones is decided
	// by the folders' listings above; what they show, by their text and
	// where their links lead.
	sidebar, footer := s.catalog.Asides(pi.Path)
	for _, a := range []*wiki.PageInfo{sidebar, footer} {
		if a != nil {
			b.WriteString(a.Blob + " " + strconv.FormatUint(g.LinksVersion(a.Path), 10))
		}
		b.WriteByte(0)
	}
	// The owners line: from the CODEOWNERS file in force.
	if co := s.catalog.CodeOwners(); co != nil {
		b.WriteString("owners " + string(co.Path) + " " + co.Blob)
	}
	b.WriteByte(0)
	back := g.Backlinks(pi.Path)
	for _, p := range back {
		b.WriteString(string(p))
		b.WriteByte(0)
		if bl, ok := s.catalog.Page(p); ok {
			b.WriteString(bl.Title) // the link shows the title
		}
		b.WriteByte(0)
	}
	return b.String()
}

// ServicePanel is what the wiki knows of a service, on its page.
type ServicePanel struct {
	DependsOn, Dependents []ServiceLink
	Runbooks, Postmortems []PageLink
	OpenActions           []ActionItemRow
	Incidents365d         int
	MTTR                  string
	ReliabilityURL        string
	// Backstage is what a catalog-info.yaml says of the service.
	Backstage *BackstageFacts
	// Budgets are the error budgets of the service's SLOs; RunbookDrills
	// when each runbook was last drilled, and DrillEvery how often the
	// service expects it ("" for not at all).
	Budgets       []BudgetView
	RunbookDrills map[wiki.Path]DrillStatus
	DrillEvery    string
}

// BackstageFacts is a service's Backstage entity, as its panel shows it.
type BackstageFacts struct {
	Kind, Type, Lifecycle, System, Owner, Description string
	OnCall, Links                                     []FactValue
	APIs                                              []string
	Source, SourceURL                                 string
}

// backstageFacts describes a service's entity; nil without one.
func backstageFacts(n *wiki.ServiceNode) *BackstageFacts {
	e := n.Entity
	if e == nil {
		return nil
	}
	b := &BackstageFacts{Kind: e.Kind, Type: e.Type, Lifecycle: e.Lifecycle, System: e.System, Owner: e.Owner,
		Description: e.Description, APIs: e.ProvidesAPIs,
		Source: fmt.Sprintf("%s:%d", n.EntityFile, e.Line), SourceURL: n.EntityFile.RawURL()}
	if g := n.OwnerGroup; g != nil && g.Title != "" {
		b.Owner = g.Title + " (" + e.Owner + ")"
	}
	for _, o := range n.OnCall() {
		if o.Secret() {
			continue
		}
		v := FactValue{Text: o.Provider + " " + o.Label + " " + o.Value}
		if wiki.SafeURL(o.URL) {
			v.URL, v.External = o.URL, true
		}
		b.OnCall = append(b.OnCall, v)
	}
	for _, l := range e.Links {
		if wiki.SafeURL(l.URL) && strings.Contains(l.URL, "://") {
			b.Links = append(b.Links, FactValue{Text: l.Title, URL: l.URL, External: true})
		}
	}
	return b
}

func (s *Server) servicePanel(g *wiki.Graph, name string, now time.Time) *ServicePanel {
	n, ok := g.Service(name)
	if !ok {
		return nil
	}
	sp := &ServicePanel{Runbooks: s.linkPages(n.Runbooks), Postmortems: s.linkPages(n.Postmortems),
		ReliabilityURL: "/-/reliability?service=" + url.QueryEscape(n.Name), Backstage: backstageFacts(n)}
	for _, d := range n.DependsOn {
		sp.DependsOn = append(sp.DependsOn, s.serviceLink(g, d))
	}
	for _, d := range n.Dependents {
		sp.Dependents = append(sp.Dependents, s.serviceLink(g, d))
	}
	for _, a := range wiki.FilterActions(g.ServiceActions(n), wiki.ActionFilter{Status: "open"}, now) {
		sp.OpenActions = append(sp.OpenActions, s.actionRow(a, now))
	}
	sp.Budgets = s.budgetViews(g, n, now)
	sp.RunbookDrills, sp.DrillEvery = s.drillStatus(n, now)
	r := wiki.ComputeReliability(n.Name, s.postmortems(n.Postmortems), now.AddDate(-1, 0, 0), now)
	sp.Incidents365d = len(r.Incidents)
	if r.TTR.Count > 0 {
		sp.MTTR = duration(r.TTR.Mean)
	}
	return sp
}

// serveFile writes a file's bytes as stored, for raw markdown and
// attachments. Types that a browser could run as a document (HTML, SVG, XML)
// are sandboxed so an uploaded file can never script the wiki.
func (s *Server) serveFile(c echo.Context, p wiki.Path, ctype string) error {
	blob, ok := s.catalog.Blob(p)
	if !ok {
		return wiki.ErrNotFound
	}
	etag := `"` + blob + `"`
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	if match := c.Request().Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	b, err := s.store.ReadBlob(c.Request().Context(), blob)
	if err != nil {
		return err
	}
	if ptr, ok := wiki.ParseLFSPointer(b); ok && !p.IsPage() {
		// The file is in Git LFS, which this wiki does not serve: say so
		// rather than hand out the pointer as if it were the file.
		b = []byte(fmt.Sprintf("%s is stored with Git LFS, which this wiki does not serve: the repository holds only a pointer to it.\n"+
			"Fetch it from where the repository came from (git lfs pull), or commit the file itself to show it here.\n\n"+
			"Size: %d bytes\nObject: %s\n", p.Base(), ptr.Size, ptr.OID))
		ctype = "text/plain; charset=utf-8"
		h.Set("X-Git-LFS-Pointer", ptr.OID)
	}
	if ctype == "" {
		ctype = contentType(p, b)
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if ctype == "application/octet-stream" {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": p.Base()}))
	}
	c.Response().WriteHeader(http.StatusOK)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	_, err = c.Response().Write(b)
	return err
}

// contentType picks a type by extension, then by sniffing. Text types get
// a charset; types that could run script in the wiki's origin are served
// as plain text or downloads.
func contentType(p wiki.Path, b []byte) string {
	ct := mime.TypeByExtension(p.Ext())
	if ct == "" {
		ct = http.DetectContentType(b)
	}
	base, _, _ := mime.ParseMediaType(ct)
	switch {
	case base == "text/html" || base == "application/xhtml+xml" || base == "text/javascript" || base == "application/javascript":
		return "text/plain; charset=utf-8"
	case strings.HasPrefix(base, "text/") && !strings.Contains(ct, "charset"):
		return base + "; charset=utf-8"
	}
	return ct
}

// mitigationHeading returns the first section a runbook's reader acts
// on: Mitigation, Resolution, Remediation (as the runbook shapes name it).
func mitigationHeading(toc []markdown.TOCEntry) *markdown.TOCEntry {
	for i, e := range toc {
		t := strings.ToLower(e.Text)
		for _, w := range []string{"mitigation", "mitigate", "resolution", "remediation", "fix"} {
			if strings.HasPrefix(t, w) {
				return &toc[i]
			}
		}
	}
	return nil
}

// factsSummary names the first facts of a page: "Owner, Services, Alerts
// and 4 more".
func factsSummary(facts []Fact) string {
	var names []string
	for i, f := range facts {
		if i == 3 {
			return strings.Join(names, ", ") + fmt.Sprintf(" and %d more", len(facts)-3)
		}
		names = append(names, f.Label)
	}
	return strings.Join(names, ", ")
}

// mustBody returns a page's markdown for a quick look, nil when it cannot
// be read (the page view that follows reports that).
func mustBody(s *Server, c echo.Context, pi *wiki.PageInfo) []byte {
	b, err := s.store.ReadBlob(c.Request().Context(), pi.Blob)
	if err != nil {
		return nil
	}
	return b
}
