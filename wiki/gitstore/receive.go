package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"

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
	// state and links record Check's verdict on each pushed object and
	// the pushed objects it names, so objects shared by many refs are
	// checked once and Accept writes exactly what the accepted refs reach.
	state map[plumbing.Hash]checkState
	links map[plumbing.Hash][]plumbing.Hash
	fail  map[plumbing.Hash]error
	bytes int64
	// raw is the pack as received, entries where each object is in it,
	// and bases the repository's objects its deltas are based on (a thin
	// pack's): Accept stores the pack as it came, deltas and all.
	raw     []byte
	entries []idxfile.Entry
	bases   map[plumbing.Hash]gitObject
	// types caches the types of repository objects pushed trees name;
	// baseTrees the stored tree each pushed commit is compared with.
	types     map[plumbing.Hash]plumbing.ObjectType
	baseTrees map[plumbing.Hash]plumbing.Hash
}

// ReceivePack reads a pushed pack of at most maxBytes from r into memory
// and parses it, resolving deltas against objects already in the
// repository, so thin packs (git push sends them by default) work. Nothing
// is written. No object may unpack to more than maxBytes, and the whole
// push to no more than inflateLimit(maxBytes). Returns ETOOLARGE over a
// limit and EINVALID for a pack that cannot be read. An empty r (a push
// that only deletes refs) gives an empty Incoming.
func (s *Store) ReceivePack(ctx context.Context, r io.Reader, maxBytes int64) (*Incoming, error) {
	return s.receivePack(ctx, r, maxBytes, packLimits{object: maxBytes, total: inflateLimit(maxBytes)})
}

func (s *Store) receivePack(ctx context.Context, r io.Reader, maxBytes int64, lim packLimits) (*Incoming, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read pushed pack: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, &wiki.Error{Code: wiki.ETOOLARGE, Message: fmt.Sprintf("The push is larger than the server's limit of %d MiB.", maxBytes>>20)}
	}
	in := &Incoming{s: s, objs: make(map[plumbing.Hash]gitObject), trees: make(map[plumbing.Hash][]treeEntry),
		commits: make(map[plumbing.Hash]*commitInfo), bytes: int64(len(data)), raw: data, bases: make(map[plumbing.Hash]gitObject),
		state: make(map[plumbing.Hash]checkState), links: make(map[plumbing.Hash][]plumbing.Hash), fail: make(map[plumbing.Hash]error),
		types: make(map[plumbing.Hash]plumbing.ObjectType), baseTrees: make(map[plumbing.Hash]plumbing.Hash)}
	if len(data) == 0 {
		return in, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pack, err := parsePack(ctx, data, lim, s.readAny)
	var limit *errPackLimit
	switch {
	case errors.As(err, &limit):
		return nil, &wiki.Error{Code: wiki.ETOOLARGE, Message: limit.msg, Err: err}
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return nil, &wiki.Error{Code: wiki.EINVALID, Message: fmt.Sprintf("The pushed pack could not be read: %v.", err), Err: err}
	}
	for _, o := range pack.objs {
		in.objs[o.hash] = o
	}
	in.entries, in.bases = pack.entries, pack.bases
	return in, nil
}

// inflateLimit is how much a push of at most maxBytes may unpack to in
// memory: deltas make an honest pack unpack to several times its size (a
// history of small edits to large trees), while a hostile one of zlib
// bombs and copy-only deltas would unpack to thousands of times its size.
// Eight times the limit, and at least 64 MiB, keeps the first and bounds
// the second.
func inflateLimit(maxBytes int64) int64 {
	return max(8*maxBytes, 64<<20)
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
// repository, of the type that names it, and that pushed objects are what
// git fsck --strict accepts: well-formed commits, tags and trees, tree
// entries git can check out everywhere (no .git in any of its guises, no
// .gitmodules link) and .gitmodules git may read. It returns tip's type.
// Objects shared by several tips are checked once. Returns EINVALID.
func (in *Incoming) Check(ctx context.Context, tip plumbing.Hash) (plumbing.ObjectType, error) {
	var typ plumbing.ObjectType
	if o, ok := in.objs[tip]; ok {
		typ = o.typ
	} else if typ = in.s.ObjectType(tip); typ == plumbing.InvalidObject {
		return typ, invalid("The push names %s, which is neither in the pushed pack nor in the repository.", tip)
	}
	if _, ok := in.objs[tip]; !ok {
		return typ, nil
	}
	return typ, in.walk(ctx, tip)
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
	var stack []plumbing.Hash
	for _, tip := range tips {
		if _, ok := in.objs[tip]; !ok || seen[tip] {
			continue
		}
		if in.state[tip] != checkedGood {
			return fmt.Errorf("accept %s: not checked", tip)
		}
		seen[tip] = true
		stack = append(stack, tip)
	}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		objs = append(objs, in.objs[h])
		for _, c := range in.links[h] {
			if !seen[c] {
				seen[c] = true
				stack = append(stack, c)
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
