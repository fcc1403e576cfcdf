package wiki

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
)

// Recognition is what the wiki recognised in a repository's pages, and what
// looks as if it was meant to be recognised and was not: what a person
// reads after importing or checking a repository to know at once whether
// it worked.
type Recognition struct {
	Pages       int `json:"pages"`
	Runbooks    int `json:"runbooks"`
	Alerts      int `json:"alerts"` // distinct alert names some runbook answers
	Postmortems int `json:"postmortems"`
	ActionItems int `json:"action_items"`
	Services    int `json:"services"`
	Errors      int `json:"errors"`
	Warnings    int `json:"warnings"`
	// Missed are plain pages that look like runbooks or postmortems by
	// their folders or file name, sorted by path.
	Missed []Missed `json:"missed"`
}

// Missed is a page of no particular kind that looks like a runbook or a
// postmortem, and why.
type Missed struct {
	Path  Path   `json:"path"`
	Looks string `json:"looks"` // KindRunbook or KindPostmortem
	Why   string `json:"why"`
}

// Folder names that suggest runbooks or postmortems without being one of
// the names that decide a kind (runbookFolders, postmortemFolders).
var (
	runbookHints    = []string{"runbook", "alert", "playbook", "sop", "oncall", "on-call", "procedure"}
	postmortemHints = []string{"postmortem", "post-mortem", "incident", "retro", "outage", "rca"}
)

// Recognise counts what the catalog recognised and lists the plain pages
// that look like runbooks or postmortems. problems are the repository's
// problems (Report), counted by severity.
func Recognise(c *Catalog, problems []Problem) Recognition {
	var s Recognition
	alerts := map[string]bool{}
	for _, pi := range c.Pages() {
		s.Pages++
		switch pi.Meta.Kind {
		case KindRunbook:
			s.Runbooks++
			for _, a := range RunbookAlerts(pi) {
				alerts[strings.ToLower(a)] = true
			}
		case KindPostmortem:
			s.Postmortems++
		case KindPage:
			if looks, why := looksLike(pi); looks != "" {
				s.Missed = append(s.Missed, Missed{Path: pi.Path, Looks: looks, Why: why})
			}
		}
	}
	s.Alerts = len(alerts)
	g := c.Graph()
	for _, a := range g.Actions() {
		if a.Postmortem.Meta.Kind == KindPostmortem { // drills' are listed too
			s.ActionItems++
		}
	}
	s.Services = len(g.Services())
	for _, p := range problems {
		if p.Severity == SeverityError {
			s.Errors++
		} else {
			s.Warnings++
		}
	}
	slices.SortFunc(s.Missed, func(a, b Missed) int { return strings.Compare(string(a.Path), string(b.Path)) })
	return s
}

// RunbookAlerts are the alert names a runbook answers: its alerts front
// matter, and its file name and first heading when they are written as
// alerts are named (a runbook called disk-full answers /-/alerts/disk-full
// too, but that is no alert's name).
func RunbookAlerts(pi *PageInfo) []string {
	out := slices.Clone(pi.Meta.Alerts)
	if !pi.Path.IsIndex() && looksLikeAlert(pi.Path.FileTitle()) {
		out = append(out, pi.Path.FileTitle())
	}
	for _, h := range pi.Headings {
		if h.Level == 1 {
			if looksLikeAlert(h.Text) {
				out = append(out, h.Text)
			}
			break
		}
	}
	return out
}

// looksLikeAlert reports whether s is written as Prometheus alerts are
// named: one CamelCase word ("NodeDiskFull", "etcdMembersDown",
// "KubeAPIDown"), not a file name like disk-full or Notes.
func looksLikeAlert(s string) bool {
	humps := 0
	for i, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			return false
		}
		if i > 0 && unicode.IsUpper(r) && unicode.IsLower(rune(s[i-1])) {
			humps++
		}
	}
	return humps > 0
}

