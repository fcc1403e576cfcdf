package search

import (
	"github.com/blevesearch/bleve/v2/analysis"
)

// A query is planned as a tree of nodes (query.go builds it) and run by
// eval.go on the segments of a snapshot. The tree and its scores are
// those of bleve's queries of the same shape: a term scores tf-idf,
// tf × norm × idf² × boost × queryNorm; a conjunction the sum of its
// parts; a disjunction the sum of its parts that match times the share of
// them that match. Running it ourselves rather than through bleve's
// searchers is what makes a common word cheap: bleve walks the pages of
// every word in every field one by one, through a heap of searchers,
// allocating a match for each; here the pages a query matches are found
// with a few operations on sets of pages, and only the postings of those
// pages are scored, from postings decoded once (postings.go).

type nodeKind uint8

const (
	// nTerm is a term of a field; it scores unless its boost is 0.
	nTerm nodeKind = iota
	// nAll matches the pages all its kids match; scores their sum.
	nAll
	// nAny matches the pages any kid matches; scores the sum of the kids
	// matching times the share of kids matching.
	nAny
	// nPhrase matches the pages with its kids (terms, or nAny of terms
	// at one position) at consecutive positions of one value of its
	// field, nil kids standing for a stop word's gap; scores as nAll.
	nPhrase
	// nPath matches the pages whose lower-cased path starts with term;
	// it does not score.
	nPath
	// nNone matches nothing; it still counts as a kid of an nAny.
	nNone
)

// node is one part of a plan.
type node struct {
	kind  nodeKind
	field string
	term  string
	boost float64
	kids  []*node
	// narrow are unscored terms every page with the phrase has
	// (fBodyPairs): they leave few pages whose positions need reading.
	narrow []*node
	// id numbers the node in its plan, for the tables of a run.
	id int
}

// plan is a query ready to run: pages must match must (every live page
// when nil) and filter and not match not; should adds to the score of
// the pages it matches.
type plan struct {
	must, should, not, filter *node
	// byPath lists the pages in path order rather than by score: a query
	// without words or phrases scores every page alike.
	byPath bool
	nodes  []*node // by id
}

func termNode(field, term string, boost float64) *node {
	return &node{kind: nTerm, field: field, term: term, boost: boost}
}

// allNode and anyNode are a conjunction and a disjunction of the kids, as
// bleve's conjunction and disjunction queries of them.
func allNode(kids ...*node) *node { return &node{kind: nAll, kids: kids} }
func anyNode(kids ...*node) *node { return &node{kind: nAny, kids: kids} }

func noneNode() *node { return &node{kind: nNone} }

// everyOf is allNode, or the one kid alone; oneOf is anyNode, or the one
// kid alone: one kid scores as itself either way.
func everyOf(kids []*node) *node {
	if len(kids) == 1 {
		return kids[0]
	}
	return allNode(kids...)
}

func oneOf(kids []*node) *node {
	if len(kids) == 1 {
		return kids[0]
	}
	return anyNode(kids...)
}

// phraseNode matches text as a phrase in field, analyzed by a, as bleve's
// match phrase query does: the terms at each position (the ident analyzer
// places an identifier's parts with it), gaps where the analyzer dropped
// stop words. Text the analyzer makes nothing of matches nothing.
func phraseNode(field string, a analysis.Analyzer, text string, boost float64) *node {
	var toks analysis.TokenStream
	if a != nil {
		toks = a.Analyze([]byte(text))
	}
	if len(toks) == 0 {
		return noneNode()
	}
	first, last := toks[0].Position, toks[0].Position
	for _, t := range toks {
		first, last = min(first, t.Position), max(last, t.Position)
	}
	slots := make([][]string, last-first+1)
	for _, t := range toks {
		slots[t.Position-first] = append(slots[t.Position-first], string(t.Term))
	}
	n := &node{kind: nPhrase, field: field, boost: boost, kids: make([]*node, len(slots))}
	for i, terms := range slots {
		switch len(terms) {
		case 0:
		case 1:
			n.kids[i] = termNode(field, terms[0], boost)
		default:
			ts := make([]*node, len(terms))
			for k, t := range terms {
				ts[k] = termNode(field, t, boost)
			}
			n.kids[i] = anyNode(ts...)
		}
	}
	return n
}

// number gives every node of the plan its id.
func (p *plan) number() {
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil {
			return
		}
		n.id = len(p.nodes)
		p.nodes = append(p.nodes, n)
		for _, k := range n.kids {
			walk(k)
		}
		for _, k := range n.narrow {
			walk(k)
		}
	}
	for _, n := range []*node{p.must, p.should, p.not, p.filter} {
		walk(n)
	}
}
