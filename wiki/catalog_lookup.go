package wiki

import (
	"hash/fnv"
	"sort"
	"strings"
)

// TargetKind says what a URL name resolved to.
type TargetKind int

// What a name can resolve to.
const (
	TargetNone TargetKind = iota
	TargetPage
	TargetFile
	TargetFolder
)

// Target is the result of resolving a URL name.
type Target struct {
	Kind TargetKind
	// Path is the page or attachment file; for a folder without a page, the folder.
	Path Path
	// Folder is set when the name is a folder (with or without a page).
	Folder Path
	// IsFolder is true when the name names a folder.
	IsFolder bool
	// Exact is false when only a case-insensitive match was found.
	Exact bool
	// Alias is true when the name is a former name of the page (it moved).
	Alias bool
}

// Page returns the page stored at p.
func (c *Catalog) Page(p Path) (*PageInfo, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	pi, ok := c.pages[p]
	return pi, ok
}

// Blob returns the blob id of any file on main.
func (c *Catalog) Blob(p Path) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, ok := c.files[p]
	return b, ok
}

// FilesWhere returns the files on main for which keep is true, with their
// blobs, by path.
func (c *Catalog) FilesWhere(keep func(Path) bool) map[Path]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := map[Path]string{}
	for p, b := range c.files {
		if keep(p) {
			out[p] = b
		}
	}
	return out
}

// Exists reports whether a file exists on main.
func (c *Catalog) Exists(p Path) bool {
	_, ok := c.Blob(p)
	return ok
}

// Lookup resolves a URL name (unescaped, without the leading slash) the way
// SPEC §3 says: an exact match first, then a case-insensitive one.
func (c *Catalog) Lookup(name string) Target {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.lookupAnyLocked(name)
}

func (c *Catalog) lookupAnyLocked(name string) Target {
	name = strings.Trim(name, "/")
	if t := c.lookupLocked(name, true); t.Kind != TargetNone {
		return t
	}
	if t := c.lookupLocked(name, false); t.Kind != TargetNone {
		return t
	}
	if list := c.alias[strings.ToLower(name)]; len(list) > 0 {
		return Target{Kind: TargetPage, Path: list[0], Alias: true}
	}
	return Target{}
}

func (c *Catalog) lookupLocked(name string, exact bool) Target {
	if name == "" {
		return c.folderLocked("")
	}
	p, err := ParsePath(name)
	if err != nil {
		return Target{}
	}
	find := func(q Path) (Path, bool) {
		if exact {
			_, ok := c.files[q]
			return q, ok
		}
		if list := c.lower[strings.ToLower(string(q))]; len(list) > 0 {
			return list[0], true
		}
		return "", false
	}
	if !p.IsPage() {
		if q, ok := find(p + ".md"); ok {
			return Target{Kind: TargetPage, Path: q, Exact: exact}
		}
	}
	if q, ok := find(p); ok {
		if q.IsPage() {
			return Target{Kind: TargetPage, Path: q, Exact: exact}
		}
		return Target{Kind: TargetFile, Path: q, Exact: exact}
	}
	if exact {
		if _, ok := c.dirs[p]; ok {
			t := c.folderLocked(p)
			t.Exact = true
			return t
		}
		return Target{}
	}
	if d, ok := c.ldirs[strings.ToLower(string(p))]; ok {
		t := c.folderLocked(d)
		t.Exact = false
		return t
	}
	return Target{}
}

// folderLocked resolves a folder to its page or, lacking one, its listing.
// An index file in another letter case ("Readme.md") also counts; it is
// found through the lower-cased paths, not by listing the folder.
func (c *Catalog) folderLocked(d Path) Target {
	for _, n := range indexNames {
		if _, ok := c.pages[d.Join(n)]; ok {
			return Target{Kind: TargetPage, Path: d.Join(n), Folder: d, IsFolder: true, Exact: true}
		}
	}
	for _, n := range indexNames {
		for _, q := range c.lower[strings.ToLower(string(d.Join(n)))] {
			if _, ok := c.pages[q]; ok && q.Dir() == d {
				return Target{Kind: TargetPage, Path: q, Folder: d, IsFolder: true, Exact: true}
			}
		}
	}
	return Target{Kind: TargetFolder, Path: d, Folder: d, IsFolder: true, Exact: true}
}

