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
	"context"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/opswiki/opswiki/wiki"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Resolver answers the questions about the repository that rendering links
// needs. Implementations must be safe for concurrent use.
type Resolver interface {
	// Exists reports whether a repository file exists (page or attachment),
	// or a folder when p names one.
	Exists(p wiki.Path) bool
	// LookupName resolves a wiki link target ("runbooks/disk-full",
	// "Disk Full"; exact first, then case-insensitive) to a page path. It
	// is also asked about http(s) addresses, which name a page when they
	// are under an old home of the pages (the repository settings'
	// redirects); it answers false for any other address.
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
	// Fallback is set when the body was not rendered as markdown but shown
	// as plain text (FallbackSlow or FallbackComplex); HTML then starts
	// with Notice, and TOC, Links and Broken are empty.
	Fallback string
	// Notice tells the reader why the page is shown as plain text.
	Notice string
}

// Thresholds for Result.ShowTOC: a table of contents helps on pages that
// need scrolling, and is clutter on a short runbook.
const (
	TOCMinEntries = 3
	TOCMinBytes   = 1500
)

// Defaults for Options.
const (
	// DefaultCacheBytes is the cache size when Options.CacheBytes is zero.
	DefaultCacheBytes = 64 << 20
	// DefaultBudget is the wall time one render may take when
	// Options.Budget is zero.
	DefaultBudget = time.Second
	// DefaultMemoryBudget is the estimated allocation one render may cause
	// when Options.MemoryBudget is zero.
	DefaultMemoryBudget = 40 << 20
)

// Options configures a Renderer.
type Options struct {
	// CacheBytes bounds the memory held by cached results; 0 means
	// DefaultCacheBytes and a negative value disables the cache.
	CacheBytes int64
	// ReservedIDs are element ids the page layout uses; headings never get
	// them, so anchors and scripts keep working ("search" becomes "search-1").
	ReservedIDs []string
	// Budget bounds the wall time of one render; a body that takes longer
	// is shown as plain text (FallbackSlow). 0 means DefaultBudget and a
	// negative value removes the bound.
	Budget time.Duration
	// MemoryBudget bounds the memory, in bytes, that one render may
	// allocate, as estimated from the body before parsing it: a body over
	// it is shown as plain text (FallbackComplex), and code blocks are
	// highlighted only while what is left allows. 0 means
	// DefaultMemoryBudget and a negative value removes the bound.
	MemoryBudget int64
}

// Renderer renders page bodies. It is safe for concurrent use.
type Renderer struct {
	parser   parser.Parser
	cache    *cache
	reserved []string
	budget   time.Duration
	memory   int64
	lexers   *lexerCache
}

// New returns a Renderer.
func New(opts Options) *Renderer {
	r := &Renderer{reserved: append([]string(nil), opts.ReservedIDs...), budget: opts.Budget, memory: opts.MemoryBudget,
		lexers: newLexerCache()}
	// The transformer runs last, so it sees the final tree.
	r.parser = newParser(util.Prioritized(transformer{}, 10000))
	if r.budget == 0 {
		r.budget = DefaultBudget
	}
	if r.memory == 0 {
		r.memory = DefaultMemoryBudget
	}
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
// for the cache ("" renders without caching, for previews). A cached result
// is used again as long as every answer res gave while rendering it is
// still the same, so a page renders again when a page it links to is
// created or deleted, and not when unrelated pages change. A nil res
// treats every link as existing and wiki link targets as page names from
// the root.
//
// Rendering stops when ctx is done, with ctx's error. A render that runs
// over the time budget, or whose body is estimated to need more memory
// than the memory budget, returns the body as plain text (see
// Result.Fallback); such results are cached too, so a page that is slow to
// render does not pay again on every view.
func (r *Renderer) Render(ctx context.Context, path wiki.Path, blob string, body []byte, res Resolver) (*Result, error) {
	if res == nil {
		res = openResolver{}
	}
	if blob == "" || r.cache == nil {
		out, err := r.render(ctx, path, body, res)
		if err != nil {
			return nil, err
		}
		return out.res, nil
	}
	key := cacheKey{path: path, blob: blob}
	return r.cache.do(ctx, key, res, func() (*rendering, error) { return r.render(ctx, path, body, res) })
}

var stateKey = parser.NewContextKey()

// rendering is a result with what it depends on, for the cache.
type rendering struct {
	res  *Result
	deps []dep
	// retry is set on results cut short by the time budget: the page may
	// have been slow only because the machine was busy, so the cache tries
	// again after a while.
	retry bool
}

func (r *Renderer) render(ctx context.Context, path wiki.Path, body []byte, res Resolver) (out *rendering, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	left := int64(-1)
	if r.memory > 0 {
		left = r.memory - estimate(body)
		if left < 0 {
			return &rendering{res: plainResult(body, FallbackComplex)}, nil
		}
	}
	m := newMeter(ctx, r.budget)
	st := &state{path: path, res: res, src: body, ids: newIDs(r.reserved), result: &Result{}, meter: m,
		lexers: r.lexers, highlightLeft: left}
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		a, ok := v.(abort)
		if !ok {
			panic(v)
		}
		switch a.err {
		case errSlow:
			out, err = &rendering{res: plainResult(body, FallbackSlow), retry: true}, nil
		case errComplex:
			out, err = &rendering{res: plainResult(body, FallbackComplex)}, nil
		default:
			out, err = nil, a.err
		}
	}()
	pc := parser.NewContext()
	pc.Set(stateKey, st)
	doc := r.parser.Parse(&meteredReader{Reader: text.NewReader(body), m: m}, parser.WithContext(pc))
	buf := &meteredBuffer{m: m, max: outputFactor*len(body) + 1<<20}
	buf.Grow(len(body) * 2)
	if err := newHTMLRenderer(st).Render(buf, body, doc); err != nil {
		return nil, fmt.Errorf("render %s: %w", path, err)
	}
	m.check()
	result := st.result
	result.HTML = template.HTML(buf.String()) //nolint:gosec // written by this package's renderers, which escape everything
	result.ShowTOC = len(result.TOC) >= TOCMinEntries && len(body) >= TOCMinBytes
	return &rendering{res: result, deps: st.deps}, nil
}

// openResolver is the Resolver used when the caller has none: everything
// exists and names are page names from the root.
type openResolver struct{}

func (openResolver) Exists(wiki.Path) bool { return true }

func (openResolver) LookupName(_ wiki.Path, target string) (wiki.Path, bool) {
	if strings.Contains(target, "://") {
		return "", false // an address elsewhere names no page
	}
	p, err := wiki.PathFromName(target)
	return p, err == nil
}
