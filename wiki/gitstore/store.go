// Package gitstore keeps the wiki in a bare git repository. It reads through
// go-git's object storage and writes commits without a worktree: loose
// objects made durable with fsync, then a compare-and-swap of refs/heads/main
// done the way git itself does it, so the server and the git command line can
// write to the same repository.
package gitstore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/opswiki/opswiki/wiki"
)

// mainRef is the branch that is the wiki.
const mainRef = "refs/heads/main"

// Interface checks.
var (
	_ wiki.Store  = (*Store)(nil)
	_ wiki.Seeder = (*Store)(nil)
)

// Store is a wiki.Store on a bare git repository. Every method is safe for
// concurrent use.
type Store struct {
	dir string

	// go-git's storage is not safe for concurrent use, so reads take one
	// of a few storages from free: page views, saves and the follower read
	// objects side by side. They share one object cache. mu guards gen
	// and packs: a storage opened at an older gen is opened again before
	// use, so packs another process wrote become visible to all.
	free     chan *pooledStorage
	mu       sync.Mutex
	gen      int
	objCache cache.Object
	packs    string // the pack indexes present at gen

	// wmu serialises writes, so the store itself never loses a
	// compare-and-swap of main to its own writers.
	wmu sync.Mutex
	// upstream, when set (under wmu), receives every change of main
	// before main moves: the repository of record the wiki writes
	// through to.
	upstream *Upstream
	// qmu guards the writes waiting to be committed as a group (queue)
	// and whether a writer is committing groups now.
	qmu        sync.Mutex
	queue      []*commitJob
	committing bool

	// sendMu is held shared by SendPack while it chooses the objects to
	// send (not while it sends them, so a stalled client holds nothing),
	// and exclusively by Repack while it removes loose objects that a
	// clone choosing them may not know are now packed.
	sendMu sync.RWMutex
	// repack wakes the housekeeping loop (RepackSoon).
	repack chan struct{}

	trees   *wiki.Cache[plumbing.Hash, []treeEntry]
	commits *wiki.Cache[plumbing.Hash, *commitInfo]
	sizes   *wiki.Cache[plumbing.Hash, int64]
}

// Open opens the bare repository at dir, which must exist and be writable.
func Open(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", dir, err)
	}
	if !IsRepository(abs) {
		return nil, fmt.Errorf("open repository %s: %w", dir, ErrNotRepository)
	}
	for _, sub := range []string{"objects", filepath.Join("refs", "heads")} {
		if err := probeWritable(filepath.Join(abs, sub)); err != nil {
			return nil, fmt.Errorf("open repository %s: not writable: %w", dir, err)
		}
	}
	s := &Store{
		dir:      abs,
		objCache: cache.NewObjectLRU(8 * cache.MiByte),
		// Trees are weighed by their entries: a large folder's tree
		// holds thousands, and a count bound let this cache grow to
		// hundreds of megabytes.
		trees:   wiki.NewCache(64_000, func(_ plumbing.Hash, t []treeEntry) int64 { return int64(len(t) + 1) }),
		commits: wiki.NewCache[plumbing.Hash, *commitInfo](16384, nil),
		sizes:   wiki.NewCache[plumbing.Hash, int64](65536, nil),
		repack:  make(chan struct{}, 1),
		free:    make(chan *pooledStorage, storagePool),
	}
	s.packs = s.packSignature()
	for range storagePool {
		s.free <- &pooledStorage{gen: -1}
	}
	return s, nil
}

// OpenOrInit opens the bare repository at dir, first creating it when dir
// does not exist or is empty.
func OpenOrInit(dir string) (*Store, error) {
	empty, err := isEmptyDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", dir, err)
	}
	if empty {
		if err := Init(dir); err != nil {
			return nil, err
		}
	}
	return Open(dir)
}

// Init creates an empty bare repository at dir whose HEAD names main. The
// directory must not exist or be empty.
func Init(dir string) error {
	empty, err := isEmptyDir(dir)
	if err != nil {
		return fmt.Errorf("init repository %s: %w", dir, err)
	}
	if !empty {
		return fmt.Errorf("init repository %s: directory is not empty", dir)
	}
	for _, d := range []string{"objects/info", "objects/pack", "refs/heads", "refs/tags"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("init repository %s: %w", dir, err)
		}
	}
	files := []struct{ name, content string }{
		{"config", "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n"},
		{"description", "opswiki\n"},
		// HEAD last: IsRepository looks for it, so a half-made repository
		// is not mistaken for a whole one.
		{"HEAD", "ref: " + mainRef + "\n"},
	}
	for _, f := range files {
		if err := writeFileSync(filepath.Join(dir, f.name), []byte(f.content)); err != nil {
			return fmt.Errorf("init repository %s: %w", dir, err)
		}
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return syncDir(filepath.Dir(filepath.Clean(dir)))
}

