package search

import (
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
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

// builder turns a parsed Query into a bleve query.
type builder struct {
	en analysis.Analyzer // to drop words that are only stop words
	// alts replaces words that look misspelt by the words of the index
	// meant instead (see corrections); nil for the exact search.
	alts map[string][]string
}

// fuzziness returns the edit distance (see editDistance) allowed for a
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

func (b builder) build(q Query) query.Query {
	var must, should, not, filters []query.Query
	words := b.significant(q.Words)
	for i, w := range words {
		if alts, ok := b.alts[w]; ok {
			d := query.NewDisjunctionQuery(nil)
			for _, a := range alts {
				d.AddQuery(b.word(a, false))
			}
			must = append(must, d)
			continue
		}
		must = append(must, b.word(w, q.Prefix && i == len(words)-1 && w == q.Words[len(q.Words)-1]))
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
		} else {
			not = append(not, builder{en: b.en}.word(x, false))
		}
	}
	byField := map[string][]query.Query{}
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
		filters = append(filters, query.NewDisjunctionQuery(byField[f]))
	}
	switch {
	case len(must) == 0 && len(filters) > 0:
		// Only filters: let their postings drive the search rather than
		// testing every page against them.
		must, filters = filters, nil
	case len(must) == 0:
		must = append(must, query.NewMatchAllQuery())
	}
	bq := query.NewBooleanQuery(must, should, not)
	if len(filters) > 0 {
		bq.AddFilter(query.NewConjunctionQuery(filters))
	}
	return bq
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
func names(text string) []query.Query {
	var out []query.Query
	seen := ""
	for _, n := range []string{normName(text), splitName(text)} {
		if n == "" || n == seen {
			continue
		}
		seen = n
		t := query.NewTermQuery(n)
		t.SetField(fNames)
		t.SetBoost(boostName)
		out = append(out, t)
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
func (b builder) word(w string, prefix bool) query.Query {
	d := query.NewDisjunctionQuery([]query.Query{
		match(fTitle, w, boostTitle),
		match(fHeadings, w, boostHeadings),
		match(fBody, w, boostText),
		match(fExtra, w, boostText),
		keyword(fAlerts, w, boostAlert),
	})
	if q := ident(fCode, w, boostText); q != nil {
		d.AddQuery(q)
	}
	// The word as typed, unstemmed: "adjustments" ranks the page that says
	// so above pages that only adjust. Where stemming leaves the word as
	// it is, the body match says as much, and a common word's second long
	// list of pages would cost a third of the search.
	if isIdentifier(w) && (b.alts != nil || b.stemmed(w)) {
		d.AddQuery(keyword(fWords, w, boostExactWord))
	}
	if q := ident(fAlertText, w, boostAlertPart); q != nil {
		d.AddQuery(q)
	}
	// An identifier's parts as words: CPUThrottlingHigh finds the page
	// titled "CPU Throttling High".
	if parts := splitName(w); strings.Contains(parts, " ") {
		for _, f := range []fieldBoost{{fTitle, boostTitle}, {fHeadings, boostHeadings}} {
			p := query.NewMatchPhraseQuery(parts)
			p.SetField(f.field)
			p.SetBoost(f.boost)
			d.AddQuery(p)
		}
	}
	if p := strings.ToLower(w); prefix && utf8.RuneCountInString(p) >= minPrefix {
		fields := []fieldBoost{{fTitle, boostTitle}, {fHeadings, boostHeadings}, {fCode, boostText}, {fAlertText, boostAlertPart}}
		if utf8.RuneCountInString(p) >= minBodyPrefix {
			fields = append(fields, fieldBoost{fBody, boostText})
		}
		for _, f := range fields {
			pq := query.NewPrefixQuery(p)
			pq.SetField(f.field)
			pq.SetBoost(f.boost / 2) // a completed word beats a mere prefix
			d.AddQuery(pq)
		}
	}
	return d
}

func match(field, w string, boost float64) query.Query {
	m := query.NewMatchQuery(w)
	m.SetField(field)
	m.SetBoost(boost)
	m.SetOperator(query.MatchQueryOperatorAnd)
	return m
}

func keyword(field, w string, boost float64) query.Query {
	t := query.NewTermQuery(normKeyword(w))
	t.SetField(field)
	t.SetBoost(boost)
	return t
}

// ident matches a word in a field indexed by the ident analyzer: each
// identifier in it whole, or by all of its parts (so "pg_stat" finds
// pg_stat_activity only through pg and stat both being there).
func ident(field, w string, boost float64) query.Query {
	wholes, parts := identTerms(w)
	if len(wholes) == 0 {
		return nil
	}
	var all []query.Query
	for i, whole := range wholes {
		alts := []query.Query{keyword(field, whole, boost)}
		if len(parts[i]) > 1 {
			var ps []query.Query
			for _, p := range parts[i] {
				ps = append(ps, keyword(field, p, boost/2))
			}
			alts = append(alts, query.NewConjunctionQuery(ps))
		}
		all = append(all, query.NewDisjunctionQuery(alts))
	}
	if len(all) == 1 {
		return all[0]
	}
	return query.NewConjunctionQuery(all)
}

// phrase matches a quoted phrase in the title, headings, body or code.
func (b builder) phrase(ph string) query.Query {
	d := query.NewDisjunctionQuery(nil)
	for _, f := range []fieldBoost{{fTitle, boostTitle}, {fHeadings, boostHeadings}, {fBody, boostText}, {fCode, boostText}} {
		p := query.NewMatchPhraseQuery(ph)
		p.SetField(f.field)
		p.SetBoost(f.boost)
		d.AddQuery(p)
	}
	return d
}

// filter matches one field:value filter; path is a prefix of the file path.
func filter(f Filter) query.Query {
	v := normKeyword(f.Value)
	if f.Field == "path" {
		p := query.NewPrefixQuery(strings.TrimPrefix(v, "/"))
		p.SetField(fPath)
		return p
	}
	t := query.NewTermQuery(v)
	t.SetField(filterField[f.Field])
	return t
}
