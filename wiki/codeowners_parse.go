package wiki

import (
	"fmt"
	"net/mail"
	"path"
	"strconv"
	"strings"
)

// ownersParser is where ParseCodeOwners is in the file: the section the
// rules go to and the default owners of its heading.
type ownersParser struct {
	co       *CodeOwners
	gitlab   bool // patterns are read as GitLab reads them
	section  int
	defaults []string
}

// hasSections reports whether any line is a section heading: only GitLab
// has them, so the file is read as GitLab reads it.
func hasSections(text string) bool {
	for line := range strings.SplitSeq(text, "\n") {
		if _, _, _, _, ok := splitHeading(strings.TrimSpace(line)); ok {
			return true
		}
	}
	return false
}

// splitHeading reads "^[Name][2] owners…". ok is false for a line that is
// not a heading; GitLab reads a "[" without its "]" as a pattern.
func splitHeading(line string) (name, approvals, rest string, optional, ok bool) {
	s := line
	if strings.HasPrefix(s, "^[") {
		optional, s = true, s[1:]
	}
	if !strings.HasPrefix(s, "[") {
		return "", "", "", false, false
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return "", "", "", false, false
	}
	name, s = s[1:end], s[end+1:]
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", "", false, false
		}
		approvals, s = s[1:end], s[end+1:]
		if approvals == "" {
			approvals = " " // "[]": written, and wrong
		}
	}
	if s != "" && s[0] != ' ' && s[0] != '\t' {
		return "", "", "", false, false
	}
	return name, approvals, s, optional, true
}

// heading reads a section heading; false when the line is a rule.
func (ps *ownersParser) heading(n int, line string) bool {
	name, approvals, rest, optional, ok := splitHeading(line)
	if !ok {
		return false
	}
	co := ps.co
	name = strings.TrimSpace(name)
	tokens, _ := ownerTokens(rest)
	defaults, _ := ps.owners(n, tokens)
	if name == "" {
		co.problemf(n, "a section needs a name, as in [Database]; the rules below it stay in the section before")
		return true
	}
	sec := CodeOwnersSection{Name: name, Optional: optional, Defaults: defaults, Line: n}
	if approvals != "" {
		a, err := strconv.Atoi(strings.TrimSpace(approvals))
		if err != nil || a < 1 {
			co.problemf(n, "the approvals of section [%s] must be a whole number of at least 1, as in [%s][2], not [%s]", name, name, approvals)
		}
		sec.Approvals = max(a, 0)
	}
	ps.defaults = defaults
	for i := 1; i < len(co.Sections); i++ {
		if strings.EqualFold(co.Sections[i].Name, name) {
			// Sections of the same name are one: required if either
			// part is, each heading giving its defaults to its own rules.
			co.Sections[i].Optional = co.Sections[i].Optional && optional
			ps.section = i
			return true
		}
	}
	co.Sections = append(co.Sections, sec)
	ps.section = len(co.Sections) - 1
	return true
}

// rule reads one pattern line into the current section.
func (ps *ownersParser) rule(n int, line string) {
	co := ps.co
	tokens, err := ownerTokens(line)
	if err != "" {
		co.problemf(n, "%s", err)
		return
	}
	pattern := tokens[0]
	m, msg := compileOwnersPattern(pattern, ps.gitlab)
	if msg != "" {
		co.problemf(n, "%s", msg)
		return
	}
	owners, bad := ps.owners(n, tokens[1:])
	if bad && len(owners) == 0 {
		// Read as "no owner" the line would give the paths away; left
		// out, the rules before it still hold.
		return
	}
	if len(owners) == 0 {
		owners = ps.defaults
	}
	co.Rules = append(co.Rules, CodeOwnersRule{Pattern: pattern, Owners: owners, Line: n, Section: ps.section, match: m})
}

// owners checks the owners of a line; bad says some were refused.
func (ps *ownersParser) owners(n int, tokens []string) (owners []string, bad bool) {
	for _, t := range tokens {
		if msg := ownerProblem(t); msg != "" {
			ps.co.problemf(n, "%s", msg)
			bad = true
			continue
		}
		owners = append(owners, t)
	}
	return owners, bad
}

