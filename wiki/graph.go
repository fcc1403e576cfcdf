package wiki

import (
	"hash/maphash"
	"strings"
	"sync"

	"github.com/benbjohnson/immutable"
)

// Graph is the operational graph of the wiki as of one commit, derived from
// every page's front matter and links: services and their dependencies both
// ways, runbooks by alert and service, postmortems by incident and service,
// action items, backlinks and broken links. Templates take no part.
//
// A Graph never changes once published. The catalog derives the next one
// from the previous one and the pages a commit changed, in time
// proportional to the change (its collections share everything a commit
// left alone), so readers never wait for a write and hold a consistent
// snapshot for as long as they like.
type Graph struct {
	Commit string

	services  *immutable.SortedMap[string, *ServiceNode] // lower-cased name
	incidents *immutable.Map[string, []Path]             // lower-cased incident id -> postmortems
	backlinks *immutable.Map[Path, []Path]
	actions   *immutable.SortedMap[Path, []ActionRef] // by postmortem
	broken    *immutable.SortedMap[Path, []BrokenRef] // by page
	alertsFM  *immutable.Map[string, []Path]          // lower-cased alert -> runbooks naming it in front matter
	stems     *immutable.Map[string, []Path]          // lower-cased file name (and kebab form) -> runbooks
	headings  *immutable.Map[string, []Path]          // lower-cased first heading -> runbooks
	linkVers  *immutable.Map[Path, uint64]            // page -> fingerprint of where its links lead
	teams     *immutable.SortedMap[string, *PageInfo] // lower-cased team key -> team page

	// The flat lists some views show whole, made on first use.
	listOnce   sync.Once
	allActions []ActionRef
	allBroken  []BrokenRef

	// The drill pages, and what they exercised (Catalog.Exercises), made
	// on first use.
	drills    []Path
	drillOnce sync.Once
	drillIdx  *drillIndex
}

// ServiceNode is one service: described by a page, or only referenced.
// Nodes are immutable; a commit touching anything a node shows replaces
// it with a new node of a higher Version.
type ServiceNode struct {
	Name        string
	Page        *PageInfo // nil when no page describes it
	DependsOn   []string
	Dependents  []string
	Runbooks    []Path
	Postmortems []Path
	// ReferencedBy lists pages naming the service (services, depends_on).
	ReferencedBy []Path
	// Entity is the Backstage entity (Component or System) describing the
	// service, from the descriptor EntityFile; nil when none does.
	// OwnerGroup is the Backstage group owning it, when a descriptor
	// describes that group.
	Entity     *Entity
	EntityFile Path
	OwnerGroup *Entity
	// Version changes whenever the node or a page it lists changes, so a
	// view of the service can be cached until then. It is derived from
	// content: the same wiki gives the same versions in every process.
	Version uint64
}

// Owner returns who owns the service: its page's owner, else its Backstage
// owner.
func (n *ServiceNode) Owner() string {
	if n.Page != nil && n.Page.Meta.Owner != "" {
		return n.Page.Meta.Owner
	}
	if n.Entity != nil {
		return n.Entity.Owner
	}
	return ""
}

