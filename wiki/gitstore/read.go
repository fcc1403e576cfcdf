package gitstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/opswiki/opswiki/wiki"
)

// commitInfo is a decoded commit with the ids the store walks by.
type commitInfo struct {
	commit  wiki.Commit
	tree    plumbing.Hash
	parents []plumbing.Hash
}

// commit returns a decoded commit, from the cache when it can.
func (s *Store) commit(h plumbing.Hash) (*commitInfo, error) {
	if ci, ok := s.commits.Get(h); ok {
		return ci, nil
	}
	data, err := s.readObject(plumbing.CommitObject, h)
	if isMissing(err) {
		return nil, notFound("There is no commit %s.", h)
	} else if err != nil {
		return nil, err
	}
	ci, err := decodeCommit(h, data)
	if err != nil {
		return nil, err
	}
	s.commits.Put(h, ci)
	return ci, nil
}

func decodeCommit(h plumbing.Hash, data []byte) (*commitInfo, error) {
	mo := &plumbing.MemoryObject{}
	mo.SetType(plumbing.CommitObject)
	if _, err := mo.Write(data); err != nil {
		return nil, fmt.Errorf("decode commit %s: %w", h, err)
	}
	var c object.Commit
	if err := c.Decode(mo); err != nil {
		return nil, fmt.Errorf("decode commit %s: %w", h, err)
	}
	ci := &commitInfo{
		commit: wiki.Commit{
			ID:        h.String(),
			Author:    wiki.Signature{Name: c.Author.Name, Email: c.Author.Email, When: c.Author.When},
			Committer: wiki.Signature{Name: c.Committer.Name, Email: c.Committer.Email, When: c.Committer.When},
			Message:   c.Message,
		},
		tree:    c.TreeHash,
		parents: c.ParentHashes,
	}
	for _, p := range c.ParentHashes {
		ci.commit.Parents = append(ci.commit.Parents, p.String())
	}
	return ci, nil
}

// parseCommitID turns a full commit id into a hash; anything else names no
// commit.
func parseCommitID(id string) (plumbing.Hash, error) {
	if !plumbing.IsHash(id) {
		return plumbing.ZeroHash, notFound("There is no commit %q.", id)
	}
	return plumbing.NewHash(id), nil
}

// commitTree returns the root tree of a commit; "" stands for the empty
// tree, as before the first commit.
func (s *Store) commitTree(id string) (plumbing.Hash, error) {
	if id == "" {
		return emptyTree, nil
	}
	h, err := parseCommitID(id)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	ci, err := s.commit(h)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return ci.tree, nil
}

// tree returns the entries of a tree, in git order. The slice is shared with
// the cache: callers must not modify it.
func (s *Store) tree(h plumbing.Hash) ([]treeEntry, error) {
	if h.IsZero() || h == emptyTree {
		return nil, nil
	}
	if t, ok := s.trees.Get(h); ok {
		return t, nil
	}
	data, err := s.readObject(plumbing.TreeObject, h)
	if isMissing(err) {
		return nil, notFound("There is no tree %s.", h)
	} else if err != nil {
		return nil, err
	}
	t, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", h, err)
	}
	s.trees.Put(h, t)
	return t, nil
}

// lookup finds the file at p under the root tree.
func (s *Store) lookup(root plumbing.Hash, p wiki.Path) (treeEntry, bool, error) {
	segs := strings.Split(string(p), "/")
	cur := root
	for i, seg := range segs {
		entries, err := s.tree(cur)
		if err != nil {
			return treeEntry{}, false, err
		}
		want := treeEntry{name: seg, mode: filemode.Dir}
		if i == len(segs)-1 {
			want.mode = filemode.Regular
		}
		j, ok := slices.BinarySearchFunc(entries, want, compareEntries)
		if !ok {
			return treeEntry{}, false, nil
		}
		if i == len(segs)-1 {
			return entries[j], entries[j].isFile(), nil
		}
		cur = entries[j].hash
	}
	return treeEntry{}, false, nil
}

