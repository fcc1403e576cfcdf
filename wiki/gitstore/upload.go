package gitstore

import (
	"context"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
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
	// Wants are the objects the client asked for: ref tips, usually
	// commits or annotated tags, possibly trees or blobs.
	Wants []plumbing.Hash
	// Haves are objects the client has, usually commits; it has whatever
	// they reach. Ones the repository does not have are ignored.
	Haves []plumbing.Hash
	// OfsDelta lets deltas name their base by offset (the ofs-delta
	// capability); otherwise by object id.
	OfsDelta bool
	// ThinPack lets deltas be based on objects the client has and the
	// pack leaves out (the thin-pack capability).
	ThinPack bool
	// Progress, when set, receives progress lines for the client.
	Progress io.Writer
}

// SendStats says what SendPack sent.
type SendStats struct {
	Objects int
	Commits int
	// Deltas is how many objects were sent as deltas.
	Deltas int
	// Reused is how many objects were copied from the repository's packs
	// as stored, without inflating them.
	Reused int
	// Bytes is the size of the pack.
	Bytes int64
}

// SendPack writes a pack of every object reachable from req.Wants and not
// from req.Haves, for git's upload-pack. It reads the repository's pack
// and loose files itself, so a clone neither holds the store's lock nor
// evicts the store's caches, and copies pack entries as they are stored
// wherever the pack it writes can use them: a clone costs little more than
// reading the repository's packs. Returns ENOTFOUND when a want is not in
// the repository.
//
// Repack waits while the objects are chosen. It does not wait while the
// pack is written, which takes as long as the client takes to read it:
// a loose object Repack removes meanwhile is read from the pack Repack
// wrote before removing it, and packs that git gc deletes stay readable
// through the files SendPack holds open.
func (s *Store) SendPack(ctx context.Context, w io.Writer, req SendRequest) (SendStats, error) {
	src, sel, err := s.selectToSend(ctx, req)
	if err != nil {
		return SendStats{}, err
	}
	defer src.close()
	stats := SendStats{Objects: len(sel.objs), Commits: sel.commits}
	if req.Progress != nil {
		fmt.Fprintf(req.Progress, "Enumerating objects: %d, done.\n", len(sel.objs))
	}
	ps := newPackSender(ctx, src, sel, req.OfsDelta, req.ThinPack)
	if err := ps.write(w); err != nil {
		return stats, err
	}
	stats.Deltas, stats.Reused, stats.Bytes = ps.deltas, ps.reused, ps.out.n
	if req.Progress != nil {
		fmt.Fprintf(req.Progress, "Total %d (delta %d), reused %d (delta %d)\n", stats.Objects, stats.Deltas, stats.Reused, ps.reusedDeltas)
	}
	return stats, nil
}

// selectToSend chooses the objects to send, with Repack waiting.
func (s *Store) selectToSend(ctx context.Context, req SendRequest) (*objectSource, *selection, error) {
	s.sendMu.RLock()
	defer s.sendMu.RUnlock()
	src, err := openObjectSource(s.dir)
	if err != nil {
		return nil, nil, err
	}
	sel, err := selectObjects(ctx, src, s.commits, req.Wants, req.Haves)
	if err != nil {
		src.close()
		return nil, nil, err
	}
	return src, sel, nil
}
