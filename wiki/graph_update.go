package wiki

import (
	"encoding/binary"
	"hash/fnv"
	"path"
	"slices"
	"strings"

	"github.com/benbjohnson/immutable"
)

// graphState is what the catalog keeps beside the published graph so the
// next graph can be derived from the pages a commit changed: what each page
// contributes, and reverse indexes that say which other parts of the graph
// a change can affect. Only Catalog.Apply uses it, under the catalog's
// write lock.
type graphState struct {
	g     *Graph
	pages map[Path]*pageEdges
	fresh bool // building from nothing: lists are not shared yet

	svcDecl map[string]pathList // lower-cased service -> service pages describing it
	svcRef  map[string]pathList // lower-cased service -> pages naming it in services
	svcRb   map[string]pathList // the runbooks among them
	svcPm   map[string]pathList // the postmortems among them
	depRef  map[string]pathList // lower-cased service -> service pages depending on it
	refSum  map[string]uint64   // sum of pageHash over svcRef and depRef, for ServiceNode.Version
	declSum map[string]uint64   // sum of pageHash over svcDecl
	back    map[Path]pathList   // page or file -> pages linking to it
	keys    map[string]pathSet  // lookup key -> pages with a link or related page it may name
	incid   map[string]pathList
	// Backstage descriptors: the entities of each, the descriptors
	// describing each service (Component, System) and group, and a sum of
	// descriptor hashes per group for the versions of services it owns.
	// Descriptor hashes count in declSum and refSum as pages' do.
	ents    map[Path][]Entity
	entHash map[Path]uint64 // descriptor -> hash of its path and blob
	svcEnt  map[string]pathList
	grpEnt  map[string]pathList
	grpSum  map[string]uint64
	alerts  map[string]pathList
	stems   map[string]pathList
	heads   map[string]pathList
	teams   map[string]pathList // lower-cased team key -> team pages
	drills  pathList            // drill pages
}

// pageEdges is what one page (not a template) contributes to the graph.
type pageEdges struct {
	info    *PageInfo
	targets []Path      // pages and files its links reach
	keys    []string    // lookup keys of its links and related pages
	broken  []BrokenRef // links and related pages that reach nothing
	linkVer uint64      // fingerprint of targets and broken
}

type pathSet map[Path]struct{}

func newGraphState() *graphState {
	return &graphState{g: emptyGraph(), pages: map[Path]*pageEdges{},
		svcDecl: map[string]pathList{}, svcRef: map[string]pathList{}, svcRb: map[string]pathList{}, svcPm: map[string]pathList{},
		depRef: map[string]pathList{}, refSum: map[string]uint64{}, declSum: map[string]uint64{},
		back: map[Path]pathList{}, keys: map[string]pathSet{}, incid: map[string]pathList{},
		ents: map[Path][]Entity{}, entHash: map[Path]uint64{}, svcEnt: map[string]pathList{}, grpEnt: map[string]pathList{}, grpSum: map[string]uint64{},
		alerts: map[string]pathList{}, stems: map[string]pathList{}, heads: map[string]pathList{}, teams: map[string]pathList{}}
}

// graphDirt collects what a commit touched, to be derived again once.
type graphDirt struct {
	services map[string]bool
	expanded map[string]bool // services whose neighbours are marked too
	back     map[Path]bool
	relink   map[Path]bool
	broken   map[Path]bool
	actions  map[Path]bool
	incid    map[string]bool
	alerts   map[string]bool
	stems    map[string]bool
	heads    map[string]bool
	teams    map[string]bool
	drills   bool
}

// graphChange is one file a commit changed, as the catalog had it before.
type graphChange struct {
	path         Path
	before       *PageInfo // the page before the commit; nil for other files
	beforeConfig *Document // the configuration file before the commit
	existed      bool      // whether the file existed before the commit
}

