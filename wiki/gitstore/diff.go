package gitstore

import (
	"context"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// Diff returns the files that differ between two commits; "" stands for
// the empty tree. Returns ENOTFOUND when either commit does not exist.
func (s *Store) Diff(ctx context.Context, from, to string) ([]wiki.Change, error) {
	a, err := s.commitTree(from)
	if err != nil {
		return nil, err
	}
	b, err := s.commitTree(to)
	if err != nil {
		return nil, err
	}
	return s.diffTrees(ctx, a, b)
}

// objectReader reads decoded trees and commits: the store itself, or the
// store seen through a pushed pack that is not written yet (Incoming).
type objectReader interface {
	tree(h plumbing.Hash) ([]treeEntry, error)
	commit(h plumbing.Hash) (*commitInfo, error)
}

// diffTrees compares two trees. Subtrees with the same id are skipped
// without being read, so the cost follows the size of the change, not of
// the wiki.
func (s *Store) diffTrees(ctx context.Context, a, b plumbing.Hash) ([]wiki.Change, error) {
	return diffTrees(ctx, s, a, b)
}

// diffTrees compares two trees read through r.
func diffTrees(ctx context.Context, r objectReader, a, b plumbing.Hash) ([]wiki.Change, error) {
	var out []wiki.Change
	d := differ{r: r, out: &out}
	err := d.diffTree(ctx, "", a, b)
	return out, err
}

// differ collects the changes between two trees.
type differ struct {
	r   objectReader
	out *[]wiki.Change
}

func (d differ) diffTree(ctx context.Context, dir wiki.Path, a, b plumbing.Hash) error {
	if a == b {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ea, err := d.r.tree(a)
	if err != nil {
		return err
	}
	eb, err := d.r.tree(b)
	if err != nil {
		return err
	}
	// Both lists are in git order, so one merge pass pairs entries of the
	// same name and kind; a file replaced by a folder of the same name sorts
	// apart and shows as a delete and adds.
	i, j := 0, 0
	for i < len(ea) || j < len(eb) {
		var c int
		switch {
		case i == len(ea):
			c = 1
		case j == len(eb):
			c = -1
		default:
			c = compareEntries(ea[i], eb[j])
		}
		switch {
		case c < 0:
			err = d.report(ctx, dir, ea[i], wiki.Deleted)
			i++
		case c > 0:
			err = d.report(ctx, dir, eb[j], wiki.Added)
			j++
		default:
			err = d.diffEntry(ctx, dir, ea[i], eb[j])
			i++
			j++
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// diffEntry compares two entries of the same name and kind.
func (d differ) diffEntry(ctx context.Context, dir wiki.Path, x, y treeEntry) error {
	if x.hash == y.hash && x.mode == y.mode {
		return nil
	}
	if x.isDir() {
		return d.diffTree(ctx, dir.Join(x.name), x.hash, y.hash)
	}
	switch {
	case x.isFile() && y.isFile():
		*d.out = append(*d.out, wiki.Change{Kind: wiki.Modified, Path: dir.Join(x.name), Blob: y.hash.String(), OldBlob: x.hash.String()})
	case x.isFile():
		*d.out = append(*d.out, wiki.Change{Kind: wiki.Deleted, Path: dir.Join(x.name), OldBlob: x.hash.String()})
	case y.isFile():
		*d.out = append(*d.out, wiki.Change{Kind: wiki.Added, Path: dir.Join(x.name), Blob: y.hash.String()})
	}
	return nil
}

// report records an entry present on one side only: the file itself, or
// every file under the folder.
func (d differ) report(ctx context.Context, dir wiki.Path, e treeEntry, kind wiki.ChangeKind) error {
	add := func(p wiki.Path, e treeEntry) error {
		c := wiki.Change{Kind: kind, Path: p}
		if kind == wiki.Added {
			c.Blob = e.hash.String()
		} else {
			c.OldBlob = e.hash.String()
		}
		*d.out = append(*d.out, c)
		return nil
	}
	switch {
	case e.isDir():
		return walkFiles(ctx, d.r, dir.Join(e.name), e.hash, add)
	case e.isFile():
		return add(dir.Join(e.name), e)
	}
	return nil
}
