package wiki_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

func TestIsMkdocsConfig(t *testing.T) {
	for _, tc := range []struct {
		path wiki.Path
		want bool
	}{
		{"mkdocs.yml", true},
		{"mkdocs.yaml", true},
		{"services/payments/mkdocs.yml", true},
		{"mkdocs.yml.orig", false},
		{"docs/mkdocs.md", false},
		{"catalog-info.yaml", false},
	} {
		t.Run(string(tc.path), func(t *testing.T) {
			if got := wiki.IsMkdocsConfig(tc.path); got != tc.want {
				t.Fatalf("IsMkdocsConfig(%q) = %v, want %v", tc.path, got, tc.want)
			}
		})
	}
}

// materialNav is the nav of testdata/mkdocs/material/mkdocs.yml, a
// Material for MkDocs configuration full of Python tags.
var materialNav = &wiki.MkdocsNav{Root: "", DocsDir: "docs", Items: []wiki.NavItem{
	{Title: "Home", Page: "docs/index.md", Line: 46},
	{Title: "Getting started", Line: 47, Children: []wiki.NavItem{
		{Title: "Installation", Page: "docs/getting-started.md", Line: 48},
		{Title: "Changelog", Line: 49, Children: []wiki.NavItem{
			{Page: "docs/changelog/index.md", Line: 50},
			{Title: "How to upgrade", Page: "docs/upgrade.md", Line: 51},
		}},
	}},
	{Title: "Runbooks", Line: 52, Children: []wiki.NavItem{
		{Page: "docs/runbooks/index.md", Line: 53},
		{Title: "Card declines", Page: "docs/runbooks/card-declines.md", Line: 54},
		{Title: "Database", Line: 55, Children: []wiki.NavItem{
			{Title: "Disk full", Page: "docs/runbooks/db/disk-full.md", Line: 56},
			{Title: "Failover", Page: "docs/runbooks/db/failover.md", Line: 57},
		}},
		{Title: "Status page", URL: "https://status.example.com/", Line: 58},
	}},
	{Page: "docs/services/checkout.md", Line: 59},
	{Title: "Issue tracker", URL: "https://github.com/acme/payments/issues", Line: 60},
	{Title: "Bugs", URL: "/bugs/", Line: 61},
}}

// techdocsNav is the nav of testdata/mkdocs/techdocs/mkdocs.yml kept at
// services/payments/mkdocs.yml of a Backstage monorepo.
var techdocsNav = &wiki.MkdocsNav{Root: "services/payments", DocsDir: "services/payments/docs", Items: []wiki.NavItem{
	{Title: "Overview", Page: "services/payments/docs/index.md", Line: 10},
	{Title: "Operations", Line: 11, Children: []wiki.NavItem{
		{Title: "On-call", Page: "services/payments/docs/operations/oncall.md", Line: 12},
		{Title: "Runbooks", Line: 13, Children: []wiki.NavItem{
			{Title: "Refund backlog", Page: "services/payments/docs/operations/runbooks/refund-backlog.md", Line: 14},
			{Title: "Webhook failures", Page: "services/payments/docs/operations/runbooks/webhooks.md", Line: 15},
		}},
	}},
	{Title: "Architecture", Page: "services/payments/docs/architecture.md", Line: 16},
	{Title: "Shared glossary", Page: "handbook/glossary.md", Line: 17},
}}

