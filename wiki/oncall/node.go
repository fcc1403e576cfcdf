package oncall

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DecodeNode turns a front matter YAML node into the value ParseOncall and
// ParseEscalation read, keeping every scalar as the text it was written
// as. Decoding into any instead turns unquoted dates and timestamps into
// time.Time values in UTC, which loses whether a zone was written.
func DecodeNode(n *yaml.Node) any {
	return decodeNode(n, 0)
}

// maxDepth bounds nesting (and alias chains) far beyond any real value.
const maxDepth = 32

func decodeNode(n *yaml.Node, depth int) any {
	if n == nil || depth > maxDepth {
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return decodeNode(n.Content[0], depth+1)
	case yaml.AliasNode:
		return decodeNode(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, decodeNode(c, depth+1))
		}
		return out
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, _ := text(decodeNode(n.Content[i], depth+1))
			out[k] = decodeNode(n.Content[i+1], depth+1)
		}
		return out
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		return n.Value
	}
	return nil
}

// Line returns the line of the part of a front matter value a Problem's
// Field names ("oncall.overrides[1].from"), given the node of the value
// (the node after the oncall or escalation key): the line of the deepest
// part that exists, the line of n itself when none of the path does.
func Line(n *yaml.Node, field string) int {
	if n == nil {
		return 0
	}
	line := n.Line
	// The first part of the path is the front matter key, which n is the
	// value of.
	path := strings.SplitN(field, ".", 2)
	rest := ""
	if i := strings.IndexByte(path[0], '['); i >= 0 {
		rest = path[0][i:]
	}
	if len(path) == 2 {
		rest += "." + path[1]
	}
	for depth := 0; rest != "" && n != nil && depth < maxDepth; depth++ {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
			continue
		}
		var next *yaml.Node
		switch {
		case strings.HasPrefix(rest, "["):
			end := strings.IndexByte(rest, ']')
			i, err := strconv.Atoi(rest[1:max(end, 1)])
			if end < 0 || err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
				return line
			}
			next, rest = n.Content[i], rest[end+1:]
		case strings.HasPrefix(rest, "."):
			rest = rest[1:]
			j := strings.IndexAny(rest, ".[")
			if j < 0 {
				j = len(rest)
			}
			key := rest[:j]
			rest = rest[j:]
			if n.Kind != yaml.MappingNode {
				return line
			}
			for k := 0; k+1 < len(n.Content); k += 2 {
				if n.Content[k].Value == key {
					next = n.Content[k+1]
					if rest == "" {
						next = n.Content[k] // point at the key
					}
					break
				}
			}
			if next == nil {
				return line
			}
		default:
			return line
		}
		n, line = next, next.Line
	}
	return line
}