// apply derives the graph of commit from the previous one; the catalog
// already reflects the commit. It runs in time proportional to what the
// changes can affect, not to the size of the wiki.
func (st *graphState) apply(c *Catalog, commit string, changes []graphChange) {
	st.fresh = len(st.pages) == 0 && st.g.services.Len() == 0
	defer func() { st.fresh = false }()
	d := &graphDirt{services: map[string]bool{}, expanded: map[string]bool{}, back: map[Path]bool{}, relink: map[Path]bool{}, broken: map[Path]bool{},
		actions: map[Path]bool{}, incid: map[string]bool{}, alerts: map[string]bool{}, stems: map[string]bool{}, heads: map[string]bool{}, teams: map[string]bool{}}
	for _, ch := range changes {
		p := ch.path
		now := c.pages[p]
		_, present := c.files[p]
		// Links elsewhere that could name this file resolve anew when the
		// names it answers to changed: it appeared, went, or was retitled.
		var oldKeys, newKeys []string
		if ch.existed {
			oldKeys = fileKeys(p, ch.before)
		}
		if present {
			newKeys = fileKeys(p, now)
		}
		for _, k := range changedKeys(oldKeys, newKeys, ch.existed != present) {
			for q := range st.keys[k[1:]] {
				d.relink[q] = true
			}
		}
		st.remove(p, d)
		if now != nil && now.Meta.Kind != KindTemplate {
			st.add(now, d)
		}
		if IsBackstageDescriptor(p) {
			st.removeEntities(p, d)
			if doc := c.configs[p]; doc != nil && len(doc.Entities) > 0 {
				st.addEntities(p, c.files[p], doc.Entities, d)
			}
		}
	}
	relink := make([]Path, 0, len(d.relink))
	for p := range d.relink {
		relink = append(relink, p)
	}
	slices.Sort(relink) // in order, lists grow at their ends
	for _, p := range relink {
		if e := st.pages[p]; e != nil {
			st.relink(c, e, d)
		}
	}
	st.publish(commit, d)
}

// changedKeys returns the keys whose answer may differ: all of them when
// the file appeared or went, else those only one side has.
func changedKeys(a, b []string, all bool) []string {
	var out []string
	for _, k := range a {
		if all || !slices.Contains(b, k) {
			out = append(out, k)
		}
	}
	for _, k := range b {
		if all || !slices.Contains(a, k) {
			out = append(out, k)
		}
	}
	return out
}

// add records a page's contributions.
func (st *graphState) add(pi *PageInfo, d *graphDirt) {
	e := &pageEdges{info: pi}
	st.pages[pi.Path] = e
	m := pi.Meta
	p := pi.Path
	if m.Kind == KindService {
		k := strings.ToLower(m.Name)
		st.svcDecl[k] = st.insert(st.svcDecl[k], p)
		st.declSum[k] += pageHash(pi)
		st.touchService(k, d)
		for _, dep := range m.DependsOn {
			k := strings.ToLower(dep)
			st.depRef[k] = st.insert(st.depRef[k], p)
			st.refSum[k] += pageHash(pi)
			st.touchService(k, d)
		}
	}
	for _, s := range m.Services {
		k := strings.ToLower(s)
		st.svcRef[k] = st.insert(st.svcRef[k], p)
		switch m.Kind {
		case KindRunbook:
			st.svcRb[k] = st.insert(st.svcRb[k], p)
		case KindPostmortem:
			st.svcPm[k] = st.insert(st.svcPm[k], p)
		}
		st.refSum[k] += pageHash(pi)
		st.touchService(k, d)
	}
	for _, k := range runbookKeys(pi) {
		switch k.index {
		case 'a':
			st.alerts[k.key] = st.insert(st.alerts[k.key], p)
			d.alerts[k.key] = true
		case 's':
			st.stems[k.key] = st.insert(st.stems[k.key], p)
			d.stems[k.key] = true
		case 'h':
			st.heads[k.key] = st.insert(st.heads[k.key], p)
			d.heads[k.key] = true
		}
	}
	if m.Kind == KindPostmortem {
		for _, inc := range m.Incidents {
			k := strings.ToLower(inc)
			st.incid[k] = st.insert(st.incid[k], p)
			d.incid[k] = true
		}
	}
	if m.Kind == KindDrill {
		st.drills = st.insert(st.drills, p)
		d.drills = true
	}
	if m.Kind == KindTeam {
		for _, k := range teamKeys(pi) {
			st.teams[k] = st.insert(st.teams[k], p)
			d.teams[k] = true
		}
	}
	d.actions[p] = true
	d.relink[p] = true
	d.broken[p] = true
}

