package gitstore

import (
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"

	"github.com/opswiki/opswiki/wiki"
)

// builder rebuilds the trees a commit touches and collects the objects to
// write.
type builder struct {
	s    *Store
	objs []gitObject
	// local holds the trees built for commits not written yet, which
	// later commits of the same group build on; nil when there are none.
	local map[plumbing.Hash][]treeEntry
}

// tree reads a tree, built or stored.
func (b *builder) tree(h plumbing.Hash) ([]treeEntry, error) {
	if t, ok := b.local[h]; ok {
		return t, nil
	}
	return b.s.tree(h)
}

// rebuild applies the changes under n to the tree h (zero: no tree yet) and
// returns the new tree's id, or the zero hash when the folder ends up empty
// and so disappears. Trees the changes do not reach keep their ids and are
// neither read nor written.
func (b *builder) rebuild(h plumbing.Hash, n *changeNode, dir wiki.Path) (plumbing.Hash, error) {
	old, err := b.tree(h)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	entries := slices.Clone(old) // old is shared with the cache
	index := make(map[string]int, len(entries))
	for i, e := range entries {
		index[e.name] = i
	}
	drop := make([]bool, len(entries))
	var added []treeEntry
	for name, child := range n.children {
		p := dir.Join(name)
		i, exists := index[name]
		var cur *treeEntry
		if exists {
			cur = &entries[i]
		}
		if c := child.change; c != nil {
			switch {
			case c.Delete && (cur == nil || !cur.isFile()):
				return plumbing.ZeroHash, notFound("There is no file %s to delete.", p)
			case c.Delete:
				drop[i] = true
				continue
			case cur != nil && cur.isDir():
				return plumbing.ZeroHash, invalid("%s is a folder; it cannot be written as a file.", p)
			}
			blob := newObject(plumbing.BlobObject, c.Content)
			b.objs = append(b.objs, blob)
			b.s.sizes.Put(blob.hash, int64(len(c.Content)))
			// Keep the executable bit of a script edited in the browser;
			// anything else written by the wiki is a regular file.
			e := treeEntry{name: name, mode: filemode.Regular, hash: blob.hash}
			if cur != nil && cur.mode == filemode.Executable {
				e.mode = filemode.Executable
			}
			if cur != nil {
				*cur = e
			} else {
				added = append(added, e)
			}
			continue
		}
		var sub plumbing.Hash
		if cur != nil {
			if !cur.isDir() {
				return plumbing.ZeroHash, invalid("%s is a file, not a folder.", p)
			}
			sub = cur.hash
		}
		nh, err := b.rebuild(sub, child, p)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		switch {
		case nh.IsZero() && cur != nil:
			drop[i] = true
		case nh.IsZero():
		case cur != nil:
			cur.hash = nh
		default:
			added = append(added, treeEntry{name: name, mode: filemode.Dir, hash: nh})
		}
	}
	out := make([]treeEntry, 0, len(entries)+len(added))
	for i, e := range entries {
		if !drop[i] {
			out = append(out, e)
		}
	}
	out = append(out, added...)
	if len(out) == 0 {
		return plumbing.ZeroHash, nil
	}
	slices.SortFunc(out, compareEntries)
	t := newObject(plumbing.TreeObject, encodeTree(out))
	if t.hash == h {
		return h, nil
	}
	b.objs = append(b.objs, t)
	b.s.trees.Put(t.hash, out)
	if b.local != nil {
		b.local[t.hash] = out
	}
	return t.hash, nil
}
