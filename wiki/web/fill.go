package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/opswiki/opswiki/wiki"
)

// A runbook's commands carry placeholders for what the alert knows: the
// Prometheus template syntax ({{ $labels.namespace }}, as its runbook_url
// and annotations write it) and, for the names a runbook declares in its
// front matter (params: [NAMESPACE, POD]), shell variables ($NAMESPACE,
// ${NAMESPACE}). Opened with the labels as query parameters (the link
// from a firing alert, or a runbook_url template), the runbook shows them
// filled in, visibly marked and quoted for a shell, so a command is copied
// ready to run. Placeholders without a value stay as they are written.

var labelPlaceholder = regexp.MustCompile(`\{\{-?\s*(?:\$labels\.|\.Labels\.)([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}|\{\{-?\s*index \$labels "([A-Za-z_][A-Za-z0-9_]*)"\s*-?\}\}`)

// Marks around a filled value in the text given to the renderer, turned
// into <mark> elements in its output: private-use characters, which no
// page holds and every lexer keeps in its tokens' text.
const (
	fillOpen  = "\uE000"
	fillClose = "\uE001"
)

// fillValues are the labels a request gives: its query parameters, by
// lower-cased name; the first value of each.
func fillValues(q url.Values) map[string]string {
	out := map[string]string{}
	for k, vs := range q {
		if len(vs) == 0 || k == "merged" || len(k) > 64 || len(vs[0]) > 1024 {
			continue
		}
		out[strings.ToLower(k)] = vs[0]
	}
	return out
}

// shellQuote writes a value as one shell word: as it is when it is plain,
// else in single quotes.
func shellQuote(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@%+,-") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// params are the shell-variable names a runbook declares.
func params(d *wiki.Document) []string {
	var out []string
	for _, f := range d.Meta.Extra {
		if f.Key != "params" {
			continue
		}
		switch v := f.Value.(type) {
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
		case map[string]any:
			for k := range v {
				out = append(out, k)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) }) // $POD_NAME before $POD
	return out
}

var paramName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// fillBody returns the body with every placeholder that has a value
// replaced by the value, quoted and marked; ok is false when none had one.
func fillBody(body []byte, values map[string]string, declared []string) ([]byte, bool) {
	filled := false
	value := func(name string) (string, bool) {
		v, ok := values[strings.ToLower(name)]
		if ok {
			filled = true
			v = strings.NewReplacer(fillOpen, "", fillClose, "").Replace(v)
			return fillOpen + shellQuote(v) + fillClose, true
		}
		return "", false
	}
	out := labelPlaceholder.ReplaceAllFunc(body, func(m []byte) []byte {
		sm := labelPlaceholder.FindSubmatch(m)
		if v, ok := value(string(sm[1]) + string(sm[2])); ok {
			return []byte(v)
		}
		return m
	})
	for _, p := range declared {
		if !paramName.MatchString(p) {
			continue
		}
		re := regexp.MustCompile(`\$\{` + p + `\}|\$` + p + `\b`)
		out = re.ReplaceAllFunc(out, func(m []byte) []byte {
			if v, ok := value(p); ok {
				return []byte(v)
			}
			return m
		})
	}
	return out, filled
}

// markFilled turns the marks of filled values in rendered HTML into
// <mark> elements. A value the highlighter split across elements is
// marked in each piece, so elements stay nested; inside a tag (an
// attribute) the marks are dropped.
func markFilled(h template.HTML) template.HTML {
	s := string(h)
	if !strings.Contains(s, fillOpen) {
		return h
	}
	var b strings.Builder
	b.Grow(len(s) + 256)
	in, tag := false, false
	const open, closing = `<mark class="filled" title="Filled in from the alert's labels">`, `</mark>`
	for _, r := range s {
		switch {
		case r == '<' && !tag:
			if in {
				b.WriteString(closing)
			}
			tag = true
			b.WriteRune(r)
		case r == '>' && tag:
			tag = false
			b.WriteRune(r)
			if in {
				b.WriteString(open)
			}
		case string(r) == fillOpen:
			if !tag {
				b.WriteString(open)
			}
			in = true
		case string(r) == fillClose:
			if !tag {
				b.WriteString(closing)
			}
			in = false
		default:
			b.WriteRune(r)
		}
	}
	// Empty marks left where a tag followed a value's end.
	return template.HTML(strings.ReplaceAll(b.String(), open+closing, "")) //nolint:gosec // the renderer's own HTML, with our own elements added
}

// fillKey is a rendering's cache key for one set of values.
func fillKey(blob string, values map[string]string) string {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k + "\x00" + values[k] + "\x00"))
	}
	return blob + "#" + hex.EncodeToString(h.Sum(nil))[:16]
}

// hasPlaceholders reports whether a body has anything fillValues could fill.
func hasPlaceholders(body []byte, declared []string) bool {
	return labelPlaceholder.Match(body) || len(declared) > 0 && bytes.Contains(body, []byte("$"))
}
