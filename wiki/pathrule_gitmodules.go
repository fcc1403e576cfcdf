package wiki

import (
	"errors"
	"fmt"
	"strings"
)

// gitmodulesProblem says why git fsck refuses a .gitmodules (fsck.c
// fsck_gitmodules_fn), or "". Each submodule's name, url, path and update
// are checked as git checks them before it clones a submodule: these are
// the ways a repository has made a checkout run commands.
func gitmodulesProblem(content []byte) string {
	entries, err := parseGitConfig(string(content))
	if err != nil {
		return fmt.Sprintf(".gitmodules is not a git config file git can read: %v", err)
	}
	for _, e := range entries {
		if e.section != "submodule" || !e.hasSub {
			continue
		}
		if why := submoduleNameProblem(e.subsection); why != "" {
			return fmt.Sprintf(".gitmodules names a submodule %q: %s", e.subsection, why)
		}
		if !e.hasValue {
			continue
		}
		switch e.key {
		case "url":
			if why := submoduleURLProblem(e.value); why != "" {
				return fmt.Sprintf(".gitmodules gives submodule %q the url %q: %s", e.subsection, e.value, why)
			}
		case "path":
			if strings.HasPrefix(e.value, "-") {
				return fmt.Sprintf(".gitmodules gives submodule %q the path %q, which git would read as an option", e.subsection, e.value)
			}
		case "update":
			if strings.HasPrefix(e.value, "!") {
				return fmt.Sprintf(".gitmodules gives submodule %q an update command (%q), which git refuses to run", e.subsection, e.value)
			}
		}
	}
	return ""
}

// submoduleNameProblem is git's check_submodule_name, which also refuses
// a leading "-".
func submoduleNameProblem(name string) string {
	switch {
	case name == "":
		return "the name is empty"
	case strings.HasPrefix(name, "-"):
		return "git would read it as an option"
	}
	for seg := range strings.FieldsFuncSeq(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return "a name with \"..\" leaves the repository's module folder"
		}
	}
	return ""
}

// submoduleURLProblem is git's check_submodule_url.
func submoduleURLProblem(u string) string {
	if strings.HasPrefix(u, "-") {
		return "git would read it as an option"
	}
	if isRelativeURL(u) || strings.HasPrefix(u, "git://") {
		if strings.Contains(urlDecode(u), "\n") {
			return "it contains a line break"
		}
		rest, n := u, 0
		for {
			if r, ok := cutDotSlash(rest, ".."); ok {
				rest, n = r, n+1
			} else if r, ok := cutDotSlash(rest, "."); ok {
				rest = r
			} else {
				break
			}
		}
		if n > 0 && (strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "/")) {
			return "its \"../\" climb past the host"
		}
		return ""
	}
	curl := ""
	for _, p := range []string{"http::", "https::", "ftp::", "ftps::"} {
		if r, ok := strings.CutPrefix(u, p); ok {
			curl = r
		}
	}
	for _, p := range []string{"http://", "https://", "ftp://", "ftps://"} {
		if strings.HasPrefix(u, p) {
			curl = u
		}
	}
	if curl == "" {
		return ""
	}
	_, rest, ok := strings.Cut(curl, "://")
	host, _, _ := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		host = host[at+1:]
	}
	switch {
	case !ok || host == "":
		return "it has no host"
	case strings.Contains(urlDecode(curl), "\n"):
		return "it contains a line break"
	}
	return ""
}

// urlDecode decodes %XX escapes, keeping malformed ones, as git's
// url_decode does.
func urlDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

func isRelativeURL(u string) bool {
	_, dd := cutDotSlash(u, "..")
	_, d := cutDotSlash(u, ".")
	return dd || d
}

// cutDotSlash removes a leading dots+"/" (or "\"), as git's
// starts_with_dot_slash and starts_with_dot_dot_slash see them.
func cutDotSlash(s, dots string) (string, bool) {
	if len(s) > len(dots) && strings.HasPrefix(s, dots) && (s[len(dots)] == '/' || s[len(dots)] == '\\') {
		return s[len(dots)+1:], true
	}
	return s, false
}

// configEntry is one variable of a git config file.
type configEntry struct {
	section, subsection, key string
	hasSub                   bool
	value                    string
	hasValue                 bool // "key" alone is a boolean without a value
}

