package wiki

import (
	"bytes"
	"strconv"
	"strings"
)

// LFSPointer is what a Git LFS pointer file says about the file it stands
// for (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md): the
// file itself lives on an LFS server, not in the repository.
type LFSPointer struct {
	OID  string // "sha256:<64 hex digits>"
	Size int64
}

// maxLFSPointer is the largest pointer file the specification allows.
const maxLFSPointer = 1024

// ParseLFSPointer reports whether b is a Git LFS pointer file: UTF-8
// "key value" lines, the first naming the specification's version, with
// a sha256 oid and a size.
func ParseLFSPointer(b []byte) (LFSPointer, bool) {
	var p LFSPointer
	if len(b) > maxLFSPointer || !bytes.HasPrefix(b, []byte("version ")) {
		return p, false
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	switch strings.TrimPrefix(lines[0], "version ") {
	case "https://git-lfs.github.com/spec/v1", "https://hawser.github.com/spec/v1":
	default:
		return p, false
	}
	for _, l := range lines[1:] {
		key, value, ok := strings.Cut(l, " ")
		if !ok || key == "" {
			return LFSPointer{}, false
		}
		switch key {
		case "oid":
			hex, ok := strings.CutPrefix(value, "sha256:")
			if !ok || len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
				return LFSPointer{}, false
			}
			p.OID = value
		case "size":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 {
				return LFSPointer{}, false
			}
			p.Size = n
		}
	}
	if p.OID == "" || !strings.Contains(string(b), "\nsize ") {
		return LFSPointer{}, false
	}
	return p, true
}
