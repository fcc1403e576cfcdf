package wiki

import (
	"strings"
	"unicode/utf8"
)

// The names Windows (NTFS) and macOS (HFS+) give to git's own files, as
// git itself recognises them (path.c, utf8.c).

// isNTFSDotGit is git's is_ntfs_dotgit: ".git" or "git~1" in any case,
// followed only by dots and spaces, up to the end, a separator or ":".
func isNTFSDotGit(name string) bool {
	var rest string
	switch {
	case len(name) >= 4 && name[0] == '.' && strings.EqualFold(name[1:4], "git"):
		rest = name[4:]
	case len(name) >= 5 && strings.EqualFold(name[:3], "git") && name[3:5] == "~1":
		rest = name[5:]
	default:
		return false
	}
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '\\', '/', ':':
			return true
		case '.', ' ':
		default:
			return false
		}
	}
	return true
}

// isNTFSDot is git's is_ntfs_dot_generic: "."+dotless in any case, its
// short name (the first six letters, "~" and 1 to 4), or the fallback
// short name git computed for it, each followed only by dots and spaces
// up to the end or ":".
func isNTFSDot(name, dotless, short string) bool {
	onlySpacesAndDots := func(rest string) bool {
		for i := 0; i < len(rest); i++ {
			switch rest[i] {
			case ':':
				return true
			case ' ', '.':
			default:
				return false
			}
		}
		return true
	}
	if len(name) > len(dotless) && name[0] == '.' && strings.EqualFold(name[1:1+len(dotless)], dotless) {
		return onlySpacesAndDots(name[1+len(dotless):])
	}
	if len(name) >= 8 && strings.EqualFold(name[:6], dotless[:6]) && name[6] == '~' && name[7] >= '1' && name[7] <= '4' {
		return onlySpacesAndDots(name[8:])
	}
	sawTilde := false
	for i := 0; i < 8; i++ {
		if i >= len(name) {
			return false
		}
		c := name[i]
		switch {
		case sawTilde:
			if c < '0' || c > '9' {
				return false
			}
		case c == '~':
			i++
			if i >= len(name) || name[i] < '1' || name[i] > '9' {
				return false
			}
			sawTilde = true
		case i >= 6 || c&0x80 != 0:
			return false
		case lowerASCII(c) != short[i]:
			return false
		}
	}
	return onlySpacesAndDots(name[8:])
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hfsIgnored are the code points HFS+ drops from file names (utf8.c
// next_hfs_char), so ".g\u200cit" is .git on a Mac.
func hfsIgnored(r rune) bool {
	switch {
	case r >= 0x200c && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x206a && r <= 0x206f, r == 0xfeff:
		return true
	}
	return false
}

// nextHFSRune returns the next code point of s that HFS+ does not ignore
// and the rest of s; 0 at the end, and, as git does, at bytes that are
// not UTF-8.
func nextHFSRune(s string) (rune, string) {
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n <= 1 {
			return 0, ""
		}
		s = s[n:]
		if !hfsIgnored(r) {
			return r, s
		}
	}
	return 0, ""
}

// isHFSDot is git's is_hfs_dot_generic: "."+needle in any ASCII case once
// the ignored code points are dropped, up to the end or a "/".
func isHFSDot(name, needle string) bool {
	r, rest := nextHFSRune(name)
	if r != '.' {
		return false
	}
	for i := 0; i < len(needle); i++ {
		r, rest = nextHFSRune(rest)
		if r > 127 || lowerASCII(byte(r)) != needle[i] {
			return false
		}
	}
	r, _ = nextHFSRune(rest)
	return r == 0 || r == '/'
}
