package wiki

import (
	"regexp"
	"strings"
)

// Inline markup removed when turning a body into plain text for search and
// snippets. The renderer owns real markdown parsing; this only needs to keep
// the words people search for and drop the punctuation around them.
var (
	reListMark = regexp.MustCompile(`^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?`)
	reTableSep = regexp.MustCompile(`^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$`)
	reRefDef   = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s+\S`)
)

// MaxLinks is how many links of one page are looked at: far more than any
// page people write has, and a bound on what a page of nothing but links
// can cost every view that resolves them.
const MaxLinks = 10000

// scanBody fills the document's headings, code blocks and plain text.
func scanBody(d *Document) {
	var text strings.Builder
	text.Grow(len(d.Body))
	var code strings.Builder
	fence := ""
	prev := ""
	lineNo := d.BodyLine - 1
	body := d.Body
	for len(body) > 0 {
		raw, rest, _ := cutLine(body)
		body = rest
		lineNo++
		line := strings.TrimRight(string(raw), " \t\r")
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		if fence != "" {
			if indent < 4 && strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				d.Code = append(d.Code, code.String())
				code.Reset()
				fence = ""
				continue
			}
			code.WriteString(line)
			code.WriteByte('\n')
			continue
		}
		if indent < 4 && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")) {
			n := len(trimmed) - len(strings.TrimLeft(trimmed, trimmed[:1]))
			fence = strings.Repeat(trimmed[:1], n)
			prev = ""
			continue
		}
		if indent < 4 && strings.HasPrefix(trimmed, "#") {
			if level, txt, ok := atxHeading(trimmed); ok {
				d.Headings = append(d.Headings, Heading{Level: level, Text: PlainInline(txt), Line: lineNo})
				text.WriteString(PlainInline(txt))
				text.WriteByte('\n')
				prev = ""
				continue
			}
		}
		if prev != "" && indent < 4 && trimmed != "" && (strings.Trim(trimmed, "=") == "" || strings.Trim(trimmed, "-") == "") {
			level := 1
			if trimmed[0] == '-' {
				level = 2
			}
			d.Headings = append(d.Headings, Heading{Level: level, Text: PlainInline(prev), Line: lineNo - 1})
			prev = ""
			continue
		}
		collectLinks(d, line, lineNo)
		if reTableSep.MatchString(line) || reRefDef.MatchString(line) {
			continue
		}
		item := strings.TrimLeft(trimmed, "> ")
		if item != "" && (strings.IndexByte("-*+", item[0]) >= 0 || '0' <= item[0] && item[0] <= '9') {
			item = reListMark.ReplaceAllString(item, "")
		}
		plain := PlainInline(item)
		plain = strings.Trim(strings.ReplaceAll(plain, "|", " "), " ")
		text.WriteString(plain)
		text.WriteByte('\n')
		prev = trimmed
		if trimmed == "" {
			prev = ""
		}
	}
	if fence != "" && code.Len() > 0 {
		d.Code = append(d.Code, code.String())
	}
	d.Text = strings.TrimSpace(text.String())
}

// atxHeading parses "## Heading ##" into its level and text.
func atxHeading(s string) (int, string, bool) {
	level := 0
	for level < len(s) && s[level] == '#' {
		level++
	}
	if level > 6 || (level < len(s) && s[level] != ' ' && s[level] != '\t') {
		return 0, "", false
	}
	txt := strings.TrimSpace(s[level:])
	if t := strings.TrimRight(txt, "#"); len(t) < len(txt) && (t == "" || strings.HasSuffix(t, " ")) {
		txt = strings.TrimSpace(t)
	}
	return level, txt, true
}

// PlainInline removes inline markdown from a line: links and images keep
// their text, wiki links their label (or target), HTML tags and emphasis
// markers go. It makes one pass and one string, whatever the line holds.
func PlainInline(s string) string {
	if !strings.ContainsAny(s, "[]*_~`<") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	writePlain(&b, s)
	return b.String()
}