// GetCommit returns one commit. Returns ENOTFOUND.
func (s *Store) GetCommit(ctx context.Context, id string) (wiki.Commit, error) {
	h, err := parseCommitID(id)
	if err != nil {
		return wiki.Commit{}, err
	}
	ci, err := s.commit(h)
	if err != nil {
		return wiki.Commit{}, err
	}
	return ci.commit, nil
}

// ReadFile returns the content and blob id of the file at p in the commit.
// Returns ENOTFOUND when there is no such commit or file.
func (s *Store) ReadFile(ctx context.Context, commit string, p wiki.Path) ([]byte, string, error) {
	root, err := s.commitTree(commit)
	if err != nil {
		return nil, "", err
	}
	e, ok, err := s.lookup(root, p)
	if err != nil {
		return nil, "", err
	}
	if !ok || p == "" {
		return nil, "", notFound("There is no file %s.", p)
	}
	data, err := s.ReadBlob(ctx, e.hash.String())
	if err != nil {
		return nil, "", err
	}
	return data, e.hash.String(), nil
}

// ReadBlob returns the content of a blob. Returns ENOTFOUND.
func (s *Store) ReadBlob(ctx context.Context, blob string) ([]byte, error) {
	if !plumbing.IsHash(blob) {
		return nil, notFound("There is no blob %q.", blob)
	}
	h := plumbing.NewHash(blob)
	data, err := s.readObject(plumbing.BlobObject, h)
	if isMissing(err) {
		return nil, notFound("There is no blob %s.", blob)
	} else if err != nil {
		return nil, err
	}
	// Remember the size: List after a full read (a reindex) then costs
	// no object lookups.
	s.sizes.Put(h, int64(len(data)))
	return data, nil
}

// List returns every file in the tree of the commit, with its size read
// from the object header. "" lists the empty tree.
func (s *Store) List(ctx context.Context, commit string) ([]wiki.Entry, error) {
	root, err := s.commitTree(commit)
	if err != nil {
		return nil, err
	}
	var out []wiki.Entry
	err = s.walkFiles(ctx, "", root, func(p wiki.Path, e treeEntry) error {
		size, err := s.objectSize(e.hash)
		if err != nil {
			return err
		}
		out = append(out, wiki.Entry{Path: p, Blob: e.hash.String(), Size: size})
		return nil
	})
	return out, err
}

// walkFiles calls fn for every file under the tree, in git order.
func (s *Store) walkFiles(ctx context.Context, dir wiki.Path, h plumbing.Hash, fn func(wiki.Path, treeEntry) error) error {
	return walkFiles(ctx, s, dir, h, fn)
}

// walkFiles calls fn for every file under the tree read through r.
func walkFiles(ctx context.Context, r objectReader, dir wiki.Path, h plumbing.Hash, fn func(wiki.Path, treeEntry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := r.tree(h)
	if err != nil {
		return err
	}
	for _, e := range entries {
		switch {
		case e.isDir():
			err = walkFiles(ctx, r, dir.Join(e.name), e.hash, fn)
		case e.isFile():
			err = fn(dir.Join(e.name), e)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Log returns up to limit commits (all when limit <= 0) on the first-parent
// line from the given commit, newest first, each with the files it changed
// against its first parent. "" has no history.
func (s *Store) Log(ctx context.Context, from string, limit int) ([]wiki.LogEntry, error) {
	if from == "" {
		return nil, nil
	}
	h, err := parseCommitID(from)
	if err != nil {
		return nil, err
	}
	var out []wiki.LogEntry
	for limit <= 0 || len(out) < limit {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ci, err := s.commit(h)
		if err != nil {
			return nil, err
		}
		base := emptyTree
		if len(ci.parents) > 0 {
			p, err := s.commit(ci.parents[0])
			if err != nil {
				return nil, err
			}
			base = p.tree
		}
		changes, err := s.diffTrees(ctx, base, ci.tree)
		if err != nil {
			return nil, err
		}
		out = append(out, wiki.LogEntry{Commit: ci.commit, Changes: changes})
		if len(ci.parents) == 0 {
			break
		}
		h = ci.parents[0]
	}
	return out, nil
}
