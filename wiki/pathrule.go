package wiki

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
)

// The path rule: what a write (a save in the browser or the API, a move,
// an attachment, a push to main) may add to or change in the repository.
// It is git's own rule, so that every clone checks out on every operating
// system and git fsck --strict stays clean, plus the names the wiki's own
// routes take. ParsePath stays the rule for reading: a repository brought
// from elsewhere may hold names written before git refused them, and those
// stay readable, movable and deletable; only writing them is refused.
//
// What git refuses (read-cache.c verify_path, fsck.c fsck_tree):
//
//   - ".git" in any case, and what Windows (NTFS) and macOS (HFS+) read as
//     ".git": trailing dots and spaces (".git. ."), alternate data streams
//     (".git::$INDEX_ALLOCATION"), the 8.3 short name "GIT~1", and code
//     points HFS+ ignores (".g\u200cit", ".git\ufeff");
//   - empty names, "." and "..", names holding "/" (a tree entry);
//   - ".gitmodules" (and its Windows and macOS aliases) as a symbolic link,
//     and likewise .gitattributes, .gitignore and .mailmap, which git
//     refuses to read through a link;
//   - a .gitmodules whose submodule url, path or name could run as a
//     command-line option ("-…"), whose name climbs out with "..", whose
//     url smuggles a line break or a host, or whose update runs a command;
//     a .gitattributes with lines git cannot read.
//
// What the wiki adds: no backslash (a folder separator on Windows), no
// control characters, and no page or file whose URL is one of the
// server's own routes (reservedTop, reservedNames).

// Git file modes of tree entries that the rule tells apart.
const (
	ModeFile    uint32 = 0o100644
	ModeSymlink uint32 = 0o120000
	ModeDir     uint32 = 0o040000
)

// maxEntryName is git fsck's limit on one tree entry's name (fsck.c
// max_tree_entry_len).
const maxEntryName = 4096

// reservedTop are first path segments whose every URL belongs to the
// server: /-/… (the wiki's own pages, the API, static files) and
// /wiki.git/… (git over HTTP). Compared case-insensitively, as page
// lookups are.
var reservedTop = []string{"-", "wiki.git"}

// reservedNames are page names the server answers itself. Pages below a
// folder of that name stay free (/metrics/latency is a page), the folder's
// own page and listing do not.
var reservedNames = []string{"healthz", "readyz", "metrics"}

// CheckWritePath returns nil when a write may add or change the file at
// p, and otherwise an EINVALID error whose message starts with the path
// and says why not. Deleting a file, or moving it away, is never checked.
func CheckWritePath(p Path) error {
	s := string(p)
	for _, r := range s {
		switch {
		case r == '\\':
			return pathErrorf(p, "a backslash separates folders on Windows, where git refuses such paths; use /")
		case unicode.IsControl(r):
			return pathErrorf(p, "the path contains a control character")
		}
	}
	q, err := ParsePath(s)
	if err != nil {
		return err
	}
	if q != p {
		return pathErrorf(p, "the path is not in its clean form (%s)", q)
	}
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		m := ModeDir
		if i == len(segs)-1 {
			m = ModeFile
		}
		if why := entryProblem(seg, m); why != "" {
			return pathErrorf(p, "%s", why)
		}
	}
	if why := reservedProblem(p); why != "" {
		return pathErrorf(p, "%s", why)
	}
	return nil
}

// CheckWriteFile is CheckWritePath for a file with its content: git's own
// files (.gitmodules, .gitattributes) must also hold what git accepts.
func CheckWriteFile(p Path, content []byte) error {
	if err := CheckWritePath(p); err != nil {
		return err
	}
	return CheckSpecialFile(p, content)
}

func pathErrorf(p Path, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Message: string(p) + ": " + fmt.Sprintf(format, args...) + "."}
}

// CheckEntryName returns an EINVALID error for a tree entry name git
// fsck --strict or git checkout refuses, with its git file mode; nil when
// the name is fine in any folder.
func CheckEntryName(name string, mode uint32) error {
	if why := entryProblem(name, mode); why != "" {
		return &Error{Code: EINVALID, Message: why + "."}
	}
	return nil
}

// entryProblem says why git refuses the entry name, or "".
func entryProblem(name string, mode uint32) string {
	switch {
	case name == "":
		return "a file or folder has an empty name"
	case name == "." || name == "..":
		return fmt.Sprintf("%q is not a file or folder name git accepts", name)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Sprintf("the name %q holds a slash or a NUL byte", name)
	case len(name) > maxEntryName:
		return fmt.Sprintf("a name is longer than %d bytes", maxEntryName)
	case isDotGit(name):
		return fmt.Sprintf("%q is git's own .git folder, or what Windows or macOS read as .git; git refuses it", name)
	case isDotGitShortName(name):
		return fmt.Sprintf("%q looks like the Windows short name of .git; choose another name", name)
	}
	if mode&0o170000 == ModeSymlink {
		for _, f := range specialFiles {
			if f.is(name) {
				return fmt.Sprintf("%q is read by git as %s and may not be a symbolic link", name, f.name)
			}
		}
	}
	return ""
}

