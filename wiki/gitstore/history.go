package gitstore

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// Interface checks.
var (
	_ wiki.History = (*History)(nil)
	_ wiki.View    = (*History)(nil)
)

// History is the per-path history index: for every file, the commits on
// main's first-parent line that changed it, as `git log --first-parent --
// <path>` lists them. go-git's Log with a path filter reads every commit's
// trees per request (about 1 ms a commit); the index instead follows main
// as a wiki.View, diffing each new commit against its first parent once,
// and answers from memory. Every method is safe for concurrent use.
type History struct {
	s *Store

	// mu guards ix: readers hold it while they copy out one page of
	// revisions, Apply only while it swaps in a rebuilt index or appends
	// the commits it already diffed.
	mu sync.RWMutex
	ix *historyIndex // nil until the first Apply

	// file keeps the index across restarts (see OpenHistory); saved is
	// how many commits it held when last written.
	file   string
	log    *slog.Logger
	saved  int
	saveMu sync.Mutex
	saving atomic.Bool
}

// historyIndex is the whole index at one commit.
type historyIndex struct {
	head string
	// commits is the first-parent line, oldest first; the decoded commits
	// are the store's own, so the index adds only pointers to them.
	commits []*commitInfo
	pos     map[string]int32 // commit id → index in commits
	paths   map[wiki.Path][]pathRev
}

// pathRev is one change to a path: 28 bytes, with no pointers for the
// garbage collector to follow.
type pathRev struct {
	commit int32         // index in historyIndex.commits
	kind   uint8         // a wiki.ChangeKind
	blob   plumbing.Hash // zero when deleted
}

// onHistoryRebuild, when set by a test, runs when Apply rebuilds an index
// from the root instead of extending it.
var onHistoryRebuild func()

// NewHistory returns an empty index on the store; it answers once the
// follower has applied main to it.
func NewHistory(s *Store) *History { return &History{s: s} }

// Name identifies the view in logs and readiness reports.
func (h *History) Name() string { return "history" }

// Commit returns the commit the index reflects, or "" before the first Apply.
func (h *History) Commit() string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.ix == nil {
		return ""
	}
	return h.ix.head
}

// Apply brings the index up to u.To. When the index is at u.From and u.From
// is on u.To's first-parent line, only the commits after it are diffed;
// otherwise (first build, a rewritten main, a merge whose first parent is
// another line) the index is rebuilt from the whole line, which the walk
// has read by then anyway. u.Changes is not used: the index needs each
// commit's own changes, not their sum. The index is changed only once
// every diff succeeded, so on error it still reflects its previous commit.
func (h *History) Apply(ctx context.Context, u wiki.Update) error {
	h.mu.RLock()
	cur := h.ix
	h.mu.RUnlock()
	if u.To == "" {
		h.swap(newHistoryIndex(""))
		return nil
	}
	if cur != nil && cur.head == u.To {
		return nil
	}
	to, err := parseCommitID(u.To)
	if err != nil {
		return err
	}
	stop := plumbing.ZeroHash
	if cur != nil && cur.head != "" && cur.head == u.From {
		stop = plumbing.NewHash(cur.head)
	}
	chain, reached, err := h.walk(ctx, to, stop)
	if err != nil {
		return err
	}
	base := emptyTree
	if reached {
		base = cur.commits[len(cur.commits)-1].tree
	}
	changes, err := h.diffChain(ctx, chain, base, u)
	if err != nil {
		return err
	}
	if !reached {
		if onHistoryRebuild != nil {
			onHistoryRebuild()
		}
		ix := newHistoryIndex(u.To)
		ix.extend(chain, changes)
		h.mu.Lock()
		h.ix, h.saved = ix, 0
		h.mu.Unlock()
		h.saveSoon()
		return nil
	}
	h.mu.Lock()
	cur.extend(chain, changes)
	cur.head = u.To
	h.mu.Unlock()
	h.saveSoon()
	return nil
}

