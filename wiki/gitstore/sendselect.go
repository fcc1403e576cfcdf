package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// selection is the objects to send and what the client is known to have.
type selection struct {
	ctx     context.Context
	src     *objectSource
	cached  *wiki.Cache[plumbing.Hash, *commitInfo] // the store's decoded commits, or nil
	objs    []sendObject                            // numbered as in sent
	sent    idTable
	have    idTable
	commits int
	// walked is the tree last walked at each path, all of whose entries
	// are sent or the client's: the next version of a folder needs only
	// its entries that differ from it looked up. The trees are held by
	// id too, as delta bases: a folder's versions are stored as deltas of
	// one another, mostly of the version walked just before.
	walked     map[string]walkedTree
	held       map[plumbing.Hash][]byte
	freeBounds []int32 // the bounds of the tree walked was last replaced
}

// sendObject is where an object to send is stored; out and state belong
// to the writer.
type sendObject struct {
	loc   objLoc
	out   int64
	state uint8
}

// selectObjects chooses the objects reachable from wants and not from
// haves the way git does, which is correct whatever the history looks
// like: the commits reachable from the wants and not from the haves are
// sent; the trees of the commits the client has that they descend from
// (the boundary) are marked as the client's, with everything they reach;
// then the trees of the sent commits are walked, each tree once, leaving
// out what the client has (walk). Only the boundary's trees are marked,
// so an object the client has from further back (a file reverted to an
// old version) may be sent again: bytes, never correctness.
func selectObjects(ctx context.Context, src *objectSource, cached *wiki.Cache[plumbing.Hash, *commitInfo], wants, haves []plumbing.Hash) (*selection, error) {
	sel := &selection{ctx: ctx, src: src, cached: cached, walked: make(map[string]walkedTree), held: make(map[plumbing.Hash][]byte)}
	src.held = func(h plumbing.Hash) (plumbing.ObjectType, []byte, bool) {
		data, ok := sel.held[h]
		return plumbing.TreeObject, data, ok
	}
	// Haves first, so that a want the client has is not sent.
	haveTips, haveTrees, err := sel.resolve(haves, true)
	if err != nil {
		return nil, err
	}
	known, err := sel.closure(haveTips)
	if err != nil {
		return nil, err
	}
	tips, trees, err := sel.resolve(wants, false)
	if err != nil {
		return nil, err
	}
	roots, boundary, oldestFirst, err := sel.commitsToSend(tips, known)
	if err != nil {
		return nil, err
	}
	for _, t := range append(boundary, haveTrees...) {
		if err := sel.markHave(t); err != nil {
			return nil, err
		}
	}
	if oldestFirst {
		slices.Reverse(roots)
	}
	for _, t := range append(roots, trees...) {
		if err := sel.walk(t, ""); err != nil {
			return nil, err
		}
	}
	return sel, nil
}

// resolve sorts wants or haves into commits and trees, past annotated
// tags. Wanted tags and blobs are added to what is sent; haves are all
// marked as the client's, and those the repository lacks are left out.
func (sel *selection) resolve(ids []plumbing.Hash, haves bool) (commits, trees []plumbing.Hash, err error) {
	for _, h := range ids {
		err := sel.peel(h, func(h plumbing.Hash, l objLoc, t plumbing.ObjectType) error {
			switch {
			case t == plumbing.CommitObject:
				commits = append(commits, h)
			case t == plumbing.TreeObject:
				trees = append(trees, h)
			case !haves:
				sel.addAt(h, l)
			}
			if haves {
				sel.have.add(h)
			}
			return nil
		}, haves)
		if err != nil && (!haves || !errors.Is(err, wiki.ErrNotFound)) {
			return nil, nil, err
		}
	}
	return commits, trees, nil
}

// commitsToSend adds the commits reachable from tips and not known to the
// client, and returns their trees, the trees of the boundary (the commits
// the client has that they name as parents), and which way to walk the
// trees (oldestFirst).
func (sel *selection) commitsToSend(tips []plumbing.Hash, known map[plumbing.Hash]plumbing.Hash) (roots, boundary []plumbing.Hash, oldest bool, err error) {
	treeOf := make(map[plumbing.Hash]plumbing.Hash)
	var samples [][2]plumbing.Hash // a commit and its first parent
	for len(tips) > 0 {
		if err := sel.ctx.Err(); err != nil {
			return nil, nil, false, err
		}
		h := tips[len(tips)-1]
		tips = tips[:len(tips)-1]
		if _, ok := known[h]; ok || sel.sent.has(h) {
			continue
		}
		tree, parents, err := sel.commit(h)
		if err != nil {
			return nil, nil, false, err
		}
		l, err := sel.src.locate(h)
		if err != nil {
			return nil, nil, false, err
		}
		sel.addAt(h, l)
		sel.commits++
		roots = append(roots, tree)
		treeOf[h] = tree
		if len(parents) > 0 && len(samples) < 16 {
			samples = append(samples, [2]plumbing.Hash{h, parents[0]})
		}
		for _, p := range parents {
			if t, ok := known[p]; ok {
				boundary = append(boundary, t)
			} else {
				tips = append(tips, p)
			}
		}
	}
	return roots, boundary, sel.oldestFirst(samples, treeOf), nil
}

