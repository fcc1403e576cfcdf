// Package markdown turns a page body into safe HTML: CommonMark with GFM
// tables, task lists, strikethrough and autolinks, footnotes, definition
// lists, heading anchors and a table of contents, syntax highlighting with CSS
// classes, wiki links and relative links resolved to wiki URLs.
//
// Safety does not depend on a sanitizer run afterwards: the renderer writes
// every element itself, raw HTML is shown as the text the author wrote, and
// the only URLs that reach href or src are http, https, mailto, fragments and
// absolute paths the renderer built from repository paths.
package markdown

import (
	"bytes"
	"fmt"
	"html/template"

	"github.com/opswiki/opswiki/wiki"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// Resolver answers the questions about the repository that rendering links
// needs. Implementations must be safe for concurrent use.
type Resolver interface {
	// Exists reports whether a repository file exists (page or attachment),
	// or a folder when p names one.
	Exists(p wiki.Path) bool
	// LookupName resolves a wiki link target ("runbooks/disk-full",
	// "Disk Full"; exact first, then case-insensitive) to a page path.
	LookupName(from wiki.Path, target string) (wiki.Path, bool)
}

// TOCEntry is one heading listed in a page's table of contents.
type TOCEntry struct {
	Level int
	ID    string
	Text  string
}

// BrokenLink is a link to a page or file that does not exist.
type BrokenLink struct {
	// Target is the link target as written.
	Target string
	// Line is the 1-based line in the body (not the file) of the link.
	Line int
}

// Result is a rendered page body. Results may come from the cache and be
// shared between callers, who must not modify them.
type Result struct {
	HTML template.HTML
	// TOC lists the headings of levels 1 to 3 in document order, except a
	// page's only first-level heading when it opens the page (the title).
	TOC []TOCEntry
	// ShowTOC is true for long pages: at least TOCMinEntries entries in TOC
	// and a body of at least TOCMinBytes bytes.
	ShowTOC bool
	// Links holds the existing pages the body links to, each once, in order
	// of first appearance. Attachments are not listed.
	Links []wiki.Path
	// Broken holds every link to a page or file that does not exist.
	Broken []BrokenLink
}

// Thresholds for Result.ShowTOC: a table of contents helps on pages that
// need scrolling, and is clutter on a short runbook.
const (
	TOCMinEntries = 3
	TOCMinBytes   = 1500
)

// DefaultCacheBytes is the cache size when Options.CacheBytes is zero.
const DefaultCacheBytes = 64 << 20

// Options configures a Renderer.
type Options struct {
	// CacheBytes bounds the memory held by cached results; 0 means
	// DefaultCacheBytes and a negative value disables the cache.
	CacheBytes int64
	// ReservedIDs are element ids the page layout uses; headings never get
	// them, so anchors and scripts keep working ("search" becomes "search-1").
	ReservedIDs []string
}

// Renderer renders page bodies. It is safe for concurrent use.
type Renderer struct {
	md       goldmark.Markdown
	cache    *cache
	reserved []string
}

// New returns a Renderer.
func New(opts Options) *Renderer {
	r := &Renderer{md: newGoldmark(), reserved: append([]string(nil), opts.ReservedIDs...)}
	size := opts.CacheBytes
	if size == 0 {
		size = DefaultCacheBytes
	}
	if size > 0 {
		r.cache = newCache(size)
	}
	return r
}

// Render renders the body of the page at path. blob is the body's identity
// for the cache ("" renders without caching, for previews); gen must change
// whenever the set of existing pages changes, so that links to missing pages
// render again once the page is created. A nil res treats every link as
// existing and wiki link targets as page names from the root.
func (r *Renderer) Render(path wiki.Path, blob string, gen uint64, body []byte, res Resolver) (*Result, error) {
	if blob == "" || r.cache == nil {
		return r.render(path, body, res)
	}
	key := cacheKey{path: path, blob: blob, gen: gen}
	return r.cache.do(key, func() (*Result, error) { return r.render(path, body, res) })
}

var stateKey = parser.NewContextKey()

func (r *Renderer) render(path wiki.Path, body []byte, res Resolver) (*Result, error) {
	if res == nil {
		res = openResolver{}
	}
	st := &state{path: path, res: res, src: body, ids: newIDs(r.reserved), result: &Result{}}
	pc := parser.NewContext()
	pc.Set(stateKey, st)
	doc := r.md.Parser().Parse(text.NewReader(body), parser.WithContext(pc))
	var buf bytes.Buffer
	buf.Grow(len(body) * 2)
	if err := r.md.Renderer().Render(&buf, body, doc); err != nil {
		return nil, fmt.Errorf("render %s: %w", path, err)
	}
	out := st.result
	out.HTML = template.HTML(buf.String()) //nolint:gosec // written by this package's renderers, which escape everything
	out.ShowTOC = len(out.TOC) >= TOCMinEntries && len(body) >= TOCMinBytes
	return out, nil
}

// openResolver is the Resolver used when the caller has none: everything
// exists and names are page names from the root.
type openResolver struct{}

func (openResolver) Exists(wiki.Path) bool { return true }

func (openResolver) LookupName(_ wiki.Path, target string) (wiki.Path, bool) {
	p, err := wiki.PathFromName(target)
	return p, err == nil
}
