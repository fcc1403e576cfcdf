// Package rules reads Prometheus alerting rules as teams keep them: rule
// files of groups (what Prometheus loads with rule_files) and Kubernetes
// PrometheusRule resources (what the Prometheus Operator loads), several
// YAML documents to a file, each rule with its file and line. It reads;
// it never rewrites a rule file.
package rules

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/opswiki/opswiki/wiki"
)

// Rule is one alerting rule.
type Rule struct {
	File          string            `json:"file"`
	Line          int               `json:"line"` // the line of its "alert:" key
	Group         string            `json:"group"`
	Alert         string            `json:"alert"`
	Expr          string            `json:"expr"`
	For           string            `json:"for,omitempty"`
	KeepFiringFor string            `json:"keep_firing_for,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
	// RunbookLine is the line of the runbook_url annotation, 0 without one.
	RunbookLine int `json:"runbook_line,omitempty"`
}

// Severity is the rule's severity label, lower-cased.
func (r Rule) Severity() string { return strings.ToLower(strings.TrimSpace(r.Labels["severity"])) }

// RunbookURL is the rule's runbook_url annotation (or runbook, as some
// teams name it), as written: it may be a template.
func (r Rule) RunbookURL() string {
	if u := strings.TrimSpace(r.Annotations["runbook_url"]); u != "" {
		return u
	}
	return strings.TrimSpace(r.Annotations["runbook"])
}

// Problem is something wrong in a rule file, at a line.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message) }

// maxFileBytes bounds a rule file; the largest public mixins are a few
// hundred KB.
const maxFileBytes = 8 << 20

// Parse reads the alerting rules of a rule file. Recording rules are
// skipped; documents that are neither rule groups nor a PrometheusRule
// (other Kubernetes objects in the same file) are skipped silently. A
// document with errors costs only itself.
func Parse(file string, content []byte) ([]Rule, []Problem) {
	p := &parser{file: file}
	if len(content) > maxFileBytes {
		p.errorf(1, "the file is larger than %d MB", maxFileBytes>>20)
		return nil, p.problems
	}
	for _, d := range wiki.SplitYAMLDocuments(content) {
		var doc yaml.Node
		if err := yaml.Unmarshal(d.Text, &doc); err != nil {
			line, msg := wiki.YAMLErrorLine(err, d.Text, d.Line-1)
			p.errorf(line, "not valid YAML: %s", msg)
			continue
		}
		if len(doc.Content) == 0 {
			continue
		}
		shiftLines(doc.Content[0], d.Line-1)
		p.document(doc.Content[0])
	}
	return p.rules, p.problems
}

// shiftLines moves a document's node lines to the file's.
func shiftLines(n *yaml.Node, by int) {
	if by == 0 {
		return
	}
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

type parser struct {
	file     string
	rules    []Rule
	problems []Problem
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.problems = append(p.problems, Problem{File: p.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// resolve follows an alias (*name) to the node it stands for.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// get returns the value of key in a mapping node, aliases followed, and
// from the mappings merged into it (<<: *anchor) when it has none of its
// own, as YAML's merge keys mean.
func get(m *yaml.Node, key string) (k, v *yaml.Node) {
	return getDepth(resolve(m), key, 0)
}

func getDepth(m *yaml.Node, key string, depth int) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode || depth > 8 {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], resolve(m.Content[i+1])
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "<<" {
			continue
		}
		merged := resolve(m.Content[i+1])
		sources := []*yaml.Node{merged}
		if merged != nil && merged.Kind == yaml.SequenceNode {
			sources = merged.Content
		}
		for _, src := range sources {
			if mk, mv := getDepth(resolve(src), key, depth+1); mk != nil {
				return mk, mv
			}
		}
	}
	return nil, nil
}

func (p *parser) document(d *yaml.Node) {
	if d.Kind != yaml.MappingNode {
		return
	}
	if _, kind := get(d, "kind"); kind != nil && kind.Value == "PrometheusRule" {
		_, spec := get(d, "spec")
		if spec == nil {
			p.errorf(kind.Line, "a PrometheusRule without spec")
			return
		}
		d = spec
	}
	gk, groups := get(d, "groups")
	if gk == nil {
		return // another kind of document
	}
	if groups.Kind != yaml.SequenceNode {
		if groups.Tag != "!!null" {
			p.errorf(groups.Line, "groups must be a list of rule groups")
		}
		return
	}
	for _, g := range groups.Content {
		p.group(resolve(g))
	}
}

func (p *parser) group(g *yaml.Node) {
	if g.Kind != yaml.MappingNode {
		p.errorf(g.Line, "a rule group must be a mapping with name and rules")
		return
	}
	_, name := get(g, "name")
	if name == nil || name.Value == "" {
		p.errorf(g.Line, "a rule group has no name")
	}
	groupName := ""
	if name != nil {
		groupName = name.Value
	}
	_, groupLabels := get(g, "labels")
	_, rules := get(g, "rules")
	if rules == nil || rules.Tag == "!!null" {
		return
	}
	if rules.Kind != yaml.SequenceNode {
		p.errorf(rules.Line, "rules of group %q must be a list", groupName)
		return
	}
	for _, r := range rules.Content {
		p.rule(groupName, groupLabels, resolve(r))
	}
}

func (p *parser) rule(group string, groupLabels, r *yaml.Node) {
	if r.Kind != yaml.MappingNode {
		p.errorf(r.Line, "a rule must be a mapping")
		return
	}
	ak, alert := get(r, "alert")
	_, record := get(r, "record")
	switch {
	case alert == nil && record == nil:
		p.errorf(r.Line, "a rule in group %q has neither alert nor record", group)
		return
	case alert != nil && record != nil:
		p.errorf(ak.Line, "a rule in group %q has both alert and record", group)
		return
	case alert == nil:
		return // a recording rule
	}
	rule := Rule{File: p.file, Line: ak.Line, Group: group, Alert: alert.Value}
	if alert.Kind != yaml.ScalarNode || alert.Value == "" {
		p.errorf(ak.Line, "the alert's name must be a text")
		return
	}
	if _, expr := get(r, "expr"); expr == nil || strings.TrimSpace(expr.Value) == "" {
		p.errorf(ak.Line, "alert %s has no expr", rule.Alert)
	} else {
		rule.Expr = strings.TrimSpace(expr.Value)
	}
	if _, v := get(r, "for"); v != nil {
		rule.For = v.Value
	}
	if _, v := get(r, "keep_firing_for"); v != nil {
		rule.KeepFiringFor = v.Value
	}
	rule.Labels = p.strings(rule.Alert, "labels", groupLabels)
	for k, v := range p.strings(rule.Alert, "labels", valueOf(r, "labels")) {
		if rule.Labels == nil {
			rule.Labels = map[string]string{}
		}
		rule.Labels[k] = v
	}
	rule.Annotations = p.strings(rule.Alert, "annotations", valueOf(r, "annotations"))
	if a := valueOf(r, "annotations"); a != nil {
		for _, key := range []string{"runbook_url", "runbook"} {
			if k, _ := get(a, key); k != nil {
				rule.RunbookLine = k.Line
				break
			}
		}
	}
	p.rules = append(p.rules, rule)
}

func valueOf(m *yaml.Node, key string) *yaml.Node {
	_, v := get(m, key)
	return v
}

// strings reads a mapping of texts (labels, annotations).
func (p *parser) strings(alert, what string, m *yaml.Node) map[string]string {
	if m == nil || m.Tag == "!!null" {
		return nil
	}
	if m.Kind != yaml.MappingNode {
		p.errorf(m.Line, "%s of alert %s must be a mapping of names to texts", what, alert)
		return nil
	}
	out := make(map[string]string, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], resolve(m.Content[i+1])
		if v.Kind != yaml.ScalarNode {
			p.errorf(v.Line, "%s %q of alert %s must be a text", what, k.Value, alert)
			continue
		}
		out[k.Value] = v.Value
	}
	return out
}

// Sort orders rules by file and line.
func Sort(rs []Rule) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].File != rs[j].File {
			return rs[i].File < rs[j].File
		}
		return rs[i].Line < rs[j].Line
	})
}

// templateRE matches a Go template action in a label or annotation.
var templateRE = regexp.MustCompile(`\{\{-?\s*(.*?)\s*-?\}\}`)

// labelRefRE matches the reference to a label inside a template action,
// as Prometheus writes it ($labels.x, .Labels.x, index $labels "x").
var labelRefRE = regexp.MustCompile(`^(?:\$labels\.|\.Labels\.)([A-Za-z_][A-Za-z0-9_]*)$|^index \$labels "([^"]+)"$`)

// Expand fills the templates of text (a runbook_url) that name a label
// the rule itself sets, or its alertname. It reports the templates it
// could not fill (labels only the firing series has, functions), as
// written.
func (r Rule) Expand(text string) (string, []string) {
	var left []string
	out := templateRE.ReplaceAllStringFunc(text, func(m string) string {
		expr := templateRE.FindStringSubmatch(m)[1]
		if sm := labelRefRE.FindStringSubmatch(expr); sm != nil {
			name := sm[1] + sm[2]
			if name == "alertname" {
				return r.Alert
			}
			if v, ok := r.Labels[name]; ok && !strings.Contains(v, "{{") {
				return v
			}
		}
		left = append(left, m)
		return m
	})
	return out, left
}
