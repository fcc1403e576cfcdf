package gitstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// deltaCacheBytes bounds the objects kept because deltas are based on them
// (git's core.deltaBaseCacheLimit): a tree's versions form chains of up to
// 50 deltas, and without the cache each read would re-apply the chain.
const (
	deltaCacheBytes = 16 << 20
	maxCachedObject = deltaCacheBytes / 8
)

// maxDeltaDepth stops a chain of deltas that loops through packs holding
// the same objects as deltas of each other, which no single pack can.
const maxDeltaDepth = 10000

// objectSource reads a repository's objects as they are stored, straight
// from its pack files and loose objects: what upload-pack needs to choose
// objects quickly and copy stored pack entries without inflating them.
// It is owned by one request. Pack files stay open until close, so a pack
// that git gc deletes meanwhile can still be read; an object not found is
// looked for again after the pack folder is read anew.
type objectSource struct {
	dir    string
	packs  []*sourcePack
	known  map[string]bool // pack names read, usable or not
	broken []string        // packs that could not be used, and why
	last   int             // the pack of the last lookup, tried first

	// cache keeps the objects read as delta bases, by where they are
	// stored, up to deltaCacheBytes (git's core.deltaBaseCacheLimit). It
	// owns their buffers: those it drops go back to the pool, as readers
	// copy what they keep.
	cache *wiki.Cache[baseKey, cachedObject]
	// held, when set, returns an object the caller keeps in memory anyway,
	// to serve as a delta base without the cache.
	held func(plumbing.Hash) (plumbing.ObjectType, []byte, bool)
	free [][]byte // buffers handed back (recycle)
	raw  []byte   // an entry as stored, reused
	rd   bytes.Reader
	zr   io.ReadCloser
	head [32]byte
}

// sourcePack is one pack with its index.
type sourcePack struct {
	name string
	f    *os.File
	size int64
	idx  *packIndex
	// offsets are where the entries start, in pack order, and byOffset
	// their index positions: to find where an entry ends and which object
	// starts at an offset. Built on first use.
	offsets  []int64
	byOffset []uint32
}

// objLoc says where an object is stored: in packs[pack] at off (its index
// position pos), or loose when pack is -1.
type objLoc struct {
	pack int32
	pos  uint32
	off  int64
}

func (l objLoc) loose() bool { return l.pack < 0 }

type baseKey struct {
	pack int32
	off  int64
}

type cachedObject struct {
	typ  plumbing.ObjectType
	data []byte
}

func openObjectSource(dir string) (*objectSource, error) {
	s := &objectSource{
		dir:   dir,
		known: make(map[string]bool),
		cache: wiki.NewCache(deltaCacheBytes, func(_ baseKey, o cachedObject) int64 { return int64(len(o.data)) }),
	}
	s.cache.OnDrop(func(_ baseKey, o cachedObject) { s.recycle(o.data) })
	if _, err := s.rescan(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *objectSource) close() {
	for _, p := range s.packs {
		p.f.Close()
	}
	if s.zr != nil {
		s.zr.Close()
	}
}

// rescan opens the packs added since the last scan, largest first: an
// object stored in several packs is then taken from the one most likely to
// hold its delta base too. It reports whether any was added.
func (s *objectSource) rescan() (bool, error) {
	dir := filepath.Join(s.dir, "objects", "pack")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("list packs: %w", err)
	}
	var added []*sourcePack
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".idx")
		if !ok || s.known[name] {
			continue
		}
		s.known[name] = true
		p, err := openSourcePack(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed by git gc since the listing
		} else if err != nil {
			s.broken = append(s.broken, err.Error())
			continue
		}
		added = append(added, p)
	}
	sort.SliceStable(added, func(i, j int) bool { return added[i].size > added[j].size })
	s.packs = append(s.packs, added...)
	return len(added) > 0, nil
}

// openSourcePack opens a pack and reads its index, after the pack (git
// renames a new pack into place before its index, and gc removes the
// index first), and checks they belong together.
func openSourcePack(base string) (*sourcePack, error) {
	f, err := os.Open(base + ".pack")
	if err != nil {
		return nil, err
	}
	p := &sourcePack{name: filepath.Base(base), f: f}
	data, err := os.ReadFile(base + ".idx")
	if err == nil {
		p.idx, err = parsePackIndex(data)
	}
	if err == nil {
		err = p.check()
	}
	if err != nil {
		f.Close()
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("pack %s: %w", p.name, err)
	}
	return p, nil
}

// check compares the pack's header and trailer with its index.
func (p *sourcePack) check() error {
	fi, err := p.f.Stat()
	if err != nil {
		return err
	}
	p.size = fi.Size()
	var hdr [12]byte
	var sum plumbing.Hash
	if p.size < 32 {
		return errors.New("truncated pack")
	}
	if _, err := p.f.ReadAt(hdr[:], 0); err != nil {
		return err
	}
	if _, err := p.f.ReadAt(sum[:], p.size-20); err != nil {
		return err
	}
	v := binary.BigEndian.Uint32(hdr[4:])
	switch {
	case string(hdr[:4]) != "PACK" || (v != 2 && v != 3):
		return errors.New("not a version 2 or 3 pack")
	case int(binary.BigEndian.Uint32(hdr[8:])) != p.idx.count():
		return fmt.Errorf("pack holds %d objects, its index %d", binary.BigEndian.Uint32(hdr[8:]), p.idx.count())
	case sum != p.idx.pack:
		return errors.New("the index belongs to another pack")
	}
	return nil
}

// locate finds where h is stored, reading the pack folder again when it is
// nowhere: a push or git gc may have added a pack.
func (s *objectSource) locate(h plumbing.Hash) (objLoc, error) {
	if l, ok := s.locateKnown(h); ok {
		return l, nil
	}
	if added, err := s.rescan(); err != nil {
		return objLoc{}, err
	} else if added {
		if l, ok := s.locateKnown(h); ok {
			return l, nil
		}
	}
	return objLoc{}, s.missing(h)
}

func (s *objectSource) locateKnown(h plumbing.Hash) (objLoc, bool) {
	if l, ok := s.inPack(s.last, h); ok {
		return l, true
	}
	for i := range s.packs {
		if l, ok := s.inPack(i, h); ok {
			s.last = i
			return l, true
		}
	}
	if _, err := os.Stat(s.loosePath(h)); err == nil {
		return objLoc{pack: -1}, true
	}
	return objLoc{}, false
}

func (s *objectSource) inPack(i int, h plumbing.Hash) (objLoc, bool) {
	if i >= len(s.packs) {
		return objLoc{}, false
	}
	x := s.packs[i].idx
	pos, ok := x.find(h)
	if !ok {
		return objLoc{}, false
	}
	return objLoc{pack: int32(i), pos: uint32(pos), off: x.offset(pos)}, true
}

func (s *objectSource) missing(h plumbing.Hash) error {
	if len(s.broken) > 0 {
		return fmt.Errorf("object %s is not in the repository (unusable packs: %s)", h, strings.Join(s.broken, "; "))
	}
	return notFound("There is no object %s.", h)
}

func (s *objectSource) loosePath(h plumbing.Hash) string {
	hex := h.String()
	return filepath.Join(s.dir, "objects", hex[:2], hex[2:])
}
