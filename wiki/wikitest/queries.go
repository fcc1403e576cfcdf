package wikitest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Query is one search as a person types it into the search box, with the
// kind of query it is.
type Query struct {
	Kind string
	Text string
}

// QueryKinds are the kinds of query Queries makes, in the order it takes
// turns between them.
var QueryKinds = []string{"word", "two-words", "words", "phrase", "alert", "alert-lower", "identifier", "filter", "filter-text", "typo", "prefix", "incident"}

// Queries returns n different queries for a generated wiki of pages pages,
// taking turns between QueryKinds: single words, two and three words,
// quoted phrases, alert names as written and lower-cased, error codes
// and other identifiers, filters alone and with text, words with a typo,
// words still being typed (the last one a prefix), incident ids. Nearly
// all find something. The same n and pages always give the same queries,
// in the same order; n is capped at what the vocabulary allows (tens of
// thousands).
func Queries(n, pages int) []Query {
	r := rand.New(rand.NewPCG(13, 17))
	pages = max(pages, 1)
	// Words come from one page's text, as people search for what they
	// remember reading: a query of several words finds at least the page
	// they came from. A page's words, in order, with the sentence breaks.
	words := func(i int) []string {
		_, b := PageText(i)
		var out []string
		for _, f := range strings.Fields(string(b)) {
			w := strings.ToLower(strings.TrimRight(f, ".,;:"))
			if searchable(w) && strings.IndexFunc(w, func(r rune) bool { return r < 'a' || r > 'z' }) < 0 {
				out = append(out, w)
			}
		}
		return out
	}
	page := func() (int, []string) {
		for {
			i := r.IntN(pages)
			if ws := words(i); len(ws) >= 3 {
				return i, ws
			}
		}
	}
	pick := func(ws []string) string { return ws[r.IntN(len(ws))] }
	svcOf := func(i int) string { return Services[i%len(Services)] }
	svc := func() string { return Services[r.IntN(len(Services))] }
	runbook := func() int {
		i := r.IntN(pages)
		return i - i%4 + r.IntN(2) // pages 0 and 1 of every 4 are runbooks
	}
	postmortem := func() int { return r.IntN(max(pages/4, 1))*4 + 2 }
	idents := []string{"pg_stat_activity", "kubectl", "wait_event", "deploy/"}
	kindOf := func(i int) string {
		switch i % 4 {
		case 0, 1:
			return "kind:runbook"
		case 2:
			return "kind:postmortem"
		}
		return "kind:page"
	}
	gen := map[string]func() string{
		"word":      func() string { i, ws := page(); return pick(ws) + " " + svcOf(i) },
		"two-words": func() string { _, ws := page(); return pick(ws) + " " + pick(ws) },
		"words":     func() string { _, ws := page(); return pick(ws) + " " + pick(ws) + " " + pick(ws) },
		"phrase": func() string {
			_, ws := page()
			k := r.IntN(len(ws) - 1)
			return `"` + ws[k] + " " + ws[k+1] + `"`
		},
		"alert":       func() string { return AlertName(runbook()) },
		"alert-lower": func() string { return strings.ToLower(AlertName(runbook())) },
		"identifier": func() string {
			if r.IntN(2) == 0 {
				return ErrCodes[r.IntN(len(ErrCodes))] + " " + svc()
			}
			i, ws := page()
			return idents[r.IntN(len(idents))] + " " + svcOf(i) + " " + pick(ws)
		},
		"filter": func() string {
			switch r.IntN(3) {
			case 0:
				return "kind:runbook service:" + svc() + " severity:critical owner:team-" + svc()
			case 1:
				return "kind:postmortem service:" + svc() + " status:published " + fmt.Sprintf("incident:INC-%d", postmortem())
			default:
				return "path:runbooks/" + svc() + " alert:" + AlertName(runbook())
			}
		},
		"filter-text": func() string {
			i, ws := page()
			return kindOf(i) + " service:" + svcOf(i) + " " + pick(ws) + " " + pick(ws)
		},
		"typo":   func() string { _, ws := page(); return Typo(pick(ws), r.IntN(1000)) + " " + pick(ws) },
		"prefix": func() string { _, ws := page(); w := pick(ws); return pick(ws) + " " + w[:3+r.IntN(len(w)-2)] },
		"incident": func() string {
			i := postmortem()
			ws := words(i)
			if len(ws) == 0 {
				return fmt.Sprintf("INC-%d", i)
			}
			return fmt.Sprintf("INC-%d %s", i, pick(ws))
		},
	}
	seen := map[string]bool{}
	var out []Query
	// Each kind stops after this many tries without a new query, so a
	// small vocabulary ends the list instead of looping forever.
	const patience = 200
	stale := map[string]int{}
	for len(out) < n {
		for _, kind := range QueryKinds {
			if len(out) == n || stale[kind] >= patience {
				continue
			}
			q := gen[kind]()
			if seen[q] {
				stale[kind]++
				continue
			}
			seen[q], stale[kind] = true, 0
			out = append(out, Query{Kind: kind, Text: q})
		}
		if allStale(stale, patience) {
			break
		}
	}
	return out
}

func allStale(stale map[string]int, patience int) bool {
	for _, kind := range QueryKinds {
		if stale[kind] < patience {
			return false
		}
	}
	return true
}

// Typo returns w with one letter changed, dropped, doubled or two
// neighbours swapped (which, and where, chosen by seed), as people mistype.
func Typo(w string, seed int) string {
	if len(w) < 4 {
		return w
	}
	i := 1 + seed%(len(w)-2) // keep the first letter, as people do
	switch seed % 4 {
	case 0:
		return w[:i] + w[i+1:]
	case 1:
		return w[:i] + w[i:i+1] + w[i:]
	case 2:
		return w[:i] + w[i+1:i+2] + w[i:i+1] + w[i+2:]
	default:
		c := byte('a' + (int(w[i]-'a')+1+seed%24)%26)
		return w[:i] + string(c) + w[i+1:]
	}
}
