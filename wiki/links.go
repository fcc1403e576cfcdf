package wiki

import (
	"bytes"
	"regexp"
	"strings"
)

// Link forms rewritten when a page moves. Wiki links name pages; inline and
// reference links name files relative to the page they are written in.
var (
	reWikiTarget  = regexp.MustCompile(`\[\[([^\]|#\n]+)((?:#[^\]|\n]*)?)((?:\|[^\]\n]*)?)\]\]`)
	reInlineDest  = regexp.MustCompile(`(\]\()(<[^>\n]*>|[^)\s]+)((?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\))`)
	reRefDefition = regexp.MustCompile(`^(\s{0,3}\[[^\]^\n][^\]\n]*\]:\s*)(<[^>\n]*>|\S+)(.*)$`)
)

// RewriteLinks returns content (a page at page) with every link that points
// at the page from replaced by a link to the page to, keeping labels,
// anchors and titles. Code blocks and code spans are left alone. changed is
// false when nothing pointed at from.
func RewriteLinks(page Path, content []byte, from, to Path, lookup func(from Path, target string) (Path, bool)) (out []byte, changed bool) {
	lines := bytes.SplitAfter(content, []byte("\n"))
	fence := ""
	var buf bytes.Buffer
	buf.Grow(len(content))
	for _, raw := range lines {
		line := string(raw)
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(strings.TrimSpace(trimmed), fence[:1]) == "" {
				fence = ""
			}
			buf.WriteString(line)
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = strings.Repeat(trimmed[:1], len(trimmed)-len(strings.TrimLeft(trimmed, trimmed[:1])))
			buf.WriteString(line)
			continue
		}
		if len(line)-len(trimmed) >= 4 && strings.TrimSpace(line) != "" {
			buf.WriteString(line) // indented code
			continue
		}
		rewritten := rewriteOutsideCode(line, func(seg string) string {
			seg = reWikiTarget.ReplaceAllStringFunc(seg, func(m string) string {
				sub := reWikiTarget.FindStringSubmatch(m)
				if p, ok := lookup(page, strings.TrimSpace(sub[1])); ok && p == from {
					return "[[" + to.Name() + sub[2] + sub[3] + "]]"
				}
				return m
			})
			return reInlineDest.ReplaceAllStringFunc(seg, func(m string) string {
				sub := reInlineDest.FindStringSubmatch(m)
				if dest, ok := movedDest(page, sub[2], from, to); ok {
					return sub[1] + dest + sub[3]
				}
				return m
			})
		})
		if sub := reRefDefition.FindStringSubmatch(strings.TrimRight(rewritten, "\n")); sub != nil {
			if dest, ok := movedDest(page, sub[2], from, to); ok {
				nl := rewritten[len(strings.TrimRight(rewritten, "\n")):]
				rewritten = sub[1] + dest + sub[3] + nl
			}
		}
		buf.WriteString(rewritten)
	}
	out = buf.Bytes()
	return out, !bytes.Equal(out, content)
}

// rewriteOutsideCode applies fn to the parts of a line outside code spans.
func rewriteOutsideCode(line string, fn func(string) string) string {
	if !strings.Contains(line, "`") {
		return fn(line)
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(line, '`')
		if i < 0 {
			b.WriteString(fn(line))
			return b.String()
		}
		n := len(line[i:]) - len(strings.TrimLeft(line[i:], "`"))
		ticks := line[i : i+n]
		end := strings.Index(line[i+n:], ticks)
		if end < 0 {
			b.WriteString(fn(line))
			return b.String()
		}
		b.WriteString(fn(line[:i]))
		b.WriteString(line[i : i+n+end+n])
		line = line[i+n+end+n:]
	}
}

