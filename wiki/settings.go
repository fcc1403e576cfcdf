package wiki

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"
)

// SettingsPath is where a repository keeps its settings: what inference
// cannot know about its layout. The file is optional and committed like
// any page.
const SettingsPath Path = ".opswiki.yaml"

// maxSettingsBytes bounds the settings file; real ones are a few dozen
// lines.
const maxSettingsBytes = 256 << 10

// Settings are a repository's rules for reading its pages, from
// SettingsPath. The zero value and nil have no rules. Settings never
// change once parsed.
type Settings struct {
	// Blob is the settings file's blob id, "" when the repository has none.
	Blob      string
	Kinds     []KindRule
	Services  []ServiceRule
	Keys      []KeyAlias
	Redirects []RedirectRule
	// Rules are the patterns of the Prometheus rule files kept in the
	// repository (folders stand for their .yaml and .yml files).
	Rules []RulesRule
	// BlockClose are the readiness checks whose findings block closing a
	// postmortem (status closed), from readiness.block_close.
	BlockClose []ReadinessRule
	// DrillEvery is how often the runbooks of tier-1 services should be
	// drilled (drill_every); 0 when the settings expect no drills.
	DrillEvery     time.Duration
	DrillEveryLine int
	// Problems found in the file; rules with errors are left out, the
	// others are in force.
	Problems []Problem
}

// KindRule gives the pages whose path matches Glob the kind Kind, unless
// their front matter names one.
type KindRule struct {
	Glob string `json:"glob"`
	Kind string `json:"kind"`
	Line int    `json:"line"`

	match string // Glob as matched: a folder name stands for all under it
}

// ServiceRule names the service of the pages under a folder pattern such
// as "docs/{service}/**": pages matching it belong to the service the
// {service} segment names, unless their front matter names services, and
// that folder's own page (README.md, index.md) describes the service.
type ServiceRule struct {
	Pattern string `json:"pattern"`
	Line    int    `json:"line"`

	match          string // the pattern with {service} as *
	seg            int    // index of the segment holding {service}
	prefix, suffix string // text around {service} in that segment
}

// KeyAlias reads a front matter key another tool writes (From) as one of
// the wiki's own (To), when the page does not have To itself.
type KeyAlias struct {
	From string `json:"from"`
	To   string `json:"to"`
	Line int    `json:"line"`
}

// RedirectRule makes links and requests to an old home of the runbooks
// (Prefix, "https://github.com/openshift/runbooks/blob/master/") lead to
// the pages here, under the folder To ("/").
type RedirectRule struct {
	Prefix string `json:"prefix"`
	To     string `json:"to"`
	Line   int    `json:"line"`
}

// RulesRule names Prometheus rule files in the repository.
type RulesRule struct {
	Glob string `json:"glob"`
	Line int    `json:"line"`

	match string
}

// IsRuleFile reports whether p is a rule file the settings name.
func (s *Settings) IsRuleFile(p Path) bool {
	if s == nil {
		return false
	}
	for _, r := range s.Rules {
		if ok, _ := doublestar.Match(r.match, string(p)); ok {
			ext := strings.ToLower(path.Ext(string(p)))
			return ext == ".yaml" || ext == ".yml"
		}
	}
	return false
}

// settingsKeys are the sections of the settings file.
var settingsKeys = []string{"kinds", "services", "keys", "redirects", "rules", "readiness", "drill_every"}

// modelKeys are the front matter keys the wiki reads into its model: the
// targets a key alias may name.
var modelKeys = []string{"title", "kind", "tags", "owner", "services", "service", "aliases", "last_reviewed",
	"review_every", "name", "description", "tier", "lifecycle", "oncall", "contacts", "depends_on", "slos",
	"dashboards", "links", "repo", "alerts", "alert", "severity", "incident", "incidents", "status", "authors",
	"started", "detected", "acknowledged", "mitigated", "resolved", "action_items", "related", "runbooks",
	"slo_impact", "drill_every", "last_exercised", "participants"}