// ownerTokens splits a line at unescaped white space, up to an inline
// comment (a word starting with "#", as GitHub's own example writes one).
// err is set for a line ending in a lone "\".
func ownerTokens(line string) (tokens []string, err string) {
	var cur strings.Builder
	escaped, started := false, false
	for _, r := range line {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\':
			cur.WriteRune(r)
			escaped, started = true, true
		case r == ' ' || r == '\t':
			if started {
				tokens = append(tokens, cur.String())
				cur.Reset()
				started = false
			}
		case r == '#' && !started && len(tokens) > 0:
			return tokens, ""
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if escaped {
		return nil, `the line ends in a lone "\": escape a space or # in a path as "\ " or "\#"`
	}
	if started {
		tokens = append(tokens, cur.String())
	}
	return tokens, ""
}

// ownerProblem says why a word is not an owner, "" when it is one.
func ownerProblem(t string) string {
	switch {
	case strings.HasPrefix(t, "@@"):
		return fmt.Sprintf("%s names a GitLab role, which the wiki does not have: name users, teams or email addresses", t)
	case strings.HasPrefix(t, "@"):
		segs := strings.Split(t[1:], "/")
		for _, s := range segs {
			if !ownerName(s) {
				return fmt.Sprintf("%q is not an owner: write @user, @org/team or an email address", t)
			}
		}
		return ""
	case strings.Contains(t, "@"):
		a, err := mail.ParseAddress(t)
		if err != nil || a.Name != "" || a.Address != t || !strings.Contains(t[strings.LastIndexByte(t, '@'):], ".") {
			return fmt.Sprintf("%q is not an email address", t)
		}
		return ""
	}
	return fmt.Sprintf("%q is not an owner: write @user, @org/team or an email address (a path with a space is written with \"\\ \")", t)
}

// ownerName reports whether s is a user, organisation or team name as git
// hosts allow them: letters, digits, ".", "_" and "-".
func ownerName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// compileOwnersPattern checks a pattern and prepares it for matching;
// msg says what is wrong with it.
func compileOwnersPattern(p string, gitlab bool) (ownersPattern, string) {
	switch {
	case strings.HasPrefix(p, "!"):
		return ownersPattern{}, fmt.Sprintf("%q: negation with ! is not supported in CODEOWNERS (GitHub skips such a line); give the paths an owner of their own on a later line, or none", p)
	case hasUnescaped(p, '['):
		return ownersPattern{}, fmt.Sprintf("%q: character ranges with [ ] are not supported in CODEOWNERS (GitHub skips such a line); write each name, or escape a real [ as \\[", p)
	case strings.Contains(p, "***"):
		return ownersPattern{}, fmt.Sprintf("%q: *** is not a pattern; ** matches any folders, * any name", p)
	case p == "/":
		return ownersPattern{}, `"/" matches no file: write * for every file`
	}
	anchored := strings.HasPrefix(p, "/")
	folder := strings.HasSuffix(p, "/") && !strings.HasSuffix(p, `\/`)
	body := strings.TrimSuffix(strings.TrimPrefix(p, "/"), "/")
	segs := strings.Split(body, "/")
	for _, s := range segs {
		if s == "" {
			return ownersPattern{}, fmt.Sprintf("%q has an empty folder name (//)", p)
		}
		if _, err := path.Match(s, ""); err != nil {
			return ownersPattern{}, fmt.Sprintf("%q is not a valid pattern", p)
		}
	}
	if !anchored && segs[0] != "**" && (len(segs) == 1 || gitlab) {
		segs = append([]string{"**"}, segs...)
	}
	if folder {
		segs = append(segs, "**")
	}
	m := ownersPattern{segs: make([]ownersSegment, len(segs))}
	for i, s := range segs {
		m.segs[i] = ownersSegment{glob: s, any: s == "**", literal: !strings.ContainsAny(s, `*?\`)}
		if m.need == "" && m.segs[i].literal {
			m.need = s
		}
	}
	last := segs[len(segs)-1]
	m.inside = last != "**" && last != "*"
	return m, ""
}

// hasUnescaped reports whether s holds c not preceded by a "\".
func hasUnescaped(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case c:
			return true
		}
	}
	return false
}