// remove takes back everything a page contributed.
func (st *graphState) remove(p Path, d *graphDirt) {
	e := st.pages[p]
	if e == nil {
		return
	}
	delete(st.pages, p)
	m := e.info.Meta
	if m.Kind == KindService {
		k := strings.ToLower(m.Name)
		st.svcDecl[k] = st.svcDecl[k].without(p)
		st.declSum[k] -= pageHash(e.info)
		st.touchService(k, d)
		for _, dep := range m.DependsOn {
			k := strings.ToLower(dep)
			st.depRef[k] = st.depRef[k].without(p)
			st.refSum[k] -= pageHash(e.info)
			st.touchService(k, d)
		}
	}
	for _, s := range m.Services {
		k := strings.ToLower(s)
		st.svcRef[k] = st.svcRef[k].without(p)
		switch m.Kind {
		case KindRunbook:
			st.svcRb[k] = st.svcRb[k].without(p)
		case KindPostmortem:
			st.svcPm[k] = st.svcPm[k].without(p)
		}
		st.refSum[k] -= pageHash(e.info)
		st.touchService(k, d)
	}
	for _, k := range runbookKeys(e.info) {
		switch k.index {
		case 'a':
			st.alerts[k.key] = st.alerts[k.key].without(p)
			d.alerts[k.key] = true
		case 's':
			st.stems[k.key] = st.stems[k.key].without(p)
			d.stems[k.key] = true
		case 'h':
			st.heads[k.key] = st.heads[k.key].without(p)
			d.heads[k.key] = true
		}
	}
	if m.Kind == KindPostmortem {
		for _, inc := range m.Incidents {
			k := strings.ToLower(inc)
			st.incid[k] = st.incid[k].without(p)
			d.incid[k] = true
		}
	}
	if m.Kind == KindDrill {
		st.drills = st.drills.without(p)
		d.drills = true
	}
	if m.Kind == KindTeam {
		for _, k := range teamKeys(e.info) {
			st.teams[k] = st.teams[k].without(p)
			d.teams[k] = true
		}
	}
	st.unlink(e, d)
	d.actions[p] = true
	d.broken[p] = true
}

// Backstage entity kinds the wiki takes for services, and for the teams
// that own them.
func isServiceEntity(e Entity) bool {
	return strings.EqualFold(e.Kind, "Component") || strings.EqualFold(e.Kind, "System")
}

func isGroupEntity(e Entity) bool { return strings.EqualFold(e.Kind, "Group") }

// addEntities records what a Backstage descriptor contributes: services
// (Component, System) with their dependencies, and groups that own them.
func (st *graphState) addEntities(p Path, blob string, ents []Entity, d *graphDirt) {
	st.ents[p] = ents
	h := fnv.New64a()
	h.Write([]byte(p))
	h.Write([]byte{0})
	h.Write([]byte(blob))
	sum := h.Sum64()
	st.entHash[p] = sum
	for _, e := range ents {
		switch {
		case isServiceEntity(e):
			k := strings.ToLower(e.Name)
			st.svcEnt[k] = st.insert(st.svcEnt[k], p)
			st.declSum[k] += sum
			st.touchService(k, d)
			for _, dep := range e.DependsOn {
				k := strings.ToLower(dep)
				st.depRef[k] = st.insert(st.depRef[k], p)
				st.refSum[k] += sum
				st.touchService(k, d)
			}
		case isGroupEntity(e):
			k := strings.ToLower(e.Name)
			st.grpEnt[k] = st.insert(st.grpEnt[k], p)
			st.grpSum[k] += sum
			st.touchOwnedBy(k, d)
		}
	}
}