// ParseSettings reads a settings file. It never fails: problems (with file
// lines) are in the result, and every rule without an error is kept.
func ParseSettings(content []byte, blob string) *Settings {
	s := &Settings{Blob: blob}
	if len(content) > maxSettingsBytes {
		s.errorf(1, "", "the settings file is larger than %s", ByteSize(maxSettingsBytes))
		return s
	}
	var root yaml.Node
	if err := yaml.Unmarshal(content, &root); err != nil {
		line, msg := yamlErrorLine(err, content, 0)
		s.errorf(line, "", "not valid YAML: %s", msg)
		return s
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return s
	}
	doc := root.Content[0]
	if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
		return s
	}
	if doc.Kind != yaml.MappingNode {
		s.errorf(doc.Line, "", "the settings must be a mapping of sections (%s)", strings.Join(settingsKeys, ", "))
		return s
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if seen[k.Value] {
			s.errorf(k.Line, k.Value, "section %q appears more than once", k.Value)
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "kinds":
			s.eachPair(k.Value, v, s.kindRule)
		case "services":
			s.eachString(k.Value, v, s.serviceRule)
		case "keys":
			s.eachPair(k.Value, v, s.keyAlias)
		case "redirects":
			s.eachPair(k.Value, v, s.redirectRule)
		case "rules":
			s.eachString(k.Value, v, s.rulesRule)
		case "readiness":
			s.readinessSection(k.Value, v)
		case "drill_every":
			s.drillEvery(k, v)
		default:
			s.warnf(k.Line, k.Value, "unknown section %q, ignored: the sections are %s", k.Value, strings.Join(settingsKeys, ", "))
		}
	}
	// The longest prefix decides, whatever the order written.
	sort.SliceStable(s.Redirects, func(i, j int) bool { return len(s.Redirects[i].Prefix) > len(s.Redirects[j].Prefix) })
	return s
}

func (s *Settings) errorf(line int, field, format string, args ...any) {
	s.Problems = append(s.Problems, Problem{Path: SettingsPath, Line: line, Severity: SeverityError, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (s *Settings) warnf(line int, field, format string, args ...any) {
	s.Problems = append(s.Problems, Problem{Path: SettingsPath, Line: line, Severity: SeverityWarning, Field: field, Message: fmt.Sprintf(format, args...)})
}

// Errors returns the problems that block saving or pushing the file.
func (s *Settings) Errors() []Problem {
	if s == nil {
		return nil
	}
	return filterProblems(s.Problems, SeverityError)
}

// eachPair calls fn for every key and scalar value of a mapping section.
func (s *Settings) eachPair(section string, v *yaml.Node, fn func(k, v *yaml.Node)) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return
	}
	if v.Kind != yaml.MappingNode {
		s.errorf(v.Line, section, "%s must be a mapping, one rule a line (%s)", section, settingsExample[section])
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		key, val := v.Content[i], v.Content[i+1]
		switch {
		case seen[key.Value]:
			s.errorf(key.Line, section, "%q appears more than once in %s", key.Value, section)
		case val.Kind != yaml.ScalarNode || val.Value == "":
			s.errorf(val.Line, section, "the value of %q in %s must be one text (%s)", key.Value, section, settingsExample[section])
		default:
			fn(key, val)
		}
		seen[key.Value] = true
	}
}

// eachString calls fn for every text of a list section (or a single text).
func (s *Settings) eachString(section string, v *yaml.Node, fn func(n *yaml.Node)) {
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
	case v.Kind == yaml.ScalarNode:
		fn(v)
	case v.Kind == yaml.SequenceNode:
		for _, n := range v.Content {
			if n.Kind != yaml.ScalarNode || n.Value == "" {
				s.errorf(n.Line, section, "each entry of %s must be one text (%s)", section, settingsExample[section])
				continue
			}
			fn(n)
		}
	default:
		s.errorf(v.Line, section, "%s must be a list (%s)", section, settingsExample[section])
	}
}

var settingsExample = map[string]string{
	"rules":     `- "prometheus/rules/"`,
	"kinds":     `"data/*.md": postmortem`,
	"services":  `- "docs/{service}/**"`,
	"keys":      `product: services`,
	"redirects": `"https://github.com/org/runbooks/blob/main/": /`,
	"readiness": `block_close: [runbooks_not_updated, open_items]`,
	// A list of check names, inside the readiness section.
	"readiness.block_close": `block_close: [runbooks_not_updated, untracked_items, open_items]`,
}

// drillEvery reads how often the runbooks of tier-1 services should be
// drilled: an interval such as 90d, or off.
func (s *Settings) drillEvery(k, v *yaml.Node) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || strings.TrimSpace(v.Value) == "" {
		s.errorf(v.Line, k.Value, "drill_every must be one interval, such as drill_every: 90d, or off")
		return
	}
	d, err := ParseDrillEvery(v.Value)
	if err != nil {
		s.errorf(v.Line, k.Value, "drill_every: %v", err)
		return
	}
	if d > 0 {
		s.DrillEvery, s.DrillEveryLine = d, k.Line
	}
}

func (s *Settings) kindRule(k, v *yaml.Node) {
	glob := strings.TrimPrefix(strings.TrimSpace(k.Value), "/")
	kind := strings.ToLower(strings.TrimSpace(v.Value))
	if !isKind(kind) || kind == KindTemplate {
		s.errorf(v.Line, "kinds", "unknown kind %q for %q: use one of page, runbook, service, postmortem", v.Value, k.Value)
		return
	}
	match := folderGlob(glob)
	if glob == "" || !doublestar.ValidatePattern(match) {
		s.errorf(k.Line, "kinds", "%q is not a valid path pattern: use * for any name, ** for any folders", k.Value)
		return
	}
	s.Kinds = append(s.Kinds, KindRule{Glob: glob, Kind: kind, Line: k.Line, match: match})
}

