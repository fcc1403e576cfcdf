package wiki

import (
	"sort"
	"strings"
	"time"
	"unicode"
)

// Template is a page template: a file under templates/ whose text a new page
// starts with.
type Template struct {
	Name  string // the file name without .md: "postmortem"
	Path  Path
	Title string
	Kind  string // the kind of page it makes
}

// Templates returns the wiki's page templates, by name.
func (c *Catalog) Templates() []Template {
	var out []Template
	for _, ch := range c.Children("templates") {
		if ch.IsDir || ch.Page == nil || ch.Path.IsIndex() {
			continue
		}
		kind := KindPage
		if ch.Page.Doc != nil && ch.Page.Doc.TemplateOf != "" && ch.Page.Doc.TemplateOf != KindTemplate {
			kind = ch.Page.Doc.TemplateOf
		}
		out = append(out, Template{Name: ch.Path.FileTitle(), Path: ch.Path, Title: ch.Page.Title, Kind: kind})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// NewPageParams are the values a new page is prefilled with, from the query
// string of /-/new.
type NewPageParams struct {
	Template string
	Incident string
	Service  string
	Alert    string
	Title    string
	// Expr and Summary are the alerting rule's, for a runbook written
	// from /-/alerts.
	Expr    string
	Summary string
	Path    string
	Author  string
	Date    time.Time
}

// FillTemplate replaces the placeholders of a template with the values
// given; placeholders without a value stay, so the author sees what is left
// to fill in. Values are inserted as plain text with quotes and newlines
// removed, so they cannot break the YAML they land in.
func FillTemplate(text string, p NewPageParams) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '"' || r == '\\' || unicode.IsControl(r) {
				return -1
			}
			return r
		}, strings.TrimSpace(s))
	}
	pairs := []string{}
	add := func(key, val string) {
		if val = clean(val); val != "" {
			pairs = append(pairs, "{{"+key+"}}", val)
		}
	}
	add("incident", p.Incident)
	add("service", p.Service)
	add("alert", p.Alert)
	add("title", p.Title)
	add("author", p.Author)
	// A runbook's expression and summary come from its rule when there is
	// one; else the template shows the shape of one.
	expr := strings.TrimSpace(p.Expr)
	if expr == "" {
		expr = "sum(rate(http_server_requests_total{job=\"" + clean(p.Service) + "\", code=~\"5..\"}[5m]))\n  /\nsum(rate(http_server_requests_total{job=\"" + clean(p.Service) + "\"}[5m]))\n  > 0.05"
		if p.Service == "" {
			expr = strings.ReplaceAll(expr, `job=""`, `job="{{service}}"`)
		}
	}
	pairs = append(pairs, "{{expr}}", strings.ReplaceAll(expr, "```", "` ` `"), "{{summary}}", strings.Join(strings.Fields(p.Summary), " "))
	date := p.Date
	if date.IsZero() {
		date = time.Now()
	}
	add("date", date.UTC().Format(time.DateOnly))
	return strings.NewReplacer(pairs...).Replace(text)
}

// DefaultPagePath proposes where a new page of a kind goes, following the
// conventions of the default content: postmortems by year and date,
// runbooks named after their alert, services after the service.
func DefaultPagePath(kind string, p NewPageParams) string {
	date := p.Date
	if date.IsZero() {
		date = time.Now()
	}
	title := Slug(p.Title)
	switch kind {
	case KindPostmortem:
		name := date.UTC().Format(time.DateOnly)
		if inc := Slug(p.Incident); inc != "" {
			name += "-" + inc
		}
		if title != "" {
			name += "-" + title
		}
		if name == date.UTC().Format(time.DateOnly) {
			name += "-incident"
		}
		return "postmortems/" + date.UTC().Format("2006") + "/" + name + ".md"
	case KindRunbook:
		if a := Slug(splitCamel(p.Alert)); a != "" {
			return "runbooks/" + a + ".md"
		}
		if title != "" {
			return "runbooks/" + title + ".md"
		}
		return "runbooks/new-runbook.md"
	case KindDrill:
		name := date.UTC().Format(time.DateOnly)
		if title != "" {
			name += "-" + title
		} else if a := Slug(splitCamel(p.Alert)); a != "" {
			name += "-" + a
		} else {
			name += "-drill"
		}
		return "drills/" + name + ".md"
	case KindService:
		if s := Slug(p.Service); s != "" {
			return "services/" + s + ".md"
		}
		if title != "" {
			return "services/" + title + ".md"
		}
		return "services/new-service.md"
	}
	if title != "" {
		return title + ".md"
	}
	return "new-page.md"
}

// Slug lower-cases s and joins its words with dashes: "INC 2041: DB down"
// becomes "inc-2041-db-down".
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if len(out) > 80 {
		out = strings.TrimSuffix(out[:80], "-")
	}
	return out
}

// splitCamel puts spaces between the words of a CamelCase name, keeping
// acronyms together: "KubeAPIErrorsHigh" becomes "Kube API Errors High".
func splitCamel(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
