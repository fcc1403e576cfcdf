package markdown

import (
	"net/url"
	"strings"

	"github.com/opswiki/opswiki/wiki"
	"github.com/yuin/goldmark/util"
)

// urlKind sorts link destinations by what the renderer may do with them.
type urlKind int

const (
	urlBlocked  urlKind = iota // any scheme but http, https, mailto: never written
	urlEmpty                   // "", a link to the page itself
	urlFragment                // "#sec" or "?q": relative to the current URL, left alone
	urlExternal                // http, https, mailto
	urlRelative                // a repository path, resolved against the page
)

// classify decides the kind of a link destination the way a browser would
// read it, and returns the destination cleaned as a browser cleans it:
// ASCII tabs and newlines removed, leading and trailing controls and spaces
// trimmed. Any scheme outside the allow-list is blocked, including the ones
// a browser would not recognise ("jav\x01ascript:"): failing closed costs a
// link to a file with a colon in its first segment, which nobody writes.
func classify(dest string) (string, urlKind) {
	s := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, dest)
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f })
	if s == "" {
		return s, urlEmpty
	}
	i := strings.IndexAny(s, ":/?#")
	switch {
	case i < 0:
		return s, urlRelative
	case s[i] == ':':
		switch strings.ToLower(s[:i]) {
		case "http", "https", "mailto":
			return s, urlExternal
		}
		return s, urlBlocked
	case i == 0 && (s[0] == '#' || s[0] == '?'):
		return s, urlFragment
	}
	return s, urlRelative
}

// escapeURL percent-encodes what may not appear in a URL (spaces, non-ASCII)
// and leaves existing escapes alone, like CommonMark renderers do.
func escapeURL(s string) string { return string(util.URLEscape([]byte(s), false)) }

// target is a relative link resolved against the repository.
type target struct {
	path   wiki.Path // the file or folder linked to
	href   string    // absolute URL path, query and fragment kept
	page   bool      // path is a page
	exists bool
}

// resolve interprets a relative destination written in the page at from.
// For images only the exact file counts; links also find pages written
// without ".md" and folders' pages. ok is false when the destination leaves
// the repository or is not a valid path.
func resolve(res Resolver, from wiki.Path, dest string, image bool) (t target, ok bool) {
	ref, suffix := dest, ""
	if i := strings.IndexAny(dest, "?#"); i >= 0 {
		ref, suffix = dest[:i], dest[i:]
	}
	if u, err := url.PathUnescape(ref); err == nil {
		ref = u
	}
	p, ok := from.Resolve(ref)
	if !ok {
		return t, false
	}
	suffix = escapeURL(suffix)
	switch {
	case p == "":
		return target{href: "/" + suffix, page: true, exists: true}, true
	case p.Top() == "-" || p == "-":
		// The server's own routes ("/-/search?q=x"): not repository paths.
		return target{href: p.RawURL() + suffix, exists: true}, true
	case image:
		return target{path: p, href: p.RawURL() + suffix, exists: res.Exists(p)}, true
	case p.IsPage():
		return target{path: p, href: p.URL() + suffix, page: true, exists: res.Exists(p)}, true
	}
	if q := p + ".md"; res.Exists(q) {
		return target{path: q, href: q.URL() + suffix, page: true, exists: true}, true
	}
	for _, name := range wiki.IndexNames() {
		if q := p.Join(name); res.Exists(q) {
			return target{path: q, href: q.URL() + suffix, page: true, exists: true}, true
		}
	}
	return target{path: p, href: p.RawURL() + suffix, exists: res.Exists(p)}, true
}
