package wiki

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

// ParseDocument parses a page file: front matter into Meta, the body into
// headings, code and plain text, and everything wrong into Problems. It never
// fails: a document with broken front matter is still a page, shown with its
// errors, so nothing a person wrote disappears.
func ParseDocument(p Path, content []byte) *Document {
	return ParseDocumentWith(p, content, nil)
}

// ParseDocumentWith is ParseDocument under a repository's settings: their
// key aliases, kind rules and service folders (nil settings have none).
func ParseDocumentWith(p Path, content []byte, s *Settings) *Document {
	d := &Document{Path: p, Body: content, BodyLine: 1}
	fm, body, bodyLine, closed := splitFrontMatter(content)
	if fm != nil {
		d.HasFrontMatter = true
		format := frontMatterFormat(content)
		switch {
		case !closed && format == formatJSON:
			d.Problems = append(d.Problems, Problem{Path: p, Line: 1, Severity: SeverityError,
				Message: "front matter starts with { but has no closing } line"})
		case !closed:
			delim := map[string]string{formatYAML: "---", formatTOML: "+++"}[format]
			d.Problems = append(d.Problems, Problem{Path: p, Line: 1, Severity: SeverityError,
				Message: "front matter starts with " + delim + " but has no closing " + delim + " line"})
		default:
			d.Body, d.BodyLine = body, bodyLine
			parseMeta(d, fm, format, s)
		}
		d.metaInvalid = len(d.Problems) > 0 && d.Problems[0].Field == "" && d.Problems[0].Severity == SeverityError
		if d.Path.Top() != "templates" {
			first := 2 // the line after "---" or "+++"
			if format == formatJSON {
				first = 1
			}
			checkPlaceholders(d, fm, first)
		}
	}
	scanBody(d)
	resolveKindAndTitle(d, s)
	checkMeta(d)
	checkMarkers(d, content)
	return d
}

// Front matter formats, as Hugo reads them: YAML between "---" lines, TOML
// between "+++" lines, JSON as an object opening the file and closed by a
// "}" line of its own.
const (
	formatYAML = "yaml"
	formatTOML = "toml"
	formatJSON = "json"
)

// frontMatterFormat returns the format of content's front matter, or ""
// when it has none.
func frontMatterFormat(content []byte) string {
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))
	first, _, _ := cutLine(content)
	switch t := string(bytes.TrimRight(first, " \t\r")); {
	case t == "---":
		return formatYAML
	case t == "+++":
		return formatTOML
	case t == "{" || strings.HasPrefix(t, `{"`) || strings.HasPrefix(t, `{ "`):
		// Not "{{< shortcode >}}" or "{% include %}" opening a page.
		return formatJSON
	}
	return ""
}

// splitFrontMatter finds the front matter block: YAML between a first line
// "---" and the next "---" or "...", TOML between "+++" lines, or a JSON
// object from the first line to a "}" line. fm is nil when the file has no
// front matter; for YAML and TOML it starts on file line 2, for JSON on
// line 1 (the object's own braces are part of it).
func splitFrontMatter(content []byte) (fm, body []byte, bodyLine int, closed bool) {
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))
	format := frontMatterFormat(content)
	if format == "" {
		return nil, content, 1, false
	}
	first, rest, _ := cutLine(content)
	if format == formatJSON {
		if t := strings.TrimSpace(string(first)); strings.HasSuffix(t, "}") && isJSONObject(t) {
			return first, rest, 2, true // all on the first line
		}
		line := 2
		for r := rest; len(r) > 0; line++ {
			l, next, _ := cutLine(r)
			if string(bytes.TrimRight(l, " \t\r")) == "}" {
				return content[:len(content)-len(next)], next, line + 1, true
			}
			r = next
		}
		return content, content, 1, false
	}
	closing := "---"
	if format == formatTOML {
		closing = "+++"
	}
	line := 2
	start := rest
	for len(rest) > 0 {
		l, next, _ := cutLine(rest)
		t := string(bytes.TrimRight(l, " \t\r"))
		if t == closing || format == formatYAML && t == "..." {
			fm = start[:len(start)-len(rest)]
			return fm, next, line + 1, true
		}
		rest = next
		line++
	}
	return start, content, 1, false
}

// isJSONObject reports whether s is one JSON object.
func isJSONObject(s string) bool {
	var v map[string]any
	return json.Unmarshal([]byte(s), &v) == nil
}

// cutLine splits off the first line (without its newline).
func cutLine(b []byte) (line, rest []byte, found bool) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:], true
	}
	return b, nil, false
}

