package search

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// Analyzer names registered with bleve. They are referenced by name from the
// mapping persisted in the index, so renaming one or changing what it emits
// requires a new mappingVersion.
const (
	identAnalyzer   = "opswiki_ident"
	keywordAnalyzer = "opswiki_keyword"
	maxTokenBytes   = 256
	maxIdentParts   = 16
)

func init() {
	for name, a := range map[string]analysis.Analyzer{
		identAnalyzer:   identAnalyzerImpl{},
		keywordAnalyzer: keywordAnalyzerImpl{},
	} {
		a := a
		err := registry.RegisterAnalyzer(name, func(map[string]interface{}, *registry.Cache) (analysis.Analyzer, error) {
			return a, nil
		})
		if err != nil {
			panic(err)
		}
	}
}

// keywordAnalyzerImpl turns a whole value into one lower-cased token, so
// filters and facets match case-insensitively (alerting systems lower-case).
type keywordAnalyzerImpl struct{}

func (keywordAnalyzerImpl) Analyze(in []byte) analysis.TokenStream {
	term := normKeyword(string(in))
	if term == "" {
		return nil
	}
	return analysis.TokenStream{{Term: []byte(term), Start: 0, End: len(in), Position: 1, Type: analysis.AlphaNumeric}}
}

// normKeyword is the one normalisation for keyword fields, used at index and
// query time alike.
func normKeyword(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// identAnalyzerImpl tokenizes code and alert names. An identifier such as
// pg_stat_activity, ERR_CONN_RESET, 0x80070005, kube-system or
// KubePodCrashLooping is kept whole, lower-cased; its parts (split on
// punctuation, underscores and camel case) are emitted at the same position
// so they are findable too without breaking phrases.
type identAnalyzerImpl struct{}

func (identAnalyzerImpl) Analyze(in []byte) analysis.TokenStream {
	spans := identSpans(string(in))
	out := make(analysis.TokenStream, 0, len(spans))
	tokens := make([]analysis.Token, len(spans)) // one allocation for the wholes
	pos := 0
	for _, sp := range spans {
		raw := in[sp.start:sp.end]
		if len(raw) > maxTokenBytes {
			continue // base64 blobs and the like only bloat the index
		}
		t := &tokens[pos]
		pos++
		*t = analysis.Token{Term: bytes.ToLower(raw), Start: sp.start, End: sp.end, Position: pos, Type: analysis.AlphaNumeric}
		out = append(out, t)
		if !mayHaveParts(raw) {
			continue
		}
		whole := string(raw)
		parts := identParts(whole)
		if len(parts) < 2 || len(parts) > maxIdentParts {
			continue
		}
		for _, p := range append(parts, identSegments(whole)...) {
			out = append(out, &analysis.Token{Term: []byte(strings.ToLower(whole[p.start:p.end])), Start: sp.start + p.start, End: sp.start + p.end, Position: pos, Type: analysis.AlphaNumeric})
		}
	}
	return out
}

// mayHaveParts is a quick test for what identParts would split: prose
// words ("pods", "Pods") have no underscore, joiner or inner capital.
func mayHaveParts(b []byte) bool {
	for i, c := range b {
		if c >= 0x80 || c == '_' || isJoiner(rune(c)) || i > 0 && 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

// identSegments returns the pieces of an identifier between joiners that
// are identifiers of several parts themselves: syncProxyRules in
// Proxier.syncProxyRules, pg_stat_activity in public.pg_stat_activity.
func identSegments(s string) []span {
	var out []span
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && !isJoiner(rune(s[i])) {
			continue
		}
		if start > 0 || i < len(s) { // not the whole identifier
			if seg := s[start:i]; len(identParts(seg)) > 1 {
				out = append(out, span{start, i})
			}
		}
		start = i + 1
	}
	return out
}

type span struct{ start, end int }

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

func isJoiner(r rune) bool { return r == '.' || r == '-' || r == ':' || r == '/' }

// identSpans finds identifiers: runs of letters, digits and underscores,
// joined by '.', '-', ':' or '/' when a word character follows the joiner.
func identSpans(s string) []span {
	var out []span
	start := -1
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case isWordRune(r):
			if start < 0 {
				start = i
			}
		case start >= 0 && isJoiner(r):
			next, _ := utf8.DecodeRuneInString(s[i+n:])
			if i+n < len(s) && isWordRune(next) {
				break
			}
			out = append(out, span{start, i})
			start = -1
		default:
			if start >= 0 {
				out = append(out, span{start, i})
				start = -1
			}
		}
		i += n
	}
	if start >= 0 {
		out = append(out, span{start, len(s)})
	}
	return out
}

// identParts splits an identifier on joiners and underscores, then on
// camel-case boundaries (lower→Upper, digit→Upper, and the last capital of an
// acronym: HTTPServer → HTTP, Server).
func identParts(s string) []span {
	var out []span
	start := -1
	var prev rune
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == '_' || isJoiner(r) {
			if start >= 0 {
				out = append(out, span{start, i})
			}
			start, prev = -1, 0
			i += n
			continue
		}
		if start >= 0 && unicode.IsUpper(r) {
			next, _ := utf8.DecodeRuneInString(s[i+n:])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) ||
				(unicode.IsUpper(prev) && i+n < len(s) && unicode.IsLower(next)) {
				out = append(out, span{start, i})
				start = i
			}
		}
		if start < 0 {
			start = i
		}
		prev = r
		i += n
	}
	if start >= 0 {
		out = append(out, span{start, len(s)})
	}
	return out
}

// identTerms returns the lower-cased whole identifiers and, for each, its
// parts, as the ident analyzer would index them.
func identTerms(s string) (wholes []string, parts [][]string) {
	for _, sp := range identSpans(s) {
		w := s[sp.start:sp.end]
		wholes = append(wholes, strings.ToLower(w))
		var ps []string
		if pp := identParts(w); len(pp) > 1 && len(pp) <= maxIdentParts {
			for _, p := range append(pp, identSegments(w)...) {
				ps = append(ps, strings.ToLower(w[p.start:p.end]))
			}
		}
		parts = append(parts, ps)
	}
	return wholes, parts
}