// movedDest returns the destination a relative link written in page must
// have once from has moved to to, or false when it does not point at from.
func movedDest(page Path, dest string, from, to Path) (string, bool) {
	angle := strings.HasPrefix(dest, "<")
	d := strings.Trim(dest, "<>")
	if d == "" || strings.HasPrefix(d, "#") || strings.Contains(d, "://") || strings.HasPrefix(d, "mailto:") || strings.HasPrefix(d, "/-/") {
		return "", false
	}
	pathPart, suffix := d, ""
	if i := strings.IndexAny(d, "#?"); i >= 0 {
		pathPart, suffix = d[:i], d[i:]
	}
	target, ok := page.Resolve(pathPart)
	if !ok {
		return "", false
	}
	absolute := strings.HasPrefix(pathPart, "/")
	switch {
	case target == from:
	case !strings.HasSuffix(strings.ToLower(pathPart), ".md") && target+".md" == from:
		// A link written without .md ("../x") names the page too.
	default:
		return "", false
	}
	var nd string
	if absolute {
		nd = "/" + string(to)
	} else {
		nd = RelativePath(page.Dir(), to)
	}
	if !strings.HasSuffix(strings.ToLower(pathPart), ".md") {
		nd = strings.TrimSuffix(nd, ".md")
	}
	nd += suffix
	if angle || strings.ContainsAny(nd, " ()") {
		nd = "<" + nd + ">"
	}
	return nd, true
}

// RelativePath returns the relative link from folder dir to file p.
func RelativePath(dir, p Path) string {
	var from []string
	if dir != "" {
		from = strings.Split(string(dir), "/")
	}
	to := strings.Split(string(p), "/")
	i := 0
	for i < len(from) && i < len(to)-1 && from[i] == to[i] {
		i++
	}
	parts := make([]string, 0, len(from)-i+len(to)-i)
	for range from[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, to[i:]...)
	return strings.Join(parts, "/")
}

// RebaseLinks returns content of a page moved from from to to with its own
// relative links rewritten so they still reach the same files.
func RebaseLinks(content []byte, from, to Path) []byte {
	if from.Dir() == to.Dir() {
		return content
	}
	lines := bytes.SplitAfter(content, []byte("\n"))
	var buf bytes.Buffer
	fence := ""
	fix := func(dest string) string {
		d := strings.Trim(dest, "<>")
		if d == "" || strings.HasPrefix(d, "#") || strings.HasPrefix(d, "/") || strings.Contains(d, ":") {
			return dest
		}
		pathPart, suffix := d, ""
		if i := strings.IndexAny(d, "#?"); i >= 0 {
			pathPart, suffix = d[:i], d[i:]
		}
		target, ok := from.Resolve(pathPart)
		if !ok {
			return dest
		}
		nd := RelativePath(to.Dir(), target) + suffix
		if strings.HasPrefix(dest, "<") || strings.ContainsAny(nd, " ()") {
			return "<" + nd + ">"
		}
		return nd
	}
	for _, raw := range lines {
		line := string(raw)
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" || strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			if fence == "" {
				fence = strings.Repeat(trimmed[:1], len(trimmed)-len(strings.TrimLeft(trimmed, trimmed[:1])))
			} else if strings.HasPrefix(trimmed, fence) && strings.Trim(strings.TrimSpace(trimmed), fence[:1]) == "" {
				fence = ""
			}
			buf.WriteString(line)
			continue
		}
		line = rewriteOutsideCode(line, func(seg string) string {
			return reInlineDest.ReplaceAllStringFunc(seg, func(m string) string {
				sub := reInlineDest.FindStringSubmatch(m)
				return sub[1] + fix(sub[2]) + sub[3]
			})
		})
		if sub := reRefDefition.FindStringSubmatch(strings.TrimRight(line, "\n")); sub != nil {
			nl := ""
			if strings.HasSuffix(line, "\n") {
				nl = "\n"
			}
			line = sub[1] + fix(sub[2]) + sub[3] + nl
		}
		buf.WriteString(line)
	}
	return buf.Bytes()
}
