package markdown

import (
	"bytes"
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/yuin/goldmark/ast"
	ghtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// Fenced code: the language is the first word of the info string, capped
// before anything looks it up, and chroma highlights a block only while the
// render's memory budget can pay for it. Everything else about a block's
// info string ("{linenos=true}") is ignored.

// maxLangLen is the longest language name looked up ("objective-c++").
const maxLangLen = 40

// maxSlowLookups bounds, per render, the lexer lookups that have to match
// file name patterns (several milliseconds each: "```log", "```Makefile").
const maxSlowLookups = 4

// maxCachedLexers bounds the names the lexer cache remembers, so random
// names cannot grow it without end.
const maxCachedLexers = 4096

// codeInfo is what the transformer decided about a fenced code block.
type codeInfo struct {
	lang  []byte       // nil: none, or not a plain name
	lexer chroma.Lexer // nil: not highlighted
	m     *meter
}

// language returns the first word of an info string when it is a plain
// name of at most maxLangLen bytes, looking no further than that.
func language(info []byte) []byte {
	end := 0
	for end < len(info) && end <= maxLangLen {
		c := info[end]
		if c == ' ' || c == '\t' || c == '{' {
			break
		}
		end++
	}
	if lang := info[:end]; safeLang(lang) {
		return lang
	}
	return nil
}

// code decides how a fenced code block is written: highlighted when the
// language has a lexer and the budget left pays for the block, and for
// compiling the lexer when this process has not used it yet.
func (st *state) code(n *ast.FencedCodeBlock) {
	ci := &codeInfo{m: st.meter}
	st.decide(n, ci)
	if n.Info != nil {
		ci.lang = language(n.Info.Segment.Value(st.src))
	}
	if ci.lang == nil {
		return
	}
	l := st.lexer(string(ci.lang))
	if l == nil {
		return
	}
	lx, seen := st.lexersSeen[l]
	if !seen {
		if len(st.lexersSeen) >= maxLexers {
			return
		}
		lx = &seenLexer{}
		if st.lexersSeen == nil {
			st.lexersSeen = map[chroma.Lexer]*seenLexer{}
		}
		st.lexersSeen[l] = lx
	}
	size := 0
	for i := range n.Lines().Len() {
		seg := n.Lines().At(i)
		size += seg.Stop - seg.Start
	}
	cost := int64(size)*costHighlight + costHighlightBlock
	// Each language is charged for compiling its lexer once per render,
	// whether or not this process compiled it before, so that a page
	// renders the same however long the process has been running.
	if !lx.charged {
		cost += costLexer
	}
	if st.highlightLeft >= 0 {
		if cost > st.highlightLeft {
			return
		}
		st.highlightLeft -= cost
	}
	lx.charged = true
	if st.lexers.usable(l) {
		ci.lexer = l
	}
}

// seenLexer is a lexer one render has looked at.
type seenLexer struct {
	charged bool // its compilation is paid for
}

// lexer returns the lexer for a language name, or nil. Names that are not
// a lexer's name or alias count against maxSlowLookups whether or not the
// cache already knows them, so that a page renders the same however long
// the process has been running.
func (st *state) lexer(name string) chroma.Lexer {
	if l := lexerByName(name); l != nil {
		return l
	}
	if st.slowLookups >= maxSlowLookups {
		return nil
	}
	st.slowLookups++
	return st.lexers.lookup(name)
}

// Bounds on lexers, per render. chroma compiles a lexer's regular
// expressions the first time the process uses it: measured over all of
// chroma's lexers, 0.1 to 4 MB for all but eight rarely used ones (up to
// 18 MB), and up to 30 ms.
const (
	// maxLexers bounds the languages one render highlights.
	maxLexers = 12
	// costLexer is charged for each language a render highlights.
	costLexer = 4 << 20
)

// lexerCache remembers what chroma's lexers.Get said of names that are not
// a lexer's name or alias: it matches them against every file name pattern
// of every lexer, which takes milliseconds.
type lexerCache struct {
	mu    sync.Mutex
	known map[string]chroma.Lexer // nil values: no lexer
	// usables remembers which lexers may be used.
	usables map[chroma.Lexer]bool
}

// lexerNames maps chroma's lexer names and aliases as written and lower
// case, names first, as lexers.Get looks them up.
var lexerNames = sync.OnceValues(func() (map[string]chroma.Lexer, map[string]chroma.Lexer) {
	byName, byAlias := map[string]chroma.Lexer{}, map[string]chroma.Lexer{}
	for _, l := range lexers.GlobalLexerRegistry.Lexers {
		cfg := l.Config()
		byName[cfg.Name] = l
		byName[strings.ToLower(cfg.Name)] = l
		for _, a := range cfg.Aliases {
			byAlias[a] = l
			byAlias[strings.ToLower(a)] = l
		}
	}
	return byName, byAlias
})

func newLexerCache() *lexerCache {
	return &lexerCache{known: map[string]chroma.Lexer{}, usables: map[chroma.Lexer]bool{}}
}

// lexerByName finds a lexer by its name or an alias, as written or lower
// case, as lexers.Get does before it tries file name patterns.
func lexerByName(name string) chroma.Lexer {
	byName, byAlias := lexerNames()
	lower := strings.ToLower(name)
	for _, l := range []chroma.Lexer{byName[name], byAlias[name], byName[lower], byAlias[lower]} {
		if l != nil {
			return l
		}
	}
	return nil
}

// lookup answers from earlier lookups, or asks chroma and remembers.
func (c *lexerCache) lookup(name string) chroma.Lexer {
	c.mu.Lock()
	l, ok := c.known[name]
	c.mu.Unlock()
	if ok {
		return l
	}
	l = lexers.Get(name)
	c.mu.Lock()
	if len(c.known) < maxCachedLexers {
		c.known[name] = l
	}
	c.mu.Unlock()
	return l
}

// usable reports whether blocks may be highlighted with l. Lexers that
// choose other lexers by a name found in the text (markdown's fenced code,
// HTTP bodies, PostgreSQL's LANGUAGE clauses) can make one block compile
// any number of lexers, and composite lexers cannot be looked into: their
// blocks are shown without highlighting. Looking compiles the lexer.
func (c *lexerCache) usable(l chroma.Lexer) bool {
	c.mu.Lock()
	ok, known := c.usables[l]
	c.mu.Unlock()
	if known {
		return ok
	}
	rl, isRegex := l.(*chroma.RegexLexer)
	if isRegex {
		rules, err := rl.Rules()
		ok = err == nil
		for _, state := range rules {
			for _, rule := range state {
				if e, isSer := rule.Type.(chroma.SerialisableEmitter); isSer && e.EmitterKind() == "usingbygroup" {
					ok = false
				}
			}
		}
	}
	c.mu.Lock()
	c.usables[l] = ok
	c.mu.Unlock()
	return ok
}

// codeFormatter writes chroma's tokens with CSS classes (HighlightCSS holds
// the colours). It keeps a cache of compiled styles and is safe for
// concurrent use.
var codeFormatter = chromahtml.New(chromahtml.WithClasses(true))

// classOnlyStyle is the style chroma formats with. With CSS classes the
// colours come from HighlightCSS, but chroma still turns the style into CSS
// for every code block; an empty style makes that nearly free.
var classOnlyStyle = chroma.MustNewStyle("opswiki-classes", chroma.StyleEntries{})

// fencedCode writes a fenced code block in a <div class="code-block"> for
// the web layer's copy button, with data-lang when the block names a
// language: highlighted by chroma when the transformer found a lexer and
// budget for it, else as escaped text.
func (r htmlRenderer) fencedCode(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.FencedCodeBlock)
	ci, _ := r.st.decided[n].(*codeInfo)
	if ci == nil {
		ci = &codeInfo{}
	}
	openCodeBlock(w, ci.lang)
	if ci.lexer != nil && highlight(w, n, source, ci) {
		_, _ = w.WriteString("</div>\n")
		return ast.WalkSkipChildren, nil
	}
	_, _ = w.WriteString("<pre><code")
	if ci.lang != nil {
		_, _ = w.WriteString(` class="language-`)
		_, _ = w.Write(ci.lang)
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
	for i := range n.Lines().Len() {
		seg := n.Lines().At(i)
		ghtml.DefaultWriter.RawWrite(w, seg.Value(source))
	}
	_, _ = w.WriteString("</code></pre></div>\n")
	return ast.WalkSkipChildren, nil
}

// highlight writes the block through chroma, ticking the render's meter
// for every token. It reports false, having written nothing, when the
// lexer cannot tokenise the text.
func highlight(w util.BufWriter, n *ast.FencedCodeBlock, source []byte, ci *codeInfo) bool {
	var code bytes.Buffer
	for i := range n.Lines().Len() {
		seg := n.Lines().At(i)
		code.Write(seg.Value(source))
	}
	it, err := chroma.Coalesce(ci.lexer).Tokenise(nil, code.String())
	if err != nil {
		return false
	}
	metered := func() chroma.Token {
		if ci.m != nil {
			ci.m.tick()
		}
		return it()
	}
	return codeFormatter.Format(w, classOnlyStyle, metered) == nil
}

func openCodeBlock(w util.BufWriter, lang []byte) {
	_, _ = w.WriteString(`<div class="code-block"`)
	if lang != nil {
		_, _ = w.WriteString(` data-lang="`)
		_, _ = w.Write(lang)
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
}

// safeLang reports whether an info string's language is a plain name
// ("bash", "c++", "objective-c", "c#") that needs no escaping in an attribute.
func safeLang(b []byte) bool {
	if len(b) == 0 || len(b) > maxLangLen {
		return false
	}
	for _, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '+' || c == '.' || c == '#':
		default:
			return false
		}
	}
	return true
}
