package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"

	"github.com/opswiki/opswiki/wiki"
)

// unpackLimit is git's receive.unpackLimit: pushes of fewer objects are
// written as loose objects (which Repack later packs), larger ones as one
// pack of their own.
const unpackLimit = 100

// Incoming is a pushed pack, parsed and held in memory, that is not in the
// repository yet. The caller reads the pushed commits through it (Diff,
// ReadBlob, IsAncestor) to decide whether to accept the push; Accept writes
// the objects, and a rejected Incoming is simply dropped, leaving nothing on
// disk. An Incoming is used by one goroutine.
type Incoming struct {
	s       *Store
	objs    map[plumbing.Hash]gitObject
	trees   map[plumbing.Hash][]treeEntry
	commits map[plumbing.Hash]*commitInfo
	// reach holds, per checked tip, the pushed objects it reaches.
	reach map[plumbing.Hash][]plumbing.Hash
	bytes int64
	// raw is the pack as received, entries where each object is in it,
	// and bases the repository's objects its deltas are based on (a thin
	// pack's): Accept stores the pack as it came, deltas and all.
	raw     []byte
	entries []idxfile.Entry
	bases   map[plumbing.Hash]gitObject
}

// ReceivePack reads a pushed pack of at most maxBytes from r into memory
// and parses it, resolving deltas against objects already in the
// repository, so thin packs (git push sends them by default) work. Nothing
// is written. Returns ETOOLARGE over the limit and EINVALID for a pack that
// cannot be read. An empty r (a push that only deletes refs) gives an empty
// Incoming.
func (s *Store) ReceivePack(ctx context.Context, r io.Reader, maxBytes int64) (*Incoming, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read pushed pack: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, &wiki.Error{Code: wiki.ETOOLARGE, Message: fmt.Sprintf("The push is larger than the server's limit of %d MiB.", maxBytes>>20)}
	}
	in := &Incoming{s: s, objs: make(map[plumbing.Hash]gitObject), trees: make(map[plumbing.Hash][]treeEntry),
		commits: make(map[plumbing.Hash]*commitInfo), reach: make(map[plumbing.Hash][]plumbing.Hash), bytes: int64(len(data)),
		raw: data, bases: make(map[plumbing.Hash]gitObject)}
	if len(data) == 0 {
		return in, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := packfile.NewParserWithStorage(packfile.NewScanner(bytes.NewReader(data)), overlay{in}, (*entryRecorder)(in))
	if err == nil {
		_, err = p.Parse()
	}
	if errors.Is(err, packfile.ErrEmptyPackfile) {
		return in, nil
	}
	if err != nil {
		return nil, &wiki.Error{Code: wiki.EINVALID, Message: fmt.Sprintf("The pushed pack could not be read: %v.", err), Err: err}
	}
	return in, nil
}

// Objects returns how many objects the push holds.
func (in *Incoming) Objects() int { return len(in.objs) }

// Bytes returns the size of the pushed pack.
func (in *Incoming) Bytes() int64 { return in.bytes }

func (in *Incoming) tree(h plumbing.Hash) ([]treeEntry, error) {
	o, ok := in.objs[h]
	if !ok {
		return in.s.tree(h)
	}
	if t, ok := in.trees[h]; ok {
		return t, nil
	}
	if o.typ != plumbing.TreeObject {
		return nil, invalid("The pushed object %s is a %s, not a tree.", h, o.typ)
	}
	t, err := parseTree(o.data)
	if err != nil {
		return nil, invalid("The pushed tree %s is malformed: %v.", h, err)
	}
	in.trees[h] = t
	return t, nil
}

func (in *Incoming) commit(h plumbing.Hash) (*commitInfo, error) {
	o, ok := in.objs[h]
	if !ok {
		return in.s.commit(h)
	}
	if ci, ok := in.commits[h]; ok {
		return ci, nil
	}
	if o.typ != plumbing.CommitObject {
		return nil, invalid("The pushed object %s is a %s, not a commit.", h, o.typ)
	}
	ci, err := decodeCommit(h, o.data)
	if err != nil {
		return nil, invalid("The pushed commit %s is malformed: %v.", h, err)
	}
	in.commits[h] = ci
	return ci, nil
}

// Diff returns the files that differ between two commits, each in the push
// or the repository; a zero from stands for the empty tree.
func (in *Incoming) Diff(ctx context.Context, from, to plumbing.Hash) ([]wiki.Change, error) {
	a := emptyTree
	if !from.IsZero() {
		ci, err := in.commit(from)
		if err != nil {
			return nil, err
		}
		a = ci.tree
	}
	ci, err := in.commit(to)
	if err != nil {
		return nil, err
	}
	return diffTrees(ctx, in, a, ci.tree)
}