// removeEntities takes back what a descriptor contributed.
func (st *graphState) removeEntities(p Path, d *graphDirt) {
	ents, ok := st.ents[p]
	if !ok {
		return
	}
	sum := st.entHash[p]
	delete(st.ents, p)
	delete(st.entHash, p)
	for _, e := range ents {
		switch {
		case isServiceEntity(e):
			k := strings.ToLower(e.Name)
			st.svcEnt[k] = st.svcEnt[k].without(p)
			st.declSum[k] -= sum
			st.touchService(k, d)
			for _, dep := range e.DependsOn {
				k := strings.ToLower(dep)
				st.depRef[k] = st.depRef[k].without(p)
				st.refSum[k] -= sum
				st.touchService(k, d)
			}
		case isGroupEntity(e):
			k := strings.ToLower(e.Name)
			st.grpEnt[k] = st.grpEnt[k].without(p)
			st.grpSum[k] -= sum
			st.touchOwnedBy(k, d)
		}
	}
}

// touchOwnedBy marks the services a group owns through their Backstage
// entities, which show the group's on-call.
func (st *graphState) touchOwnedBy(group string, d *graphDirt) {
	for _, ents := range st.ents {
		for _, e := range ents {
			if isServiceEntity(e) && strings.EqualFold(e.Owner, group) {
				st.touchService(strings.ToLower(e.Name), d)
			}
		}
	}
}

// entity returns the first entity describing service k, with its file.
func (st *graphState) entity(k string) (*Entity, Path) {
	for _, p := range st.svcEnt[k] {
		for i, e := range st.ents[p] {
			if isServiceEntity(e) && strings.ToLower(e.Name) == k {
				return &st.ents[p][i], p
			}
		}
	}
	return nil, ""
}

// group returns the first Backstage group named k.
func (st *graphState) group(k string) *Entity {
	for _, p := range st.grpEnt[k] {
		for i, e := range st.ents[p] {
			if isGroupEntity(e) && strings.ToLower(e.Name) == k {
				return &st.ents[p][i]
			}
		}
	}
	return nil
}

// touchService marks a service, and the services its page shows beside
// it, to be derived again.
func (st *graphState) touchService(k string, d *graphDirt) {
	if d.expanded[k] {
		return
	}
	d.expanded[k] = true
	d.services[k] = true
	// A service's panel shows its dependencies and dependents by their
	// pages' titles, so their nodes are touched too.
	if n, ok := st.g.services.Get(k); ok {
		for _, dep := range n.DependsOn {
			d.services[strings.ToLower(dep)] = true
		}
		for _, dep := range n.Dependents {
			d.services[strings.ToLower(dep)] = true
		}
	}
}

// unlink takes back a page's links.
func (st *graphState) unlink(e *pageEdges, d *graphDirt) {
	for _, t := range e.targets {
		st.back[t] = st.back[t].without(e.info.Path)
		d.back[t] = true
	}
	for _, k := range e.keys {
		st.keys[k] = removeFrom(st.keys[k], e.info.Path)
	}
	e.targets, e.keys, e.broken = nil, nil, nil
	d.broken[e.info.Path] = true
}

// relink resolves a page's links and related pages against the catalog as
// it is now.
func (st *graphState) relink(c *Catalog, e *pageEdges, d *graphDirt) {
	st.unlink(e, d)
	from := e.info.Path
	if e.info.Doc != nil {
		e.targets, e.keys, e.broken = linkRefs(c, e.info.Doc)
	}
	for _, k := range e.keys {
		st.keys[k] = addTo(st.keys[k], from)
	}
	for _, t := range e.targets {
		st.back[t] = st.insert(st.back[t], from)
		d.back[t] = true
	}
	h := fnv.New64a()
	for _, t := range e.targets {
		h.Write([]byte(t))
		h.Write([]byte{0})
	}
	for _, b := range e.broken {
		h.Write([]byte(b.Target))
		h.Write([]byte{1})
	}
	e.linkVer = h.Sum64()
	d.broken[from] = true
}

