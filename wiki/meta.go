package wiki

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// metaParser decodes one front matter block, collecting problems with file
// line numbers instead of stopping at the first.
type metaParser struct {
	d      *Document
	offset int // file line of the first YAML line, minus one

	// Values of imported keys, applied when the SPEC's keys are absent.
	startTime, endTime time.Time
	product            string
}

// applyImported fills model fields from other tools' keys.
func (mp *metaParser) applyImported() {
	m := &mp.d.Meta
	if m.Started.IsZero() {
		m.Started = mp.startTime
	}
	if m.Resolved.IsZero() {
		m.Resolved = mp.endTime
	}
	if len(m.Services) == 0 && mp.product != "" {
		m.Services = []string{mp.product}
	}
}

// parseMeta fills d.Meta from the front matter fm in the given format
// (formatYAML, formatTOML, formatJSON; see splitFrontMatter). JSON is read
// as the YAML it also is; TOML is turned into the same document tree.
func parseMeta(d *Document, fm []byte, format string, s *Settings) {
	mp := &metaParser{d: d, offset: 1}
	if format == formatJSON {
		mp.offset = 0 // the object starts on the first line
	}
	d.keyLines = map[string]int{}
	var root yaml.Node
	if format == formatTOML {
		if err := tomlNode(fm, &root); err != nil {
			line := 1
			var pe toml.ParseError
			if errors.As(err, &pe) {
				line = pe.Position.Line + mp.offset
			}
			mp.errorf(line, "", "front matter is not valid TOML: %s", tomlMessage(err))
			return
		}
	} else if format == formatJSON && !json.Valid(fm) {
		var v any
		err := json.Unmarshal(fm, &v)
		line := 1
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line = 1 + bytes.Count(fm[:min(int(se.Offset), len(fm))], []byte("\n"))
		}
		mp.errorf(line, "", "front matter is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
		return
	} else if err := yaml.Unmarshal(fm, &root); err != nil {
		line, msg := yamlErrorLine(err, fm, mp.offset)
		mp.errorf(line, "", "front matter is not valid YAML: %s", msg)
		return
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return // empty front matter
	}
	doc := root.Content[0]
	if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
		return
	}
	if doc.Kind != yaml.MappingNode {
		mp.errorf(doc.Line+mp.offset, "", "front matter must be a mapping of keys to values")
		return
	}
	seen := map[string]bool{}
	present := map[string]bool{}
	for i := 0; i < len(doc.Content); i += 2 {
		present[doc.Content[i].Value] = true
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		key := k.Value
		// A key the settings alias stands for the wiki's own key when the
		// page does not write that one too; otherwise it is kept as is.
		if to, ok := s.alias(key); ok && !present[to] && !seen[to] {
			d.AliasedKeys = append(d.AliasedKeys, key)
			key = to
		}
		if seen[key] {
			mp.errorf(k.Line+mp.offset, key, "key %q appears more than once", key)
			continue
		}
		seen[key] = true
		mp.d.keyLines[key] = mp.line(k)
		mp.field(key, k, v)
	}
	mp.applyImported()
}

func (mp *metaParser) line(n *yaml.Node) int { return n.Line + mp.offset }

func (mp *metaParser) errorf(line int, field, format string, args ...any) {
	mp.d.Problems = append(mp.d.Problems, Problem{Path: mp.d.Path, Line: line, Severity: SeverityError,
		Field: field, Message: fmt.Sprintf(format, args...)})
}

func (mp *metaParser) warnf(line int, field, format string, args ...any) {
	mp.d.Problems = append(mp.d.Problems, Problem{Path: mp.d.Path, Line: line, Severity: SeverityWarning,
		Field: field, Message: fmt.Sprintf(format, args...)})
}

