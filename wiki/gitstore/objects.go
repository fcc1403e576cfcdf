package gitstore

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/objfile"
)

// emptyTree is the id of the tree with no entries, which git knows without
// storing it.
var emptyTree = plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904")

// treeEntry is one entry of a git tree. The store parses trees itself: it
// needs only these three fields and reads many trees per diff.
type treeEntry struct {
	name string
	mode filemode.FileMode
	hash plumbing.Hash
}

func (e treeEntry) isDir() bool { return e.mode&0o170000 == 0o040000 }

// isFile reports whether the entry is a blob: regular, executable or
// symlink. Submodules (gitlinks) are neither files nor folders of the wiki.
func (e treeEntry) isFile() bool {
	switch e.mode & 0o170000 {
	case 0o100000, 0o120000:
		return true
	}
	return false
}

// compareEntries orders entries as git does: by name, with a folder's name
// compared as if it ended in "/". Trees written in another order are
// rejected by git fsck, and diffs walk both trees in this order.
func compareEntries(a, b treeEntry) int {
	n := min(len(a.name), len(b.name))
	if c := cmp.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	return cmp.Compare(a.byteAt(n), b.byteAt(n))
}

func (e treeEntry) byteAt(i int) byte {
	switch {
	case i < len(e.name):
		return e.name[i]
	case e.isDir():
		return '/'
	}
	return 0
}

// parseTree decodes a tree object. Entries come back in git order even when
// the tree on disk was written out of order by a broken tool.
func parseTree(data []byte) ([]treeEntry, error) {
	var out []treeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp < 0 {
			return nil, errors.New("malformed tree: no mode")
		}
		mode, err := strconv.ParseUint(string(data[:sp]), 8, 32)
		if err != nil {
			return nil, fmt.Errorf("malformed tree: mode %q", data[:sp])
		}
		data = data[sp+1:]
		nul := bytes.IndexByte(data, 0)
		if nul < 0 || len(data) < nul+1+len(plumbing.Hash{}) {
			return nil, errors.New("malformed tree: truncated entry")
		}
		e := treeEntry{name: string(data[:nul]), mode: filemode.FileMode(mode)}
		copy(e.hash[:], data[nul+1:])
		out = append(out, e)
		data = data[nul+1+len(e.hash):]
	}
	if !slices.IsSortedFunc(out, compareEntries) {
		slices.SortFunc(out, compareEntries)
	}
	return out, nil
}

// encodeTree encodes entries, which must be in git order.
func encodeTree(entries []treeEntry) []byte {
	var b bytes.Buffer
	for _, e := range entries {
		b.WriteString(strconv.FormatUint(uint64(e.mode), 8))
		b.WriteByte(' ')
		b.WriteString(e.name)
		b.WriteByte(0)
		b.Write(e.hash[:])
	}
	return b.Bytes()
}

// gitObject is an object about to be written.
type gitObject struct {
	typ  plumbing.ObjectType
	hash plumbing.Hash
	data []byte
}

func newObject(t plumbing.ObjectType, data []byte) gitObject {
	return gitObject{typ: t, hash: plumbing.ComputeHash(t, data), data: data}
}

// writeObjects stores objects as loose objects, each file fsynced before
// it is renamed into place, and returns the folders that gained names: they
// must be fsynced too before a ref may point at the objects, which casMain
// does while it syncs its lock file. Objects already present, loose or
// packed, are skipped. The fsyncs run in parallel: they dominate a commit's
// time, and the file system commits concurrent ones together.
func (s *Store) writeObjects(objs []gitObject) ([]string, error) {
	objDir := filepath.Join(s.dir, "objects")
	var todo []gitObject
	dirs := make(map[string]bool)
	seen := make(map[plumbing.Hash]bool, len(objs))
	now := time.Now()
	for _, o := range objs {
		if seen[o.hash] {
			continue
		}
		seen[o.hash] = true
		hex := o.hash.String()
		dir := filepath.Join(objDir, hex[:2])
		// Touch an existing loose object as git does, so a concurrent
		// git gc does not prune it as old and unreachable before main
		// points at it; this also finds most existing objects cheaply.
		if os.Chtimes(filepath.Join(dir, hex[2:]), now, now) == nil || s.hasObject(o.hash) {
			continue
		}
		if !dirs[dir] {
			if err := os.Mkdir(dir, 0o755); err == nil {
				dirs[objDir] = true // it gained a name
			} else if !errors.Is(err, fs.ErrExist) {
				return nil, fmt.Errorf("write object %s: %w", o.hash, err)
			}
			dirs[dir] = true
		}
		todo = append(todo, o)
	}
	err := parallel(len(todo), func(i int) error {
		hex := todo[i].hash.String()
		if err := writeLoose(filepath.Join(objDir, hex[:2], hex[2:]), todo[i]); err != nil {
			return fmt.Errorf("write object %s: %w", hex, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return slices.Collect(maps.Keys(dirs)), nil
}

// parallel runs fn(0) … fn(n-1) on a few goroutines and returns the first
// error.
func parallel(n int, fn func(i int) error) error {
	if n == 1 {
		return fn(0)
	}
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		first error
		once  sync.Once
	)
	for range min(n, 16) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// writeLoose writes one zlib-compressed loose object through a temporary
// file, read-only like git's own.
func writeLoose(name string, o gitObject) error {
	f, err := os.CreateTemp(filepath.Dir(name), "tmp_obj_")
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	w := objfile.NewWriter(f)
	if err := w.WriteHeader(o.typ, int64(len(o.data))); err != nil {
		return fail(err)
	}
	if _, err := w.Write(o.data); err != nil {
		return fail(err)
	}
	if err := w.Close(); err != nil {
		return fail(err)
	}
	if err := f.Chmod(0o444); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