// folderGlob is the pattern a rule's glob is matched as: a folder (a name
// ending in "/", or without wildcards and extension) stands for
// everything under it.
func folderGlob(glob string) string {
	switch {
	case strings.HasSuffix(glob, "/"):
		return glob + "**"
	case !strings.ContainsAny(glob, "*?[{") && path.Ext(glob) != "":
		return glob
	case !strings.ContainsAny(glob, "*?[{"):
		return glob + "/**"
	}
	return glob
}

func (s *Settings) rulesRule(n *yaml.Node) {
	glob := strings.TrimPrefix(strings.TrimSpace(n.Value), "/")
	match := folderGlob(glob)
	if glob == "" || !doublestar.ValidatePattern(match) {
		s.errorf(n.Line, "rules", "%q is not a valid path pattern", n.Value)
		return
	}
	s.Rules = append(s.Rules, RulesRule{Glob: glob, Line: n.Line, match: match})
}

func (s *Settings) serviceRule(n *yaml.Node) {
	pattern := strings.Trim(strings.TrimSpace(n.Value), "/")
	r := ServiceRule{Pattern: pattern, Line: n.Line, seg: -1}
	segs := strings.Split(pattern, "/")
	for i, seg := range segs {
		before, after, found := strings.Cut(seg, "{service}")
		if !found {
			continue
		}
		if r.seg >= 0 || strings.Contains(after, "{service}") {
			s.errorf(n.Line, "services", "%q names {service} more than once", n.Value)
			return
		}
		if slices.Contains(segs[:i], "**") || strings.ContainsAny(before+after, "*?[{") {
			s.errorf(n.Line, "services", "%q: the folders before {service} and the rest of its folder name must be written out, without * or **", n.Value)
			return
		}
		r.seg, r.prefix, r.suffix = i, before, after
		segs[i] = "*"
	}
	if r.seg < 0 {
		s.errorf(n.Line, "services", "%q does not say which folder names the service: write {service} in its place, as in docs/{service}/**", n.Value)
		return
	}
	r.match = strings.Join(segs, "/")
	if r.seg == len(segs)-1 {
		r.match += "/**" // "docs/{service}" means everything in those folders
	}
	if !doublestar.ValidatePattern(r.match) {
		s.errorf(n.Line, "services", "%q is not a valid path pattern", n.Value)
		return
	}
	s.Services = append(s.Services, r)
}

func (s *Settings) keyAlias(k, v *yaml.Node) {
	from, to := strings.TrimSpace(k.Value), strings.TrimSpace(v.Value)
	switch {
	case slices.Contains(modelKeys, from):
		s.errorf(k.Line, "keys", "%q is one of the wiki's own keys and cannot stand for another", from)
	case !slices.Contains(modelKeys, to):
		s.errorf(v.Line, "keys", "%q is not a key the wiki reads: use one of %s", to, strings.Join(modelKeys, ", "))
	default:
		s.Keys = append(s.Keys, KeyAlias{From: from, To: to, Line: k.Line})
	}
}

func (s *Settings) redirectRule(k, v *yaml.Node) {
	prefix, to := strings.TrimSpace(k.Value), strings.TrimSpace(v.Value)
	if strings.HasPrefix(prefix, "/") {
		if strings.HasPrefix(prefix, "/-/") || prefix == "/" || prefix == "/-" {
			s.errorf(k.Line, "redirects", "%q would take over the wiki's own addresses: name the old folder, as in /old-wiki/", prefix)
			return
		}
	} else if u, err := url.Parse(prefix); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		s.errorf(k.Line, "redirects", "%q is neither an http(s) address nor a path starting with /", prefix)
		return
	}
	if !strings.HasPrefix(to, "/") || strings.HasPrefix(to, "/-/") {
		s.errorf(v.Line, "redirects", "%q must be a folder of this wiki starting with /, such as / or /runbooks/", to)
		return
	}
	if _, err := ParsePath(strings.Trim(to, "/")); to != "/" && err != nil {
		s.errorf(v.Line, "redirects", "%q is not a folder of this wiki: %s", to, ErrorMessage(err))
		return
	}
	s.Redirects = append(s.Redirects, RedirectRule{Prefix: prefix, To: to, Line: k.Line})
}

