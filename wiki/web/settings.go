package web

import (
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// SettingsView is /-/settings: the repository settings in force, what each
// rule matched, and the file to edit.
type SettingsView struct {
	Layout
	Exists    bool
	Content   string
	Base      string
	Message   string
	Problems  []wiki.Problem
	Conflict  *ConflictView
	Notice    string
	Kinds     []SettingsRule
	Services  []SettingsRule
	Keys      []SettingsRule
	Redirects []SettingsRule
	RuleFiles []SettingsRule
	Pages     int
	// CodeOwners is the CODEOWNERS file in force, nil for none; NoOwners
	// says so when there is none.
	CodeOwners *CodeOwnersView
	NoOwners   string
	// Drills is drill_every, with the tier-1 services it applies to; nil
	// when the settings expect no drills.
	Drills *SettingsRule
}

// SettingsRule is one rule with the pages it matched.
type SettingsRule struct {
	Line    int
	Rule    string // as written: the glob, pattern, key or prefix
	Result  string // the kind, key or folder it leads to
	Matched int
	// Overridden counts the pages the rule matched whose front matter
	// says otherwise, so the rule did not decide for them.
	Overridden int
	Examples   []PageLink
	More       int        // matched pages not among Examples
	Services   []PageLink // for service rules: the services found
}

// maxRuleExamples bounds the pages listed under a rule.
const maxRuleExamples = 5

// settingsRoutes registers the settings page.
func (s *Server) settingsRoutes(read, edit routeGroup) {
	read.GET("/-/settings", s.handleSettings)
	edit.POST("/-/settings", s.handleSettingsPost)
}

// handleSettings serves GET /-/settings.
func (s *Server) handleSettings(c echo.Context) error {
	v, err := s.settingsView(c)
	if err != nil {
		return err
	}
	return s.html(c, http.StatusOK, "settings", v)
}

// handleSettingsPost serves POST /-/settings: the settings file saved like
// a page, refused with its problems (file lines) when it has errors.
func (s *Server) handleSettingsPost(c echo.Context) error {
	if err := s.limitBody(c, s.cfg.MaxPageBytes+64<<10); err != nil {
		return err
	}
	content := normalizeNewlines(c.FormValue("content"))
	req := wiki.SaveRequest{Path: wiki.SettingsPath, Content: []byte(content), Base: c.FormValue("base"),
		Message: strings.TrimSpace(c.FormValue("message")), Author: s.author(c.Request())}
	res, err := s.editor.Save(c.Request().Context(), req)
	if err == nil {
		dest := "/-/settings"
		if res.Merged {
			dest += "?merged=1"
		}
		return c.Redirect(http.StatusSeeOther, dest)
	}
	f, ok := failedSave(err, content, req.Base)
	if !ok {
		return err
	}
	v, verr := s.settingsView(c)
	if verr != nil {
		return verr
	}
	v.Content, v.Base, v.Message, v.Problems, v.Conflict, v.Notice = f.content, f.base, req.Message, f.problems, f.conflict, f.notice
	if f.status == http.StatusUnprocessableEntity {
		v.Notice = "Not saved: the settings have errors. Nothing is lost: your text is below."
	}
	return s.html(c, f.status, "settings", v)
}

// settingsView describes the settings in force at the catalog's commit.
func (s *Server) settingsView(c echo.Context) (SettingsView, error) {
	v := SettingsView{Layout: s.layout("Settings")}
	st := s.catalog.Settings()
	if st != nil {
		content, err := s.store.ReadBlob(c.Request().Context(), st.Blob)
		if err != nil {
			return v, err
		}
		v.Exists, v.Content, v.Base, v.Problems = true, string(content), st.Blob, st.Problems
	} else {
		v.Content = settingsTemplate
	}
	if c.QueryParam("merged") != "" {
		v.Notice = "Saved, merged with a change made meanwhile."
	}
	pages := s.catalog.Pages()
	v.Pages = len(pages)
	sort.Slice(pages, func(i, j int) bool { return pages[i].Path < pages[j].Path })
	if v.CodeOwners = s.codeOwnersView(pages); v.CodeOwners == nil {
		v.NoOwners = "Every editor may change every file: the repository has no CODEOWNERS file."
	}
	if st == nil {
		return v, nil
	}
	v.Kinds = make([]SettingsRule, len(st.Kinds))
	for i, r := range st.Kinds {
		v.Kinds[i] = SettingsRule{Line: r.Line, Rule: r.Glob, Result: r.Kind}
	}
	v.Services = make([]SettingsRule, len(st.Services))
	services := make([]map[string]bool, len(st.Services))
	for i, r := range st.Services {
		v.Services[i] = SettingsRule{Line: r.Line, Rule: r.Pattern}
		services[i] = map[string]bool{}
	}
	v.Keys = make([]SettingsRule, len(st.Keys))
	for i, a := range st.Keys {
		v.Keys[i] = SettingsRule{Line: a.Line, Rule: a.From, Result: a.To}
	}
	v.Redirects = make([]SettingsRule, len(st.Redirects))
	for i, r := range st.Redirects {
		v.Redirects[i] = SettingsRule{Line: r.Line, Rule: r.Prefix, Result: r.To}
	}
	for _, r := range st.Rules {
		one := &wiki.Settings{Rules: []wiki.RulesRule{r}}
		row := SettingsRule{Line: r.Line, Rule: r.Glob}
		files := s.catalog.FilesWhere(one.IsRuleFile)
		paths := make([]wiki.Path, 0, len(files))
		for p := range files {
			paths = append(paths, p)
		}
		sort.Slice(paths, func(i, j int) bool { return paths[i] < paths[j] })
		for _, p := range paths {
			row.add(PageLink{Path: p, URL: p.RawURL(), Title: string(p)})
		}
		v.RuleFiles = append(v.RuleFiles, row)
	}
	if st.DrillEvery > 0 {
		row := SettingsRule{Line: st.DrillEveryLine, Rule: wiki.FormatInterval(st.DrillEvery), Result: "tier-1 services"}
		for _, n := range s.catalog.Graph().Services() {
			if n.Page != nil && n.Page.Meta.DrillEvery == 0 && wiki.IsTier1(n.Page.Meta.Tier) {
				row.add(PageLink{Path: n.Page.Path, URL: n.Page.Path.URL(), Title: n.Name, Kind: wiki.KindService})
			}
		}
		v.Drills = &row
	}
	for _, pi := range pages {
		link := PageLink{Path: pi.Path, URL: pi.Path.URL(), Title: pi.Title, Kind: pi.Meta.Kind}
		if _, i := st.KindFor(pi.Path); i >= 0 && pi.Path.Top() != "templates" {
			if pi.Doc != nil && pi.Doc.KeyLine("kind") > 0 {
				v.Kinds[i].Overridden++
			}
			v.Kinds[i].add(link)
		}
		if name, _, i := st.ServiceFor(pi.Path); i >= 0 {
			v.Services[i].add(link)
			services[i][name] = true
		}
		if pi.Doc == nil {
			continue
		}
		for _, k := range pi.Doc.AliasedKeys {
			for i, a := range st.Keys {
				if a.From == k {
					v.Keys[i].add(link)
				}
			}
		}
		for i, r := range st.Redirects {
			for _, l := range pi.Doc.Links {
				if len(l.Target) >= len(r.Prefix) && strings.EqualFold(l.Target[:len(r.Prefix)], r.Prefix) {
					v.Redirects[i].add(link)
					break
				}
			}
		}
	}
	g := s.catalog.Graph()
	for i, names := range services {
		list := make([]string, 0, len(names))
		for n := range names {
			list = append(list, n)
		}
		sort.Strings(list)
		for _, n := range list {
			l := PageLink{Title: n, URL: "/-/services#" + wiki.Slug(n)}
			if node, ok := g.Service(n); ok && node.Page != nil {
				l.URL, l.Path = node.Page.Path.URL(), node.Page.Path
			}
			v.Services[i].Services = append(v.Services[i].Services, l)
		}
	}
	return v, nil
}

func (r *SettingsRule) add(l PageLink) {
	r.Matched++
	if len(r.Examples) < maxRuleExamples {
		r.Examples = append(r.Examples, l)
	} else {
		r.More++
	}
}

// settingsTemplate is offered when the repository has no settings yet.
const settingsTemplate = `# Repository settings: what the wiki cannot tell from the pages alone.
# Every section is optional.

# Pages whose path matches a pattern get that kind unless their front matter names one.
# * matches any name, ** any folders; a folder name stands for everything under it.
kinds:
#  "data/*.md": postmortem
#  "ops/procedures": runbook

# Folders named after services: their pages belong to that service,
# and the folder's own page (README.md, index.md) describes it.
services:
#  - "docs/{service}/**"

# Front matter keys other tools write, read as the wiki's own.
keys:
#  product: services
#  team: owner

# Where the runbooks used to live: links and requests there lead to the pages here.
redirects:
#  "https://github.com/openshift/runbooks/blob/master/": /

# Prometheus rule files kept here: their alerts are listed on /-/alerts.
rules:
#  - "prometheus/rules/"
`
