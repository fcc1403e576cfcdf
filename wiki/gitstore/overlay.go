package gitstore

import (
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// overlay is the storage the pack parser writes to: received objects go to
// the Incoming; lookups of delta bases fall back to the repository.
type overlay struct{ in *Incoming }

var _ storer.EncodedObjectStorer = overlay{}

func (o overlay) NewEncodedObject() plumbing.EncodedObject { return &plumbing.MemoryObject{} }

func (o overlay) SetEncodedObject(obj plumbing.EncodedObject) (plumbing.Hash, error) {
	if _, ok := packTypes[obj.Type()]; !ok {
		return plumbing.ZeroHash, fmt.Errorf("object of type %s", obj.Type())
	}
	r, err := obj.Reader()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	g := newObject(obj.Type(), data)
	o.in.objs[g.hash] = g
	return g.hash, nil
}

func (o overlay) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	g, ok := o.in.objs[h]
	if !ok {
		// The base of a delta in a thin pack.
		var err error
		if g, err = o.in.s.readAny(h); err != nil {
			return nil, err
		}
		o.in.bases[h] = g
	}
	if t != plumbing.AnyObject && g.typ != t {
		return nil, plumbing.ErrObjectNotFound
	}
	mo := &plumbing.MemoryObject{}
	mo.SetType(g.typ)
	_, _ = mo.Write(g.data)
	return mo, nil
}

func (o overlay) IterEncodedObjects(plumbing.ObjectType) (storer.EncodedObjectIter, error) {
	return nil, errors.New("not supported")
}

func (o overlay) HasEncodedObject(h plumbing.Hash) error {
	if _, ok := o.in.objs[h]; ok || o.in.s.hasObject(h) {
		return nil
	}
	return plumbing.ErrObjectNotFound
}

func (o overlay) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	if g, ok := o.in.objs[h]; ok {
		return int64(len(g.data)), nil
	}
	return o.in.s.objectSize(h)
}

func (o overlay) AddAlternate(string) error { return errors.New("not supported") }

// entryRecorder collects where the parser found each object of the pack.
type entryRecorder Incoming

func (r *entryRecorder) OnHeader(uint32) error { return nil }

func (r *entryRecorder) OnInflatedObjectHeader(plumbing.ObjectType, int64, int64) error { return nil }

func (r *entryRecorder) OnInflatedObjectContent(h plumbing.Hash, pos int64, crc uint32, _ []byte) error {
	r.entries = append(r.entries, idxfile.Entry{Hash: h, Offset: uint64(pos), CRC32: crc})
	return nil
}

func (r *entryRecorder) OnFooter(plumbing.Hash) error { return nil }

// readAny reads an object of any type from the repository.
func (s *Store) readAny(h plumbing.Hash) (gitObject, error) {
	var g gitObject
	err := s.withStorage(func(st *filesystem.Storage) error {
		o, err := st.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return err
		}
		r, err := o.Reader()
		if err != nil {
			return err
		}
		defer r.Close()
		data := make([]byte, o.Size())
		if _, err := io.ReadFull(r, data); err != nil {
			return err
		}
		g = gitObject{typ: o.Type(), hash: h, data: data}
		return nil
	})
	return g, err
}
