package wiki

import (
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxNavDepth bounds how deeply nav sections nest; YAML aliases can make a
// section contain itself.
const maxNavDepth = 64

// MkdocsNav is the navigation an mkdocs.yml declares, with its pages turned
// into wiki paths.
type MkdocsNav struct {
	Root    Path      `json:"root"`     // folder of mkdocs.yml; "" at the repository root
	DocsDir Path      `json:"docs_dir"` // Root joined with docs_dir, cleaned
	Items   []NavItem `json:"items,omitempty"`
}

// NavItem is one entry of an MkDocs nav: a page, an external link or a
// section with children.
type NavItem struct {
	Title    string    `json:"title,omitempty"` // "" when the entry gave none
	Page     Path      `json:"page,omitempty"`  // the page's wiki path; "" for sections and links
	URL      string    `json:"url,omitempty"`   // an external or site-relative link, as written
	Children []NavItem `json:"children,omitempty"`
	Line     int       `json:"line"`
}

// IsMkdocsConfig reports whether the file is an MkDocs configuration:
// mkdocs.yml or mkdocs.yaml in any folder.
func IsMkdocsConfig(p Path) bool {
	base := p.Base()
	return base == "mkdocs.yml" || base == "mkdocs.yaml"
}

// ParseMkdocs reads docs_dir and nav from an mkdocs.yml. Only those keys are
// looked at, so the Python tags real configurations carry
// (!!python/name:..., !ENV, !relative) are no obstacle. The nav is nil when
// the file cannot be read at all; the problems say why.
func ParseMkdocs(p Path, content []byte) (*MkdocsNav, []Problem) {
	ps := &problemSink{path: p, last: lastTextLine(content)}
	if len(content) > maxConfigFileBytes {
		ps.errorf(0, "", "the file is larger than %s; it is not read", ByteSize(maxConfigFileBytes))
		return nil, ps.list
	}
	var root yaml.Node
	if err := yaml.Unmarshal(content, &root); err != nil {
		line, msg := yamlErrorLine(err, content, 0)
		ps.errorf(line, "", "the file is not valid YAML: %s", msg)
		return nil, ps.list
	}
	nav := &MkdocsNav{Root: p.Dir()}
	nav.DocsDir = nav.Root.Join("docs")
	if len(root.Content) == 0 || isYAMLNull(yamlAlias(root.Content[0])) {
		return nav, ps.list
	}
	doc := yamlAlias(root.Content[0])
	if doc.Kind != yaml.MappingNode {
		ps.errorf(doc.Line, "", "the file is not a mapping of settings to values")
		return nil, ps.list
	}
	// Python's YAML loader lets a repeated key win, and so does MkDocs.
	var docsDir, navNode, pages, pagesKey *yaml.Node
	for i := 0; i+1 < len(doc.Content); i += 2 {
		switch yamlAlias(doc.Content[i]).Value {
		case "docs_dir":
			docsDir = doc.Content[i+1]
		case "nav":
			navNode = doc.Content[i+1]
		case "pages":
			pages, pagesKey = doc.Content[i+1], doc.Content[i]
		}
	}
	mp := &mkdocsParser{ps: ps, nav: nav, budget: maxConfigItems}
	if docsDir != nil {
		mp.docsDir(yamlAlias(docsDir))
	}
	if navNode == nil && pages != nil {
		ps.warnf(pagesKey.Line, "pages", "pages is the name MkDocs used for nav before version 1.0; it is read as nav")
		navNode = pages
	}
	if navNode == nil {
		return nav, ps.list
	}
	navNode = yamlAlias(navNode)
	switch {
	case isYAMLNull(navNode):
	case navNode.Kind != yaml.SequenceNode:
		ps.errorf(navNode.Line, "nav", "nav must be a list of pages, links and sections")
	default:
		nav.Items = mp.items(navNode, 0)
	}
	return nav, ps.list
}

type mkdocsParser struct {
	ps     *problemSink
	nav    *MkdocsNav
	budget int // nav entries left to read
}

// docsDir applies the docs_dir setting. A value from the build environment
// (!ENV) is unknown to the wiki, which takes the default the tag gives.
func (mp *mkdocsParser) docsDir(n *yaml.Node) {
	v := ""
	switch {
	case n.Tag == "!ENV" && n.Kind == yaml.SequenceNode:
		if len(n.Content) > 1 {
			v = yamlAlias(n.Content[len(n.Content)-1]).Value
		}
	case n.Tag == "!ENV" || isYAMLNull(n):
	case n.Kind == yaml.ScalarNode:
		v = strings.TrimSpace(n.Value)
	default:
		mp.ps.errorf(n.Line, "docs_dir", "docs_dir must be a folder name")
		return
	}
	if v == "" {
		return
	}
	if strings.HasPrefix(v, "/") || strings.Contains(v, `\`) || (len(v) > 1 && v[1] == ':') {
		mp.ps.warnf(n.Line, "docs_dir", "docs_dir %q is not a folder of the repository; pages are looked up in %q", v, mp.nav.DocsDir)
		return
	}
	d, inside, err := joinInsideRepo(mp.nav.Root, v)
	if !inside || err != nil {
		mp.ps.warnf(n.Line, "docs_dir", "docs_dir %q is not a folder of the repository; pages are looked up in %q", v, mp.nav.DocsDir)
		return
	}
	mp.nav.DocsDir = d
}

// joinInsideRepo joins a relative, slash-separated path to a folder. It reports
// false for a result outside the repository, and returns an error for one
// that is no valid repository path ("" is the root).
func joinInsideRepo(dir Path, rel string) (Path, bool, error) {
	base := string(dir)
	if base == "" {
		base = "."
	}
	joined := path.Clean(base + "/" + rel)
	switch {
	case joined == ".":
		return "", true, nil
	case joined == ".." || strings.HasPrefix(joined, "../"):
		return "", false, nil
	}
	p, err := ParsePath(joined)
	return p, true, err
}

// items reads a list of nav entries.
func (mp *mkdocsParser) items(seq *yaml.Node, depth int) []NavItem {
	if depth >= maxNavDepth {
		mp.ps.errorf(seq.Line, "nav", "nav sections nest deeper than %d levels", maxNavDepth)
		return nil
	}
	var out []NavItem
	for _, n := range seq.Content {
		if mp.budget <= 0 {
			if mp.budget == 0 {
				mp.ps.errorf(n.Line, "nav", "nav has more entries than the wiki reads (%d)", maxConfigItems)
				mp.budget--
			}
			return out
		}
		mp.budget--
		n = yamlAlias(n)
		switch n.Kind {
		case yaml.ScalarNode:
			if isYAMLNull(n) {
				mp.ps.errorf(n.Line, "nav", "a nav entry is empty")
			} else if !isYAMLText(n) {
				mp.ps.errorf(n.Line, "nav", "a nav entry must be a page, a link, or a title with a page, link or section")
			} else if it, ok := mp.target("", n.Value, n.Line); ok {
				out = append(out, it)
			}
		case yaml.MappingNode:
			if len(n.Content) != 2 {
				mp.ps.errorf(n.Line, "nav", "a nav entry must be one title with its page, link or section; this one has %d", len(n.Content)/2)
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				if it, ok := mp.titled(yamlAlias(n.Content[i]), yamlAlias(n.Content[i+1]), depth); ok {
					out = append(out, it)
				}
			}
		case yaml.SequenceNode:
			mp.ps.warnf(n.Line, "nav", "a list inside a list is not a nav entry MkDocs accepts; it is read as a section without a title")
			out = append(out, NavItem{Children: mp.items(n, depth+1), Line: n.Line})
		default:
			mp.ps.errorf(n.Line, "nav", "a nav entry must be a page, a link, or a title with a page, link or section")
		}
	}
	return out
}

// titled reads one "Title: value" entry.
func (mp *mkdocsParser) titled(k, v *yaml.Node, depth int) (NavItem, bool) {
	if k.Kind != yaml.ScalarNode {
		mp.ps.errorf(k.Line, "nav", "a nav title must be text")
		return NavItem{}, false
	}
	title := strings.TrimSpace(k.Value)
	switch v.Kind {
	case yaml.ScalarNode:
		if isYAMLNull(v) {
			mp.ps.errorf(k.Line, "nav", "nav entry %q has no page, link or section", title)
			return NavItem{}, false
		}
		if isYAMLText(v) {
			return mp.target(title, v.Value, k.Line)
		}
	case yaml.SequenceNode:
		return NavItem{Title: title, Children: mp.items(v, depth+1), Line: k.Line}, true
	case yaml.MappingNode:
		// MkDocs reads a mapping as the list of its entries, with a warning.
		mp.ps.warnf(v.Line, "nav", "section %q should be a list of entries, not a mapping", title)
		var pairs yaml.Node
		for i := 0; i+1 < len(v.Content); i += 2 {
			pairs.Content = append(pairs.Content, &yaml.Node{Kind: yaml.MappingNode, Line: v.Content[i].Line, Content: v.Content[i : i+2]})
		}
		pairs.Line = v.Line
		return NavItem{Title: title, Children: mp.items(&pairs, depth+1), Line: k.Line}, true
	}
	mp.ps.errorf(k.Line, "nav", "nav entry %q must name a page, a link or a list of entries", title)
	return NavItem{}, false
}

// isYAMLText reports whether a scalar is text rather than a number or a
// boolean, which MkDocs refuses as a page or link.
func isYAMLText(n *yaml.Node) bool {
	switch n.ShortTag() {
	case "!!int", "!!float", "!!bool":
		return false
	}
	return true
}

var navSchemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// target makes the entry for a page path or link as written in the nav.
// MkDocs treats whatever is not a documentation file as a link; without the
// file list at hand, the wiki goes by the name: markdown files are pages.
func (mp *mkdocsParser) target(title, value string, line int) (NavItem, bool) {
	v := strings.TrimSpace(value)
	if v == "..." || strings.HasPrefix(v, "... ") || strings.HasPrefix(v, "...|") {
		return NavItem{}, false // the awesome-pages plugin's "all other pages"
	}
	lower := strings.ToLower(v)
	if navSchemeRE.MatchString(v) || strings.HasPrefix(v, "/") ||
		!(strings.HasSuffix(lower, ".md") || strings.HasSuffix(lower, ".markdown")) {
		return NavItem{Title: title, URL: v, Line: line}, true
	}
	p, inside, err := joinInsideRepo(mp.nav.DocsDir, v)
	if !inside {
		mp.ps.warnf(line, "nav", "nav entry %q leaves the repository; it is ignored", v)
		return NavItem{}, false
	}
	if err != nil || p == "" {
		mp.ps.warnf(line, "nav", "nav entry %q is not a usable file path; it is ignored", v)
		return NavItem{}, false
	}
	return NavItem{Title: title, Page: p, Line: line}, true
}

// Order ranks every page and folder the nav mentions by its position in a
// depth-first walk of the nav, counting from 0, so a folder listing can put
// its entries in the nav's order and the rest after them. A section ranks
// the folder all its pages share, if they share one below DocsDir; a page
// also ranks the folders between it and DocsDir. The first mention counts.
func (n *MkdocsNav) Order() map[Path]int {
	if n == nil {
		return nil
	}
	order := map[Path]int{}
	rank := func(p Path, pos int) {
		if _, ok := order[p]; !ok {
			order[p] = pos
		}
	}
	pos := 0
	var walk func([]NavItem)
	walk = func(items []NavItem) {
		for _, it := range items {
			switch {
			case it.Page != "":
				rank(it.Page, pos)
				for d := it.Page.Dir(); n.below(d); d = d.Dir() {
					rank(d, pos)
				}
			case it.URL == "":
				if d, ok := n.sharedFolder(it.Children); ok && n.below(d) {
					rank(d, pos)
				}
			}
			pos++
			walk(it.Children)
		}
	}
	walk(n.Items)
	return order
}

// below reports whether d is a folder inside DocsDir, DocsDir excluded.
func (n *MkdocsNav) below(d Path) bool {
	if n.DocsDir == "" {
		return d != ""
	}
	return strings.HasPrefix(string(d), string(n.DocsDir)+"/")
}

// sharedFolder returns the deepest folder holding every page under items.
func (n *MkdocsNav) sharedFolder(items []NavItem) (Path, bool) {
	var shared Path
	found := false
	var walk func([]NavItem)
	walk = func(items []NavItem) {
		for _, it := range items {
			if it.Page != "" {
				d := it.Page.Dir()
				if !found {
					shared, found = d, true
				}
				for shared != "" && d != shared && !strings.HasPrefix(string(d), string(shared)+"/") {
					shared = shared.Dir()
				}
			}
			walk(it.Children)
		}
	}
	walk(items)
	return shared, found
}

// Titles returns the titles the nav gives pages; the first one counts when
// a page is listed twice.
func (n *MkdocsNav) Titles() map[Path]string {
	if n == nil {
		return nil
	}
	titles := map[Path]string{}
	var walk func([]NavItem)
	walk = func(items []NavItem) {
		for _, it := range items {
			if _, ok := titles[it.Page]; it.Page != "" && it.Title != "" && !ok {
				titles[it.Page] = it.Title
			}
			walk(it.Children)
		}
	}
	walk(n.Items)
	return titles
}
