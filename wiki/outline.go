package wiki

import (
	"regexp"
	"strings"
)

// Inline markup removed when turning a body into plain text for search and
// snippets. The renderer owns real markdown parsing; this only needs to keep
// the words people search for and drop the punctuation around them.
var (
	reImage    = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	reLink     = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	reRefLink  = regexp.MustCompile(`\[([^\]]+)\]\[[^\]]*\]`)
	reWikiLink = regexp.MustCompile(`\[\[([^\]|]+)(?:\|([^\]]+))?\]\]`)
	reHTMLTag  = regexp.MustCompile(`</?[A-Za-z][^>]*>`)
	reEmphasis = regexp.MustCompile(`(\*\*|__|~~|\*|\x60)`)
	reListMark = regexp.MustCompile(`^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?`)
	reTableSep = regexp.MustCompile(`^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$`)
	reRefDef   = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s+\S`)
)

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
		plain := PlainInline(reListMark.ReplaceAllString(strings.TrimLeft(trimmed, "> "), ""))
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

// PlainInline removes inline markdown markup from one line of text: links
// keep their text, images their alt text, wiki links their label.
func PlainInline(s string) string {
	if !strings.ContainsAny(s, "[]*_~`<") {
		return s
	}
	s = reImage.ReplaceAllString(s, "$1")
	s = reWikiLink.ReplaceAllStringFunc(s, func(m string) string {
		sub := reWikiLink.FindStringSubmatch(m)
		if sub[2] != "" {
			return sub[2]
		}
		return sub[1]
	})
	s = reLink.ReplaceAllString(s, "$1")
	s = reRefLink.ReplaceAllString(s, "$1")
	s = reHTMLTag.ReplaceAllString(s, "")
	return reEmphasis.ReplaceAllString(s, "")
}

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
	if !strings.ContainsAny(line, "[]") {
		return
	}
	rewriteOutsideCode(line, func(seg string) string {
		for _, m := range reWikiTarget.FindAllStringSubmatch(seg, -1) {
			d.Links = append(d.Links, RawLink{Target: strings.TrimSpace(m[1]), Wiki: true, Line: lineNo})
		}
		for _, m := range reInlineDest.FindAllStringSubmatch(seg, -1) {
			d.Links = append(d.Links, RawLink{Target: strings.Trim(m[2], "<>"), Line: lineNo})
		}
		return seg
	})
	if m := reRefDefition.FindStringSubmatch(line); m != nil {
		d.Links = append(d.Links, RawLink{Target: strings.Trim(m[2], "<>"), Line: lineNo})
	}
}