// KindFor returns the kind the first kind rule matching p gives, and the
// rule's index; "" and -1 when none matches.
func (s *Settings) KindFor(p Path) (string, int) {
	if s == nil {
		return "", -1
	}
	for i, r := range s.Kinds {
		if ok, _ := doublestar.Match(r.match, string(p)); ok {
			return r.Kind, i
		}
	}
	return "", -1
}

// ServiceFor returns the service the first service rule matching p names,
// the folder that named it, and the rule's index; "", "", -1 when none
// matches.
func (s *Settings) ServiceFor(p Path) (name string, folder Path, rule int) {
	if s == nil {
		return "", "", -1
	}
	segs := strings.Split(string(p), "/")
	for i, r := range s.Services {
		if r.seg >= len(segs)-1 {
			continue // the service's folder must hold the page
		}
		seg := segs[r.seg]
		if len(seg) <= len(r.prefix)+len(r.suffix) || !strings.HasPrefix(seg, r.prefix) || !strings.HasSuffix(seg, r.suffix) {
			continue
		}
		if ok, _ := doublestar.Match(r.match, string(p)); ok {
			return seg[len(r.prefix) : len(seg)-len(r.suffix)], Path(strings.Join(segs[:r.seg+1], "/")), i
		}
	}
	return "", "", -1
}

// alias returns the wiki key a front matter key stands for.
func (s *Settings) alias(key string) (string, bool) {
	if s == nil {
		return "", false
	}
	for _, a := range s.Keys {
		if a.From == key {
			return a.To, true
		}
	}
	return "", false
}

// OldURL returns the wiki name (to look up like a wiki link) an address
// under a redirect prefix stands for, with its fragment ("#diagnosis" or
// ""). ok is false when no prefix matches. The file extension of the old
// home (".md", ".html") is dropped: pages here answer without it.
func (s *Settings) OldURL(u string) (name, fragment string, ok bool) {
	if s == nil || len(s.Redirects) == 0 {
		return "", "", false
	}
	for _, r := range s.Redirects {
		if len(u) < len(r.Prefix) || !strings.EqualFold(u[:len(r.Prefix)], r.Prefix) {
			continue
		}
		rest := u[len(r.Prefix):]
		if i := strings.IndexByte(rest, '#'); i >= 0 {
			rest, fragment = rest[:i], rest[i:]
		}
		if i := strings.IndexByte(rest, '?'); i >= 0 {
			rest = rest[:i]
		}
		if un, err := url.PathUnescape(rest); err == nil {
			rest = un
		}
		rest = strings.Trim(rest, "/")
		for _, ext := range []string{".md", ".markdown", ".html", ".htm"} {
			if len(rest) > len(ext) && strings.EqualFold(rest[len(rest)-len(ext):], ext) {
				rest = rest[:len(rest)-len(ext)]
				break
			}
		}
		return strings.Trim(path.Join(r.To, rest), "/"), fragment, true
	}
	return "", "", false
}

// RequestRedirect returns the wiki name a request to this server stands
// for when its path is under a redirect prefix that is a path, or an
// address on host (the wiki took over the old home's name).
func (s *Settings) RequestRedirect(host, requestPath string) (name, fragment string, ok bool) {
	if s == nil {
		return "", "", false
	}
	for _, r := range s.Redirects {
		prefix := r.Prefix
		if !strings.HasPrefix(prefix, "/") {
			u, err := url.Parse(prefix)
			if err != nil || !strings.EqualFold(u.Host, host) {
				continue
			}
			prefix = u.EscapedPath()
			if prefix == "" || prefix == "/" {
				continue // the whole host: every path here is a page already
			}
		}
		if len(requestPath) >= len(prefix) && strings.EqualFold(requestPath[:len(prefix)], prefix) {
			one := &Settings{Redirects: []RedirectRule{{Prefix: prefix, To: r.To}}}
			return one.OldURL(requestPath)
		}
	}
	return "", "", false
}

// Equal reports whether two settings are the same file.
func (s *Settings) Equal(o *Settings) bool {
	return s.blob() == o.blob()
}

func (s *Settings) blob() string {
	if s == nil {
		return ""
	}
	return s.Blob
}

// Empty reports whether the settings have no rules.
func (s *Settings) Empty() bool {
	return s == nil || len(s.Kinds)+len(s.Services)+len(s.Keys)+len(s.Redirects)+len(s.Rules)+len(s.BlockClose) == 0 && s.DrillEvery == 0
}

// IsSettings reports whether p is the settings file.
func (p Path) IsSettings() bool { return p == SettingsPath }

// CheckSettings returns a *ValidationError when the settings file content
// has errors, so a save or push of it is refused like a page with errors.
func CheckSettings(content []byte) error {
	if errs := ParseSettings(content, "").Errors(); len(errs) > 0 {
		return &ValidationError{Problems: errs}
	}
	return nil
}