// LookupName resolves the target of a wiki link written in the page at from:
// a path from the root, then from the page's folder, then case-insensitively,
// then by title, then by file name when exactly one page has it; each of
// these also with the spaces of the name as dashes, as GitHub and Gollum
// wikis name their files ("[[Page Name]]" is Page-Name.md).
func (c *Catalog) LookupName(from Path, target string) (Path, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.lookupNameLocked(from, target)
}

func (c *Catalog) lookupNameLocked(from Path, target string) (Path, bool) {
	target = strings.TrimSpace(target)
	if target == "" {
		return "", false
	}
	if strings.Contains(target, "://") {
		// An address: a page here when it is under an old home of the
		// pages (a redirect of the settings).
		name, _, ok := c.Settings().OldURL(target)
		if !ok {
			return "", false
		}
		return c.lookupNameLocked("", "/"+name)
	}
	if p, ok := c.lookupWrittenLocked(from, target); ok {
		return p, true
	}
	if dashed := strings.ReplaceAll(target, " ", "-"); dashed != target {
		return c.lookupWrittenLocked(from, dashed)
	}
	return "", false
}

// lookupWrittenLocked resolves a link target as written (see LookupName).
func (c *Catalog) lookupWrittenLocked(from Path, target string) (Path, bool) {
	candidates := []string{strings.TrimPrefix(target, "/")}
	if !strings.HasPrefix(target, "/") && from.Dir() != "" {
		candidates = append([]string{string(from.Dir().Join(target))}, candidates...)
	}
	for _, name := range candidates {
		if t := c.lookupAnyLocked(name); t.Kind == TargetPage || t.Kind == TargetFile {
			return t.Path, true
		}
	}
	lower := strings.ToLower(target)
	if list := c.titles[lower]; len(list) > 0 {
		return list[0], true
	}
	if list := c.bases[strings.TrimSuffix(lower, ".md")]; len(list) == 1 {
		return list[0], true
	}
	return "", false
}

// Child is one entry of a folder listing.
type Child struct {
	Name  string
	Path  Path // the file, or the folder
	IsDir bool
	Page  *PageInfo // for pages, and for folders with a page
}

// Children lists a folder: subfolders first, then files, by name. Lists
// are kept until the next change, since every page view's tree asks for
// the folders above it. Callers must not modify the result.
func (c *Catalog) Children(dir Path) []Child {
	return c.listing(dir).children
}

// ListingVersion fingerprints a folder's listing as a page's navigation
// shows it: the entries' names, whether they are folders, and their
// titles. It is derived from content, so it means the same in every
// process.
func (c *Catalog) ListingVersion(dir Path) uint64 {
	return c.listing(dir).version
}

// listing is a folder's entries, sorted, with their fingerprint.
type listing struct {
	children []Child
	version  uint64
}

