package search

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// What is read once from each segment for every search after: segments
// never change once written. Built on first use; forgotten once the
// segment is merged away.

// segData keeps the tables of recently searched segments by segment id.
type segData struct {
	mu   sync.Mutex
	segs map[uint64]*segTables
}

// segTables are the tables of one segment, each built on first use.
type segTables struct {
	idsOnce   sync.Once
	idTable   *idTable
	idsErr    error
	wordsOnce sync.Once
	words     *wordDict
	wordsErr  error
	mu        sync.Mutex
	fields    map[string]*termsOnce
}

// termsOnce is the term list of one field, read on first use.
type termsOnce struct {
	once sync.Once
	list *termList
	err  error
}

func newSegData() *segData { return &segData{segs: map[uint64]*segTables{}} }

// tables returns the tables of ss.
func (sd *segData) tables(ss *scorch.SegmentSnapshot) *segTables {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	t := sd.segs[ss.Id()]
	if t == nil {
		t = &segTables{}
		sd.segs[ss.Id()] = t
	}
	return t
}

// forget drops the tables of the segments not in segs, those of the
// snapshot searched, once there are a few: the tables of a large segment
// are megabytes, and a segment merged away is searched again only by a
// search still on an older snapshot, which builds them again.
func (sd *segData) forget(segs []*scorch.SegmentSnapshot) {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if len(sd.segs) <= len(segs)+4 {
		return
	}
	for id := range sd.segs {
		if !slices.ContainsFunc(segs, func(ss *scorch.SegmentSnapshot) bool { return ss.Id() == id }) {
			delete(sd.segs, id)
		}
	}
}

// ids returns the id table of ss.
func (sd *segData) ids(ss *scorch.SegmentSnapshot) (*idTable, error) {
	t := sd.tables(ss)
	t.idsOnce.Do(func() { t.idTable, t.idsErr = readIDs(ss.Segment()) })
	return t.idTable, t.idsErr
}

// wordDict returns the dictionary of fWords of ss.
func (sd *segData) wordDict(ss *scorch.SegmentSnapshot) (*wordDict, error) {
	t := sd.tables(ss)
	t.wordsOnce.Do(func() { t.words, t.wordsErr = readWordDict(ss.Segment()) })
	return t.words, t.wordsErr
}

// terms returns the terms of field in ss.
func (sd *segData) terms(ss *scorch.SegmentSnapshot, field string) (*termList, error) {
	t := sd.tables(ss)
	t.mu.Lock()
	if t.fields == nil {
		t.fields = map[string]*termsOnce{}
	}
	ft := t.fields[field]
	if ft == nil {
		ft = &termsOnce{}
		t.fields[field] = ft
	}
	t.mu.Unlock()
	ft.once.Do(func() { ft.list, ft.err = readTerms(ss.Segment(), field) })
	return ft.list, ft.err
}

// termList is the dictionary of a field of a segment: its terms in
// order, and the pages of the segment with each, deleted ones too.
type termList struct {
	terms  []string
	counts []uint32
}

func readTerms(seg segment.Segment, field string) (*termList, error) {
	dict, err := seg.Dictionary(field)
	if err != nil {
		return nil, fmt.Errorf("search: read the terms of %s: %w", field, err)
	}
	tl := &termList{}
	it := dict.AutomatonIterator(everyTerm{}, nil, nil)
	for {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("search: read the terms of %s: %w", field, err)
		}
		if e == nil {
			return tl, nil
		}
		tl.terms = append(tl.terms, e.Term)
		tl.counts = append(tl.counts, uint32(min(e.Count, 1<<32-1)))
	}
}

// withPrefix calls fn with the first max terms starting with prefix, in
// order.
func (tl *termList) withPrefix(prefix string, max int, fn func(term string, count uint32)) {
	i, _ := slices.BinarySearch(tl.terms, prefix)
	for n := 0; i < len(tl.terms) && n < max && strings.HasPrefix(tl.terms[i], prefix); i, n = i+1, n+1 {
		fn(tl.terms[i], tl.counts[i])
	}
}

// idTable lists the pages of a segment by id (their file path): to list
// pages in path order and to find the pages under a path without looking
// up the terms of fPath one by one.
type idTable struct {
	ids  []string // ascending
	docs []uint32 // the page of each id
	// lower orders the ids lower-cased, as fPath holds paths: indexes
	// into ids.
	lower []int32
	lows  []string // lower-cased ids, by index into ids
}

// readIDs reads the ids of a segment from its dictionary of _id, in which
// every page has its id as its one term.
func readIDs(seg segment.Segment) (*idTable, error) {
	dict, err := seg.Dictionary("_id")
	if err != nil {
		return nil, fmt.Errorf("search: read the page ids of a segment: %w", err)
	}
	t := &idTable{}
	it := dict.AutomatonIterator(everyTerm{}, nil, nil)
	var pl segment.PostingsList
	var pi segment.PostingsIterator
	for {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("search: read the page ids of a segment: %w", err)
		}
		if e == nil {
			break
		}
		if pl, err = dict.PostingsList([]byte(e.Term), nil, pl); err != nil {
			return nil, fmt.Errorf("search: read the page of %q: %w", e.Term, err)
		}
		pi = pl.Iterator(false, false, false, pi)
		for {
			p, err := pi.Next()
			if err != nil {
				return nil, fmt.Errorf("search: read the page of %q: %w", e.Term, err)
			}
			if p == nil {
				break
			}
			t.ids = append(t.ids, e.Term)
			t.docs = append(t.docs, uint32(p.Number()))
		}
	}
	t.lows = make([]string, len(t.ids))
	t.lower = make([]int32, len(t.ids))
	for i, id := range t.ids {
		t.lows[i] = strings.ToLower(id) // the same string when already lower-case
		t.lower[i] = int32(i)
	}
	slices.SortStableFunc(t.lower, func(a, b int32) int { return strings.Compare(t.lows[a], t.lows[b]) })
	return t, nil
}

// withPrefix calls fn with the pages whose lower-cased id starts with
// prefix.
func (t *idTable) withPrefix(prefix string, fn func(uint32)) {
	i, _ := slices.BinarySearchFunc(t.lower, prefix, func(k int32, p string) int { return strings.Compare(t.lows[k], p) })
	for ; i < len(t.lower) && strings.HasPrefix(t.lows[t.lower[i]], prefix); i++ {
		fn(t.docs[t.lower[i]])
	}
}

// everyTerm is the automaton matching every term of a dictionary.
type everyTerm struct{}

func (everyTerm) Start() int               { return 0 }
func (everyTerm) IsMatch(int) bool         { return true }
func (everyTerm) CanMatch(int) bool        { return true }
func (everyTerm) WillAlwaysMatch(int) bool { return true }
func (everyTerm) Accept(int, byte) int     { return 0 }