func (h *History) swap(ix *historyIndex) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ix = ix
}

// walk follows first parents from `to` until stop or the root and returns
// the commits newest first, and whether it reached stop.
func (h *History) walk(ctx context.Context, to, stop plumbing.Hash) ([]*commitInfo, bool, error) {
	var chain []*commitInfo
	for c := to; ; {
		if c == stop {
			return chain, true, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		ci, err := h.s.commit(c)
		if err != nil {
			return nil, false, err
		}
		chain = append(chain, ci)
		if len(ci.parents) == 0 {
			return chain, false, nil
		}
		c = ci.parents[0]
	}
}

// diffChain diffs every commit of chain (newest first) against its first
// parent, the next one in chain; the oldest against base.
func (h *History) diffChain(ctx context.Context, chain []*commitInfo, base plumbing.Hash, u wiki.Update) ([][]wiki.Change, error) {
	out := make([][]wiki.Change, len(chain))
	for i, ci := range chain {
		parent := base
		if i+1 < len(chain) {
			parent = chain[i+1].tree
		}
		changes, err := h.s.diffTrees(ctx, parent, ci.tree)
		if err != nil {
			return nil, err
		}
		out[i] = changes
		if u.Progress != nil && i%512 == 511 {
			u.Progress(len(u.Changes) * (i + 1) / len(chain))
		}
	}
	return out, nil
}

func newHistoryIndex(head string) *historyIndex {
	return &historyIndex{head: head, pos: make(map[string]int32), paths: make(map[wiki.Path][]pathRev)}
}

// extend appends commits, given newest first with their changes.
func (ix *historyIndex) extend(chain []*commitInfo, changes [][]wiki.Change) {
	for i := len(chain) - 1; i >= 0; i-- {
		n := int32(len(ix.commits))
		ix.commits = append(ix.commits, chain[i])
		ix.pos[chain[i].commit.ID] = n
		for _, c := range changes[i] {
			r := pathRev{commit: n, kind: uint8(c.Kind)}
			if c.Kind != wiki.Deleted {
				r.blob = plumbing.NewHash(c.Blob)
			}
			ix.paths[c.Path] = append(ix.paths[c.Path], r)
		}
	}
}

// errBuilding is what PageHistory says before the first Apply.
var errBuilding = &wiki.Error{Code: wiki.EUNAVAILABLE, Message: "The page history is still being built; try again shortly."}

// PageHistory returns up to limit revisions of p (all when limit <= 0),
// newest first, from the commits older than before (all when before is
// ""); before need not have changed p, only be on main's first-parent line.
// Returns EUNAVAILABLE before the first Apply, ENOTFOUND when before is not
// on the line the index reflects.
func (h *History) PageHistory(ctx context.Context, p wiki.Path, limit int, before string) ([]wiki.Revision, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	ix := h.ix
	if ix == nil {
		return nil, h.unbuilt(ctx)
	}
	revs := ix.paths[p]
	end := len(revs)
	if before != "" {
		n, ok := ix.pos[before]
		if !ok {
			return nil, notFound("There is no commit %s in the history of main.", before)
		}
		end = sort.Search(len(revs), func(i int) bool { return revs[i].commit >= n })
	}
	n := end
	if limit > 0 {
		n = min(n, limit)
	}
	out := make([]wiki.Revision, n)
	for k := range out {
		r := revs[end-1-k]
		out[k] = wiki.Revision{Commit: ix.commits[r.commit].commit, Kind: wiki.ChangeKind(r.kind)}
		if out[k].Kind != wiki.Deleted {
			out[k].Blob = r.blob.String()
		}
	}
	return out, nil
}

// unbuilt says why there is no index yet. The follower never applies an
// empty repository (there is no commit to move to), so an empty
// repository has an empty history rather than one still being built.
func (h *History) unbuilt(ctx context.Context) error {
	if _, err := h.s.Head(ctx); errors.Is(err, wiki.ErrEmpty) {
		return nil
	}
	return errBuilding
}
