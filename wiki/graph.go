package wiki

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Graph is the operational graph of the wiki, derived from every page's
// front matter and links: services and their dependencies both ways,
// runbooks by alert and service, postmortems by incident and service,
// action items, backlinks and broken links. Templates take no part.
type Graph struct {
	Commit    string
	Services  map[string]*ServiceNode // by lower-cased name
	Incidents map[string][]Path       // lower-cased incident id -> postmortems
	Backlinks map[Path][]Path
	Broken    []BrokenRef
	Actions   []ActionRef

	memo map[string]memoLink // link resolutions while building

	alertsFM map[string][]Path // lower-cased alert -> runbooks naming it in front matter
	stems    map[string][]Path // lower-cased file name (and kebab form) -> runbooks
	headings map[string][]Path // lower-cased first heading -> runbooks
}

// ServiceNode is one service: described by a page, or only referenced.
type ServiceNode struct {
	Name        string
	Page        *PageInfo // nil when no page describes it
	DependsOn   []string
	Dependents  []string
	Runbooks    []Path
	Postmortems []Path
	// ReferencedBy lists pages naming the service (services, depends_on).
	ReferencedBy []Path
}

// BrokenRef is a link or reference to something the wiki does not have.
type BrokenRef struct {
	From   Path
	Line   int
	Target string
	// What says what kind of reference: "link", "service", "related".
	What string
}

// ActionRef is an action item with the postmortem it belongs to.
type ActionRef struct {
	Postmortem *PageInfo
	Item       ActionItem
}

// graphCache holds the graph of the catalog's latest commit.
type graphCache struct {
	mu       sync.Mutex // held while building
	latest   atomic.Pointer[Graph]
	building atomic.Bool
}

// Graph returns the operational graph as of the catalog's commit, built on
// first use after each change and then shared. Views that list what the
// graph says (action items, services, the report) use it.
func (c *Catalog) Graph() *Graph {
	commit := c.Commit()
	if g := c.graphs.latest.Load(); g != nil && g.Commit == commit {
		return g
	}
	c.graphs.mu.Lock()
	defer c.graphs.mu.Unlock()
	if g := c.graphs.latest.Load(); g != nil && g.Commit == commit {
		return g
	}
	g := buildGraph(c, commit)
	c.graphs.latest.Store(g)
	return g
}

// RecentGraph returns the last graph built, without waiting for one of a
// newer commit, which it starts building in the background. Page views use
// it: under a stream of saves they must not each wait for a rebuild, and a
// page's backlinks being a moment behind is harmless.
func (c *Catalog) RecentGraph() *Graph {
	g := c.graphs.latest.Load()
	if g == nil {
		return c.Graph()
	}
	if g.Commit != c.Commit() && c.graphs.building.CompareAndSwap(false, true) {
		go func() {
			defer c.graphs.building.Store(false)
			c.Graph()
		}()
	}
	return g
}

func buildGraph(c *Catalog, commit string) *Graph {
	g := &Graph{Commit: commit, Services: map[string]*ServiceNode{}, Incidents: map[string][]Path{},
		Backlinks: map[Path][]Path{}, alertsFM: map[string][]Path{}, stems: map[string][]Path{}, headings: map[string][]Path{},
		memo: map[string]memoLink{}}
	pages := c.Pages()
	node := func(name string) *ServiceNode {
		key := strings.ToLower(name)
		n := g.Services[key]
		if n == nil {
			n = &ServiceNode{Name: name}
			g.Services[key] = n
		}
		return n
	}
	for _, pi := range pages {
		if pi.Meta.Kind == KindService {
			n := node(pi.Meta.Name)
			n.Page, n.Name = pi, pi.Meta.Name
		}
	}
	for _, pi := range pages {
		m := pi.Meta
		switch m.Kind {
		case KindTemplate:
			continue
		case KindService:
			self := node(m.Name)
			for _, dep := range m.DependsOn {
				self.DependsOn = appendName(self.DependsOn, dep)
				d := node(dep)
				d.Dependents = appendName(d.Dependents, m.Name)
				d.ReferencedBy = addPage(d.ReferencedBy, pi.Path)
				if d.Page == nil {
					g.Broken = append(g.Broken, BrokenRef{From: pi.Path, Line: pi.Doc.KeyLine("depends_on"), Target: dep, What: "service"})
				}
			}
		case KindRunbook:
			for _, a := range m.Alerts {
				k := strings.ToLower(a)
				g.alertsFM[k] = addPage(g.alertsFM[k], pi.Path)
			}
			stem := pi.Path.FileTitle()
			for _, k := range []string{strings.ToLower(stem), Slug(splitCamel(stem))} {
				g.stems[k] = addPage(g.stems[k], pi.Path)
			}
			for _, h := range pi.Headings {
				if h.Level == 1 {
					k := strings.ToLower(h.Text)
					g.headings[k] = addPage(g.headings[k], pi.Path)
					break
				}
			}
		case KindPostmortem:
			for _, inc := range m.Incidents {
				k := strings.ToLower(inc)
				g.Incidents[k] = addPage(g.Incidents[k], pi.Path)
			}
			for _, a := range m.ActionItems {
				g.Actions = append(g.Actions, ActionRef{Postmortem: pi, Item: a})
			}
		}
		for _, s := range m.Services {
			n := node(s)
			n.ReferencedBy = addPage(n.ReferencedBy, pi.Path)
			switch m.Kind {
			case KindRunbook:
				n.Runbooks = addPage(n.Runbooks, pi.Path)
			case KindPostmortem:
				n.Postmortems = addPage(n.Postmortems, pi.Path)
			}
			if n.Page == nil {
				g.Broken = append(g.Broken, BrokenRef{From: pi.Path, Line: max(pi.Doc.KeyLine("services"), pi.Doc.KeyLine("service"), pi.Doc.KeyLine("product")), Target: s, What: "service"})
			}
		}
		g.linkPage(c, pi)
	}
	g.memo = nil
	sort.Slice(g.Broken, func(i, j int) bool {
		if g.Broken[i].From != g.Broken[j].From {
			return g.Broken[i].From < g.Broken[j].From
		}
		return g.Broken[i].Line < g.Broken[j].Line
	})
	return g
}