// looksLike says whether a plain page looks like a runbook or a postmortem
// by its folders, file name or incident times, and why. A folder's own
// page, and a page that declares its plain kind (in front matter, or so
// since its folders would make it a runbook or postmortem), do not.
func looksLike(pi *PageInfo) (kind, why string) {
	p := pi.Path
	if p.IsIndex() || KindFromPath(p) != KindPage || pi.Doc != nil && pi.Doc.KeyLine("kind") > 0 {
		return "", ""
	}
	if !pi.Meta.Started.IsZero() || !pi.Meta.Resolved.IsZero() {
		return KindPostmortem, "incident times in its front matter"
	}
	for _, dir := range strings.Split(string(p.Dir()), "/") {
		d := strings.ToLower(dir)
		for _, h := range postmortemHints {
			if strings.Contains(d, h) {
				return KindPostmortem, fmt.Sprintf("in folder %s", dir)
			}
		}
		for _, h := range runbookHints {
			if strings.Contains(d, h) {
				return KindRunbook, fmt.Sprintf("in folder %s", dir)
			}
		}
	}
	if looksLikeAlert(p.FileTitle()) {
		return KindRunbook, "file name looks like an alert name"
	}
	return "", ""
}

// maxMissedShown bounds the pages WriteRecognition lists; the count is
// whole.
const maxMissedShown = 20

// WriteRecognition writes r for a person: what was recognised, then the
// pages that look missed, with what to do about them.
func WriteRecognition(w io.Writer, s Recognition) error {
	_, err := fmt.Fprintf(w, "Recognised %s: %s answering %s, %s with %s, %s; %s, %s.\n",
		Plural(s.Pages, "page"), Plural(s.Runbooks, "runbook"), Plural(s.Alerts, "alert"), Plural(s.Postmortems, "postmortem"),
		Plural(s.ActionItems, "action item"), Plural(s.Services, "service"), Plural(s.Errors, "error"), Plural(s.Warnings, "warning"))
	if err != nil || len(s.Missed) == 0 {
		return err
	}
	if len(s.Missed) == 1 {
		fmt.Fprintln(w, "1 page looks like a runbook or a postmortem but is a plain page; give it a kind (kind: runbook or kind: postmortem in its front matter) if it is one:")
	} else {
		fmt.Fprintf(w, "%d pages look like runbooks or postmortems but are plain pages; give them a kind (kind: runbook or kind: postmortem in their front matter) if they are:\n", len(s.Missed))
	}
	for i, m := range s.Missed {
		if i == maxMissedShown {
			fmt.Fprintf(w, "  ... and %d more\n", len(s.Missed)-maxMissedShown)
			break
		}
		fmt.Fprintf(w, "  %s: looks like a %s (%s)\n", m.Path, m.Looks, m.Why)
	}
	if rules := folderRules(s.Missed); len(rules) > 0 {
		fmt.Fprintf(w, "Or give whole folders a kind in %s at the root of the repository:\nkinds:\n", SettingsPath)
		for _, r := range rules {
			fmt.Fprintf(w, "  %q: %s   # %s\n", r.glob, r.kind, Plural(r.pages, "page"))
		}
	}
	return nil
}

// folderRule is a kind rule that would give several missed pages of one
// folder their kind.
type folderRule struct {
	glob, kind string
	pages      int
}

// folderRules suggests a kind rule for each folder holding at least three
// missed pages that all look alike, the largest first, at most five.
func folderRules(missed []Missed) []folderRule {
	type key struct{ dir, kind string }
	count := map[key]int{}
	kinds := map[Path]map[string]bool{}
	for _, m := range missed {
		d := m.Path.Dir()
		count[key{string(d), m.Looks}]++
		if kinds[d] == nil {
			kinds[d] = map[string]bool{}
		}
		kinds[d][m.Looks] = true
	}
	var out []folderRule
	for k, n := range count {
		if n >= 3 && len(kinds[Path(k.dir)]) == 1 {
			glob := "*.md"
			if k.dir != "" {
				glob = k.dir + "/*.md"
			}
			out = append(out, folderRule{glob: glob, kind: k.kind, pages: n})
		}
	}
	slices.SortFunc(out, func(a, b folderRule) int {
		if a.pages != b.pages {
			return b.pages - a.pages
		}
		return strings.Compare(a.glob, b.glob)
	})
	return out[:min(len(out), 5)]
}

// Plural writes n and the noun, plural unless n is 1: "1 page", "3 pages".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
