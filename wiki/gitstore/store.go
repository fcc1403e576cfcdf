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

	// mu guards st and packs: go-git's storage is not safe for concurrent
	// use. It is held only while one object is read.
	mu       sync.Mutex
	st       *filesystem.Storage
	objCache cache.Object
	packs    string // the pack indexes present when st was opened

	// wmu serialises writes, so the store itself never loses a
	// compare-and-swap of main to its own writers.
	wmu sync.Mutex

	// sendMu is held shared by SendPack, which reads through its own
	// storage, and exclusively by Repack while it removes loose objects
	// that storage may not know are now packed.
	sendMu sync.RWMutex
	// repack wakes the housekeeping loop (RepackSoon).
	repack chan struct{}

	trees   *lru[plumbing.Hash, []treeEntry]
	commits *lru[plumbing.Hash, *commitInfo]
	sizes   *lru[plumbing.Hash, int64]
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
		objCache: cache.NewObjectLRU(32 * cache.MiByte),
		trees:    newWeightedLRU[plumbing.Hash](200_000, func(t []treeEntry) int { return len(t) }),
		commits:  newLRU[plumbing.Hash, *commitInfo](16384),
		sizes:    newLRU[plumbing.Hash, int64](65536),
		repack:   make(chan struct{}, 1),
	}
	s.reopenLocked()
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

// Close releases open pack files.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Close()
}

// Refresh makes objects that another process added (git push writes new
// pack files) visible. Callers invoke it when they notice main moved without
// them; reads also refresh by themselves when an object is missing.
func (s *Store) Refresh() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reopenLocked()
}

// reopenLocked replaces the go-git storage, which forgets the pack indexes
// it loaded and the pack files it holds open. The object cache is kept:
// objects never change.
func (s *Store) reopenLocked() {
	if s.st != nil {
		_ = s.st.Close()
	}
	s.st = filesystem.NewStorageWithOptions(osfs.New(s.dir), s.objCache,
		filesystem.Options{MaxOpenDescriptors: 16})
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

// withStorage runs fn under the storage lock. When fn fails and the packs on
// disk changed since the storage was opened, it reopens the storage and runs
// fn once more: go-git does not notice packs written by another process.
func (s *Store) withStorage(fn func(st *filesystem.Storage) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := fn(s.st)
	if err != nil && s.packSignature() != s.packs {
		s.reopenLocked()
		err = fn(s.st)
	}
	return err
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
	if n, ok := s.sizes.get(h); ok {
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
	s.sizes.put(h, n)
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
