package wiki

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// tomlNode decodes TOML front matter into the document tree YAML front
// matter gives, so one parser checks both: a mapping of the top-level keys
// in the order they are written, each node carrying the line of its key
// (TOML's decoder reports no positions; the key's line is found in fm).
func tomlNode(fm []byte, root *yaml.Node) error {
	var values map[string]any
	md, err := toml.Decode(string(fm), &values)
	if err != nil {
		return err
	}
	lines := strings.Split(string(fm), "\n")
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1}
	seen := map[string]bool{}
	for _, k := range md.Keys() {
		key := k[0]
		if seen[key] {
			continue
		}
		seen[key] = true
		v := &yaml.Node{}
		if err := v.Encode(plainTOML(values[key])); err != nil {
			return fmt.Errorf("key %s: %w", key, err)
		}
		line := tomlKeyLine(lines, key)
		setLine(v, line)
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: line}, v)
	}
	*root = yaml.Node{Kind: yaml.DocumentNode, Line: 1, Content: []*yaml.Node{m}}
	return nil
}

// plainTOML turns TOML's dates into the text YAML front matter has for
// them ("2026-10-01", RFC 3339 with a time), and leaves the rest as is.
func plainTOML(v any) any {
	switch v := v.(type) {
	case time.Time:
		if h, m, s := v.Clock(); h == 0 && m == 0 && s == 0 && v.Nanosecond() == 0 {
			return v.Format(time.DateOnly)
		}
		return v.Format(time.RFC3339)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = plainTOML(x)
		}
		return out
	case []map[string]any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = plainTOML(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = plainTOML(x)
		}
		return out
	}
	return v
}

// tomlKeyLine finds the line (1-based) where a top-level key is written:
// `key = ...`, `"key" = ...`, `[key]` or `[[key]]`, or 1.
func tomlKeyLine(lines []string, key string) int {
	q := regexp.QuoteMeta(key)
	re := regexp.MustCompile(`^\s*(?:(?:` + q + `|"` + q + `"|'` + q + `')\s*[=.]|\[\[?\s*(?:` + q + `|"` + q + `")\s*[\].])`)
	for i, l := range lines {
		if re.MatchString(l) {
			return i + 1
		}
	}
	return 1
}

func setLine(n *yaml.Node, line int) {
	n.Line = line
	for _, c := range n.Content {
		setLine(c, line)
	}
}

// tomlMessage is the decoder's message without its position, which the
// problem carries.
func tomlMessage(err error) string {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}
