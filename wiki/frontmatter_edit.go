package wiki

import (
	"bytes"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// AddAlias returns content with name added to its front matter's aliases,
// touching no other line: a new front matter block when there is none, a
// new key when there is no aliases key, a new item otherwise. TOML and
// JSON front matter get a new aliases key as their first; one that has
// aliases already is an EINVALID error.
func AddAlias(content []byte, name string) ([]byte, error) {
	item := strconv.Quote(name)
	switch frontMatterFormat(content) {
	case formatTOML:
		return addFirstKey(content, "aliases", "aliases = ["+item+"]\n")
	case formatJSON:
		return addFirstKey(content, "aliases", `  "aliases": [`+item+"],\n")
	}
	return addYAMLAlias(content, item), nil
}

// addFirstKey inserts line after the opening line of TOML or JSON front
// matter, where a top-level key always belongs, unless the key is there.
func addFirstKey(content []byte, key, line string) ([]byte, error) {
	fm, _, _, closed := splitFrontMatter(content)
	d := &Document{}
	if closed {
		parseMeta(d, fm, frontMatterFormat(content), nil)
	}
	if !closed || len(d.Problems) > 0 {
		return nil, Errorf(EINVALID, "The page's front matter has errors; fix them before moving it.")
	}
	if _, ok := d.keyLines[key]; ok {
		return nil, Errorf(EINVALID, "The page's front matter already has %s; add the old name to it by editing the page, then move it.", key)
	}
	if frontMatterFormat(content) == formatJSON && (len(d.keyLines) == 0 || strings.TrimSpace(string(bytes.SplitN(content, []byte("\n"), 2)[0])) != "{") {
		return nil, Errorf(EINVALID, "The page's JSON front matter must open with a { line of its own and have a key to add %s before.", key)
	}
	lines := bytes.SplitAfter(content, []byte("\n"))
	return insertLines(lines, 1, line), nil
}

// addYAMLAlias is AddAlias for YAML front matter or none.
func addYAMLAlias(content []byte, item string) []byte {
	fm, _, bodyLine, closed := splitFrontMatter(content)
	if fm == nil || !closed {
		return append([]byte("---\naliases:\n  - "+item+"\n---\n"), content...)
	}
	lines := bytes.SplitAfter(content, []byte("\n"))
	closing := bodyLine - 2 // index of the closing --- line
	var root yaml.Node
	if err := yaml.Unmarshal(fm, &root); err != nil || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return insertLines(lines, closing, "aliases:\n  - "+item+"\n")
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "aliases" {
			continue
		}
		v := m.Content[i+1]
		if v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 {
			last := v.Content[len(v.Content)-1]
			indent := strings.Repeat(" ", v.Content[0].Column-3)
			// The item after the last one goes below the last item's line.
			return insertLines(lines, last.Line+1, indent+"- "+item+"\n")
		}
		// A flow list, a single value or an empty key: rewrite that key's
		// lines as a flow list with the new name appended.
		var existing []string
		switch v.Kind {
		case yaml.SequenceNode:
			for _, e := range v.Content {
				existing = append(existing, strconv.Quote(e.Value))
			}
		case yaml.ScalarNode:
			if v.Value != "" {
				existing = append(existing, strconv.Quote(v.Value))
			}
		}
		existing = append(existing, item)
		start := m.Content[i].Line // 1-based within fm; file line is +1
		end := start
		if i+2 < len(m.Content) {
			end = m.Content[i+2].Line - 1
		} else {
			end = closing - 1
		}
		out := append([][]byte(nil), lines[:start]...)
		out = append(out, []byte("aliases: ["+strings.Join(existing, ", ")+"]\n"))
		out = append(out, lines[end+1:]...)
		return bytes.Join(out, nil)
	}
	return insertLines(lines, closing, "aliases:\n  - "+item+"\n")
}

// insertLines inserts text before line index at (0-based).
func insertLines(lines [][]byte, at int, text string) []byte {
	if at > len(lines) {
		at = len(lines)
	}
	out := append([][]byte(nil), lines[:at]...)
	out = append(out, []byte(text))
	out = append(out, lines[at:]...)
	return bytes.Join(out, nil)
}