// isDotGit reports whether git (on any file system) reads the name as
// .git: fsck's has_dotgit, which also splits at backslashes for NTFS.
func isDotGit(name string) bool {
	if isHFSDot(name, "git") || isNTFSDotGit(name) {
		return true
	}
	for i := strings.IndexByte(name, '\\'); i >= 0; i = strings.IndexByte(name, '\\') {
		name = name[i+1:]
		if isNTFSDotGit(name) {
			return true
		}
	}
	return false
}

// isDotGitShortName reports ".git~1" and the like in any case: git
// itself accepts them (Windows names .git "GIT~1", without the dot), but
// a name that only differs from .git's short name by a dot is refused
// too, so that no page can pass for the repository's own folder.
func isDotGitShortName(name string) bool {
	if len(name) < 6 || name[0] != '.' || !strings.EqualFold(name[1:4], "git") || name[4] != '~' {
		return false
	}
	rest := strings.TrimLeft(name[5:], "0123456789")
	return len(rest) < len(name)-5 && strings.Trim(rest, ". ") == ""
}

// reservedProblem says why the URL of p belongs to the server, or "".
func reservedProblem(p Path) string {
	name := p.Name()
	for _, s := range []string{string(p), name} {
		top, _, _ := strings.Cut(s, "/")
		for _, r := range reservedTop {
			if strings.EqualFold(top, r) {
				return fmt.Sprintf("URLs under /%s belong to the wiki itself; choose another name", r)
			}
		}
	}
	for _, r := range reservedNames {
		if strings.EqualFold(name, r) {
			return fmt.Sprintf("/%s is answered by the wiki itself; choose another name", r)
		}
	}
	return ""
}

// specialFile is a file git reads itself from a checkout, with the names
// it has on Windows and macOS.
type specialFile struct {
	name      string // ".gitmodules"
	shortName string // the NTFS fallback short-name prefix git knows
	check     func(content []byte) string
}

var specialFiles = []specialFile{
	{".gitmodules", "gi7eba", gitmodulesProblem},
	{".gitattributes", "gi7d29", gitattributesProblem},
	{".gitignore", "gi250a", nil},
	{".mailmap", "maba30", nil},
}

// is reports whether git reads name as the file, also after any
// backslash, which NTFS takes for a folder separator.
func (f specialFile) is(name string) bool {
	if isHFSDot(name, f.name[1:]) || isNTFSDot(name, f.name[1:], f.shortName) {
		return true
	}
	for i := strings.IndexByte(name, '\\'); i >= 0; i = strings.IndexByte(name, '\\') {
		name = name[i+1:]
		if isNTFSDot(name, f.name[1:], f.shortName) {
			return true
		}
	}
	return false
}

// IsSpecialFile reports whether git reads a file of this name itself
// (.gitmodules, .gitattributes, .gitignore, .mailmap, in any of the forms
// Windows and macOS give them), so its content must be checked.
func IsSpecialFile(name string) bool {
	for _, f := range specialFiles {
		if f.is(name) {
			return true
		}
	}
	return false
}

// CheckSpecialFile returns an EINVALID error when the file at p is one git
// reads itself and its content is what git fsck refuses: a .gitmodules
// that could run commands or escape its folder, a .gitattributes git
// cannot read. Other files are always fine.
func CheckSpecialFile(p Path, content []byte) error {
	base := p.Base()
	for _, f := range specialFiles {
		if f.check != nil && f.is(base) {
			if why := f.check(content); why != "" {
				return pathErrorf(p, "%s", why)
			}
		}
	}
	return nil
}

// Limits git puts on .gitattributes (attr.h ATTR_MAX_LINE_LENGTH,
// ATTR_MAX_FILE_SIZE).
const (
	maxAttrLine = 2048
	maxAttrFile = 100 << 20
)

func gitattributesProblem(content []byte) string {
	if len(content) > maxAttrFile {
		return "a .gitattributes file is larger than git reads (100 MiB)"
	}
	for line := range bytes.SplitSeq(content, []byte("\n")) {
		if len(line) >= maxAttrLine {
			return fmt.Sprintf("a line of .gitattributes is longer than git reads (%d bytes)", maxAttrLine-1)
		}
	}
	return ""
}
