package wiki

import (
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Path is where a file lives in the wiki repository, and the one type that
// converts between the three ways people and programs name a page.
//
// Glossary, for the page kept in "runbooks/disk-full.md":
//
//	file path  runbooks/disk-full.md   the Path itself: slash-separated, relative, clean
//	page name  runbooks/disk-full      Name(): the URL path without the leading slash and
//	                                   without ".md"; the API's <path>
//	URL        /runbooks/disk-full     URL(): the page name, escaped, with a leading slash
//
// A folder's page is its README.md, _index.md or index.md: "runbooks/README.md"
// has the name "runbooks" and the URL "/runbooks". The repository root is the
// empty Path, whose page is served at "/".
//
// A Path never starts with "/", never contains "." or ".." segments, empty
// segments, NUL or other control characters, and never reaches into ".git".
// A path a write adds or changes also passes CheckWritePath (pathrule.go).
type Path string

// indexNames are the file names that make a file its folder's page, in order
// of preference when a folder has more than one: git hosts show README.md,
// Hugo _index.md, static site generators index.md, GitHub and Gollum wikis
// Home.md.
var indexNames = []string{"README.md", "_index.md", "index.md", "Home.md"}

// IndexNames returns the file names that serve as a folder's page, most
// preferred first.
func IndexNames() []string { return append([]string(nil), indexNames...) }

// ParsePath validates and cleans s as a repository file path. It accepts
// backslash-free, relative paths; a leading "/" is removed. It returns an
// EINVALID error for anything that escapes the repository or names .git.
//
// ParsePath is the rule for naming files that may already exist: a
// repository brought from elsewhere can hold names git refuses today
// ("GIT~1") or that the wiki's routes take ("healthz.md"), and those stay
// readable, movable and deletable. Writing a file is held to the stricter
// CheckWritePath.
func ParsePath(s string) (Path, error) {
	s = strings.TrimPrefix(s, "/")
	if s == "" {
		return "", Errorf(EINVALID, "The path is empty.")
	}
	if !utf8.ValidString(s) {
		return "", Errorf(EINVALID, "The path %q is not valid UTF-8.", s)
	}
	if len(s) > 1024 {
		return "", Errorf(EINVALID, "The path is longer than 1024 bytes.")
	}
	for _, r := range s {
		if r == '\\' || unicode.IsControl(r) {
			return "", Errorf(EINVALID, "The path %q contains a backslash or a control character.", s)
		}
	}
	if strings.HasPrefix(s, "/") {
		return "", Errorf(EINVALID, "The path %q is absolute.", s)
	}
	s = strings.TrimSuffix(s, "/")
	for _, seg := range strings.Split(s, "/") {
		switch {
		case seg == "" || seg == ".":
			return "", Errorf(EINVALID, "The path %q has an empty or \".\" segment.", s)
		case seg == "..":
			return "", Errorf(EINVALID, "The path %q leaves the repository.", s)
		case strings.EqualFold(strings.TrimRight(seg, ". "), ".git"):
			return "", Errorf(EINVALID, "The path %q names the repository's .git folder.", s)
		}
	}
	return Path(s), nil
}

// PathFromName returns the file path of the page with the given page name:
// "runbooks/disk-full" becomes "runbooks/disk-full.md". It does not decide
// whether a folder page would serve the name instead; the catalog does.
func PathFromName(name string) (Path, error) {
	p, err := ParsePath(name)
	if err != nil {
		return "", err
	}
	if p.IsPage() {
		return p, nil
	}
	return p + ".md", nil
}

// String returns the file path.
func (p Path) String() string { return string(p) }

// IsPage reports whether the file is a markdown page.
func (p Path) IsPage() bool {
	base := string(p[strings.LastIndexByte(string(p), '/')+1:])
	if len(base) <= 3 || !strings.EqualFold(base[len(base)-3:], ".md") {
		return false
	}
	stem := base[:len(base)-3]
	return stem != "." && stem != ".." // "..md" could never have a URL

}

// IsIndex reports whether the file is its folder's page.
func (p Path) IsIndex() bool {
	base := p.Base()
	for _, n := range indexNames {
		if strings.EqualFold(base, n) {
			return true
		}
	}
	return false
}

// Base returns the last segment of the path.
func (p Path) Base() string { return path.Base(string(p)) }

// Dir returns the folder holding the file; the root is "".
func (p Path) Dir() Path {
	d := path.Dir(string(p))
	if d == "." || d == "/" {
		return ""
	}
	return Path(d)
}

// Join appends a relative segment path to a folder path without validation;
// callers pass segments that came from the repository itself.
func (p Path) Join(elem string) Path {
	if p == "" {
		return Path(elem)
	}
	return Path(string(p) + "/" + elem)
}

// Top returns the first segment of the path ("runbooks" for
// "runbooks/db/disk.md") or "" for a file at the root.
func (p Path) Top() string {
	if i := strings.IndexByte(string(p), '/'); i >= 0 {
		return string(p[:i])
	}
	return ""
}

// Name returns the page name: the path without ".md", and for a folder page
// the folder's path ("" for the root page). Non-page files keep their name.
func (p Path) Name() string {
	if !p.IsPage() {
		return string(p)
	}
	if p.IsIndex() {
		return string(p.Dir())
	}
	return string(p[:len(p)-3])
}

// URL returns the escaped URL path that serves the file.
func (p Path) URL() string { return NameURL(p.Name()) }

// RawURL returns the URL of the file's bytes as stored: "/x.md" for pages,
// the same as URL for attachments.
func (p Path) RawURL() string { return "/" + escapeSegments(string(p)) }

// NameURL returns the escaped URL of a page or folder name.
func NameURL(name string) string { return "/" + escapeSegments(name) }

// FileTitle returns the title a page falls back to when it has neither a
// title in its front matter nor a first-level heading: its file name without
// the extension, or its folder's name for a folder page.
func (p Path) FileTitle() string {
	name := p.Name()
	if name == "" {
		return "Home"
	}
	return path.Base(name)
}

// Ext returns the lower-cased extension, including the dot.
func (p Path) Ext() string { return strings.ToLower(path.Ext(string(p))) }

// Resolve interprets ref, a link written in the page at p, as a repository
// path. Relative links resolve against p's folder; links starting with "/"
// against the root. It returns false for links that leave the repository.
func (p Path) Resolve(ref string) (Path, bool) {
	var joined string
	if strings.HasPrefix(ref, "/") {
		joined = path.Clean(ref)
	} else {
		joined = path.Clean("/" + string(p.Dir()) + "/" + ref)
	}
	if joined == "/" {
		return "", true
	}
	q, err := ParsePath(joined)
	if err != nil {
		return "", false
	}
	return q, true
}

func escapeSegments(s string) string {
	if s == "" {
		return ""
	}
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}
