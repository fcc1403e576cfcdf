package search

import (
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// Field boosts: names and alert names outrank titles, which outrank
// headings, which outrank body text (SPEC §5).
const (
	boostName      = 10 // the query is a page's whole name
	boostTitle     = 5
	boostAlert     = 6
	boostAlertPart = 3
	boostHeadings  = 2
	boostText      = 1
	boostExactWord = 2
	// proximityWeight is how much more a page that has a query's words
	// next to each other, in the order typed (as pasted error messages and
	// sentences have them), scores than one that merely has them all: up to
	// proximityWeight times the best score is added (see rerank).
	proximityWeight = 1.0
	// rerankWindow is how many of the best hits are reranked by proximity.
	rerankWindow = 50
	// minPrefix is the shortest last word matched as a prefix; shorter
	// prefixes expand to too many terms to stay within the latency budget.
	minPrefix = 3
	// minBodyPrefix is the shortest prefix also looked for in body text,
	// whose many terms make short prefixes the most costly part of a
	// query (4.4 ms instead of 2.5 ms for 4 letters at 10,000 pages).
	minBodyPrefix = 5
)

// filterField maps a canonical filter name to its index field.
var filterField = map[string]string{
	"kind": fKind, "service": fServices, "tag": fTags, "owner": fOwner,
	"severity": fSeverity, "status": fStatus, "alert": fAlerts,
	"incident": fIncidents, "path": fPath,
}

type fieldBoost struct {
	field string
	boost float64
}

// builder turns a parsed Query into a plan (plan.go).
type builder struct {
	en analysis.Analyzer // to drop words that are only stop words
	// alts replaces words that look misspelt by the words of the index
	// meant instead (see corrections); nil for the exact search.
	alts map[string][]string
	// ix, r and gen find the terms a prefix stands for in the snapshot r
	// of generation gen (prefix.go).
	ix  *Index
	r   *scorch.IndexSnapshot
	gen uint64
}

// fuzziness returns the edit distance (see textdiff.Distance) allowed for a
// word when correcting typos: none for short words, two only for long ones.
func fuzziness(w string) int {
	switch n := utf8.RuneCountInString(w); {
	case n < 4:
		return 0
	case n < 10:
		return 1
	default:
		return 2
	}
}

// build returns the plan of q: every word (or its corrections) and phrase
// required, the page's whole name as a bonus, exclusions and filters.
func (b builder) build(q Query) (*plan, error) {
	var must, should, not, filters []*node
	words := b.significant(q.Words)
	for i, w := range words {
		if alts, ok := b.alts[w]; ok {
			var ws []*node
			for _, a := range alts {
				n, err := b.word(a, false)
				if err != nil {
					return nil, err
				}
				ws = append(ws, n)
			}
			must = append(must, anyNode(ws...))
			continue
		}
		n, err := b.word(w, q.Prefix && i == len(words)-1 && w == q.Words[len(q.Words)-1])
		if err != nil {
			return nil, err
		}
		must = append(must, n)
	}
	for _, ph := range q.Phrases {
		must = append(must, b.phrase(ph))
	}
	if len(q.Words) > 0 && b.alts == nil {
		should = append(should, names(strings.Join(q.Words, " "))...)
	}
	for _, x := range q.Exclude {
		if strings.Contains(x, " ") {
			not = append(not, b.phrase(x))
			continue
		}
		exact := b
		exact.alts = nil
		n, err := exact.word(x, false)
		if err != nil {
			return nil, err
		}
		not = append(not, n)
	}
	byField := map[string][]*node{}
	var order []string
	for _, f := range q.Filters {
		fq := filter(f)
		if f.Negate {
			not = append(not, fq)
			continue
		}
		if byField[f.Field] == nil {
			order = append(order, f.Field)
		}
		byField[f.Field] = append(byField[f.Field], fq)
	}
	// Values of one field are alternatives; different fields all apply.
	for _, f := range order {
		filters = append(filters, oneOf(byField[f]))
	}
	p := &plan{byPath: len(q.Words) == 0 && len(q.Phrases) == 0}
	if len(must) == 0 {
		// Only filters: they are what a page must match. Only
		// exclusions: every other page (no must).
		must, filters = filters, nil
	}
	if len(must) > 0 {
		p.must = everyOf(must)
	}
	if len(should) > 0 {
		p.should = anyNode(should...)
	}
	if len(not) > 0 {
		p.not = anyNode(not...)
	}
	if len(filters) > 0 {
		p.filter = everyOf(filters)
	}
	p.number()
	return p, nil
}

// significant drops words the English analyzer removes (stop words), so
// "the disk is full" requires disk and full only; a query of nothing but
// stop words keeps them.
func (b builder) significant(words []string) []string {
	if b.en == nil {
		return words
	}
	var out []string
	for _, w := range words {
		if len(b.en.Analyze([]byte(w))) > 0 {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return words
	}
	return out
}

// stemmed reports whether the English analyzer changes w: "pods" is "pod",
// "KubePodCrashLooping" is "kubepodcrashloop"; "disk" stays "disk".
func (b builder) stemmed(w string) bool {
	if b.en == nil {
		return true
	}
	toks := b.en.Analyze([]byte(w))
	return len(toks) != 1 || string(toks[0].Term) != strings.ToLower(w)
}

// names matches a query that is a page's whole name: its title, file
// name, first heading or an alert, in any case, spaced or camel case.
func names(text string) []*node {
	var out []*node
	seen := ""
	for _, n := range []string{normName(text), splitName(text)} {
		if n == "" || n == seen {
			continue
		}
		seen = n
		out = append(out, termNode(fNames, n, boostName))
	}
	return out
}

// proximityText returns the free-text words of q that, next to each
// other, make a page more relevant: the complete words (the last one may
// still be being typed), when there are two or more that count.
func (b builder) proximityText(q Query) string {
	if b.alts != nil {
		return ""
	}
	complete := q.Words
	if q.Prefix && len(complete) > 0 {
		complete = complete[:len(complete)-1]
	}
	if len(b.significant(complete)) < 2 {
		return ""
	}
	return strings.Join(complete, " ")
}

// word matches one free-text word in any text field.
func (b builder) word(w string, prefix bool) (*node, error) {
	terms := b.analyze(w)
	d := anyNode(
		match(fTitle, terms, boostTitle),
		match(fHeadings, terms, boostHeadings),
		match(fBody, terms, boostText),
		match(fExtra, terms, boostText),
		keyword(fAlerts, w, boostAlert),
	)
	if n := ident(fCode, w, boostText); n != nil {
		d.kids = append(d.kids, n)
	}
	// The word as typed, unstemmed: "adjustments" ranks the page that says
	// so above pages that only adjust. Where stemming leaves the word as
	// it is, the body match says as much, and a common word's second long
	// list of pages would cost a third of the search.
	if isIdentifier(w) && (b.alts != nil || b.stemmed(w)) {
		d.kids = append(d.kids, keyword(fWords, w, boostExactWord))
	}
	if n := ident(fAlertText, w, boostAlertPart); n != nil {
		d.kids = append(d.kids, n)
	}
	// An identifier's parts as words: CPUThrottlingHigh finds the page
	// titled "CPU Throttling High".
	if parts := splitName(w); strings.Contains(parts, " ") {
		for _, f := range []fieldBoost{{fTitle, boostTitle}, {fHeadings, boostHeadings}} {
			d.kids = append(d.kids, phraseNode(f.field, b.en, parts, f.boost))
		}
	}
	if p := strings.ToLower(w); prefix && utf8.RuneCountInString(p) >= minPrefix {
		fields := []fieldBoost{{fTitle, boostTitle}, {fHeadings, boostHeadings}, {fCode, boostText}, {fAlertText, boostAlertPart}}
		if utf8.RuneCountInString(p) >= minBodyPrefix {
			fields = append(fields, fieldBoost{fBody, boostText})
		}
		for _, f := range fields {
			// A completed word beats a mere prefix.
			n, err := b.prefix(f.field, p, f.boost/2)
			if err != nil {
				return nil, err
			}
			d.kids = append(d.kids, n)
		}
	}
	return d, nil
}

// analyze returns the terms the English analyzer makes of w.
func (b builder) analyze(w string) []string {
	if b.en == nil {
		return []string{strings.ToLower(w)}
	}
	toks := b.en.Analyze([]byte(w))
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = string(t.Term)
	}
	return out
}

// match matches the terms of a word, all of them, in a field of English
// text, as bleve's match query with the AND operator does.
func match(field string, terms []string, boost float64) *node {
	if len(terms) == 0 {
		return noneNode()
	}
	ns := make([]*node, len(terms))
	for i, t := range terms {
		ns[i] = termNode(field, t, boost)
	}
	return everyOf(ns)
}

func keyword(field, w string, boost float64) *node {
	return termNode(field, normKeyword(w), boost)
}

// ident matches a word in a field indexed by the ident analyzer: each
// identifier in it whole, or by all of its parts (so "pg_stat" finds
// pg_stat_activity only through pg and stat both being there).
func ident(field, w string, boost float64) *node {
	wholes, parts := identTerms(w)
	if len(wholes) == 0 {
		return nil
	}
	var all []*node
	for i, whole := range wholes {
		alts := []*node{keyword(field, whole, boost)}
		if len(parts[i]) > 1 {
			var ps []*node
			for _, p := range parts[i] {
				ps = append(ps, keyword(field, p, boost/2))
			}
			alts = append(alts, allNode(ps...))
		}
		all = append(all, anyNode(alts...))
	}
	if len(all) == 1 {
		return all[0]
	}
	return allNode(all...)
}

// phrase matches a quoted phrase in the title, headings, body or code; in
// the body by its word pairs where it can (phrase.go).
func (b builder) phrase(ph string) *node {
	d := anyNode()
	for _, f := range []fieldBoost{{fTitle, boostTitle}, {fHeadings, boostHeadings}, {fBody, boostText}, {fCode, boostText}} {
		var a analysis.Analyzer = b.en
		if f.field == fCode {
			a = identAnalyzerImpl{}
		}
		n := phraseNode(f.field, a, ph, f.boost)
		if f.field == fBody && b.en != nil && n.kind == nPhrase {
			n.narrow = pairTerms(b.en, ph)
		}
		d.kids = append(d.kids, n)
	}
	return d
}

// filter matches one field:value filter; path is a prefix of the file path.
func filter(f Filter) *node {
	v := normKeyword(f.Value)
	if f.Field == "path" {
		return &node{kind: nPath, field: fPath, term: strings.TrimPrefix(v, "/")}
	}
	return termNode(filterField[f.Field], v, 0)
}