// linkPage records the page's links as backlinks, or as broken.
func (g *Graph) linkPage(c *Catalog, pi *PageInfo) {
	if pi.Doc == nil {
		return
	}
	for _, l := range pi.Doc.Links {
		target, ok, skip := g.resolve(c, pi.Path, l)
		if skip {
			continue
		}
		if !ok {
			g.Broken = append(g.Broken, BrokenRef{From: pi.Path, Line: l.Line, Target: l.Target, What: "link"})
			continue
		}
		if target != pi.Path {
			g.Backlinks[target] = addPage(g.Backlinks[target], pi.Path)
		}
	}
	for _, r := range pi.Meta.Related {
		if strings.Contains(r, "://") {
			continue
		}
		if _, ok := c.LookupName(pi.Path, strings.TrimSuffix(r, ".md")); !ok {
			g.Broken = append(g.Broken, BrokenRef{From: pi.Path, Line: pi.Doc.KeyLine("related"), Target: r, What: "related"})
		}
	}
}

// resolve resolves a link, remembering wiki link targets: many pages link
// to the same few pages, and lookups of missing ones are the slowest.
func (g *Graph) resolve(c *Catalog, from Path, l RawLink) (Path, bool, bool) {
	if !l.Wiki || strings.HasPrefix(strings.TrimSpace(l.Target), ".") || strings.Contains(l.Target, "#") {
		return resolveLink(c, from, l)
	}
	key := string(from.Dir()) + "\x00" + l.Target
	if r, ok := g.memo[key]; ok {
		return r.p, r.ok, r.skip
	}
	p, ok, skip := resolveLink(c, from, l)
	g.memo[key] = memoLink{p, ok, skip}
	return p, ok, skip
}

type memoLink struct {
	p        Path
	ok, skip bool
}

// resolveLink finds the file a link names. skip is true for links that
// leave the wiki (other sites, mail, the server's own routes, anchors).
func resolveLink(c *Catalog, from Path, l RawLink) (target Path, ok, skip bool) {
	if l.Wiki {
		name, _, _ := strings.Cut(l.Target, "#")
		if strings.TrimSpace(name) == "" {
			return "", false, true
		}
		p, ok := c.LookupName(from, name)
		return p, ok, false
	}
	d := l.Target
	if d == "" || strings.HasPrefix(d, "#") || strings.Contains(d, ":") || strings.HasPrefix(d, "/-/") || strings.HasPrefix(d, "//") {
		return "", false, true
	}
	if i := strings.IndexAny(d, "#?"); i >= 0 {
		d = d[:i]
	}
	p, okPath := from.Resolve(d)
	if !okPath {
		return "", false, false
	}
	if c.Exists(p) {
		return p, true, false
	}
	if t := c.Lookup(string(p)); t.Kind != TargetNone && t.Exact {
		return t.Path, true, false
	}
	return "", false, false
}

// RunbooksForAlert finds the runbooks for an alert, case-insensitively: by
// their alerts front matter first, then by file name, then by first
// heading, the conventions runbook collections already follow.
func (g *Graph) RunbooksForAlert(alert string) []Path {
	k := strings.ToLower(strings.TrimSpace(alert))
	if list := g.alertsFM[k]; len(list) > 0 {
		return list
	}
	if list := g.stems[k]; len(list) > 0 {
		return list
	}
	if list := g.stems[Slug(splitCamel(alert))]; len(list) > 0 {
		return list
	}
	return g.headings[k]
}

// ServiceNames returns every service, described or referenced, by name.
func (g *Graph) ServiceNames() []string {
	out := make([]string, 0, len(g.Services))
	for _, n := range g.Services {
		out = append(out, n.Name)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i]) < strings.ToLower(out[j]) })
	return out
}

// Service returns a service by name, case-insensitively.
func (g *Graph) Service(name string) (*ServiceNode, bool) {
	n, ok := g.Services[strings.ToLower(strings.TrimSpace(name))]
	return n, ok
}

func appendName(list []string, name string) []string {
	for _, n := range list {
		if strings.EqualFold(n, name) {
			return list
		}
	}
	return append(list, name)
}

// addPage appends p unless it is already last. Pages are visited in path
// order, so lists come out sorted and a page repeats only consecutively;
// this keeps building the graph linear in the number of pages.
func addPage(list []Path, p Path) []Path {
	if n := len(list); n > 0 && list[n-1] == p {
		return list
	}
	return append(list, p)
}
