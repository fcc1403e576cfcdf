package gitstore

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// storageReader reads trees and commits through a go-git storage owned by
// one request.
type storageReader struct {
	st      *filesystem.Storage
	trees   *lru[plumbing.Hash, []treeEntry]
	commits map[plumbing.Hash]*commitInfo
}

func (r *storageReader) read(t plumbing.ObjectType, h plumbing.Hash) ([]byte, error) {
	o, err := r.st.EncodedObject(t, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, notFound("There is no %s %s.", t, h)
	} else if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", t, h, err)
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	data := make([]byte, o.Size())
	if _, err := io.ReadFull(rd, data); err != nil {
		return nil, fmt.Errorf("read %s %s: %w", t, h, err)
	}
	return data, nil
}

func (r *storageReader) tree(h plumbing.Hash) ([]treeEntry, error) {
	if h.IsZero() || h == emptyTree {
		return nil, nil
	}
	if t, ok := r.trees.get(h); ok {
		return t, nil
	}
	data, err := r.read(plumbing.TreeObject, h)
	if err != nil {
		return nil, err
	}
	t, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", h, err)
	}
	r.trees.put(h, t)
	return t, nil
}

func (r *storageReader) commit(h plumbing.Hash) (*commitInfo, error) {
	if ci, ok := r.commits[h]; ok {
		return ci, nil
	}
	data, err := r.read(plumbing.CommitObject, h)
	if err != nil {
		return nil, err
	}
	ci, err := decodeCommit(h, data)
	if err != nil {
		return nil, err
	}
	r.commits[h] = ci
	return ci, nil
}

func (r *storageReader) objectType(h plumbing.Hash) (plumbing.ObjectType, error) {
	o, err := r.st.EncodedObject(plumbing.AnyObject, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return plumbing.InvalidObject, notFound("There is no object %s.", h)
	} else if err != nil {
		return plumbing.InvalidObject, err
	}
	return o.Type(), nil
}

// lockedStorer serialises calls to a go-git storage. Objects it returns are
// in memory or reopen their pack file to be read, so they need no lock.
type lockedStorer struct {
	mu sync.Mutex
	st *filesystem.Storage
}

var (
	_ storer.EncodedObjectStorer = (*lockedStorer)(nil)
	_ storer.DeltaObjectStorer   = (*lockedStorer)(nil)
)

func (l *lockedStorer) NewEncodedObject() plumbing.EncodedObject {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.NewEncodedObject()
}

func (l *lockedStorer) SetEncodedObject(o plumbing.EncodedObject) (plumbing.Hash, error) {
	return plumbing.ZeroHash, errors.New("read-only storage")
}

func (l *lockedStorer) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.EncodedObject(t, h)
}

func (l *lockedStorer) DeltaObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.DeltaObject(t, h)
}

func (l *lockedStorer) IterEncodedObjects(t plumbing.ObjectType) (storer.EncodedObjectIter, error) {
	return nil, errors.New("not supported")
}

func (l *lockedStorer) HasEncodedObject(h plumbing.Hash) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.HasEncodedObject(h)
}

func (l *lockedStorer) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.EncodedObjectSize(h)
}

func (l *lockedStorer) AddAlternate(string) error { return errors.New("read-only storage") }