// OnCall returns where the service's on-call is: the on-call tools its
// Backstage entity's annotations name, else its owning group's.
func (n *ServiceNode) OnCall() []OnCall {
	if n.Entity != nil && len(n.Entity.OnCall) > 0 {
		return n.Entity.OnCall
	}
	if n.OwnerGroup != nil {
		return n.OwnerGroup.OnCall
	}
	return nil
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

// emptyGraph returns a graph with no pages.
func emptyGraph() *Graph {
	return &Graph{
		services:  immutable.NewSortedMap[string, *ServiceNode](nil),
		incidents: immutable.NewMap[string, []Path](nil),
		backlinks: immutable.NewMap[Path, []Path](pathHasher{}),
		actions:   immutable.NewSortedMap[Path, []ActionRef](pathComparer{}),
		broken:    immutable.NewSortedMap[Path, []BrokenRef](pathComparer{}),
		alertsFM:  immutable.NewMap[string, []Path](nil),
		stems:     immutable.NewMap[string, []Path](nil),
		headings:  immutable.NewMap[string, []Path](nil),
		linkVers:  immutable.NewMap[Path, uint64](pathHasher{}),
		teams:     immutable.NewSortedMap[string, *PageInfo](nil),
	}
}

// next returns a graph sharing g's collections, for the builder to change.
func (g *Graph) next(commit string) *Graph {
	return &Graph{Commit: commit, services: g.services, incidents: g.incidents, backlinks: g.backlinks,
		actions: g.actions, broken: g.broken, alertsFM: g.alertsFM, stems: g.stems, headings: g.headings, linkVers: g.linkVers, teams: g.teams,
		drills: g.drills}
}

// Service returns a service by name, case-insensitively.
func (g *Graph) Service(name string) (*ServiceNode, bool) {
	return g.services.Get(strings.ToLower(strings.TrimSpace(name)))
}

// Services returns every service, described or referenced, ordered by
// lower-cased name.
func (g *Graph) Services() []*ServiceNode {
	out := make([]*ServiceNode, 0, g.services.Len())
	for it := g.services.Iterator(); !it.Done(); {
		_, n, _ := it.Next()
		out = append(out, n)
	}
	return out
}

// ServiceNames returns every service, described or referenced, by name.
func (g *Graph) ServiceNames() []string {
	out := make([]string, 0, g.services.Len())
	for _, n := range g.Services() {
		out = append(out, n.Name)
	}
	return out
}

// Backlinks returns the pages linking to p, by path.
func (g *Graph) Backlinks(p Path) []Path {
	list, _ := g.backlinks.Get(p)
	return list
}

// LinksVersion fingerprints where a page's links lead: the pages and files
// they reach and the ones that reach nothing. It changes exactly when a
// commit changes what one of the page's links resolves to, so a rendering
// of the page can be kept until then. Derived from content.
func (g *Graph) LinksVersion(p Path) uint64 {
	v, _ := g.linkVers.Get(p)
	return v
}

// Incident returns the postmortems of an incident id, case-insensitively.
func (g *Graph) Incident(id string) []Path {
	list, _ := g.incidents.Get(strings.ToLower(strings.TrimSpace(id)))
	return list
}

// Actions returns every action item, by postmortem path and then in the
// order the postmortem lists them. Callers must not modify the result.
func (g *Graph) Actions() []ActionRef {
	g.lists()
	return g.allActions
}

// ActionsOf returns the action items of one postmortem.
func (g *Graph) ActionsOf(p Path) []ActionRef {
	list, _ := g.actions.Get(p)
	return list
}

// BrokenOf returns a page's broken links and references, by line.
func (g *Graph) BrokenOf(p Path) []BrokenRef {
	refs, _ := g.broken.Get(p)
	return refs
}

// ServiceActions returns the action items of the postmortems of a service.
func (g *Graph) ServiceActions(n *ServiceNode) []ActionRef {
	var out []ActionRef
	for _, p := range n.Postmortems {
		out = append(out, g.ActionsOf(p)...)
	}
	return out
}

// Broken returns every broken link and reference, by page and line.
// Callers must not modify the result.
func (g *Graph) Broken() []BrokenRef {
	g.lists()
	return g.allBroken
}

func (g *Graph) lists() {
	g.listOnce.Do(func() {
		for it := g.actions.Iterator(); !it.Done(); {
			_, refs, _ := it.Next()
			g.allActions = append(g.allActions, refs...)
		}
		for it := g.broken.Iterator(); !it.Done(); {
			_, refs, _ := it.Next()
			g.allBroken = append(g.allBroken, refs...)
		}
	})
}

// RunbooksForAlert finds the runbooks for an alert, case-insensitively: by
// their alerts front matter first, then by file name, then by first
// heading, the conventions runbook collections already follow.
func (g *Graph) RunbooksForAlert(alert string) []Path {
	k := strings.ToLower(strings.TrimSpace(alert))
	if list, _ := g.alertsFM.Get(k); len(list) > 0 {
		return list
	}
	if list, _ := g.stems.Get(k); len(list) > 0 {
		return list
	}
	if list, _ := g.stems.Get(Slug(splitCamel(alert))); len(list) > 0 {
		return list
	}
	list, _ := g.headings.Get(k)
	return list
}

// pathHasher and pathComparer let the immutable collections key on Path
// without reflection.
type pathHasher struct{}

var pathSeed = maphash.MakeSeed()

func (pathHasher) Hash(p Path) uint32      { return uint32(maphash.String(pathSeed, string(p))) }
func (pathHasher) Equal(a, b Path) bool    { return a == b }
func (pathComparer) Compare(a, b Path) int { return strings.Compare(string(a), string(b)) }

type pathComparer struct{}
