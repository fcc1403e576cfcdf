package wiki

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// plainScalar matches values that need no quotes in YAML.
var plainScalar = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._@/:+-]*$`)

// yamlValue writes v as a YAML scalar, quoted only when it must be.
func yamlValue(v string) string {
	if v == "" {
		return `""`
	}
	if plainScalar.MatchString(v) && !strings.Contains(v, ": ") && !strings.HasSuffix(v, ":") && strings.TrimSpace(v) == v {
		return v
	}
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}

// frontMatter locates the front matter of content: its lines and the
// mapping node, whose line numbers are 1-based within the YAML (so the
// YAML's line n is lines[n]).
func frontMatter(content []byte) (lines [][]byte, root *yaml.Node, err error) {
	if f := frontMatterFormat(content); f == formatTOML || f == formatJSON {
		return nil, nil, Errorf(EINVALID, "The page's front matter is %s, which only an edit of the page changes here.", strings.ToUpper(f))
	}
	fm, _, _, closed := splitFrontMatter(content)
	if fm == nil || !closed {
		return nil, nil, Errorf(EINVALID, "The page has no front matter.")
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(fm, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, Errorf(EINVALID, "The page's front matter is not a valid YAML mapping.")
	}
	return bytes.SplitAfter(content, []byte("\n")), doc.Content[0], nil
}

// SetKey returns content with a top-level front matter key set to value,
// changing only that key's line (or adding one line before the closing ---).
func SetKey(content []byte, key, value string) ([]byte, error) {
	lines, m, err := frontMatter(content)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return replaceScalar(lines, m.Content[i], m.Content[i+1], yamlValue(value), false)
		}
	}
	_, _, bodyLine, _ := splitFrontMatter(content)
	return insertLines(lines, bodyLine-2, key+": "+yamlValue(value)+"\n"), nil
}

// SetActionField returns content with one field of one action item set,
// changing nothing else: the value's text is replaced in place (block or
// flow style), or the field is added after the item's last line.
func SetActionField(content []byte, itemID, field, value string) ([]byte, error) {
	lines, m, err := frontMatter(content)
	if err != nil {
		return nil, err
	}
	var items *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "action_items" {
			items = m.Content[i+1]
		}
	}
	if items == nil || items.Kind != yaml.SequenceNode {
		return nil, Errorf(ENOTFOUND, "The postmortem has no action_items list.")
	}
	for n, item := range items.Content {
		if item.Kind != yaml.MappingNode {
			continue
		}
		id := fmt.Sprint(n + 1) // items without an id are known by position
		var target, key *yaml.Node
		for i := 0; i+1 < len(item.Content); i += 2 {
			switch item.Content[i].Value {
			case "id":
				id = item.Content[i+1].Value
			case field:
				key, target = item.Content[i], item.Content[i+1]
			}
		}
		if id != itemID {
			continue
		}
		flow := item.Style&yaml.FlowStyle != 0
		if target != nil {
			return replaceScalar(lines, key, target, yamlValue(value), flow)
		}
		if flow {
			return insertInFlow(lines, item, field+": "+yamlValue(value))
		}
		last := item.Content[len(item.Content)-1]
		indent := strings.Repeat(" ", item.Content[0].Column-1)
		return insertLines(lines, lastLine(last)+1, indent+field+": "+yamlValue(value)+"\n"), nil
	}
	return nil, Errorf(ENOTFOUND, "There is no action item %q in this postmortem.", itemID)
}

// lastLine is the YAML line a node ends on, for single-line and nested nodes.
func lastLine(n *yaml.Node) int {
	if len(n.Content) == 0 {
		return n.Line
	}
	return lastLine(n.Content[len(n.Content)-1])
}

// replaceScalar swaps the text of one scalar value on its line. A value on
// its own line after the key, a block scalar or a multi-line value is
// refused: those are rare for these fields, and rewriting them would
// touch more than one line.
func replaceScalar(lines [][]byte, key, val *yaml.Node, text string, flow bool) ([]byte, error) {
	if val.Kind != yaml.ScalarNode || val.Line != key.Line || val.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return nil, Errorf(EINVALID, "The value of %s is written in a form that cannot be changed in place; edit the page instead.", key.Value)
	}
	line := string(lines[val.Line])
	start := columnToByte(line, val.Column)
	end := scalarEnd(line, start, val, flow)
	if end < 0 {
		return nil, Errorf(EINVALID, "The value of %s spans several lines; edit the page instead.", key.Value)
	}
	out := append([][]byte(nil), lines...)
	out[val.Line] = []byte(line[:start] + text + line[end:])
	return bytes.Join(out, nil), nil
}

// scalarEnd finds where a scalar written at start ends on its line.
func scalarEnd(line string, start int, val *yaml.Node, flow bool) int {
	rest := line[start:]
	switch {
	case val.Style&yaml.DoubleQuotedStyle != 0:
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\\' {
				i++
			} else if rest[i] == '"' {
				return start + i + 1
			}
		}
		return -1
	case val.Style&yaml.SingleQuotedStyle != 0:
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				return start + i + 1
			}
		}
		return -1
	}
	end := len(strings.TrimRight(rest, "\r\n"))
	if i := strings.Index(rest, " #"); i >= 0 && i < end {
		end = i
	}
	if flow {
		if i := strings.IndexAny(rest, ",}]"); i >= 0 && i < end {
			end = i
		}
	}
	return start + len(strings.TrimRight(rest[:end], " \t"))
}

// columnToByte turns yaml's 1-based rune column into a byte offset.
func columnToByte(line string, col int) int {
	n := 0
	for i := range line {
		if n == col-1 {
			return i
		}
		n++
	}
	return len(line)
}

// insertInFlow adds "key: value" before the closing brace of a one-line
// flow mapping.
func insertInFlow(lines [][]byte, item *yaml.Node, field string) ([]byte, error) {
	line := string(lines[item.Line])
	end := strings.LastIndexByte(line, '}')
	if end < 0 || lastLine(item) != item.Line {
		return nil, Errorf(EINVALID, "The action item spans several lines in flow style; edit the page instead.")
	}
	out := append([][]byte(nil), lines...)
	out[item.Line] = []byte(strings.TrimRight(line[:end], " ") + ", " + field + line[end:])
	return bytes.Join(out, nil), nil
}
