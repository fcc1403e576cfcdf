package wiki

import (
	"path"
	"strings"
)

// IsConfigFile reports whether the wiki derives something from a file that
// is not a page: a Backstage descriptor (services, owners, dependencies,
// on-call), an MkDocs configuration (the order of the page tree) or a
// CODEOWNERS file (who may change what).
func IsConfigFile(p Path) bool {
	return IsBackstageDescriptor(p) || IsMkdocsConfig(p) || p.IsCodeOwners()
}

// ParseFile parses a file the wiki derives from: a page under the settings
// s, a Backstage descriptor (Entities), an MkDocs configuration (Nav) or a
// CODEOWNERS file (CodeOwners), each with its problems. It returns nil for any other file.
func ParseFile(p Path, content []byte, s *Settings) *Document {
	switch {
	case p.IsPage():
		return ParseDocumentWith(p, content, s)
	case IsBackstageDescriptor(p):
		d := &Document{Path: p}
		d.Entities, d.Problems = ParseBackstage(p, content)
		return d
	case IsMkdocsConfig(p):
		d := &Document{Path: p}
		d.Nav, d.Problems = ParseMkdocs(p, content)
		return d
	case p.IsCodeOwners():
		co := ParseCodeOwners(p, content)
		return &Document{Path: p, CodeOwners: co, Problems: co.Problems}
	}
	return nil
}

// TechDocsHome returns the page a service's Backstage entity names as its
// documentation: the annotation backstage.io/techdocs-ref "dir:<folder>"
// (relative to the descriptor) names an MkDocs site, whose docs folder's
// index.md or README.md is the home. ok is false when the entity names
// none or the page does not exist.
func (c *Catalog) TechDocsHome(n *ServiceNode) (Path, bool) {
	if n == nil || n.Entity == nil {
		return "", false
	}
	ref, ok := strings.CutPrefix(strings.TrimSpace(n.Entity.Annotations["backstage.io/techdocs-ref"]), "dir:")
	if !ok {
		return "", false
	}
	site, err := ParsePath(path.Join(string(n.EntityFile.Dir()), ref))
	if err != nil && strings.Trim(path.Join(string(n.EntityFile.Dir()), ref), "./") != "" {
		return "", false // outside the repository
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	docs := site.Join("docs")
	if site == "" {
		docs = "docs"
	}
	for _, name := range []string{"mkdocs.yml", "mkdocs.yaml"} {
		q := Path(name)
		if site != "" {
			q = site.Join(name)
		}
		if d := c.configs[q]; d != nil && d.Nav != nil {
			docs = d.Nav.DocsDir
			break
		}
	}
	for _, name := range []string{"index.md", "README.md"} {
		q := Path(name)
		if docs != "" {
			q = docs.Join(name)
		}
		if _, ok := c.pages[q]; ok {
			return q, true
		}
	}
	return "", false
}

// hasDescriptors reports whether the repository has any Backstage
// descriptor, so the page views of a wiki without one skip looking.
func (c *Catalog) hasDescriptors() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for p := range c.configs {
		if IsBackstageDescriptor(p) {
			return true
		}
	}
	return false
}

// ServiceOfDocs returns the service whose Backstage documentation home
// (TechDocsHome) is page p.
func (c *Catalog) ServiceOfDocs(p Path) (*ServiceNode, bool) {
	if !p.IsIndex() || !c.hasDescriptors() {
		return nil, false
	}
	for _, n := range c.Graph().Services() {
		if n.Page == nil && n.Entity != nil {
			if home, ok := c.TechDocsHome(n); ok && home == p {
				return n, true
			}
		}
	}
	return nil, false
}