// publish derives what the commit touched and makes the new graph current.
func (st *graphState) publish(commit string, d *graphDirt) {
	g := st.g.next(commit)
	// A service gaining or losing its page makes every reference to it
	// broken or whole.
	for k := range d.services {
		n, had := g.services.Get(k)
		described := len(st.svcDecl[k]) > 0 || len(st.svcEnt[k]) > 0
		if !had || (n.Page != nil || n.Entity != nil) != described {
			for _, p := range st.svcRef[k] {
				d.broken[p] = true
			}
			for _, p := range st.depRef[k] {
				d.broken[p] = true
			}
		}
		st.touchImpacts(k, n, d)
	}
	if d.drills {
		g.drills = st.drills
	}
	for k := range d.services {
		if n := st.node(k); n != nil {
			g.services = g.services.Set(k, n)
		} else {
			g.services = g.services.Delete(k)
		}
	}
	for t := range d.back {
		g.backlinks = setList(g.backlinks, t, st.back[t])
	}
	for k := range d.incid {
		g.incidents = setList(g.incidents, k, st.incid[k])
	}
	for k := range d.alerts {
		g.alertsFM = setList(g.alertsFM, k, st.alerts[k])
	}
	for k := range d.stems {
		g.stems = setList(g.stems, k, st.stems[k])
	}
	for k := range d.heads {
		g.headings = setList(g.headings, k, st.heads[k])
	}
	for k := range d.teams {
		if l := st.teams[k]; len(l) > 0 {
			g.teams = g.teams.Set(k, st.pages[l[0]].info)
		} else {
			g.teams = g.teams.Delete(k)
		}
	}
	for p := range d.actions {
		e := st.pages[p]
		// A drill's action items are listed with the postmortems'.
		if e == nil || e.info.Meta.Kind != KindPostmortem && e.info.Meta.Kind != KindDrill || len(e.info.Meta.ActionItems) == 0 {
			g.actions = g.actions.Delete(p)
			continue
		}
		refs := make([]ActionRef, len(e.info.Meta.ActionItems))
		for i, a := range e.info.Meta.ActionItems {
			refs[i] = ActionRef{Postmortem: e.info, Item: a}
		}
		g.actions = g.actions.Set(p, refs)
	}
	for p := range d.broken {
		if e := st.pages[p]; e != nil {
			g.linkVers = g.linkVers.Set(p, e.linkVer)
		} else {
			g.linkVers = g.linkVers.Delete(p)
		}
		if refs := st.brokenRefs(p); len(refs) > 0 {
			g.broken = g.broken.Set(p, refs)
		} else {
			g.broken = g.broken.Delete(p)
		}
	}
	st.g = g
}

// brokenRefs lists a page's references to missing pages and services, by
// line.
func (st *graphState) brokenRefs(p Path) []BrokenRef {
	e := st.pages[p]
	if e == nil {
		return nil
	}
	var out []BrokenRef
	if e.info.Doc != nil {
		out = serviceRefs(e.info.Doc, func(k string) bool { return len(st.svcDecl[k]) > 0 || len(st.svcEnt[k]) > 0 })
		out = append(out, sloRefs(e.info.Doc, st.slosOf)...)
	}
	out = append(out, e.broken...)
	slices.SortStableFunc(out, func(a, b BrokenRef) int { return a.Line - b.Line })
	return out
}

