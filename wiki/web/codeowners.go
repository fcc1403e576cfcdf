package web

import (
	"net/http"
	"strings"

	"github.com/opswiki/opswiki/wiki"
)

// PageOwner is who owns a page by the CODEOWNERS file, in one section.
type PageOwner struct {
	Owners []string
	// Section is "" or "section [Database]"; an optional section names
	// owners without restricting anyone.
	Section  string
	Optional bool
	Source   string // the rule's line: ".github/CODEOWNERS:4"
}

// pageOwners lists who owns p, one entry per section that gives it owners.
func pageOwners(co *wiki.CodeOwners, p wiki.Path) []PageOwner {
	var out []PageOwner
	for _, m := range co.OwnersOf(p) {
		out = append(out, PageOwner{Owners: m.Rule.Owners, Section: m.Section.Label(), Optional: m.Section.Optional, Source: m.Rule.Source(co)})
	}
	return out
}

// identities reports whether requests carry people to tell apart, without
// which CODEOWNERS is not enforced (--auth none, or no access control).
func (s *Server) identities() bool {
	return s.accounts != nil && s.accounts.AccessMode() != "none"
}

// notEnforced says why a CODEOWNERS file restricts nobody; "" when it does.
func (s *Server) notEnforced() string {
	if s.identities() {
		return ""
	}
	return "CODEOWNERS is not enforced: the wiki runs without access control (--auth none), so every change is the same configured author's and there is no one to tell apart. Run it with --auth users or --auth proxy to enforce it."
}

// lockedReason says why the request's user may not change p, "" when
// they may: the editor says so before any typing.
func (s *Server) lockedReason(r *http.Request, p wiki.Path) string {
	if s.editor == nil {
		return ""
	}
	if err := s.editor.MayChange(r.Context(), p); err != nil {
		return wiki.ErrorMessage(err)
	}
	return ""
}

// CodeOwnersView is the settings page's account of the CODEOWNERS file in
// force: where it is, whether it is enforced, its mistakes and its rules
// with the pages each decides.
type CodeOwnersView struct {
	Path        wiki.Path
	URL         string
	NotEnforced string
	Problems    []wiki.Problem
	Rules       []SettingsRule
	// Ignored are the other CODEOWNERS files, which git hosts and the
	// wiki do not read.
	Ignored []wiki.Path
}

// codeOwnersView describes the CODEOWNERS file as of the catalog's commit;
// nil when the repository has none.
func (s *Server) codeOwnersView(pages []*wiki.PageInfo) *CodeOwnersView {
	co := s.catalog.CodeOwners()
	if co == nil {
		return nil
	}
	v := &CodeOwnersView{Path: co.Path, URL: co.Path.RawURL(), NotEnforced: s.notEnforced(), Problems: co.Problems}
	for _, p := range wiki.CodeOwnersPaths {
		if _, ok := s.catalog.Blob(p); ok && p != co.Path {
			v.Ignored = append(v.Ignored, p)
		}
	}
	row := map[*wiki.CodeOwnersRule]int{}
	for i := range co.Rules {
		r := &co.Rules[i]
		result := strings.Join(r.Owners, " ")
		if result == "" {
			result = "no owner"
		}
		if sec := co.Sections[r.Section]; sec.Name != "" {
			result += " · " + sec.Label()
			if sec.Optional {
				result += " (optional)"
			}
		}
		row[r] = len(v.Rules)
		v.Rules = append(v.Rules, SettingsRule{Line: r.Line, Rule: r.Pattern, Result: result})
	}
	for _, pi := range pages {
		for _, m := range co.Decisions(pi.Path) {
			v.Rules[row[m.Rule]].add(PageLink{Path: pi.Path, URL: pi.Path.URL(), Title: pi.Title, Kind: pi.Meta.Kind})
		}
	}
	return v
}