// resolveKindAndTitle applies the fallbacks of SPEC §3: kind from the
// settings' rules, the folders and then the shape of the page, title from
// the first level-one heading, then the file name. A service folder of the
// settings gives its pages their service, and its own page describes it.
func resolveKindAndTitle(d *Document, s *Settings) {
	declared := d.Meta.Kind != ""
	svc, folder, _ := s.ServiceFor(d.Path)
	if svc != "" && !declared && d.Path.IsIndex() && d.Path.Dir() == folder {
		// The service folder's own page describes the service, whatever
		// kind rule covers the folder's other pages.
		d.Meta.Kind = KindService
		if d.Meta.Name == "" {
			d.Meta.Name = svc
		}
	}
	if d.Meta.Kind == "" && d.Path.Top() != "templates" {
		d.Meta.Kind, _ = s.KindFor(d.Path)
	}
	if d.Meta.Kind == "" {
		d.Meta.Kind = KindFromPath(d.Path)
		if d.Meta.Kind == KindPage && d.Path.Top() != "templates" && hasRunbookShape(d.Headings) {
			d.Meta.Kind = KindRunbook
		}
	}
	if svc != "" && len(d.Meta.Services) == 0 && d.Meta.Kind != KindService {
		d.Meta.Services = []string{svc}
	}
	if d.Path.Top() == "templates" && !d.Path.IsIndex() {
		// A template declares the kind of the pages made from it; it is not
		// itself a runbook or a postmortem to list, search or count.
		d.TemplateOf, d.Meta.Kind = d.Meta.Kind, KindTemplate
	}
	d.Title = d.Meta.Title
	if d.Title == "" {
		for _, h := range d.Headings {
			if h.Level == 1 {
				d.Title = h.Text
				break
			}
		}
	}
	if d.Title == "" {
		d.Title = d.Path.FileTitle()
	}
	if d.Meta.Kind == KindService && d.Meta.Name == "" {
		d.Meta.Name = serviceNameFromPath(d.Path)
	}
}

// Folders whose pages are runbooks or postmortems, at any depth, as teams
// name them: OpenShift keeps its runbooks in alerts/<operator>/, others in
// playbooks/ or sops/ (standard operating procedures), postmortems in
// incidents/ or retros/.
var (
	runbookFolders    = []string{"runbooks", "runbook", "alerts", "playbooks", "sops"}
	postmortemFolders = []string{"postmortems", "postmortem", "post-mortems", "incidents", "retros"}
)

// KindFromPath returns the kind a page has when its front matter names
// none, by its folders: the top folder templates/, the nearest folder at
// any depth named as runbooks or postmortems are (see runbookFolders),
// compared without regard to letter case, then the top folder services/.
// A folder's own page (README.md, _index.md) under runbooks is a page: it
// introduces the runbooks, it is not one. Under services/ a service is a
// page services/<name>.md or a folder's page services/<name>/README.md
// (services/README.md introduces them);
// the pages deeper in a service's folder (its docs, in a monorepo) are
// pages about it.
func KindFromPath(p Path) string {
	if p.Top() == "templates" {
		return KindTemplate
	}
	dirs := strings.Split(string(p.Dir()), "/")
	if !p.IsIndex() {
		for i := len(dirs) - 1; i >= 0; i-- {
			switch dir := strings.ToLower(dirs[i]); {
			case slices.Contains(runbookFolders, dir):
				return KindRunbook
			case slices.Contains(postmortemFolders, dir):
				return KindPostmortem
			}
		}
	}
	if p.Top() == "services" && (len(dirs) == 1 && !p.IsIndex() || len(dirs) == 2 && p.IsIndex()) {
		return KindService
	}
	// A team as teams/<name>.md or teams/<name>/README.md; a drill anywhere
	// under drills/.
	if p.Top() == "teams" && (len(dirs) == 1 && !p.IsIndex() || len(dirs) == 2 && p.IsIndex()) {
		return KindTeam
	}
	if p.Top() == "drills" && !p.IsIndex() {
		return KindDrill
	}
	return KindPage
}

// The sections of a runbook (as the prometheus-operator and OpenShift
// runbooks name them): a page with headings from two of these groups has
// the runbook's shape, unless it also has a section only a postmortem has.
var (
	runbookSections = [][]string{
		{"meaning", "overview"},
		{"impact"},
		{"diagnosis"},
		{"mitigation", "resolution", "remediation"},
	}
	postmortemSections = []string{"timeline", "root cause", "root causes", "contributing factors", "lessons learned", "action items", "what went wrong"}
)

// hasRunbookShape reports whether headings name sections of at least two
// groups of runbookSections ("## Impact", "## Mitigation:", "## 3.
// Diagnosis") and none of postmortemSections.
func hasRunbookShape(hs []Heading) bool {
	seen := 0
	for _, h := range hs {
		if h.Level < 2 {
			continue
		}
		t := strings.ToLower(strings.TrimRight(strings.TrimSpace(h.Text), ":."))
		t = strings.TrimSpace(strings.TrimLeft(t, "0123456789.)"))
		if slices.Contains(postmortemSections, t) {
			return false
		}
		for i, group := range runbookSections {
			if slices.Contains(group, t) {
				seen |= 1 << i
			}
		}
	}
	n := 0
	for ; seen > 0; seen &= seen - 1 {
		n++
	}
	return n >= 2
}

func serviceNameFromPath(p Path) string {
	if p.IsIndex() {
		return p.Dir().Base()
	}
	return p.FileTitle()
}

// placeholderRE matches a template placeholder as the page templates
// write them: "{{title}}", "{{incident}}". Not Go or Prometheus templates
// ("{{ .Values.x }}", "{{ $labels.job }}"), nor Hugo shortcodes.
var placeholderRE = regexp.MustCompile(`\{\{[a-z_]+\}\}`)

// checkPlaceholders warns about template placeholders left in a page's
// front matter (its lines start at file line first) and headings: a page
// made from a template before every value was known.
func checkPlaceholders(d *Document, fm []byte, first int) {
	for i, line := range bytes.Split(fm, []byte("\n")) {
		if m := placeholderRE.Find(line); m != nil {
			d.add(SeverityWarning, first+i, "", "%s is a template placeholder: fill it in", m)
		}
	}
}