// field decodes one top-level key into the model or into Extra.
func (mp *metaParser) field(key string, k, v *yaml.Node) {
	m := &mp.d.Meta
	switch key {
	case "title":
		m.Title, _ = mp.str(key, v)
	case "kind":
		s, _ := mp.str(key, v)
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" && !isKind(s) {
			mp.errorf(mp.line(v), key, "unknown kind %q: use one of %s", s, strings.Join(Kinds, ", "))
			return
		}
		m.Kind = s
	case "tags":
		m.Tags = mp.strList(key, v)
	case "owner":
		m.Owner, _ = mp.str(key, v)
	case "services", "service":
		m.Services = append(m.Services, mp.strList(key, v)...)
	case "aliases":
		for _, a := range mp.strList(key, v) {
			m.Aliases = append(m.Aliases, strings.Trim(a, "/"))
		}
	case "last_reviewed":
		m.LastReviewed = mp.date(key, v)
	case "review_every":
		if s, ok := mp.str(key, v); ok && s != "" && !isPlaceholder(s) {
			dur, err := ParseInterval(s)
			if err != nil {
				mp.errorf(mp.line(v), key, "%v", err)
			}
			m.ReviewEvery = dur
		}
	case "name":
		m.Name, _ = mp.str(key, v)
	case "description":
		m.Description, _ = mp.str(key, v)
	case "tier":
		m.Tier, _ = mp.str(key, v)
	case "lifecycle":
		m.Lifecycle, _ = mp.str(key, v)
	case "oncall":
		mp.oncallField(key, v)
	case "contacts":
		m.Contacts = mp.strList(key, v)
	case "depends_on":
		m.DependsOn = mp.strList(key, v)
	case "slos":
		m.SLOs = mp.slos(key, v)
	case "dashboards", "links":
		m.Links = append(m.Links, mp.links(key, v)...)
	case "repo":
		m.Repo, _ = mp.str(key, v)
	case "alerts", "alert":
		m.Alerts = append(m.Alerts, mp.strList(key, v)...)
	case "severity":
		m.Severity, _ = mp.str(key, v)
	case "incident", "incidents":
		m.Incidents = append(m.Incidents, mp.strList(key, v)...)
	case "status":
		s, _ := mp.str(key, v)
		m.Status = strings.ToLower(strings.TrimSpace(s))
	case "authors":
		m.Authors = mp.strList(key, v)
	case "started":
		m.Started = mp.timestamp(key, v)
	case "detected":
		m.Detected = mp.timestamp(key, v)
	case "acknowledged":
		m.Acknowledged = mp.timestamp(key, v)
	case "mitigated":
		m.Mitigated = mp.timestamp(key, v)
	case "resolved":
		m.Resolved = mp.timestamp(key, v)
	case "action_items":
		m.ActionItems = mp.actionItems(key, v)
	case "related":
		m.Related = mp.strList(key, v)
	// Keys other tools write for the same things, mapped so imported
	// postmortem collections work as they are (icco/postmortems and the
	// like); the SPEC's own keys win when both are present.
	case "start_time":
		mp.startTime = mp.timestamp(key, v)
	case "end_time":
		mp.endTime = mp.timestamp(key, v)
	case "product":
		mp.product, _ = mp.str(key, v)
		m.Extra = append(m.Extra, Field{Key: key, Value: mp.product, Line: mp.line(k)})
	case "categories", "keywords":
		m.Tags = append(m.Tags, mp.strList(key, v)...)
	default:
		if mp.ownershipField(key, k, v) || mp.sloField(key, k, v) || mp.learningField(key, k, v) {
			return
		}
		var val any
		if err := v.Decode(&val); err != nil {
			val = v.Value
		}
		m.Extra = append(m.Extra, Field{Key: key, Value: val, Line: mp.line(k)})
	}
}

func isKind(s string) bool {
	for _, k := range Kinds {
		if k == s {
			return true
		}
	}
	return false
}

// isPlaceholder reports whether a value is a template placeholder such as
// "{{date}}", which is left unchecked until the template is used.
func isPlaceholder(s string) bool {
	i := strings.Index(s, "{{")
	return i >= 0 && strings.Contains(s[i:], "}}")
}
