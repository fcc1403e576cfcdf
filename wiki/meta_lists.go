package wiki

import (
	"net/url"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Allowed values of the enumerated front matter fields.
var (
	PostmortemStatuses = []string{"draft", "in-review", "published", "closed"}
	ActionStatuses     = []string{"open", "in-progress", "done", "wontfix"}
	ActionTypes        = []string{"mitigate", "prevent", "detect", "process"}
)

// mapping iterates over the key/value pairs of a mapping node, reporting a
// non-mapping as an error.
func (mp *metaParser) mapping(key string, v *yaml.Node, what string, fn func(k string, kn, vn *yaml.Node)) bool {
	if v.Kind != yaml.MappingNode {
		mp.errorf(mp.line(v), key, "each entry of %s must be a mapping with %s", key, what)
		return false
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		fn(v.Content[i].Value, v.Content[i], v.Content[i+1])
	}
	return true
}

// sequence returns the items of a list node; anything else is an error.
func (mp *metaParser) sequence(key string, v *yaml.Node) []*yaml.Node {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		mp.errorf(mp.line(v), key, "%s must be a list, not a %s", key, nodeKind(v))
		return nil
	}
	return v.Content
}

func (mp *metaParser) links(key string, v *yaml.Node) []Link {
	var out []Link
	for _, item := range mp.sequence(key, v) {
		var l Link
		if item.Kind == yaml.ScalarNode {
			l.URL, _ = mp.str(key, item)
		} else if !mp.mapping(key, item, "title and url", func(k string, _, vn *yaml.Node) {
			switch k {
			case "title", "name":
				l.Title, _ = mp.str(key+".title", vn)
			case "url":
				l.URL, _ = mp.str(key+".url", vn)
			}
		}) {
			continue
		}
		if !SafeURL(l.URL) {
			mp.warnf(mp.line(item), key, "link %q is not an http, https or mailto URL and is not shown", l.URL)
			continue
		}
		if l.Title == "" {
			l.Title = l.URL
		}
		out = append(out, l)
	}
	return out
}

// SafeURL reports whether u may be shown as a link: http, https and mailto
// URLs, and links without a scheme (paths and fragments).
func SafeURL(u string) bool {
	if u == "" {
		return false
	}
	for _, r := range u {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch strings.ToLower(parsed.Scheme) {
	case "http", "https", "mailto":
		return true
	case "":
		// "//evil.example" is scheme-relative and leaves the wiki; allow it
		// only as an absolute URL with a scheme.
		return !strings.HasPrefix(u, "//") && !strings.Contains(strings.SplitN(u, "/", 2)[0], ":")
	}
	return false
}

func (mp *metaParser) actionItems(key string, v *yaml.Node) []ActionItem {
	var out []ActionItem
	ids := map[string]bool{}
	for i, item := range mp.sequence(key, v) {
		a := ActionItem{Line: mp.line(item), Status: "open"}
		ok := mp.mapping(key, item, "id, title, owner, status and due", func(k string, kn, vn *yaml.Node) {
			f := key + "." + k
			switch k {
			case "id":
				a.ID, _ = mp.str(f, vn)
			case "title":
				a.Title, _ = mp.str(f, vn)
			case "owner":
				a.Owner, _ = mp.str(f, vn)
			case "type":
				a.Type, _ = mp.str(f, vn)
				a.Type = strings.ToLower(a.Type)
				mp.oneOf(f, vn, a.Type, ActionTypes)
			case "priority":
				a.Priority, _ = mp.str(f, vn)
			case "status":
				s, _ := mp.str(f, vn)
				if s != "" {
					a.Status = strings.ToLower(s)
					mp.oneOf(f, vn, a.Status, ActionStatuses)
				}
			case "due":
				a.Due = mp.date(f, vn)
			case "ticket":
				a.Ticket, _ = mp.str(f, vn)
			}
		})
		if !ok {
			continue
		}
		if a.ID == "" {
			a.ID = strconv.Itoa(i + 1)
			mp.warnf(a.Line, key, "action item %d has no id; it is known as %q until it gets one", i+1, a.ID)
		}
		if ids[a.ID] {
			mp.errorf(a.Line, key, "action item id %q is used twice", a.ID)
		}
		ids[a.ID] = true
		if a.Title == "" {
			mp.warnf(a.Line, key, "action item %q has no title", a.ID)
		}
		out = append(out, a)
	}
	return out
}

// oneOf reports an error when a non-empty value is not one of allowed.
func (mp *metaParser) oneOf(field string, vn *yaml.Node, val string, allowed []string) {
	if val == "" || isPlaceholder(val) {
		return
	}
	for _, a := range allowed {
		if a == val {
			return
		}
	}
	mp.errorf(mp.line(vn), field, "%s %q is not one of %s", field, val, strings.Join(allowed, ", "))
}