func TestParseMkdocs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		path    wiki.Path
		content []byte
		want    *wiki.MkdocsNav
	}{
		{"MaterialWithPythonTags", "mkdocs.yml", readConfigFixture(t, "mkdocs/material/mkdocs.yml"), materialNav},
		{"CRLF", "mkdocs.yml", bytes.ReplaceAll(readConfigFixture(t, "mkdocs/material/mkdocs.yml"), []byte("\n"), []byte("\r\n")), materialNav},
		{"MonorepoSubfolder", "services/payments/mkdocs.yml", readConfigFixture(t, "mkdocs/techdocs/mkdocs.yml"), techdocsNav},
		{"DocsDirOverride", "handbook/mkdocs.yaml", configLines(
			"site_name: Handbook",
			"docs_dir: ./pages/",
			"nav:",
			"  - Welcome: README.md",
			"  - On-call:",
			"    - oncall/rotation.md",
		), &wiki.MkdocsNav{Root: "handbook", DocsDir: "handbook/pages", Items: []wiki.NavItem{
			{Title: "Welcome", Page: "handbook/pages/README.md", Line: 4},
			{Title: "On-call", Line: 5, Children: []wiki.NavItem{{Page: "handbook/pages/oncall/rotation.md", Line: 6}}},
		}}},
		{"DocsDirFromEnvironment", "mkdocs.yml", configLines(
			"docs_dir: !ENV [DOCS_DIR, site-docs]",
			"nav: [index.md]",
		), &wiki.MkdocsNav{DocsDir: "site-docs", Items: []wiki.NavItem{{Page: "site-docs/index.md", Line: 2}}}},
		{"DocsDirEnvironmentWithoutDefault", "mkdocs.yml", configLines(
			"docs_dir: !ENV DOCS_DIR",
			"nav: [index.md]",
		), &wiki.MkdocsNav{DocsDir: "docs", Items: []wiki.NavItem{{Page: "docs/index.md", Line: 2}}}},
		{"NoNav", "mkdocs.yml", configLines("site_name: x", "theme: {name: material}"),
			&wiki.MkdocsNav{DocsDir: "docs"}},
		{"Empty", "docs-site/mkdocs.yml", nil, &wiki.MkdocsNav{Root: "docs-site", DocsDir: "docs-site/docs"}},
		{"MarkdownExtensionAndAnchorLinks", "mkdocs.yml", configLines(
			"nav:",
			"  - Intro: intro.markdown",
			"  - API: api/",
			"  - Section link: guide.md#install",
			"  - Mail: mailto:ops@example.com",
			"  - ...",
			"  - ./ops/../ops/oncall.md",
		), &wiki.MkdocsNav{DocsDir: "docs", Items: []wiki.NavItem{
			{Title: "Intro", Page: "docs/intro.markdown", Line: 2},
			{Title: "API", URL: "api/", Line: 3},
			{Title: "Section link", URL: "guide.md#install", Line: 4},
			{Title: "Mail", URL: "mailto:ops@example.com", Line: 5},
			{Page: "docs/ops/oncall.md", Line: 7},
		}}},
		{"Aliases", "mkdocs.yml", configLines(
			"shared: &runbooks",
			"  - Disk full: runbooks/disk-full.md",
			"nav:",
			"  - Runbooks: *runbooks",
		), &wiki.MkdocsNav{DocsDir: "docs", Items: []wiki.NavItem{
			{Title: "Runbooks", Line: 4, Children: []wiki.NavItem{{Title: "Disk full", Page: "docs/runbooks/disk-full.md", Line: 2}}},
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := wiki.ParseMkdocs(tc.path, tc.content)
			if len(problems) != 0 {
				t.Fatalf("problems: %+v", problems)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("nav:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseMkdocsProblems(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content []byte
		want    []wiki.Problem // Path is filled in
		items   int            // top-level nav items still read; -1 for no nav at all
	}{
		{"NotYAML", configLines("site_name: x", "nav:", "  - Home: [index.md"),
			[]wiki.Problem{{Line: 3, Severity: wiki.SeverityError, Message: "the file is not valid YAML: did not find expected ',' or ']'"}}, -1},
		{"NotMapping", configLines("- index.md"),
			[]wiki.Problem{{Line: 1, Severity: wiki.SeverityError, Message: "the file is not a mapping of settings to values"}}, -1},
		{"NavNotList", configLines("site_name: x", "nav:", "  Home: index.md"),
			[]wiki.Problem{{Line: 3, Severity: wiki.SeverityError, Field: "nav", Message: "nav must be a list of pages, links and sections"}}, 0},
		{"WrongItemTypes", configLines(
			"nav:",
			"  - Home: index.md",
			"  - 42",
			"  - ~",
			"  - Empty:",
			"  - {A: a.md, B: b.md}",
			"  - Nested: {C: c.md}",
			"  - - loose.md",
			"  - [x]: y.md",
		), []wiki.Problem{
			{Line: 3, Severity: wiki.SeverityError, Field: "nav", Message: "a nav entry must be a page, a link, or a title with a page, link or section"},
			{Line: 4, Severity: wiki.SeverityError, Field: "nav", Message: "a nav entry is empty"},
			{Line: 5, Severity: wiki.SeverityError, Field: "nav", Message: `nav entry "Empty" has no page, link or section`},
			{Line: 6, Severity: wiki.SeverityError, Field: "nav", Message: "a nav entry must be one title with its page, link or section; this one has 2"},
			{Line: 7, Severity: wiki.SeverityWarning, Field: "nav", Message: `section "Nested" should be a list of entries, not a mapping`},
			{Line: 8, Severity: wiki.SeverityWarning, Field: "nav", Message: "a list inside a list is not a nav entry MkDocs accepts; it is read as a section without a title"},
			{Line: 9, Severity: wiki.SeverityError, Field: "nav", Message: "a nav title must be text"},
		}, 5},
		{"LeavesRepository", configLines(
			"nav:",
			"  - Up one: ../README.md",
			"  - Outside: ../../../secrets.md",
			"  - Git: ../.git/config.md",
		), []wiki.Problem{
			{Line: 3, Severity: wiki.SeverityWarning, Field: "nav", Message: `nav entry "../../../secrets.md" leaves the repository; it is ignored`},
			{Line: 4, Severity: wiki.SeverityWarning, Field: "nav", Message: `nav entry "../.git/config.md" is not a usable file path; it is ignored`},
		}, 1},
		{"DocsDirOutside", configLines("docs_dir: ../../elsewhere", "nav: [index.md]"),
			[]wiki.Problem{{Line: 1, Severity: wiki.SeverityWarning, Field: "docs_dir", Message: `docs_dir "../../elsewhere" is not a folder of the repository; pages are looked up in "team/docs"`}}, 1},
		{"DocsDirAbsolute", configLines("docs_dir: /srv/docs", "nav: [index.md]"),
			[]wiki.Problem{{Line: 1, Severity: wiki.SeverityWarning, Field: "docs_dir", Message: `docs_dir "/srv/docs" is not a folder of the repository; pages are looked up in "team/docs"`}}, 1},
		{"DocsDirNotText", configLines("docs_dir: [a]", "nav: [index.md]"),
			[]wiki.Problem{{Line: 1, Severity: wiki.SeverityError, Field: "docs_dir", Message: "docs_dir must be a folder name"}}, 1},
		{"OldPagesKey", configLines("pages:", "  - Home: index.md"),
			[]wiki.Problem{{Line: 1, Severity: wiki.SeverityWarning, Field: "pages", Message: "pages is the name MkDocs used for nav before version 1.0; it is read as nav"}}, 1},
		{"TooLarge", make([]byte, 1<<20+1),
			[]wiki.Problem{{Line: 0, Severity: wiki.SeverityError, Message: "the file is larger than 1 MiB; it is not read"}}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const p = "team/mkdocs.yml"
			nav, problems := wiki.ParseMkdocs(p, tc.content)
			for i := range tc.want {
				tc.want[i].Path = p
			}
			if !reflect.DeepEqual(problems, tc.want) {
				t.Errorf("problems:\n got %+v\nwant %+v", problems, tc.want)
			}
			items := -1
			if nav != nil {
				items = len(nav.Items)
			}
			if items != tc.items {
				t.Errorf("%d nav items read, want %d: %+v", items, tc.items, nav)
			}
		})
	}
}

func TestMkdocsNavOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		nav  *wiki.MkdocsNav
		want map[wiki.Path]int
	}{
		{"Material", materialNav, map[wiki.Path]int{
			"docs/index.md":                  0,
			"docs/getting-started.md":        2,
			"docs/changelog":                 4, // the Changelog section's pages share only docs
			"docs/changelog/index.md":        4,
			"docs/upgrade.md":                5,
			"docs/runbooks":                  6, // the Runbooks section
			"docs/runbooks/index.md":         7,
			"docs/runbooks/card-declines.md": 8,
			"docs/runbooks/db":               9, // the Database section
			"docs/runbooks/db/disk-full.md":  10,
			"docs/runbooks/db/failover.md":   11,
			"docs/services":                  13,
			"docs/services/checkout.md":      13,
		}},
		{"Monorepo", techdocsNav, map[wiki.Path]int{
			"services/payments/docs/index.md":                              0,
			"services/payments/docs/operations":                            1,
			"services/payments/docs/operations/oncall.md":                  2,
			"services/payments/docs/operations/runbooks":                   3,
			"services/payments/docs/operations/runbooks/refund-backlog.md": 4,
			"services/payments/docs/operations/runbooks/webhooks.md":       5,
			"services/payments/docs/architecture.md":                       6,
			"handbook/glossary.md":                                         7,
		}},
		{"DocsAtRoot", &wiki.MkdocsNav{Items: []wiki.NavItem{
			{Title: "Ops", Children: []wiki.NavItem{{Page: "ops/a.md"}, {Page: "ops/b.md"}}},
			{Page: "ops/a.md", Title: "again"},
			{Page: "README.md"},
		}}, map[wiki.Path]int{"ops": 0, "ops/a.md": 1, "ops/b.md": 2, "README.md": 4}},
		{"Nil", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.nav.Order(); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Order():\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestMkdocsNavTitles(t *testing.T) {
	want := map[wiki.Path]string{
		"docs/index.md":                  "Home",
		"docs/getting-started.md":        "Installation",
		"docs/upgrade.md":                "How to upgrade",
		"docs/runbooks/card-declines.md": "Card declines",
		"docs/runbooks/db/disk-full.md":  "Disk full",
		"docs/runbooks/db/failover.md":   "Failover",
	}
	if got := materialNav.Titles(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Titles():\n got %v\nwant %v", got, want)
	}
	twice := &wiki.MkdocsNav{Items: []wiki.NavItem{{Page: "a.md"}, {Page: "a.md", Title: "First"}, {Page: "a.md", Title: "Second"}}}
	if got := twice.Titles(); !reflect.DeepEqual(got, map[wiki.Path]string{"a.md": "First"}) {
		t.Fatalf("Titles() of a page listed three times = %v", got)
	}
}

// FuzzParseMkdocs checks that no input makes parsing panic, that problems
// and items point at lines of the file, and that every page is a valid
// repository path.
func FuzzParseMkdocs(f *testing.F) {
	f.Add(readConfigFixture(f, "mkdocs/material/mkdocs.yml"))
	f.Add(readConfigFixture(f, "mkdocs/techdocs/mkdocs.yml"))
	for _, s := range []string{
		"docs_dir: !ENV [A, B, ../x]\nnav: [a.md, {b: [c.md, {d: ../../e.md}]}, [f.md]]\n",
		"nav: &n\n  - a: *n\n",
		"nav:\n  - {a: b.md, c: {d: e.md}}\n  - 3\n  - ~\n",
		"pages: [[index.md, Home]]\n",
		"nav: [\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		nav, problems := wiki.ParseMkdocs("site/mkdocs.yml", b)
		lines := yamlFileLines(b)
		for _, p := range problems {
			if p.Line < 0 || p.Line > lines || p.Message == "" {
				t.Fatalf("problem %+v in a %d-line file", p, lines)
			}
		}
		if nav == nil {
			return
		}
		var walk func([]wiki.NavItem)
		walk = func(items []wiki.NavItem) {
			for _, it := range items {
				if it.Line < 1 || it.Line > lines {
					t.Fatalf("item %+v in a %d-line file", it, lines)
				}
				if it.Page != "" {
					if p, err := wiki.ParsePath(string(it.Page)); err != nil || p != it.Page {
						t.Fatalf("item %+v: page is no clean path: %v", it, err)
					}
				}
				walk(it.Children)
			}
		}
		walk(nav.Items)
		for p := range nav.Order() {
			if _, err := wiki.ParsePath(string(p)); err != nil {
				t.Fatalf("Order() ranks %q: %v", p, err)
			}
		}
		nav.Titles()
	})
}

// BenchmarkParseMkdocs parses a real-shaped mkdocs.yml.
func BenchmarkParseMkdocs(b *testing.B) {
	content := readConfigFixture(b, "mkdocs/material/mkdocs.yml")
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		nav, _ := wiki.ParseMkdocs("mkdocs.yml", content)
		nav.Order()
	}
}
