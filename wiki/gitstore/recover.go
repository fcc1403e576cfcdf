package gitstore

import (
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Recover repairs what a crash can leave behind: ref lock files whose
// writer died (they would block every later write) and half-written
// temporary files. The server calls it once at start, after it holds the
// data directory alone; a lock younger than minAge may belong to a git
// command running right now, so it is given that long to go away first.
// Commits themselves need no repair: objects are durable before main moves,
// and main moves by an atomic rename.
func (s *Store) Recover(log *slog.Logger, minAge time.Duration) error {
	now := time.Now()
	var locks []string
	err := filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file vanishing under us is fine
		}
		name := d.Name()
		if d.IsDir() {
			if p != s.dir && name != "refs" && name != "objects" && !strings.HasPrefix(p, filepath.Join(s.dir, "refs")) && !strings.HasPrefix(p, filepath.Join(s.dir, "objects")) {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasSuffix(name, ".lock") && (strings.HasPrefix(p, filepath.Join(s.dir, "refs")) || name == "packed-refs.lock"):
			locks = append(locks, p)
		case strings.HasPrefix(name, "tmp_obj_") || strings.HasPrefix(name, ".tmp-") || strings.HasPrefix(name, "tmp_pack_") || strings.HasPrefix(name, "tmp_idx_"):
			// git's own temporary files have the same names; an hour is
			// far longer than any write takes.
			if info, err := d.Info(); err == nil && now.Sub(info.ModTime()) > time.Hour {
				if os.Remove(p) == nil {
					log.Warn("removed a temporary file left by a crash", "file", p)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, lock := range locks {
		for {
			info, err := os.Stat(lock)
			if err != nil {
				break // released
			}
			if age := time.Since(info.ModTime()); age < minAge {
				time.Sleep(minAge - age)
				continue
			}
			if err := os.Remove(lock); err != nil && !os.IsNotExist(err) {
				return err
			}
			log.Warn("removed a ref lock left by a crash", "lock", lock)
			break
		}
	}
	return nil
}
