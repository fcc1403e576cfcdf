package gitstore

import (
	"bytes"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// The checks here refuse pushed objects that git fsck --strict reports,
// so a push can never leave the repository unsound. git itself writes none
// of them; other tools can.

// validModes are the tree entry modes git writes (fsck --strict refuses
// others, and zero-padded ones).
var validModes = map[string]bool{"100644": true, "100755": true, "120000": true, "40000": true, "160000": true}

// checkTree refuses a malformed tree: bad modes, names git refuses (empty,
// ".", "..", ".git", containing "/"), duplicates or entries out of order.
func checkTree(h plumbing.Hash, data []byte) error {
	var prev *treeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp < 0 {
			return invalid("The pushed tree %s is malformed.", h)
		}
		mode := string(data[:sp])
		if !validModes[mode] {
			return invalid("The pushed tree %s has an entry with the file mode %q, which git refuses.", h, mode)
		}
		data = data[sp+1:]
		nul := bytes.IndexByte(data, 0)
		if nul < 0 || len(data) < nul+1+len(plumbing.Hash{}) {
			return invalid("The pushed tree %s is truncated.", h)
		}
		name := string(data[:nul])
		switch {
		case name == "" || name == "." || name == ".." || strings.Contains(name, "/"):
			return invalid("The pushed tree %s has an entry named %q, which git refuses.", h, name)
		case strings.EqualFold(name, ".git"):
			return invalid("The pushed tree %s has a .git entry, which git refuses.", h)
		}
		e := treeEntry{name: name}
		if mode == "40000" {
			e.mode = 0o040000
		}
		if prev != nil {
			if c := compareEntries(*prev, e); c >= 0 || prev.name == e.name {
				return invalid("The pushed tree %s has entries out of order or twice (%q).", h, name)
			}
		}
		prev = &e
		data = data[nul+1+len(plumbing.Hash{}):]
	}
	return nil
}

// checkCommit refuses a commit whose headers git fsck --strict reports:
// the tree, parent, author and committer lines must be there and well
// formed.
func checkCommit(h plumbing.Hash, data []byte) error {
	header, _, _ := bytes.Cut(data, []byte("\n\n"))
	lines := strings.Split(string(header), "\n")
	i := 0
	next := func(key string) (string, bool) {
		if i < len(lines) {
			if v, ok := strings.CutPrefix(lines[i], key+" "); ok {
				i++
				return v, true
			}
		}
		return "", false
	}
	if v, ok := next("tree"); !ok || !isHex40(v) {
		return invalid("The pushed commit %s has no valid tree line.", h)
	}
	for {
		v, ok := next("parent")
		if !ok {
			break
		}
		if !isHex40(v) {
			return invalid("The pushed commit %s has a malformed parent line.", h)
		}
	}
	for _, key := range []string{"author", "committer"} {
		v, ok := next(key)
		if !ok || !validIdent(v) {
			return invalid("The pushed commit %s has a missing or malformed %s line.", h, key)
		}
	}
	return nil
}

func isHex40(s string) bool {
	return len(s) == 40 && strings.Trim(s, "0123456789abcdef") == ""
}

// validIdent checks "Name <email> 1700000000 +0100" as git fsck does.
func validIdent(s string) bool {
	lt, gt := strings.IndexByte(s, '<'), strings.IndexByte(s, '>')
	if lt < 1 || gt < lt || s[lt-1] != ' ' || strings.ContainsAny(s[:lt], ">") || strings.ContainsAny(s[lt+1:gt], "<") {
		return false
	}
	rest := s[gt+1:]
	date, tz, ok := strings.Cut(strings.TrimPrefix(rest, " "), " ")
	if !strings.HasPrefix(rest, " ") || !ok || date == "" || strings.Trim(date, "0123456789") != "" ||
		(len(date) > 1 && date[0] == '0') || len(date) > 19 {
		return false
	}
	return len(tz) == 5 && (tz[0] == '+' || tz[0] == '-') && strings.Trim(tz[1:], "0123456789") == ""
}

// tagInfo is what the store needs of an annotated tag.
type tagInfo struct {
	target plumbing.Hash
	typ    string
}

// decodeTagInfo reads a tag's object and type lines.
func decodeTagInfo(h plumbing.Hash, data []byte) (*tagInfo, error) {
	header, _, _ := bytes.Cut(data, []byte("\n\n"))
	var t tagInfo
	for line := range strings.SplitSeq(string(header), "\n") {
		if v, ok := strings.CutPrefix(line, "object "); ok && isHex40(v) && t.target.IsZero() {
			t.target = plumbing.NewHash(v)
		} else if v, ok := strings.CutPrefix(line, "type "); ok {
			t.typ = v
		}
	}
	if t.target.IsZero() || t.typ == "" {
		return nil, invalid("The tag %s is malformed.", h)
	}
	return &t, nil
}