// ReadBlob returns a blob from the push or the repository. Returns
// ENOTFOUND.
func (in *Incoming) ReadBlob(ctx context.Context, blob string) ([]byte, error) {
	if !plumbing.IsHash(blob) {
		return nil, notFound("There is no blob %q.", blob)
	}
	if o, ok := in.objs[plumbing.NewHash(blob)]; ok && o.typ == plumbing.BlobObject {
		return o.data, nil
	}
	return in.s.ReadBlob(ctx, blob)
}

// IsAncestor reports whether old is new or an ancestor of it.
func (in *Incoming) IsAncestor(ctx context.Context, old, new plumbing.Hash) (bool, error) {
	return isAncestor(ctx, in, old, new)
}

// Check verifies that every object tip reaches is in the push or in the
// repository, and that pushed commits and trees are well formed (what git
// fsck --strict would refuse is refused), and returns tip's type. Returns
// EINVALID.
func (in *Incoming) Check(ctx context.Context, tip plumbing.Hash) (plumbing.ObjectType, error) {
	var typ plumbing.ObjectType
	if o, ok := in.objs[tip]; ok {
		typ = o.typ
	} else if typ = in.s.ObjectType(tip); typ == plumbing.InvalidObject {
		return typ, invalid("The push names %s, which is neither in the pushed pack nor in the repository.", tip)
	}
	if _, done := in.reach[tip]; done {
		return typ, nil
	}
	var list []plumbing.Hash
	seen := map[plumbing.Hash]bool{tip: true}
	stack := []plumbing.Hash{tip}
	visit := func(h plumbing.Hash, what string) error {
		if seen[h] {
			return nil
		}
		seen[h] = true
		if _, ok := in.objs[h]; ok {
			stack = append(stack, h)
			return nil
		}
		if !in.s.hasObject(h) {
			return invalid("The push is incomplete: %s %s is neither in the pushed pack nor in the repository.", what, h)
		}
		return nil
	}
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return typ, err
		}
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		o, ok := in.objs[h]
		if !ok {
			continue // tip itself, already in the repository
		}
		list = append(list, h)
		var err error
		switch o.typ {
		case plumbing.CommitObject:
			var ci *commitInfo
			if ci, err = in.commit(h); err == nil {
				if err = checkCommit(h, o.data); err == nil {
					if err = visit(ci.tree, "tree"); err == nil {
						for _, p := range ci.parents {
							if err = visit(p, "commit"); err != nil {
								break
							}
						}
					}
				}
			}
		case plumbing.TreeObject:
			if err = checkTree(h, o.data); err == nil {
				var entries []treeEntry
				if entries, err = in.tree(h); err == nil {
					for _, e := range entries {
						if e.isDir() || e.isFile() {
							if err = visit(e.hash, "object"); err != nil {
								break
							}
						}
					}
				}
			}
		case plumbing.TagObject:
			var t *tagInfo
			if t, err = decodeTagInfo(h, o.data); err == nil {
				err = visit(t.target, "object")
			}
		}
		if err != nil {
			return typ, err
		}
	}
	in.reach[tip] = list
	return typ, nil
}

// Accept writes the pushed objects the given tips reach (each must have
// passed Check) into the repository, durably, before any ref may name
// them: fewer than 100 as loose objects, more as one pack, as git does.
// When the tips reach everything in the pack, the pack is stored as it
// came, with its deltas (completed with its bases when it is thin);
// otherwise only the objects the tips reach are written, without deltas,
// so nothing unchecked ever lands in the repository.
func (in *Incoming) Accept(ctx context.Context, tips ...plumbing.Hash) error {
	seen := make(map[plumbing.Hash]bool)
	var objs []gitObject
	for _, tip := range tips {
		list, ok := in.reach[tip]
		if !ok {
			return fmt.Errorf("accept %s: not checked", tip)
		}
		for _, h := range list {
			if !seen[h] {
				seen[h] = true
				objs = append(objs, in.objs[h])
			}
		}
	}
	if len(objs) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(objs) >= unpackLimit && len(objs) == len(in.objs) && len(in.entries) == len(in.objs) {
		// Every object in the pack was checked: store it as it came,
		// keeping the deltas the client computed.
		var bases []gitObject
		for h, o := range in.bases {
			if _, ok := in.objs[h]; !ok {
				bases = append(bases, o)
			}
		}
		if _, err := in.s.installPack(func(w io.Writer, idx *idxfile.Writer) (plumbing.Hash, error) {
			return completePack(w, in.raw, in.entries, bases, idx)
		}); err != nil {
			return err
		}
		in.s.Refresh()
		return nil
	}
	if len(objs) < unpackLimit {
		dirs, err := in.s.writeObjects(objs)
		if err != nil {
			return err
		}
		if err := parallel(len(dirs), func(i int) error { return syncDir(dirs[i]) }); err != nil {
			return err
		}
		in.s.RepackSoon()
		return nil
	}
	if _, err := in.s.writePack(objs); err != nil {
		return err
	}
	in.s.Refresh()
	return nil
}
