package wiki

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/opswiki/opswiki/wiki/oncall"
)

// Member is one person of a team, with their role in it ("lead", "sre").
type Member struct {
	Name string `json:"name"`
	Role string `json:"role,omitempty"`
}

// Channel is one way to reach a team: a chat channel, an email address, a
// pager or a link.
type Channel struct {
	Kind  string `json:"kind"` // chat, email, pager, phone, or what the page says
	Value string `json:"value"`
}

// ownershipField decodes the keys of teams: members, channels and
// escalation, and reports whether key is one of them. oncall is read by
// the main switch (oncallField), since services have it too.
func (mp *metaParser) ownershipField(key string, k, v *yaml.Node) bool {
	m := &mp.d.Meta
	switch key {
	case "members":
		m.Members = mp.members(key, v)
	case "channels":
		m.Channels = mp.channels(key, v)
	case "escalation":
		levels, problems := oncall.ParseEscalation(oncall.DecodeNode(v))
		mp.oncallProblems(v, problems)
		m.Escalation = levels
	default:
		return false
	}
	return true
}

// oncallField reads oncall: a schedule URL, a rotation, or a few words
// saying where the on-call is (kept as text, as services have long
// written it).
func (mp *metaParser) oncallField(key string, v *yaml.Node) {
	m := &mp.d.Meta
	o, problems := oncall.ParseOncall(oncall.DecodeNode(v))
	mp.oncallProblems(v, problems)
	m.OncallPlan = o
	if o != nil {
		m.Oncall = o.Text
		if o.Schedule != "" {
			m.Oncall = o.Schedule
		}
	}
}

// oncallProblems reports the on-call engine's problems at their lines.
// A template's values are placeholders and blanks for whoever uses it (the
// page made from it is checked when saved), so they are not checked.
func (mp *metaParser) oncallProblems(v *yaml.Node, problems []oncall.Problem) {
	if mp.d.Path.Top() == "templates" {
		return
	}
	for _, p := range problems {
		mp.errorf(oncall.Line(v, p.Field)+mp.offset, p.Field, "%s", p.Message)
	}
}

// members reads a list of names, or of mappings with name and role.
func (mp *metaParser) members(key string, v *yaml.Node) []Member {
	var out []Member
	for _, item := range mp.sequence(key, v) {
		if item.Kind == yaml.ScalarNode {
			if s, _ := mp.str(key, item); s != "" {
				out = append(out, Member{Name: s})
			}
			continue
		}
		var mb Member
		if mp.mapping(key, item, "name and role", func(k string, _, vn *yaml.Node) {
			switch k {
			case "name":
				mb.Name, _ = mp.str(key+".name", vn)
			case "role":
				mb.Role, _ = mp.str(key+".role", vn)
			}
		}) {
			if mb.Name == "" {
				mp.errorf(mp.line(item), key, "a member needs a name")
				continue
			}
			out = append(out, mb)
		}
	}
	return out
}

// channels reads a mapping of kind to value ({chat: "#sre", email: ...},
// a value may be a list), or a list of such mappings or of plain values.
func (mp *metaParser) channels(key string, v *yaml.Node) []Channel {
	var out []Channel
	add := func(kind string, vn *yaml.Node) {
		for _, s := range mp.strList(key+"."+kind, vn) {
			out = append(out, Channel{Kind: strings.ToLower(kind), Value: s})
		}
	}
	switch v.Kind {
	case yaml.MappingNode:
		mp.mapping(key, v, "kinds of channel", func(k string, _, vn *yaml.Node) { add(k, vn) })
	default:
		for _, item := range mp.sequence(key, v) {
			if item.Kind == yaml.MappingNode {
				mp.mapping(key, item, "kinds of channel", func(k string, _, vn *yaml.Node) { add(k, vn) })
				continue
			}
			if s, _ := mp.str(key, item); s != "" {
				out = append(out, Channel{Kind: channelKind(s), Value: s})
			}
		}
	}
	return out
}

// channelKind guesses the kind of a channel written without one.
func channelKind(s string) string {
	switch {
	case strings.HasPrefix(s, "#"):
		return "chat"
	case strings.Contains(s, "@") && !strings.Contains(s, "://"):
		return "email"
	case strings.HasPrefix(s, "+") || strings.HasPrefix(s, "tel:"):
		return "phone"
	}
	return "link"
}
