package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/objfile"
)

// Housekeeping limits. Browser saves and small pushes write loose objects,
// a few per commit; a few thousand loose files slow reads and waste disk,
// so once there are more than LooseLimit they are packed.
const (
	// LooseLimit is how many loose objects Repack tolerates before packing.
	LooseLimit = 512
	// repackBatch bounds the objects one Repack packs, and so its memory.
	repackBatch = 20000
	// staleTemp is how old a temporary file of an interrupted write must
	// be before housekeeping removes it.
	staleTemp = time.Hour
)

// RepackStats says what Repack did.
type RepackStats struct {
	Loose   int    // loose objects found
	Packed  int    // of those, packed and removed
	Pack    string // the new pack's name, if one was written
	Removed int    // stale temporary files removed
}

// Repack packs the repository's loose objects into one new pack when there
// are more than LooseLimit, then removes the loose files it packed, and
// removes temporary files that interrupted writes left over an hour ago.
// It never removes an object that is not in a pack written and fsynced
// before; packs already there are left alone (git gc may be run offline
// to recombine them). It runs alongside saves and pushes: an object
// written while it runs stays loose until the next run. A clone or fetch
// that is choosing its objects (SendPack) finishes choosing before loose
// files are removed; one already sending reads an object that went from
// the pack Repack wrote first.
func (s *Store) Repack(ctx context.Context) (RepackStats, error) {
	var st RepackStats
	loose, removed, err := s.scanObjects()
	st.Loose, st.Removed = len(loose), removed
	if err != nil || len(loose) <= LooseLimit {
		return st, err
	}
	if len(loose) > repackBatch {
		loose = loose[:repackBatch]
	}
	objs := make([]gitObject, 0, len(loose))
	for _, h := range loose {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		o, err := s.readLoose(h)
		if err != nil {
			// Removed meanwhile (by git gc) or unreadable: leave it be.
			continue
		}
		objs = append(objs, o)
	}
	if len(objs) == 0 {
		return st, nil
	}
	name, err := s.writePack(objs)
	if err != nil {
		return st, err
	}
	st.Pack = name
	s.Refresh()
	// A clone choosing its objects does not know the new pack; let it
	// finish choosing before the objects it found loose move.
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	dirs := make(map[string]bool)
	for _, o := range objs {
		hex := o.hash.String()
		dir := filepath.Join(s.dir, "objects", hex[:2])
		if err := os.Remove(filepath.Join(dir, hex[2:])); err == nil {
			st.Packed++
			dirs[dir] = true
		}
	}
	for dir := range dirs {
		_ = syncDir(dir)
	}
	return st, nil
}

// scanObjects lists the loose objects and removes temporary files left
// by interrupted writes long ago.
func (s *Store) scanObjects() ([]plumbing.Hash, int, error) {
	root := filepath.Join(s.dir, "objects")
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, 0, fmt.Errorf("list objects: %w", err)
	}
	var out []plumbing.Hash
	removed := 0
	old := time.Now().Add(-staleTemp)
	removeStale := func(p string) {
		if fi, err := os.Lstat(p); err == nil && fi.ModTime().Before(old) && os.Remove(p) == nil {
			removed++
		}
	}
	for _, e := range ents {
		name := e.Name()
		if name == "pack" {
			pe, _ := os.ReadDir(filepath.Join(root, name))
			for _, f := range pe {
				if strings.HasPrefix(f.Name(), "tmp_") {
					removeStale(filepath.Join(root, name, f.Name()))
				}
			}
			continue
		}
		if len(name) != 2 || !e.IsDir() || !isHex(name) {
			continue
		}
		files, err := os.ReadDir(filepath.Join(root, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, removed, fmt.Errorf("list objects: %w", err)
		}
		for _, f := range files {
			switch {
			case len(f.Name()) == 38 && isHex(f.Name()):
				out = append(out, plumbing.NewHash(name+f.Name()))
			case strings.HasPrefix(f.Name(), "tmp_"):
				removeStale(filepath.Join(root, name, f.Name()))
			}
		}
	}
	return out, removed, nil
}

func isHex(s string) bool { return strings.Trim(s, "0123456789abcdef") == "" }

// readLoose reads and checks one loose object.
func (s *Store) readLoose(h plumbing.Hash) (gitObject, error) {
	hex := h.String()
	f, err := os.Open(filepath.Join(s.dir, "objects", hex[:2], hex[2:]))
	if err != nil {
		return gitObject{}, err
	}
	defer f.Close()
	r, err := objfile.NewReader(f)
	if err != nil {
		return gitObject{}, err
	}
	defer r.Close()
	t, size, err := r.Header()
	if err != nil {
		return gitObject{}, err
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err != nil {
		return gitObject{}, err
	}
	o := newObject(t, data)
	if o.hash != h {
		return gitObject{}, fmt.Errorf("loose object %s holds %s", h, o.hash)
	}
	return o, nil
}

// RepackSoon asks the housekeeping loop to run now, after a write that
// added loose objects.
func (s *Store) RepackSoon() {
	select {
	case s.repack <- struct{}{}:
	default:
	}
}

// RunHousekeeping repacks loose objects (see Repack) shortly after start,
// every interval, and a second after RepackSoon, until ctx ends.
func (s *Store) RunHousekeeping(ctx context.Context, interval time.Duration, log *slog.Logger) {
	next := time.NewTimer(min(interval, 10*time.Second)) // not during start-up
	defer next.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-next.C:
		case <-s.repack:
			// Let a burst of saves or pushes finish first.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
		start := time.Now()
		st, err := s.Repack(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("repack", "err", err)
		case st.Pack != "" || st.Removed > 0:
			log.Info("repacked loose objects", "loose", st.Loose, "packed", st.Packed, "pack", st.Pack,
				"stale_temp_files_removed", st.Removed, "took", time.Since(start).Round(time.Millisecond))
		}
		next.Reset(interval)
	}
}
