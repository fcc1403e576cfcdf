package wiki

import (
	"bytes"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Bounds on the configuration files of other tools (Backstage descriptors,
// MkDocs configurations) that the wiki reads from the repository, so one
// hostile or generated file cannot cost more than a page does.
const (
	maxConfigFileBytes = 1 << 20
	maxConfigDocuments = 1000
	maxConfigProblems  = 1000
	maxConfigItems     = 10000 // list entries read from one file, aliases included
)

// Entity is one Backstage catalog entity read from a descriptor file
// (catalog-info.yaml). References to other entities are kept as plain
// names: "group:default/payments-team" becomes "payments-team".
type Entity struct {
	Kind         string            `json:"kind"`                // as written: Component, System, Group ...
	Name         string            `json:"name"`                // metadata.name
	Namespace    string            `json:"namespace,omitempty"` // metadata.namespace; "" is the default namespace
	Title        string            `json:"title,omitempty"`     // metadata.title, else spec.profile.displayName
	Description  string            `json:"description,omitempty"`
	Type         string            `json:"type,omitempty"`
	Lifecycle    string            `json:"lifecycle,omitempty"`
	Owner        string            `json:"owner,omitempty"`
	System       string            `json:"system,omitempty"`
	Domain       string            `json:"domain,omitempty"`
	DependsOn    []string          `json:"depends_on,omitempty"`
	ProvidesAPIs []string          `json:"provides_apis,omitempty"`
	ConsumesAPIs []string          `json:"consumes_apis,omitempty"`
	Tags         []string          `json:"tags,omitempty"`
	Links        []Link            `json:"links,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	OnCall       []OnCall          `json:"oncall,omitempty"`
	Members      []string          `json:"members,omitempty"`   // Group spec.members
	MemberOf     []string          `json:"member_of,omitempty"` // User spec.memberOf
	Parent       string            `json:"parent,omitempty"`    // Group spec.parent
	Children     []string          `json:"children,omitempty"`  // Group spec.children
	Line         int               `json:"line"`                // file line of the document's first key
}

// OnCall is an on-call or incident tool an entity's annotations point to.
type OnCall struct {
	Provider string `json:"provider"`      // PagerDuty, Opsgenie, Splunk On-Call, FireHydrant
	Label    string `json:"label"`         // what Value is: service, team, integration key ...
	Value    string `json:"value"`         // the annotation's value
	URL      string `json:"url,omitempty"` // only where it follows from Value alone
}

// Secret reports whether the value is a credential (an integration or
// routing key lets whoever has it raise incidents), never to be shown.
func (o OnCall) Secret() bool {
	return strings.HasSuffix(o.Label, "key")
}

// Ref returns the entity's reference in Backstage's canonical form,
// lower-cased "kind:namespace/name".
func (e Entity) Ref() string {
	ns := e.Namespace
	if ns == "" {
		ns = "default"
	}
	return strings.ToLower(e.Kind + ":" + ns + "/" + e.Name)
}

// IsBackstageDescriptor reports whether the file is a Backstage catalog
// descriptor: catalog-info.yaml or catalog-info.yml in any folder.
func IsBackstageDescriptor(p Path) bool {
	base := p.Base()
	return strings.EqualFold(base, "catalog-info.yaml") || strings.EqualFold(base, "catalog-info.yml")
}

// ParseEntityRef splits a Backstage entity reference of the form
// [<kind>:][<namespace>/]<name>. The kind comes back lower-cased, defaultKind
// when the reference names none; the namespace is "" when the reference names
// none, for the caller to apply its context (Backstage uses the referring
// entity's namespace). A malformed reference returns three empty strings.
func ParseEntityRef(ref, defaultKind string) (kind, namespace, name string) {
	ref = strings.TrimSpace(ref)
	colon := strings.IndexByte(ref, ':')
	slash := strings.IndexByte(ref, '/')
	if slash >= 0 && slash < colon {
		colon = -1 // a colon after the namespace belongs to the name
	}
	kind = defaultKind
	if colon >= 0 {
		kind = ref[:colon]
	}
	name = ref[colon+1:]
	if slash >= 0 {
		namespace, name = ref[colon+1:slash], ref[slash+1:]
		if namespace == "" {
			return "", "", ""
		}
	}
	if kind == "" && colon >= 0 || name == "" {
		return "", "", ""
	}
	return strings.ToLower(kind), namespace, name
}

// onCallAnnotations are the annotations Backstage's on-call plugins read,
// in the order their entries are listed: PagerDuty (@pagerduty/backstage-plugin),
// Opsgenie (@k-phoen/backstage-plugin-opsgenie), Splunk On-Call
// (@backstage/plugin-splunk-on-call) and FireHydrant (@backstage/plugin-firehydrant).
var onCallAnnotations = []struct {
	key, provider, label string
	url                  func(string) string
}{
	{"pagerduty.com/service-id", "PagerDuty", "service", func(id string) string {
		return "https://app.pagerduty.com/service-directory/" + url.PathEscape(id)
	}},
	{"pagerduty.com/integration-key", "PagerDuty", "integration key", nil},
	{"opsgenie.com/team", "Opsgenie", "team", nil},
	{"opsgenie.com/component-selector", "Opsgenie", "alert selector", nil},
	{"splunk.com/on-call-team", "Splunk On-Call", "team", nil},
	{"splunk.com/on-call-routing-key", "Splunk On-Call", "routing key", nil},
	{"firehydrant.com/service-name", "FireHydrant", "service", nil},
}

// Backstage's own name rules (catalog-model KubernetesValidatorFunctions):
// breaking them makes Backstage refuse the entity, so the wiki warns.
var (
	entityNameRE      = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	entityNamespaceRE = regexp.MustCompile(`^[a-z0-9]+(-+[a-z0-9]+)*$`)
)

// ParseBackstage reads the entities of a Backstage descriptor file, one per
// YAML document. Documents of other tools (Kubernetes manifests share these
// files) and empty documents are skipped; everything wrong with the rest is
// reported as a problem with its file line. A broken document never hides
// the documents around it.
func ParseBackstage(p Path, content []byte) ([]Entity, []Problem) {
	ps := &problemSink{path: p, last: lastTextLine(content)}
	if len(content) > maxConfigFileBytes {
		ps.errorf(0, "", "the file is larger than %s; it is not read", ByteSize(maxConfigFileBytes))
		return nil, ps.list
	}
	bp := &backstageParser{ps: ps, seen: map[string]int{}}
	docs := 0
	for _, c := range splitYAMLStream(content) {
		dec := yaml.NewDecoder(bytes.NewReader(c.text))
		for {
			var root yaml.Node
			err := dec.Decode(&root)
			if err == io.EOF {
				break
			}
			if docs++; docs > maxConfigDocuments {
				ps.errorf(c.line, "", "the file has more than %d documents; the rest is not read", maxConfigDocuments)
				return bp.entities, ps.list
			}
			if err != nil {
				line, msg := yamlErrorLine(err, c.text, c.line-1)
				ps.errorf(line, "", "the document is not valid YAML: %s", msg)
				break
			}
			bp.offset = c.line - 1
			bp.budget = maxConfigItems
			bp.document(&root)
		}
	}
	return bp.entities, ps.list
}

type backstageParser struct {
	ps       *problemSink
	offset   int // file line of the document's first line, minus one
	budget   int // list entries left to read in this document
	entities []Entity
	seen     map[string]int // entity reference -> line
}

func (bp *backstageParser) line(n *yaml.Node) int { return n.Line + bp.offset }

// document turns one YAML document into an entity, if it is one.
func (bp *backstageParser) document(root *yaml.Node) {
	if len(root.Content) == 0 {
		return
	}
	doc := yamlAlias(root.Content[0])
	if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
		return // an empty document, or one of only comments
	}
	if doc.Kind != yaml.MappingNode {
		bp.ps.errorf(bp.line(doc), "", "the document is not a mapping of keys to values")
		return
	}
	top := bp.fields(doc, "")
	apiVersion, hasAPI := bp.str(top, "apiVersion", "apiVersion")
	if !hasAPI {
		if top["apiVersion"] == nil && top["kind"] != nil && top["metadata"] != nil {
			bp.ps.warnf(bp.line(doc), "apiVersion", "the document has a kind but no apiVersion; it is not read as a Backstage entity")
		}
		return
	}
	known, ours := backstageAPIVersion(apiVersion)
	if !ours {
		return // another tool's document, such as a Kubernetes manifest
	}
	if !known {
		bp.ps.warnf(bp.line(top["apiVersion"].v), "apiVersion", "apiVersion %q is not one the wiki reads (backstage.io/v1alpha1, v1beta1, v1beta2, scaffolder.backstage.io/v1beta3); the entity is skipped", apiVersion)
		return
	}
	e := Entity{Line: bp.line(doc)}
	e.Kind, _ = bp.str(top, "kind", "kind")
	if e.Kind == "" {
		bp.ps.errorf(bp.line(doc), "kind", "the entity has no kind")
	}
	meta := bp.fields(bp.mapping(top, "metadata", "metadata"), "metadata.")
	e.Name, _ = bp.str(meta, "name", "metadata.name")
	if e.Name == "" {
		line := bp.line(doc)
		if f := top["metadata"]; f != nil {
			line = bp.line(f.k)
		}
		bp.ps.errorf(line, "metadata.name", "the entity has no metadata.name")
	} else if len(e.Name) > 63 || !entityNameRE.MatchString(e.Name) {
		bp.ps.warnf(bp.line(meta["name"].v), "metadata.name", "name %q breaks Backstage's rule: letters and digits separated by - _ or ., at most 63 characters", e.Name)
	}
	if e.Kind == "" || e.Name == "" {
		return
	}
	e.Namespace, _ = bp.str(meta, "namespace", "metadata.namespace")
	if e.Namespace != "" && (len(e.Namespace) > 63 || !entityNamespaceRE.MatchString(e.Namespace)) {
		bp.ps.warnf(bp.line(meta["namespace"].v), "metadata.namespace", "namespace %q breaks Backstage's rule: lower-case letters and digits separated by -, at most 63 characters", e.Namespace)
	}
	e.Title, _ = bp.str(meta, "title", "metadata.title")
	e.Description, _ = bp.str(meta, "description", "metadata.description")
	e.Tags = bp.strList(meta, "tags", "metadata.tags")
	e.Links = bp.links(meta)
	e.Annotations = bp.annotations(meta)
	e.OnCall = onCallFrom(e.Annotations)

	spec := bp.fields(bp.mapping(top, "spec", "spec"), "spec.")
	e.Type, _ = bp.str(spec, "type", "spec.type")
	e.Lifecycle, _ = bp.str(spec, "lifecycle", "spec.lifecycle")
	e.Owner = bp.ref(spec, "owner", "group")
	e.System = bp.ref(spec, "system", "system")
	e.Domain = bp.ref(spec, "domain", "domain")
	e.Parent = bp.ref(spec, "parent", "group")
	e.DependsOn = bp.refs(spec, "dependsOn", "component")
	e.ProvidesAPIs = bp.refs(spec, "providesApis", "api")
	// implementsApis is providesApis' name in early descriptor files.
	e.ProvidesAPIs = appendEntityNames(e.ProvidesAPIs, bp.refs(spec, "implementsApis", "api"))
	e.ConsumesAPIs = bp.refs(spec, "consumesApis", "api")
	e.Members = bp.refs(spec, "members", "user")
	e.MemberOf = bp.refs(spec, "memberOf", "group")
	e.Children = bp.refs(spec, "children", "group")
	if e.Title == "" {
		if profile := bp.fields(bp.mapping(spec, "profile", "spec.profile"), "spec.profile."); profile != nil {
			e.Title, _ = bp.str(profile, "displayName", "spec.profile.displayName")
		}
	}
	if first, ok := bp.seen[e.Ref()]; ok {
		bp.ps.warnf(e.Line, "metadata.name", "%s is defined twice in this file (first at line %d); Backstage keeps only one", e.Ref(), first)
	} else {
		bp.seen[e.Ref()] = e.Line
	}
	bp.entities = append(bp.entities, e)
}

// backstageAPIVersion reports whether v is an apiVersion the wiki reads, and
// whether it is Backstage's at all.
func backstageAPIVersion(v string) (known, ours bool) {
	switch v {
	case "backstage.io/v1alpha1", "backstage.io/v1beta1", "backstage.io/v1beta2", "scaffolder.backstage.io/v1beta3":
		return true, true
	}
	group, _, _ := strings.Cut(v, "/")
	return false, group == "backstage.io" || strings.HasSuffix(group, ".backstage.io")
}

// yamlField is one key of a mapping with its value.
type yamlField struct{ k, v *yaml.Node }

// fields indexes the keys of a mapping, reporting keys written twice (the
// first counts, as Backstage refuses such files) and following YAML merge
// keys ("<<: *base"). A nil mapping gives a nil index.
func (bp *backstageParser) fields(m *yaml.Node, prefix string) map[string]*yamlField {
	if m == nil {
		return nil
	}
	out := map[string]*yamlField{}
	var merged []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := yamlAlias(m.Content[i]), m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			bp.ps.errorf(bp.line(k), prefix, "a key is not a text value")
			continue
		}
		if k.Tag == "!!merge" {
			merged = append(merged, v)
			continue
		}
		if out[k.Value] != nil {
			bp.ps.errorf(bp.line(k), prefix+k.Value, "key %q appears more than once", prefix+k.Value)
			continue
		}
		out[k.Value] = &yamlField{k, yamlAlias(v)}
	}
	for _, v := range merged {
		v = yamlAlias(v)
		srcs := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			srcs = v.Content
		}
		for _, src := range srcs {
			if src = yamlAlias(src); src.Kind != yaml.MappingNode {
				continue
			}
			// Merging the same large mapping many times over is the one
			// way a small file makes this loop long.
			if bp.budget -= len(src.Content) / 2; bp.budget < 0 {
				bp.ps.errorf(bp.line(v), prefix, "the document merges more keys than the wiki reads (%d)", maxConfigItems)
				return out
			}
			for i := 0; i+1 < len(src.Content); i += 2 {
				k := yamlAlias(src.Content[i])
				if k.Kind == yaml.ScalarNode && k.Tag != "!!merge" && out[k.Value] == nil {
					out[k.Value] = &yamlField{k, yamlAlias(src.Content[i+1])}
				}
			}
		}
	}
	return out
}

// mapping returns the mapping under key, nil when absent or empty.
func (bp *backstageParser) mapping(m map[string]*yamlField, key, name string) *yaml.Node {
	f := m[key]
	if f == nil || isYAMLNull(f.v) {
		return nil
	}
	if f.v.Kind != yaml.MappingNode {
		bp.ps.errorf(bp.line(f.v), name, "%s must be a mapping of keys to values", name)
		return nil
	}
	return f.v
}

// str returns the text under key; ok is false when the key is absent or null.
func (bp *backstageParser) str(m map[string]*yamlField, key, name string) (s string, ok bool) {
	f := m[key]
	if f == nil || isYAMLNull(f.v) {
		return "", false
	}
	if f.v.Kind != yaml.ScalarNode {
		bp.ps.errorf(bp.line(f.v), name, "%s must be a text value", name)
		return "", false
	}
	return strings.TrimSpace(f.v.Value), true
}

// list returns the entries of the sequence under key.
func (bp *backstageParser) list(m map[string]*yamlField, key, name string) []*yaml.Node {
	f := m[key]
	if f == nil || isYAMLNull(f.v) {
		return nil
	}
	if f.v.Kind != yaml.SequenceNode {
		bp.ps.errorf(bp.line(f.v), name, "%s must be a list", name)
		return nil
	}
	items := f.v.Content
	if len(items) > bp.budget {
		bp.ps.errorf(bp.line(f.v), name, "%s has more entries than the wiki reads (%d)", name, maxConfigItems)
		items = items[:max(bp.budget, 0)]
	}
	bp.budget -= len(items)
	return items
}

// strList returns the text entries of the list under key.
func (bp *backstageParser) strList(m map[string]*yamlField, key, name string) []string {
	var out []string
	for _, n := range bp.list(m, key, name) {
		n = yamlAlias(n)
		if n.Kind != yaml.ScalarNode || isYAMLNull(n) {
			bp.ps.errorf(bp.line(n), name, "%s must be a list of text values", name)
			continue
		}
		if s := strings.TrimSpace(n.Value); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ref returns the plain name of the entity reference under spec.key. Besides
// the string form, Backstage's documentation shows the compound form
// {kind, namespace, name} for owners.
func (bp *backstageParser) ref(spec map[string]*yamlField, key, defaultKind string) string {
	name := "spec." + key
	f := spec[key]
	if f == nil || isYAMLNull(f.v) {
		return ""
	}
	if f.v.Kind == yaml.MappingNode {
		compound := bp.fields(f.v, name+".")
		n, _ := bp.str(compound, "name", name+".name")
		if n == "" {
			bp.ps.errorf(bp.line(f.v), name, "%s has no name", name)
		}
		return n
	}
	s, ok := bp.str(spec, key, name)
	if !ok || s == "" {
		return ""
	}
	return bp.refName(s, defaultKind, name, bp.line(f.v))
}

// refs returns the plain names of the entity references listed under
// spec.key, in order and without repeats.
func (bp *backstageParser) refs(spec map[string]*yamlField, key, defaultKind string) []string {
	name := "spec." + key
	var out []string
	for _, n := range bp.list(spec, key, name) {
		n = yamlAlias(n)
		if n.Kind != yaml.ScalarNode || isYAMLNull(n) {
			bp.ps.errorf(bp.line(n), name, "%s must be a list of entity references (text)", name)
			continue
		}
		if r := bp.refName(n.Value, defaultKind, name, bp.line(n)); r != "" {
			out = appendEntityNames(out, []string{r})
		}
	}
	return out
}

func (bp *backstageParser) refName(s, defaultKind, name string, line int) string {
	_, _, n := ParseEntityRef(s, defaultKind)
	if n == "" {
		bp.ps.errorf(line, name, "%s: %q is not an entity reference of the form [<kind>:][<namespace>/]<name>", name, s)
	}
	return n
}

// appendEntityNames appends the names not already in list, ignoring case as
// Backstage does.
func appendEntityNames(list, names []string) []string {
next:
	for _, n := range names {
		for _, have := range list {
			if strings.EqualFold(have, n) {
				continue next
			}
		}
		list = append(list, n)
	}
	return list
}

// links reads metadata.links; a link without a title is shown by its URL.
func (bp *backstageParser) links(meta map[string]*yamlField) []Link {
	var out []Link
	for _, n := range bp.list(meta, "links", "metadata.links") {
		n = yamlAlias(n)
		if n.Kind != yaml.MappingNode {
			bp.ps.errorf(bp.line(n), "metadata.links", "each of metadata.links must be a mapping with url and title")
			continue
		}
		lf := bp.fields(n, "metadata.links.")
		u, _ := bp.str(lf, "url", "metadata.links.url")
		if u == "" {
			bp.ps.errorf(bp.line(n), "metadata.links", "a link in metadata.links has no url")
			continue
		}
		t, _ := bp.str(lf, "title", "metadata.links.title")
		if t == "" {
			t = u
		}
		out = append(out, Link{Title: t, URL: u})
	}
	return out
}

// annotations reads metadata.annotations; values are text.
func (bp *backstageParser) annotations(meta map[string]*yamlField) map[string]string {
	m := bp.mapping(meta, "annotations", "metadata.annotations")
	if m == nil {
		return nil
	}
	out := map[string]string{}
	fs := bp.fields(m, "metadata.annotations.")
	keys := make([]string, 0, len(fs))
	for k := range fs {
		keys = append(keys, k)
	}
	sort.Strings(keys) // problems in a stable order
	for _, k := range keys {
		f := fs[k]
		if isYAMLNull(f.v) {
			continue
		}
		if f.v.Kind != yaml.ScalarNode {
			bp.ps.errorf(bp.line(f.v), "metadata.annotations."+k, "annotation %q must be a text value", k)
			continue
		}
		out[k] = f.v.Value
	}
	return out
}

// onCallFrom lists the on-call tools the annotations point to.
func onCallFrom(ann map[string]string) []OnCall {
	var out []OnCall
	for _, a := range onCallAnnotations {
		v := strings.TrimSpace(ann[a.key])
		if v == "" {
			continue
		}
		oc := OnCall{Provider: a.provider, Label: a.label, Value: v}
		if a.url != nil {
			oc.URL = a.url(v)
		}
		out = append(out, oc)
	}
	return out
}