// writePlain writes s without its inline markup. Link texts are written
// through it again; they cannot hold "]", so that goes no deeper than once.
// Where each kind of closer next stands is remembered, so a line of
// thousands of openers with no closer is read once, not once per opener.
func writePlain(b *strings.Builder, s string) {
	var next closers
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '!' && strings.HasPrefix(s[i+1:], "["):
			if text, n, ok := inlineLink(s, i+1, false, &next); ok {
				writePlain(b, text)
				i += 1 + n
				continue
			}
		case c == '[' && strings.HasPrefix(s[i+1:], "["):
			if end := next.find(s, i+2, "]]", &next.wiki); end >= 0 {
				inner := s[i+2 : end]
				target, label, hasLabel := strings.Cut(inner, "|")
				if target != "" && !strings.Contains(target, "]") && (!hasLabel || (label != "" && !strings.Contains(label, "]"))) {
					if hasLabel {
						writePlain(b, label)
					} else {
						writePlain(b, target)
					}
					i = end + 2
					continue
				}
			}
			if text, n, ok := inlineLink(s, i, true, &next); ok {
				writePlain(b, text)
				i += n
				continue
			}
		case c == '[':
			if text, n, ok := inlineLink(s, i, true, &next); ok {
				writePlain(b, text)
				i += n
				continue
			}
		case c == '<' && i+1 < len(s) && (isASCIILetter(s[i+1]) || (s[i+1] == '/' && i+2 < len(s) && isASCIILetter(s[i+2]))):
			if end := next.find(s, i+1, ">", &next.angle); end >= 0 {
				i = end + 1
				continue
			}
		case c == '*' || c == '`':
			i++
			if c == '*' && i < len(s) && s[i] == '*' {
				i++
			}
			continue
		case (c == '_' || c == '~') && i+1 < len(s) && s[i+1] == c:
			i += 2
			continue
		}
		b.WriteByte(c)
		i++
	}
}

// closers remembers where each closing mark next stands in a line, as an
// index (-1: none from there on), found lazily.
type closers struct {
	wiki, bracket, label, paren, angle closer
}

type closer struct {
	from, at int // at is the first match at or after from; from < 0: unknown
	none     bool
}

// find returns the index of the first sep at or after from, reusing what
// an earlier search found.
func (closers) find(s string, from int, sep string, c *closer) int {
	if c.none {
		return -1
	}
	if c.from > 0 || c.at > 0 {
		if from >= c.from && from <= c.at {
			return c.at
		}
	}
	i := strings.Index(s[from:], sep)
	if i < 0 {
		c.none = true
		return -1
	}
	c.from, c.at = from, from+i
	return c.at
}

// inlineLink reads "[text](destination)" or, when refs is set, also
// "[text][label]" at s[at:], and returns the text and the length read.
func inlineLink(s string, at int, refs bool, next *closers) (text string, n int, ok bool) {
	close := next.find(s, at, "]", &next.bracket)
	if close < 0 || close+1 >= len(s) {
		return "", 0, false
	}
	text = s[at+1 : close]
	switch s[close+1] {
	case '(':
		if end := next.find(s, close+2, ")", &next.paren); end >= 0 {
			return text, end + 1 - at, true
		}
	case '[':
		if end := next.find(s, close+2, "]", &next.label); refs && text != "" && end >= 0 {
			return text, end + 1 - at, true
		}
	}
	return "", 0, false
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// FirstParagraph returns the first paragraph of plain text, up to max bytes,
// for summaries in listings.
func (d *Document) FirstParagraph(max int) string {
	headings := make(map[string]bool, len(d.Headings))
	for _, h := range d.Headings {
		headings[h.Text] = true
	}
	var para []string
	for _, line := range strings.Split(d.Text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || headings[line] {
			if len(para) > 0 {
				break
			}
			continue
		}
		para = append(para, line)
	}
	text := strings.Join(strings.Fields(strings.Join(para, " ")), " ")
	if len(text) > max {
		cut := strings.LastIndexByte(text[:max], ' ')
		if cut < max/2 {
			cut = max
		}
		text = text[:cut] + "…"
	}
	return text
}

// collectLinks records the wiki links and relative links of one body line,
// outside code spans, for backlinks and broken-link reports.
func collectLinks(d *Document, line string, lineNo int) {
	if len(d.Links) >= MaxLinks || !strings.ContainsAny(line, "[]") {
		return
	}
	rewriteOutsideCode(line, func(seg string) string {
		left := MaxLinks - len(d.Links)
		for _, m := range reWikiTarget.FindAllStringSubmatch(seg, max(left, 0)) {
			d.Links = append(d.Links, RawLink{Target: strings.TrimSpace(m[1]), Wiki: true, Line: lineNo})
		}
		left = MaxLinks - len(d.Links)
		for _, m := range reInlineDest.FindAllStringSubmatch(seg, max(left, 0)) {
			d.Links = append(d.Links, RawLink{Target: strings.Trim(m[2], "<>"), Line: lineNo})
		}
		return seg
	})
	if m := reRefDefition.FindStringSubmatch(line); m != nil {
		d.Links = append(d.Links, RawLink{Target: strings.Trim(m[2], "<>"), Line: lineNo})
	}
}