// node derives one service's node from the indexes; nil when nothing
// describes or names the service any more. Its cost is a copy of the
// service's lists: no sorting, no hashing of every page it lists.
func (st *graphState) node(k string) *ServiceNode {
	decl, refs, deps := st.svcDecl[k], st.svcRef[k], st.depRef[k]
	if len(decl) == 0 && len(refs) == 0 && len(deps) == 0 && len(st.svcEnt[k]) == 0 {
		delete(st.refSum, k)
		delete(st.declSum, k)
		return nil
	}
	n := &ServiceNode{Runbooks: st.svcRb[k], Postmortems: st.svcPm[k]}
	// ReferencedBy lists pages; descriptors depending on the service
	// show as its dependents.
	for _, p := range mergeSorted(refs, deps) {
		if st.pages[p] != nil {
			n.ReferencedBy = append(n.ReferencedBy, p)
		}
	}
	n.Entity, n.EntityFile = st.entity(k)
	switch {
	case len(decl) > 0:
		n.Page = st.pages[decl[0]].info
		n.Name = n.Page.Meta.Name
	case n.Entity != nil:
		n.Name = n.Entity.Name
	default:
		n.Name = writtenName(st, k, n.ReferencedBy)
	}
	for _, p := range decl {
		for _, dep := range st.pages[p].info.Meta.DependsOn {
			n.DependsOn = appendName(n.DependsOn, dep)
		}
	}
	// Every entity describing the service adds its dependencies, as every
	// page describing it does.
	for _, p := range st.svcEnt[k] {
		for _, e := range st.ents[p] {
			if isServiceEntity(e) && strings.ToLower(e.Name) == k {
				for _, dep := range e.DependsOn {
					n.DependsOn = appendName(n.DependsOn, dep)
				}
			}
		}
	}
	if n.Entity != nil {
		if n.Entity.Owner != "" {
			n.OwnerGroup = st.group(strings.ToLower(n.Entity.Owner))
		}
	}
	for _, p := range deps {
		if e := st.pages[p]; e != nil {
			n.Dependents = appendName(n.Dependents, e.info.Meta.Name)
			continue
		}
		for _, e := range st.ents[p] {
			if isServiceEntity(e) && slices.ContainsFunc(e.DependsOn, func(s string) bool { return strings.ToLower(s) == k }) {
				n.Dependents = appendName(n.Dependents, e.Name)
			}
		}
	}
	n.Version = st.version(k, n)
	return n
}

// version fingerprints everything a view of the service shows: the node,
// the pages describing it and the services beside it, and (through a sum
// kept as pages come and go) every page naming it. It is derived from
// content, not counted, so it means the same after a restart (it ends up
// in ETags).
func (st *graphState) version(k string, n *ServiceNode) uint64 {
	h := fnv.New64a()
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], st.refSum[k])
	h.Write(buf[:])
	service := func(name string) {
		h.Write([]byte(name))
		h.Write([]byte{0})
		binary.LittleEndian.PutUint64(buf[:], st.declSum[strings.ToLower(name)])
		h.Write(buf[:])
	}
	service(n.Name)
	if n.Entity != nil {
		binary.LittleEndian.PutUint64(buf[:], st.grpSum[strings.ToLower(n.Entity.Owner)])
		h.Write(buf[:])
	}
	for _, d := range n.DependsOn {
		service(d)
	}
	h.Write([]byte{2})
	for _, d := range n.Dependents {
		service(d)
	}
	return h.Sum64()
}

// pageHash identifies a page's path and content.
func pageHash(pi *PageInfo) uint64 {
	h := fnv.New64a()
	h.Write([]byte(pi.Path))
	h.Write([]byte{0})
	h.Write([]byte(pi.Blob))
	return h.Sum64()
}

// writtenName returns a service's name as the first page naming it wrote it.
func writtenName(st *graphState, k string, pages []Path) string {
	for _, p := range pages {
		m := st.pages[p].info.Meta
		for _, s := range append(append([]string(nil), m.DependsOn...), m.Services...) {
			if strings.ToLower(s) == k {
				return s
			}
		}
	}
	return k
}

// runbookKey is one way a runbook answers an alert: 'a' for its alerts
// front matter, 's' for its file name, 'h' for its first heading.
type runbookKey struct {
	index byte
	key   string
}

