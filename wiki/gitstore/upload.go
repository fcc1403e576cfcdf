package gitstore

import (
	"context"
	"fmt"
	"io"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Delta search. Objects already stored as deltas whose base is sent too
// are sent as they are whatever the window; the window is how many
// neighbours the encoder tries as bases for the others (git's
// pack.window). go-git's search costs about 0.1 ms an object and window,
// so it runs only for fetches of up to deltaSearchLimit objects; a clone
// of the 10,000-page wiki takes 5 s instead of 11 and its pack is hardly
// larger, since the repository's packs already hold its deltas.
const (
	packWindow       = 10
	deltaSearchLimit = 4000
)

// ObjectType returns the type of an object in the repository, or
// plumbing.InvalidObject when there is no such object.
func (s *Store) ObjectType(h plumbing.Hash) plumbing.ObjectType {
	t := plumbing.InvalidObject
	_ = s.withStorage(func(st *filesystem.Storage) error {
		o, err := st.EncodedObject(plumbing.AnyObject, h)
		if err == nil {
			t = o.Type()
		}
		return err
	})
	return t
}

// Peel returns the object an annotated tag points at, following tags of
// tags; ok is false when h is not a tag.
func (s *Store) Peel(h plumbing.Hash) (target plumbing.Hash, ok bool) {
	for range 16 {
		data, err := s.readObject(plumbing.TagObject, h)
		if err != nil {
			return h, ok
		}
		t, err := decodeTagInfo(h, data)
		if err != nil {
			return h, ok
		}
		h, ok = t.target, true
	}
	return h, ok
}

// SendRequest is what a clone or fetch asks for.
type SendRequest struct {
	// Wants are the objects the client asked for: ref tips.
	Wants []plumbing.Hash
	// Haves are commits the client has, which the repository has too.
	Haves []plumbing.Hash
	// OfsDelta lets deltas name their base by offset (the ofs-delta
	// capability); otherwise by object id.
	OfsDelta bool
	// Progress, when set, receives progress lines for the client.
	Progress io.Writer
}

// SendStats says what SendPack sent.
type SendStats struct {
	Objects int
	Commits int
}

// SendPack writes a pack of every object reachable from req.Wants and not
// from req.Haves, for git's upload-pack. It reads through its own view of
// the repository, so a clone neither holds the store's lock nor evicts
// the store's caches, and Repack waits for it before it removes the loose
// objects it packed. Returns ENOTFOUND when a want is not in the
// repository.
func (s *Store) SendPack(ctx context.Context, w io.Writer, req SendRequest) (SendStats, error) {
	s.sendMu.RLock()
	defer s.sendMu.RUnlock()
	st := filesystem.NewStorageWithOptions(osfs.New(s.dir), cache.NewObjectLRU(32*cache.MiByte),
		filesystem.Options{MaxOpenDescriptors: 16})
	defer st.Close()
	r := &storageReader{st: st, trees: newLRU[plumbing.Hash, []treeEntry](1024), commits: make(map[plumbing.Hash]*commitInfo)}
	list, stats, err := objectsToSend(ctx, r, req.Wants, req.Haves)
	if err != nil {
		return stats, err
	}
	if req.Progress != nil {
		fmt.Fprintf(req.Progress, "Enumerating objects: %d, done.\n", len(list))
	}
	// The encoder's delta search reads objects from one goroutine per
	// object type at once, which go-git's storage does not survive (it
	// panics in the pack scanner): serialise its calls.
	enc := packfile.NewEncoder(w, &lockedStorer{st: st}, !req.OfsDelta)
	window := uint(packWindow)
	if len(list) > deltaSearchLimit {
		window = 1 // reuse stored deltas, search no new ones
	}
	if _, err := enc.Encode(list, window); err != nil {
		return stats, fmt.Errorf("write pack: %w", err)
	}
	return stats, ctx.Err()
}

// objectsToSend lists the objects reachable from wants and not from haves.
// It does not walk whole trees: each new commit contributes the entries of
// its tree that differ from its first parent's, which is either new too
// (and contributes its own) or an ancestor of a have, which the client
// has with everything it reaches. Only root commits and wanted trees are
// walked whole. An object the client has may be sent again (a file moved
// back to an old version); that costs bytes, never correctness.
func objectsToSend(ctx context.Context, r *storageReader, wants, haves []plumbing.Hash) ([]plumbing.Hash, SendStats, error) {
	var stats SendStats
	send := make(map[plumbing.Hash]bool)
	var list []plumbing.Hash
	add := func(h plumbing.Hash) bool {
		if send[h] {
			return false
		}
		send[h] = true
		list = append(list, h)
		return true
	}
	var tips []plumbing.Hash
	for _, h := range wants {
		for range 16 {
			t, err := r.objectType(h)
			if err != nil {
				return nil, stats, err
			}
			if t != plumbing.TagObject {
				switch t {
				case plumbing.CommitObject:
					tips = append(tips, h)
				case plumbing.TreeObject:
					if err := addTree(ctx, r, h, plumbing.ZeroHash, add); err != nil {
						return nil, stats, err
					}
				default:
					add(h)
				}
				break
			}
			add(h)
			data, err := r.read(plumbing.TagObject, h)
			if err != nil {
				return nil, stats, err
			}
			tag, err := decodeTagInfo(h, data)
			if err != nil {
				return nil, stats, err
			}
			h = tag.target
		}
	}
	known, err := haveClosure(ctx, r, haves)
	if err != nil {
		return nil, stats, err
	}
	queue := append([]plumbing.Hash(nil), tips...)
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, stats, err
		}
		h := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if known[h] || send[h] {
			continue
		}
		ci, err := r.commit(h)
		if err != nil {
			return nil, stats, err
		}
		add(h)
		stats.Commits++
		base := plumbing.ZeroHash
		if len(ci.parents) > 0 {
			p, err := r.commit(ci.parents[0])
			if err != nil {
				return nil, stats, err
			}
			base = p.tree
		}
		if err := addTree(ctx, r, ci.tree, base, add); err != nil {
			return nil, stats, err
		}
		queue = append(queue, ci.parents...)
	}
	stats.Objects = len(list)
	return list, stats, nil
}