func (c *Catalog) listing(dir Path) *listing {
	c.mu.RLock()
	defer c.mu.RUnlock()
	c.childMu.Lock()
	cached, ok := c.children[dir]
	c.childMu.Unlock()
	if ok {
		return cached
	}
	entries := c.dirs[dir]
	out := make([]Child, 0, len(entries))
	keys := make(map[string]string, len(entries))
	for name := range entries {
		p := dir.Join(name)
		ch := Child{Name: name, Path: p}
		if _, isDir := c.dirs[p]; isDir {
			ch.IsDir = true
			if t := c.folderLocked(p); t.Kind == TargetPage {
				ch.Page = c.pages[t.Path]
			}
		} else {
			ch.Page = c.pages[p]
		}
		keys[name] = strings.ToLower(name)
		out = append(out, ch)
	}
	// An MkDocs navigation orders what it lists, in its order, ahead
	// of the rest; then Hugo's weights (lighter first, weighted ahead of
	// unweighted, pages and folders alike); then folders before pages,
	// by name.
	rank := func(ch Child) int {
		if r, ok := c.navOrder[ch.Path]; ok {
			return r
		}
		return -1
	}
	weights := make([]float64, len(out))
	for i, ch := range out {
		if ch.Page != nil {
			weights[i] = ch.Page.Meta.Weight()
		}
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		i, j := idx[a], idx[b]
		ri, rj := rank(out[i]), rank(out[j])
		wi, wj := weights[i], weights[j]
		switch {
		case ri >= 0 && rj >= 0 && ri != rj:
			return ri < rj
		case (ri >= 0) != (rj >= 0):
			return ri >= 0
		case wi != 0 && wj != 0 && wi != wj:
			return wi < wj
		case (wi != 0) != (wj != 0):
			return wi != 0
		case out[i].IsDir != out[j].IsDir:
			return out[i].IsDir
		}
		return keys[out[i].Name] < keys[out[j].Name]
	})
	sorted := make([]Child, len(out))
	for a, i := range idx {
		sorted[a] = out[i]
	}
	out = sorted
	h := fnv.New64a()
	for _, ch := range out {
		h.Write([]byte(ch.Name))
		if ch.IsDir {
			h.Write([]byte{1})
		}
		if ch.Page != nil {
			h.Write([]byte{2})
			h.Write([]byte(ch.Page.Title))
		}
		h.Write([]byte{0})
	}
	l := &listing{children: out, version: h.Sum64()}
	c.childMu.Lock()
	c.children[dir] = l
	c.childMu.Unlock()
	return l
}

// IsFolder reports whether a folder exists on main.
func (c *Catalog) IsFolder(d Path) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.dirs[d]
	return ok
}

// Pages returns every page, ordered by path.
func (c *Catalog) Pages() []*PageInfo {
	c.mu.RLock()
	out := make([]*PageInfo, 0, len(c.pages))
	for _, p := range c.pages {
		out = append(out, p)
	}
	c.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Counts returns the number of pages and of all files.
func (c *Catalog) Counts() (pages, files int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.pages), len(c.files)
}

// Service returns the page describing the named service, case-insensitively.
func (c *Catalog) Service(name string) (*PageInfo, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if list := c.svcs[strings.ToLower(strings.TrimSpace(name))]; len(list) > 0 {
		return c.pages[list[0]], true
	}
	return nil, false
}

// Names of the pages GitHub and Gollum wikis show around every page of
// their folder and the folders below it.
const (
	SidebarName = "_Sidebar.md"
	FooterName  = "_Footer.md"
)

// Asides returns the pages shown around the page at p, the way Gollum
// finds them: the _Sidebar.md and the _Footer.md in p's folder or the
// nearest folder above it, in any letter case; nil for none. A sidebar or
// footer has none of its own.
func (c *Catalog) Asides(p Path) (sidebar, footer *PageInfo) {
	if strings.EqualFold(p.Base(), SidebarName) || strings.EqualFold(p.Base(), FooterName) {
		return nil, nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	for d := p.Dir(); sidebar == nil || footer == nil; d = d.Dir() {
		if sidebar == nil {
			sidebar = c.pageInLocked(d, SidebarName)
		}
		if footer == nil {
			footer = c.pageInLocked(d, FooterName)
		}
		if d == "" {
			break
		}
	}
	return sidebar, footer
}

// pageInLocked returns the page named name in folder d, in any letter case.
func (c *Catalog) pageInLocked(d Path, name string) *PageInfo {
	q := d.Join(name)
	if pi, ok := c.pages[q]; ok {
		return pi
	}
	for _, q := range c.lower[strings.ToLower(string(q))] {
		if pi, ok := c.pages[q]; ok && q.Dir() == d {
			return pi
		}
	}
	return nil
}