func runbookKeys(pi *PageInfo) []runbookKey {
	if pi.Meta.Kind != KindRunbook {
		return nil
	}
	var out []runbookKey
	for _, a := range pi.Meta.Alerts {
		out = append(out, runbookKey{'a', strings.ToLower(a)})
	}
	stem := pi.Path.FileTitle()
	out = append(out, runbookKey{'s', strings.ToLower(stem)})
	if kebab := Slug(splitCamel(stem)); kebab != strings.ToLower(stem) {
		out = append(out, runbookKey{'s', kebab})
	}
	for _, h := range pi.Headings {
		if h.Level == 1 {
			out = append(out, runbookKey{'h', strings.ToLower(h.Text)})
			break
		}
	}
	return out
}

// fileKeys are the lookup keys a file answers to, each with the role it
// answers by ("n" its name: the last segment of its name and its file
// name; "t" its title; "a" a former name). A link whose keys (linkKeys)
// share none of them cannot resolve to the file; a key whose role changed
// can resolve links differently (a page retitled away from its file name).
func fileKeys(p Path, pi *PageInfo) []string {
	keys := []string{"n" + strings.ToLower(path.Base(p.Name())), "n" + strings.ToLower(strings.TrimSuffix(p.Base(), path.Ext(p.Base())))}
	if !p.IsPage() {
		keys = append(keys, "n"+strings.ToLower(p.Base()))
	}
	if pi != nil {
		for _, k := range nameKeys(pi.Title) {
			keys = append(keys, "t"+k)
		}
		for _, a := range pi.Meta.Aliases {
			for _, k := range nameKeys(a) {
				keys = append(keys, "a"+k)
			}
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// linkKeys are the lookup keys of a link's target: as written, and with
// its spaces as dashes, which LookupName also tries.
func linkKeys(l RawLink) []string {
	t := l.Target
	if i := strings.IndexAny(t, "#?"); i >= 0 && !l.Wiki {
		t = t[:i]
	} else if l.Wiki {
		t, _, _ = strings.Cut(t, "#")
	}
	return targetKeys(strings.TrimSuffix(strings.TrimSpace(t), ".md"))
}

// targetKeys are the lookup keys of a name LookupName resolves: the name
// as written and with its spaces as dashes.
func targetKeys(name string) []string {
	keys := nameKeys(name)
	if dashed := strings.ReplaceAll(name, " ", "-"); dashed != name {
		keys = union(keys, nameKeys(dashed))
	}
	return keys
}

// nameKeys returns the lower-cased name and its last segment.
func nameKeys(name string) []string {
	name = strings.ToLower(strings.Trim(name, "/ "))
	if name == "" {
		return nil
	}
	last := name[strings.LastIndexByte(name, '/')+1:]
	last = strings.TrimSuffix(last, ".md")
	if last == name {
		return []string{name}
	}
	return []string{name, last}
}

func union(a, b []string) []string {
	out := append(append([]string(nil), a...), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

func addTo(s pathSet, p Path) pathSet {
	if s == nil {
		s = pathSet{}
	}
	s[p] = struct{}{}
	return s
}

func removeFrom(s pathSet, p Path) pathSet {
	delete(s, p)
	if len(s) == 0 {
		return nil
	}
	return s
}

// pathList is a sorted list of paths that is never changed in place: with
// and without return new lists, so a list handed to a published graph
// stays as it was.
type pathList []Path

// insert returns l with p: a new list, except while the state is being
// built from nothing, when no published graph can share l and adding at
// the end (paths arrive in order) appends in place.
func (st *graphState) insert(l pathList, p Path) pathList {
	if st.fresh && (len(l) == 0 || l[len(l)-1] < p) {
		return append(l, p)
	}
	return l.with(p)
}

func (l pathList) with(p Path) pathList {
	i, found := slices.BinarySearch(l, p)
	if found {
		return l
	}
	out := make(pathList, len(l)+1)
	copy(out, l[:i])
	out[i] = p
	copy(out[i+1:], l[i:])
	return out
}

func (l pathList) without(p Path) pathList {
	i, found := slices.BinarySearch(l, p)
	if !found {
		return l
	}
	if len(l) == 1 {
		return nil
	}
	out := make(pathList, 0, len(l)-1)
	return append(append(out, l[:i]...), l[i+1:]...)
}

// mergeSorted returns the sorted union of two sorted lists.
func mergeSorted(a, b []Path) []Path {
	out := make([]Path, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0] < b[0]:
			out, a = append(out, a[0]), a[1:]
		case b[0] < a[0]:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, a[0]), a[1:], b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// setList stores the sorted set under k, or deletes k when it is empty.
func setList[K any](m *immutable.Map[K, []Path], k K, l pathList) *immutable.Map[K, []Path] {
	if len(l) == 0 {
		return m.Delete(k)
	}
	return m.Set(k, l)
}

func appendName(list []string, name string) []string {
	for _, n := range list {
		if strings.EqualFold(n, name) {
			return list
		}
	}
	return append(list, name)
}

// linkRefs resolves a document's links and related pages against the
// catalog, which the caller has locked: the pages and files they reach
// (each once, in order), the lookup keys they answer to (see fileKeys),
// and the ones that reach nothing.
func linkRefs(c *Catalog, d *Document) (targets []Path, keys []string, broken []BrokenRef) {
	from := d.Path
	seen := map[Path]bool{}
	type answer struct {
		target   Path
		ok, skip bool
	}
	answers := map[RawLink]answer{} // a page links to the same few targets many times
	for _, l := range d.Links {
		line := l.Line
		l.Line = 0
		a, known := answers[l]
		if !known {
			keys = append(keys, linkKeys(l)...)
			a.target, a.ok, a.skip = resolveLink(c, from, l)
			answers[l] = a
		}
		if a.skip {
			continue
		}
		if !a.ok {
			broken = append(broken, BrokenRef{From: from, Line: line, Target: l.Target, What: "link"})
			continue
		}
		if a.target != from && !seen[a.target] {
			seen[a.target] = true
			targets = append(targets, a.target)
		}
	}
	for _, r := range d.Meta.Related {
		if strings.Contains(r, "://") {
			continue
		}
		name := strings.TrimSuffix(r, ".md")
		keys = append(keys, targetKeys(name)...)
		if _, ok := c.lookupNameLocked(from, name); !ok {
			broken = append(broken, BrokenRef{From: from, Line: d.KeyLine("related"), Target: r, What: "related"})
		}
	}
	slices.Sort(keys)
	return targets, slices.Compact(keys), broken
}

// serviceRefs lists a document's references to services that no page
// describes (described answers for a lower-cased name).
func serviceRefs(d *Document, described func(string) bool) []BrokenRef {
	var out []BrokenRef
	if d.Meta.Kind == KindService {
		for _, dep := range d.Meta.DependsOn {
			if !described(strings.ToLower(dep)) {
				out = append(out, BrokenRef{From: d.Path, Line: d.KeyLine("depends_on"), Target: dep, What: "service"})
			}
		}
	}
	for _, s := range d.Meta.Services {
		if !described(strings.ToLower(s)) {
			line := max(d.KeyLine("services"), d.KeyLine("service"), d.KeyLine("product"))
			out = append(out, BrokenRef{From: d.Path, Line: line, Target: s, What: "service"})
		}
	}
	return out
}

// resolveLink finds the file a link names, with the catalog locked. skip
// is true for links that leave the wiki (other sites, mail, the server's
// own routes, anchors).
func resolveLink(c *Catalog, from Path, l RawLink) (target Path, ok, skip bool) {
	if l.Wiki {
		name, _, _ := strings.Cut(l.Target, "#")
		if strings.TrimSpace(name) == "" {
			return "", false, true
		}
		p, ok := c.lookupNameLocked(from, name)
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
	if _, ok := c.files[p]; ok {
		return p, true, false
	}
	if t := c.lookupAnyLocked(string(p)); t.Kind != TargetNone && t.Exact {
		return t.Path, true, false
	}
	return "", false, false
}
