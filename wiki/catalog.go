package wiki

import (
	"context"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// PageInfo is what the catalog keeps of a page: enough to list, link and
// describe it without reading git. The body is read from its blob on demand.
type PageInfo struct {
	Path     Path
	Blob     string
	Title    string
	Meta     Meta
	Summary  string
	Headings []Heading
	Problems []Problem // found when parsing the file
	Doc      *Document // the parsed front matter and outline, body dropped
}

// Kind returns the page's kind.
func (p *PageInfo) Kind() string { return p.Meta.Kind }

// Catalog is the in-memory view of every file on main: pages with their
// front matter, attachments, and folders. It answers lookups by name, case
// insensitively as alerting systems lower-case, without touching git.
type Catalog struct {
	mu     sync.RWMutex
	commit string
	files  map[Path]string    // every file -> blob id
	pages  map[Path]*PageInfo // markdown files
	dirs   map[Path]map[string]bool
	lower  map[string][]Path // lower-cased file path -> paths
	titles map[string][]Path // lower-cased title -> pages
	bases  map[string][]Path // lower-cased page base name -> pages
	svcs   map[string][]Path // lower-cased service name -> service pages
	alias  map[string][]Path // lower-cased former page name -> pages
	ldirs  map[string]Path   // lower-cased folder -> folder
	// configs are the parsed configuration files (IsConfigFile), and
	// navOrder the page tree's order their MkDocs navigations give.
	configs  map[Path]*Document
	navOrder map[Path]int
	gen      atomic.Uint64 // changes whenever a file appears or disappears
	// settings are the repository settings as of commit.
	settings atomic.Pointer[Settings]
	graph    *graphState // what derives the next graph, changed by Apply only
	latest   atomic.Pointer[Graph]

	childMu  sync.Mutex
	children map[Path]*listing // folder listings, until a change in the folder
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog {
	c := &Catalog{}
	c.reset()
	return c
}

func (c *Catalog) reset() {
	c.commit = ""
	c.files = map[Path]string{}
	c.pages = map[Path]*PageInfo{}
	c.dirs = map[Path]map[string]bool{"": {}}
	c.lower = map[string][]Path{}
	c.titles = map[string][]Path{}
	c.bases = map[string][]Path{}
	c.svcs = map[string][]Path{}
	c.alias = map[string][]Path{}
	c.children = map[Path]*listing{}
	c.ldirs = map[string]Path{"": ""}
	c.configs = map[Path]*Document{}
	c.navOrder = nil
	c.graph = newGraphState()
	c.latest.Store(c.graph.g)
}

// Name implements View.
func (c *Catalog) Name() string { return "pages" }

// FollowsSettings tells the follower to derive the catalog again when the
// repository settings change.
func (c *Catalog) FollowsSettings() bool { return true }

// Settings returns the repository settings as of the catalog's commit;
// nil when the repository has none.
func (c *Catalog) Settings() *Settings {
	if c == nil {
		return nil
	}
	return c.settings.Load()
}

// Commit implements View.
func (c *Catalog) Commit() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.commit
}

// Graph returns the operational graph as of the catalog's commit. It never
// waits: the catalog derives each commit's graph as it applies the commit.
func (c *Catalog) Graph() *Graph { return c.latest.Load() }

// Generation changes whenever the set of files changes, so cached renderings
// of links to missing pages know to render again.
func (c *Catalog) Generation() uint64 { return c.gen.Load() }

// Apply implements View.
func (c *Catalog) Apply(ctx context.Context, u Update) error {
	docs, err := LoadAll(ctx, u, u.Changes)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if u.From == "" {
		c.reset()
	}
	setChanged, navChanged := false, false
	changes := make([]graphChange, len(u.Changes))
	for i, ch := range u.Changes {
		_, existed := c.files[ch.Path]
		changes[i] = graphChange{path: ch.Path, before: c.pages[ch.Path], beforeConfig: c.configs[ch.Path], existed: existed}
		navChanged = navChanged || IsMkdocsConfig(ch.Path)
	}
	for i, ch := range u.Changes {
		if ch.Kind == Deleted {
			c.removeLocked(ch.Path)
			setChanged = true
			continue
		}
		if _, ok := c.files[ch.Path]; !ok {
			setChanged = true
		} else {
			c.unindexLocked(ch.Path)
		}
		c.files[ch.Path] = ch.Blob
		c.addDirsLocked(ch.Path)
		switch {
		case docs[i] != nil && ch.Path.IsPage():
			c.pages[ch.Path] = newPageInfo(docs[i], ch.Blob)
		case docs[i] != nil:
			c.configs[ch.Path] = docs[i]
		default:
			delete(c.pages, ch.Path)
			delete(c.configs, ch.Path)
		}
		c.indexLocked(ch.Path)
		if u.Progress != nil && i%1000 == 999 {
			u.Progress(i + 1)
		}
	}
	c.commit = u.To
	c.settings.Store(u.Settings)
	c.graph.apply(c, u.To, changes)
	c.latest.Store(c.graph.g)
	c.childMu.Lock()
	if navChanged {
		c.navOrder = c.navOrderLocked()
		clear(c.children) // the order of any folder may have changed
	}
	for _, ch := range u.Changes {
		// A change shows in the listing of its folder, and of the folders
		// above when it makes or empties a folder or retitles a folder's
		// page: forget those listings, keep the others.
		for d := ch.Path.Dir(); ; d = d.Dir() {
			delete(c.children, d)
			if d == "" {
				break
			}
		}
	}
	c.childMu.Unlock()
	if setChanged || u.From == "" {
		c.gen.Add(1)
	}
	return nil
}

// navOrderLocked merges the orders of every MkDocs navigation, in path
// order: the first configuration to rank a page or folder decides.
func (c *Catalog) navOrderLocked() map[Path]int {
	var paths []Path
	for p, d := range c.configs {
		if d.Nav != nil {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return nil
	}
	sort.Slice(paths, func(i, j int) bool { return paths[i] < paths[j] })
	out := map[Path]int{}
	for _, p := range paths {
		for q, rank := range c.configs[p].Nav.Order() {
			if _, ok := out[q]; !ok {
				out[q] = rank
			}
		}
	}
	return out
}

// Configs returns the parsed configuration files (see IsConfigFile), by
// path.
func (c *Catalog) Configs() []*Document {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*Document, 0, len(c.configs))
	for _, d := range c.configs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func newPageInfo(d *Document, blob string) *PageInfo {
	doc := *d
	doc.Body, doc.Text, doc.Code = nil, "", nil
	return &PageInfo{Path: d.Path, Blob: blob, Title: d.Title, Meta: d.Meta, Summary: d.FirstParagraph(200),
		Headings: d.Headings, Problems: d.Problems, Doc: &doc}
}

func (c *Catalog) indexLocked(p Path) {
	c.lower[strings.ToLower(string(p))] = appendUnique(c.lower[strings.ToLower(string(p))], p)
	if pi := c.pages[p]; pi != nil {
		t := strings.ToLower(pi.Title)
		c.titles[t] = appendUnique(c.titles[t], p)
		b := strings.ToLower(p.FileTitle())
		c.bases[b] = appendUnique(c.bases[b], p)
		if pi.Meta.Kind == KindService {
			n := strings.ToLower(pi.Meta.Name)
			c.svcs[n] = appendUnique(c.svcs[n], p)
		}
		for _, a := range pi.Meta.Aliases {
			a = strings.ToLower(a)
			c.alias[a] = appendUnique(c.alias[a], p)
		}
	}
}

func (c *Catalog) unindexLocked(p Path) {
	c.lower[strings.ToLower(string(p))] = removePath(c.lower[strings.ToLower(string(p))], p)
	if pi := c.pages[p]; pi != nil {
		t := strings.ToLower(pi.Title)
		c.titles[t] = removePath(c.titles[t], p)
		b := strings.ToLower(p.FileTitle())
		c.bases[b] = removePath(c.bases[b], p)
		if pi.Meta.Kind == KindService {
			n := strings.ToLower(pi.Meta.Name)
			c.svcs[n] = removePath(c.svcs[n], p)
		}
		for _, a := range pi.Meta.Aliases {
			a = strings.ToLower(a)
			c.alias[a] = removePath(c.alias[a], p)
		}
	}
}

func (c *Catalog) removeLocked(p Path) {
	if _, ok := c.files[p]; !ok {
		return
	}
	c.unindexLocked(p)
	delete(c.files, p)
	delete(c.pages, p)
	delete(c.configs, p)
	// Drop the entry from its folder, and folders left empty, upwards.
	for child, dir := p.Base(), p.Dir(); ; child, dir = dir.Base(), dir.Dir() {
		entries := c.dirs[dir]
		delete(entries, child)
		if len(entries) > 0 || dir == "" {
			return
		}
		delete(c.dirs, dir)
		delete(c.ldirs, strings.ToLower(string(dir)))
	}
}

func (c *Catalog) addDirsLocked(p Path) {
	for child, dir := p.Base(), p.Dir(); ; child, dir = dir.Base(), dir.Dir() {
		entries := c.dirs[dir]
		if entries == nil {
			entries = map[string]bool{}
			c.dirs[dir] = entries
			c.ldirs[strings.ToLower(string(dir))] = dir
		}
		if entries[child] {
			return
		}
		entries[child] = true
		if dir == "" {
			return
		}
	}
}

func appendUnique(list []Path, p Path) []Path {
	for _, q := range list {
		if q == p {
			return list
		}
	}
	list = append(list, p)
	sort.Slice(list, func(i, j int) bool { return list[i] < list[j] })
	return list
}

func removePath(list []Path, p Path) []Path {
	for i, q := range list {
		if q == p {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}