// haveClosure returns every commit reachable from the haves the repository
// has; haves it does not have are ignored.
func haveClosure(ctx context.Context, r *storageReader, haves []plumbing.Hash) (map[plumbing.Hash]bool, error) {
	known := make(map[plumbing.Hash]bool)
	var queue []plumbing.Hash
	for _, h := range haves {
		if t, err := r.objectType(h); err == nil && t == plumbing.CommitObject {
			queue = append(queue, h)
		}
	}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if known[h] {
			continue
		}
		known[h] = true
		ci, err := r.commit(h)
		if err != nil {
			return nil, err
		}
		queue = append(queue, ci.parents...)
	}
	return known, nil
}

// addTree adds tree h and what it reaches that is not the same in base (a
// tree the client will have; zero for none).
func addTree(ctx context.Context, r objectReader, h, base plumbing.Hash, add func(plumbing.Hash) bool) error {
	if h == base || !add(h) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := r.tree(h)
	if err != nil {
		return err
	}
	var old []treeEntry
	if !base.IsZero() {
		if old, err = r.tree(base); err != nil {
			return err
		}
	}
	j := 0
	for _, e := range entries {
		for j < len(old) && compareEntries(old[j], e) < 0 {
			j++
		}
		var prev plumbing.Hash
		if j < len(old) && compareEntries(old[j], e) == 0 {
			prev = old[j].hash
		}
		switch {
		case e.hash == prev:
		case e.isDir():
			if err := addTree(ctx, r, e.hash, prev, add); err != nil {
				return err
			}
		case e.isFile():
			add(e.hash)
		}
	}
	return nil
}
