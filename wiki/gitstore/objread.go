package gitstore

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/objfile"
)

// typeOf returns an object's type, following deltas to the object at the
// end of their chain without inflating anything.
func (s *objectSource) typeOf(h plumbing.Hash, l objLoc) (plumbing.ObjectType, error) {
	for range maxDeltaDepth {
		if l.loose() {
			t, _, err := s.looseHeader(h)
			return t, err
		}
		e, err := s.entryHead(l.pack, l.off)
		if err != nil {
			return plumbing.InvalidObject, err
		}
		switch e.code {
		case ofsDeltaCode:
			l.off = e.baseOff
		case refDeltaCode:
			h = e.baseRef
			if l, err = s.locate(h); err != nil {
				return plumbing.InvalidObject, err
			}
		default:
			return plumbing.ObjectType(e.code), nil
		}
	}
	return plumbing.InvalidObject, fmt.Errorf("object %s: delta chain too long", h)
}

// read returns an object's type and content. When owned is set the
// content is the caller's, which may hand it back with recycle once done;
// otherwise it is the cache's, must not be changed, and is valid only
// until the next read (which may evict and reuse it).
func (s *objectSource) read(h plumbing.Hash, l objLoc) (t plumbing.ObjectType, data []byte, owned bool, err error) {
	if !l.loose() {
		return s.readPacked(l.pack, l.off, 0, false)
	}
	t, data, err = s.readLoose(h)
	if errors.Is(err, fs.ErrNotExist) {
		// Packed and removed by git gc since it was found.
		if _, err := s.rescan(); err != nil {
			return plumbing.InvalidObject, nil, false, err
		}
		if l, ok := s.locateKnown(h); ok && !l.loose() {
			return s.readPacked(l.pack, l.off, 0, false)
		}
		return plumbing.InvalidObject, nil, false, s.missing(h)
	}
	return t, data, true, err
}

// readPacked inflates the entry at off and applies its deltas. Delta
// bases are looked for among the objects the caller holds (held) and in
// the cache, and kept there once read: the next version of a folder is
// most likely a delta of this one or of its base. keep caches the object
// itself too.
func (s *objectSource) readPacked(p int32, off int64, depth int, keep bool) (plumbing.ObjectType, []byte, bool, error) {
	key := baseKey{p, off}
	if o, ok := s.cache.Get(key); ok {
		return o.typ, o.data, false, nil
	}
	if depth > maxDeltaDepth {
		return plumbing.InvalidObject, nil, false, fmt.Errorf("pack %s: delta chain too long at offset %d", s.packs[p].name, off)
	}
	e, zdata, err := s.entry(p, off)
	if err != nil {
		return plumbing.InvalidObject, nil, false, err
	}
	// The entry is inflated before its base is read, which reuses s.raw.
	data, err := s.inflate(s.packs[p], off, zdata, e.size)
	if err != nil {
		return plumbing.InvalidObject, nil, false, err
	}
	t := plumbing.ObjectType(e.code)
	if e.isDelta() {
		bt, base, baseOwned, err := s.deltaBase(p, e, depth+1)
		if err != nil {
			return plumbing.InvalidObject, nil, false, err
		}
		delta := data
		data, err = patchDelta(s.getBuf(deltaResultHint(base, delta)), base, delta)
		if err != nil {
			return plumbing.InvalidObject, nil, false, fmt.Errorf("pack %s, offset %d: %w", s.packs[p].name, off, err)
		}
		s.recycle(delta)
		if baseOwned {
			s.recycle(base)
		}
		t = bt
	}
	if keep && len(data) <= maxCachedObject {
		s.cache.Put(key, cachedObject{t, data})
		return t, data, false, nil
	}
	return t, data, true, nil
}

// deltaBase returns the base of the delta entry e of pack p.
func (s *objectSource) deltaBase(p int32, e entryHead, depth int) (plumbing.ObjectType, []byte, bool, error) {
	h := e.baseRef
	if e.code == ofsDeltaCode {
		if s.held != nil {
			if bh, ok := s.hashAt(p, e.baseOff); ok {
				if t, data, ok := s.held(bh); ok {
					return t, data, false, nil
				}
			}
		}
		return s.readPacked(p, e.baseOff, depth, true)
	}
	if s.held != nil {
		if t, data, ok := s.held(h); ok {
			return t, data, false, nil
		}
	}
	l, err := s.locate(h)
	if err != nil {
		return plumbing.InvalidObject, nil, false, err
	}
	if l.loose() {
		return s.read(h, l)
	}
	return s.readPacked(l.pack, l.off, depth, true)
}

// getBuf returns a buffer of n bytes, one handed back if one is large
// enough: reading every version of every folder of a history would
// otherwise allocate hundreds of megabytes.
func (s *objectSource) getBuf(n int64) []byte {
	best := -1
	for i, b := range s.free {
		if int64(cap(b)) >= n && (best < 0 || cap(b) < cap(s.free[best])) {
			best = i
		}
	}
	if best < 0 {
		// With room to spare: the next version of a folder is a little
		// larger, and should fit in this one's buffer once it is back.
		return make([]byte, n, n+n/8+256)
	}
	b := s.free[best]
	s.free[best] = s.free[len(s.free)-1]
	s.free = s.free[:len(s.free)-1]
	return b[:n]
}

// recycle takes back a buffer nothing refers to any more.
func (s *objectSource) recycle(b []byte) {
	if cap(b) >= 1<<10 && cap(b) <= 8<<20 && len(s.free) < 32 {
		s.free = append(s.free, b)
	}
}

func (s *objectSource) looseHeader(h plumbing.Hash) (plumbing.ObjectType, int64, error) {
	f, err := os.Open(s.loosePath(h))
	if err != nil {
		return plumbing.InvalidObject, 0, err
	}
	defer f.Close()
	r, err := objfile.NewReader(f)
	if err != nil {
		return plumbing.InvalidObject, 0, fmt.Errorf("loose object %s: %w", h, err)
	}
	defer r.Close()
	t, size, err := r.Header()
	if err != nil {
		return plumbing.InvalidObject, 0, fmt.Errorf("loose object %s: %w", h, err)
	}
	return t, size, nil
}

func (s *objectSource) readLoose(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	f, err := os.Open(s.loosePath(h))
	if err != nil {
		return plumbing.InvalidObject, nil, err
	}
	defer f.Close()
	r, err := objfile.NewReader(bufio.NewReader(f))
	if err != nil {
		return plumbing.InvalidObject, nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	defer r.Close()
	t, size, err := r.Header()
	if err == nil && (size < 0 || size > 1<<40) {
		err = fmt.Errorf("implausible size %d", size)
	}
	if err != nil {
		return plumbing.InvalidObject, nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err != nil {
		return plumbing.InvalidObject, nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	return t, data, nil
}