// parseGitConfig reads git's config format as git's config.c does:
// sections with quoted subsections, variables with quoted values,
// escapes, continued lines and comments. Section and key names are
// lower-cased; subsections keep their case.
func parseGitConfig(s string) ([]configEntry, error) {
	var out []configEntry
	var cur configEntry
	inSection := false
	line := 1
	s = strings.TrimPrefix(s, "\ufeff")
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#' || c == ';':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '[':
			n, e, err := parseSectionHeader(s[i+1:])
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			cur, inSection = e, true
			i += 1 + n
		case isConfigKeyStart(c):
			if !inSection {
				return nil, fmt.Errorf("line %d: a variable before any [section]", line)
			}
			j := i
			for j < len(s) && (isConfigKeyStart(s[j]) || s[j] >= '0' && s[j] <= '9' || s[j] == '-') {
				j++
			}
			e := cur
			e.key = strings.ToLower(s[i:j])
			for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				j++
			}
			switch {
			case j >= len(s) || s[j] == '\n' || s[j] == '\r' || s[j] == '#' || s[j] == ';':
			case s[j] == '=':
				v, n, lines, err := parseConfigValue(s[j+1:])
				if err != nil {
					return nil, fmt.Errorf("line %d: %w", line, err)
				}
				e.value, e.hasValue = v, true
				line += lines
				j += 1 + n
			default:
				return nil, fmt.Errorf("line %d: a malformed variable", line)
			}
			out = append(out, e)
			i = j
		default:
			return nil, fmt.Errorf("line %d: unexpected %q", line, c)
		}
	}
	return out, nil
}

func isConfigKeyStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// parseSectionHeader reads what follows "[" up to and including "]".
func parseSectionHeader(s string) (int, configEntry, error) {
	var e configEntry
	i := 0
	for i < len(s) && (isConfigKeyStart(s[i]) || s[i] >= '0' && s[i] <= '9' || s[i] == '-' || s[i] == '.') {
		i++
	}
	name := strings.ToLower(s[:i])
	if i < len(s) && s[i] == ']' {
		// [section] or the old [section.subsection] form.
		if sec, _, ok := strings.Cut(name, "."); ok {
			e.section, e.subsection, e.hasSub = sec, s[len(sec)+1:i], true
		} else {
			e.section = name
		}
		return i + 1, e, nil
	}
	if name == "" || i >= len(s) || (s[i] != ' ' && s[i] != '\t') {
		return 0, e, errors.New("a malformed section header")
	}
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i >= len(s) || s[i] != '"' {
		return 0, e, errors.New("a malformed section header")
	}
	i++
	var sub strings.Builder
	for {
		if i >= len(s) || s[i] == '\n' {
			return 0, e, errors.New("an unterminated subsection name")
		}
		c := s[i]
		i++
		if c == '"' {
			break
		}
		if c == '\\' {
			if i >= len(s) || s[i] == '\n' {
				return 0, e, errors.New("an unterminated subsection name")
			}
			c = s[i]
			i++
		}
		sub.WriteByte(c)
	}
	if i >= len(s) || s[i] != ']' {
		return 0, e, errors.New("a malformed section header")
	}
	e.section, e.subsection, e.hasSub = name, sub.String(), true
	return i + 1, e, nil
}

// parseConfigValue reads a value after "=" up to the end of its line and
// returns it, the bytes read and the continued lines it spanned.
func parseConfigValue(s string) (string, int, int, error) {
	var b strings.Builder
	quoted, lines, space := false, 0, 0
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\n' {
			if quoted {
				return "", 0, 0, errors.New("a quoted value runs past its line")
			}
			break
		}
		if !quoted && (c == '#' || c == ';') {
			for i < len(s) && s[i] != '\n' {
				i++
			}
			break
		}
		if !quoted && (c == ' ' || c == '\t' || c == '\r') {
			if b.Len() > 0 {
				space++
			}
			continue
		}
		if space > 0 {
			b.WriteString(strings.Repeat(" ", space))
			space = 0
		}
		switch c {
		case '"':
			quoted = !quoted
		case '\\':
			i++
			if i >= len(s) {
				return "", 0, 0, errors.New("a value ends with a backslash")
			}
			switch s[i] {
			case '\n':
				lines++
			case 't':
				b.WriteByte('\t')
			case 'b':
				b.WriteByte('\b')
			case 'n':
				b.WriteByte('\n')
			case '\\', '"':
				b.WriteByte(s[i])
			default:
				return "", 0, 0, fmt.Errorf("an unknown escape \\%c", s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	if quoted {
		return "", 0, 0, errors.New("an unterminated quoted value")
	}
	return b.String(), i, lines, nil
}
