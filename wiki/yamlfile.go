package wiki

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The YAML helpers of the files the wiki reads besides pages: settings,
// Backstage descriptors, MkDocs configurations.

// yamlAlias returns the node an alias stands for. Decoding into nodes
// does not expand aliases, so following one costs nothing.
func yamlAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func isYAMLNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// yamlChunk is the text of one or more YAML documents of a file, and the
// file line it starts on.
type yamlChunk struct {
	text []byte
	line int
}

// splitYAMLStream cuts a multi-document file at its "---" lines, so a
// document that is not valid YAML costs only itself: the decoder cannot go
// on after a syntax error. YAML ends a document at "---" in column 0 in every
// context, so cutting there agrees with the parser. Runs of comments and
// blank lines stay with the document that follows.
func splitYAMLStream(b []byte) []yamlChunk {
	var chunks []yamlChunk
	start, startLine, line, content := 0, 1, 1, false
	for i := 0; i < len(b); line++ {
		next := len(b)
		if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
			next = i + j + 1
		}
		l := bytes.TrimRight(b[i:next], "\r\n")
		marker := len(l) >= 3 && string(l[:3]) == "---" && (len(l) == 3 || l[3] == ' ' || l[3] == '\t')
		if marker && content {
			chunks = append(chunks, yamlChunk{b[start:i], startLine})
			start, startLine, content = i, line, false
		}
		rest := l
		if marker {
			rest = l[3:]
		}
		if t := bytes.TrimSpace(rest); len(t) > 0 && t[0] != '#' {
			content = true
		}
		i = next
	}
	if start < len(b) {
		chunks = append(chunks, yamlChunk{b[start:], startLine})
	}
	return chunks
}

var (
	yamlErrLineRE = regexp.MustCompile(`^yaml: line (\d+): `)
	yamlAnchorRE  = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// yamlParserProblems are the messages of the YAML parser (as opposed to its
// scanner). The decoder numbers the lines of these from 0, and of all other
// syntax errors from 1.
var yamlParserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlErrorLine returns the file line and the message of an error decoding
// text, a part of a file that starts after line offset. The decoder leaves
// the line out for errors on the first line.
func yamlErrorLine(err error, text []byte, offset int) (int, string) {
	msg := err.Error()
	line := 1
	if m := yamlErrLineRE.FindStringSubmatch(msg); m != nil {
		fmt.Sscan(m[1], &line)
		msg = msg[len(m[0]):]
		if yamlParserProblems[msg] {
			line++
		}
	} else if m := yamlAnchorRE.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(text, []byte("*"+m[1])); i >= 0 {
			line += bytes.Count(text[:i], []byte("\n"))
		}
	}
	// An error found at the end points past the final newline.
	return min(line, lastTextLine(text)) + offset, strings.TrimPrefix(msg, "yaml: ")
}

// lastTextLine returns the number of text's last line (at least 1). The YAML
// decoder counts lines its own way (it reads UTF-16 files, and breaks lines
// at U+2028 too), so the lines it reports are kept within the file's.
func lastTextLine(text []byte) int {
	n := bytes.Count(text, []byte("\n"))
	if len(text) > 0 && text[len(text)-1] != '\n' {
		n++
	}
	return max(1, n)
}

// problemSink collects the problems of one file, up to maxConfigProblems.
type problemSink struct {
	path Path
	list []Problem
	// last is the file's last line; problems past it are put on it.
	last int
}

func (ps *problemSink) add(sev Severity, line int, field, format string, args ...any) {
	if ps.last > 0 {
		line = min(line, ps.last)
	}
	switch {
	case len(ps.list) > maxConfigProblems:
		return
	case len(ps.list) == maxConfigProblems:
		sev, field, format, args = SeverityError, "", "more than %d problems; the rest are not shown", []any{maxConfigProblems}
	}
	ps.list = append(ps.list, Problem{Path: ps.path, Line: line, Severity: sev, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (ps *problemSink) errorf(line int, field, format string, args ...any) {
	ps.add(SeverityError, line, field, format, args...)
}

func (ps *problemSink) warnf(line int, field, format string, args ...any) {
	ps.add(SeverityWarning, line, field, format, args...)
}

// YAMLDocument is one document of a multi-document YAML file: its text
// and the file line it starts on.
type YAMLDocument struct {
	Text []byte
	Line int
}

// SplitYAMLDocuments cuts a multi-document YAML file at its "---" lines,
// so a document that is not valid YAML costs only itself (see
// splitYAMLStream).
func SplitYAMLDocuments(b []byte) []YAMLDocument {
	chunks := splitYAMLStream(b)
	out := make([]YAMLDocument, len(chunks))
	for i, c := range chunks {
		out[i] = YAMLDocument{Text: c.text, Line: c.line}
	}
	return out
}

// YAMLErrorLine returns the file line and the message of an error decoding
// text, a part of a file whose first line is file line offset+1.
func YAMLErrorLine(err error, text []byte, offset int) (int, string) {
	return yamlErrorLine(err, text, offset)
}