// oldestFirst tells from a few commits and their parents whether the
// repository stores trees as deltas of their older versions (as go-git
// and git push mostly do) rather than of their newer ones (as git gc
// does). Trees are walked in that order, so that each version's delta
// base is the version walked just before, still held in memory; the other
// order would make every read apply a chain of deltas.
func (sel *selection) oldestFirst(samples [][2]plumbing.Hash, treeOf map[plumbing.Hash]plumbing.Hash) bool {
	votes := 0
	for _, sm := range samples {
		t, pt := treeOf[sm[0]], treeOf[sm[1]]
		switch {
		case pt.IsZero() || t == pt:
		case sel.deltaOf(t, pt):
			votes++
		case sel.deltaOf(pt, t):
			votes--
		}
	}
	return votes > 0
}

// deltaOf reports whether h is stored as a delta of base.
func (sel *selection) deltaOf(h, base plumbing.Hash) bool {
	l, err := sel.src.locate(h)
	if err != nil || l.loose() {
		return false
	}
	e, err := sel.src.entryHead(l.pack, l.off)
	if err != nil {
		return false
	}
	switch e.code {
	case ofsDeltaCode:
		b, ok := sel.src.hashAt(l.pack, e.baseOff)
		return ok && b == base
	case refDeltaCode:
		return e.baseRef == base
	}
	return false
}

// peel finds h and calls fn with it, or with the object it names when it
// is an annotated tag (which, unless haves is set, is sent too).
func (sel *selection) peel(h plumbing.Hash, fn func(plumbing.Hash, objLoc, plumbing.ObjectType) error, haves bool) error {
	for range 64 {
		if !haves && sel.have.has(h) {
			return nil
		}
		l, err := sel.src.locate(h)
		if err != nil {
			return err
		}
		t, err := sel.src.typeOf(h, l)
		if err != nil {
			return err
		}
		if t != plumbing.TagObject {
			return fn(h, l, t)
		}
		if haves {
			sel.have.add(h)
		} else {
			sel.addAt(h, l)
		}
		_, data, _, err := sel.src.read(h, l)
		if err != nil {
			return err
		}
		tag, err := decodeTagInfo(h, data)
		if err != nil {
			return err
		}
		h = tag.target
	}
	return invalid("The tag %s names tags 64 deep.", h)
}

// closure returns every commit reachable from tips, with its tree.
func (sel *selection) closure(tips []plumbing.Hash) (map[plumbing.Hash]plumbing.Hash, error) {
	known := make(map[plumbing.Hash]plumbing.Hash)
	for len(tips) > 0 {
		if err := sel.ctx.Err(); err != nil {
			return nil, err
		}
		h := tips[len(tips)-1]
		tips = tips[:len(tips)-1]
		if _, ok := known[h]; ok {
			continue
		}
		tree, parents, err := sel.commit(h)
		if err != nil {
			return nil, err
		}
		known[h] = tree
		tips = append(tips, parents...)
	}
	return known, nil
}

// commit returns the tree and parents of a commit, from the store's
// cache of decoded commits when it holds it: telling which commits the
// client has walks the whole history behind its haves.
func (sel *selection) commit(h plumbing.Hash) (tree plumbing.Hash, parents []plumbing.Hash, err error) {
	if sel.cached != nil {
		if ci, ok := sel.cached.Get(h); ok {
			return ci.tree, ci.parents, nil
		}
	}
	l, err := sel.src.locate(h)
	if err != nil {
		return tree, nil, err
	}
	t, data, owned, err := sel.src.read(h, l)
	if err != nil {
		return tree, nil, err
	}
	if t != plumbing.CommitObject {
		return tree, nil, fmt.Errorf("object %s is a %s, not a commit", h, t)
	}
	tree, parents, err = commitLinks(h, data)
	if owned {
		sel.src.recycle(data)
	}
	return tree, parents, err
}

// commitLinks reads a commit's tree and parents from the header lines
// that come first.
func commitLinks(h plumbing.Hash, data []byte) (tree plumbing.Hash, parents []plumbing.Hash, err error) {
	id := func(prefix string) (plumbing.Hash, bool) {
		var v plumbing.Hash
		if !bytes.HasPrefix(data, []byte(prefix)) || len(data) < len(prefix)+41 || data[len(prefix)+40] != '\n' {
			return v, false
		}
		hex := string(data[len(prefix) : len(prefix)+40])
		if !isHex40(hex) {
			return v, false
		}
		data = data[len(prefix)+41:]
		return plumbing.NewHash(hex), true
	}
	tree, ok := id("tree ")
	if !ok {
		return tree, nil, fmt.Errorf("commit %s is malformed: no tree", h)
	}
	for {
		p, ok := id("parent ")
		if !ok {
			return tree, parents, nil
		}
		parents = append(parents, p)
	}
}

func (sel *selection) addAt(h plumbing.Hash, l objLoc) {
	if _, added := sel.sent.add(h); added {
		sel.objs = append(sel.objs, sendObject{loc: l})
	}
}
