package wiki_test

import (
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

func childNames(cat *wiki.Catalog, dir wiki.Path) string {
	var names []string
	for _, ch := range cat.Children(dir) {
		names = append(names, ch.Name)
	}
	return strings.Join(names, " ")
}

// A folder lists what an MkDocs nav names in the nav's order, then pages
// by Hugo weight, then folders and pages by name; a change of the nav
// reorders at once.
func TestListingOrder(t *testing.T) {
	s := MustStore(t, map[string]string{
		"mkdocs.yml":             "site_name: Ops\nnav:\n  - Home: index.md\n  - Runbooks:\n      - runbooks/zeta.md\n      - runbooks/alpha.md\n  - guide.md\n",
		"docs/index.md":          "# Ops\n",
		"docs/guide.md":          "# Guide\n",
		"docs/about.md":          "# About\n",
		"docs/runbooks/alpha.md": "# Alpha\n",
		"docs/runbooks/zeta.md":  "# Zeta\n",
		"docs/runbooks/beta.md":  "# Beta\n",
		"docs/runbooks/old/x.md": "# X\n",
		"hugo/b.md":              "+++\nweight = 20\n+++\n",
		"hugo/c.md":              "---\nweight: 5\n---\n",
		"hugo/a.md":              "# A\n",
		"hugo/sub/_index.md":     "---\nweight: 10\n---\n",
	})
	cat := wiki.NewCatalog()
	f := MustFollow(t, s, cat)
	mustSync(t, f)
	for dir, want := range map[wiki.Path]string{
		"docs":          "index.md runbooks guide.md about.md",
		"docs/runbooks": "zeta.md alpha.md old beta.md",
		"hugo":          "c.md sub b.md a.md",
	} {
		if got := childNames(cat, dir); got != want {
			t.Errorf("%s lists %q, want %q", dir, got, want)
		}
	}
	MustCommitFiles(t, s, map[string]string{"mkdocs.yml": "site_name: Ops\nnav:\n  - runbooks/alpha.md\n  - runbooks/beta.md\n"})
	mustSync(t, f)
	if got := childNames(cat, "docs/runbooks"); got != "alpha.md beta.md old zeta.md" {
		t.Errorf("after the nav changed: %q", got)
	}
}

// A service a Backstage descriptor describes has its TechDocs home as its
// page: the docs folder of the MkDocs site its techdocs-ref names.
func TestTechDocsHome(t *testing.T) {
	entity := func(name, ref string) string {
		return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: " + name + "\n  annotations:\n    backstage.io/techdocs-ref: " + ref + "\nspec:\n  owner: team\n"
	}
	s := MustStore(t, map[string]string{
		"catalog-info.yaml":             entity("root", "dir:."),
		"docs/index.md":                 "# Root\n",
		"services/a/catalog-info.yaml":  entity("a", "dir:."),
		"services/a/mkdocs.yml":         "site_name: A\ndocs_dir: handbook\n",
		"services/a/handbook/README.md": "# A\n",
		"services/b/catalog-info.yaml":  entity("b", "dir:site"),
		"services/b/site/docs/index.md": "# B\n",
		"services/c/catalog-info.yaml":  entity("c", "url:https://github.com/example/c"),
		"services/d/catalog-info.yaml":  entity("d", "dir:../../../outside"),
		"services/e/catalog-info.yaml":  entity("e", "dir:."),
	})
	cat := wiki.NewCatalog()
	mustSync(t, MustFollow(t, s, cat))
	g := cat.Graph()
	for name, want := range map[string]wiki.Path{"root": "docs/index.md", "a": "services/a/handbook/README.md", "b": "services/b/site/docs/index.md", "c": "", "d": "", "e": ""} {
		n, ok := g.Service(name)
		if !ok {
			t.Fatalf("no service %s", name)
		}
		home, _ := cat.TechDocsHome(n)
		if home != want {
			t.Errorf("TechDocsHome(%s) = %q, want %q", name, home, want)
		}
		if want != "" {
			if svc, ok := cat.ServiceOfDocs(want); !ok || svc.Name != name {
				t.Errorf("ServiceOfDocs(%s) = %v", want, svc)
			}
		}
	}
}