// IsRepository reports whether dir holds a git repository: a HEAD file and
// objects and refs folders, which is what git itself looks for.
func IsRepository(dir string) bool {
	if fi, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	for _, d := range []string{"objects", "refs"} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// Dir returns the repository's directory.
func (s *Store) Dir() string { return s.dir }

// storagePool is how many objects can be read at once.
const storagePool = 4

// pooledStorage is one of the store's go-git storages, opened at gen.
type pooledStorage struct {
	st  *filesystem.Storage
	gen int
}

// Close releases open pack files. The store must not be used after.
func (s *Store) Close() error {
	var errs []error
	for range storagePool {
		ps := <-s.free
		if ps.st != nil {
			errs = append(errs, ps.st.Close())
		}
	}
	return errors.Join(errs...)
}

// Refresh makes objects that another process added (git push writes new
// pack files) visible. Callers invoke it when they notice main moved without
// them; reads also refresh by themselves when an object is missing.
func (s *Store) Refresh() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reopenLocked()
}

// reopenLocked makes every storage open again before its next read, which
// forgets the pack indexes it loaded and the pack files it holds open. The
// object cache is kept: objects never change.
func (s *Store) reopenLocked() {
	s.gen++
	s.packs = s.packSignature()
}

// packSignature names the pack indexes on disk, to tell cheaply whether
// another process added or removed packs since the storage was opened.
func (s *Store) packSignature() string {
	ents, err := os.ReadDir(filepath.Join(s.dir, "objects", "pack"))
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".idx") {
			b.WriteString(e.Name())
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// withStorage runs fn with a storage of its own. When fn fails and the
// packs on disk changed since the storage was opened, it opens the storage
// again and runs fn once more: go-git does not notice packs written by
// another process.
func (s *Store) withStorage(fn func(st *filesystem.Storage) error) error {
	ps := <-s.free
	defer func() { s.free <- ps }()
	s.mu.Lock()
	if ps.gen != s.gen {
		s.openLocked(ps)
	}
	packs := s.packs
	s.mu.Unlock()
	err := fn(ps.st)
	if err != nil && s.packSignature() != packs {
		s.mu.Lock()
		if s.packs == packs {
			s.reopenLocked()
		}
		s.openLocked(ps)
		s.mu.Unlock()
		err = fn(ps.st)
	}
	return err
}

// openLocked opens ps at the current gen; s.mu is held.
func (s *Store) openLocked(ps *pooledStorage) {
	if ps.st != nil {
		_ = ps.st.Close()
	}
	ps.st = filesystem.NewStorageWithOptions(osfs.New(s.dir), s.objCache, filesystem.Options{MaxOpenDescriptors: 16})
	ps.gen = s.gen
}

// readObject returns the content of an object of the given type. It returns
// plumbing.ErrObjectNotFound, wrapped, when there is no such object.
func (s *Store) readObject(t plumbing.ObjectType, h plumbing.Hash) ([]byte, error) {
	var data []byte
	err := s.withStorage(func(st *filesystem.Storage) error {
		o, err := st.EncodedObject(t, h)
		if err != nil {
			return err
		}
		r, err := o.Reader()
		if err != nil {
			return err
		}
		defer r.Close()
		data = make([]byte, o.Size())
		_, err = io.ReadFull(r, data)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", t, h, err)
	}
	return data, nil
}

// objectSize returns the size of an object from its header, without
// inflating the object.
func (s *Store) objectSize(h plumbing.Hash) (int64, error) {
	if n, ok := s.sizes.Get(h); ok {
		return n, nil
	}
	var n int64
	err := s.withStorage(func(st *filesystem.Storage) (err error) {
		n, err = st.EncodedObjectSize(h)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", h, err)
	}
	s.sizes.Put(h, n)
	return n, nil
}

// hasObject reports whether the object exists, loose or packed.
func (s *Store) hasObject(h plumbing.Hash) bool {
	return s.withStorage(func(st *filesystem.Storage) error {
		return st.HasEncodedObject(h)
	}) == nil
}

// isMissing reports whether err means an object does not exist.
func isMissing(err error) bool { return errors.Is(err, plumbing.ErrObjectNotFound) }
