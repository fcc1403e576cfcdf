package gitstore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// lockTimeout bounds how long a write waits for another writer's
// refs/heads/main.lock; git holds it for milliseconds, so a longer wait
// means a stale lock or a stuck process.
var lockTimeout = time.Second

// Head returns the commit main points at, read from disk on every call so
// that pushes and commits made by git itself are seen at once.
func (s *Store) Head(ctx context.Context) (string, error) {
	h, err := s.readMain()
	if err != nil {
		return "", err
	}
	if h.IsZero() {
		return "", wiki.ErrEmpty
	}
	return h.String(), nil
}

// readMain returns the commit main points at, or the zero hash when there is
// no main. Like git, it prefers the loose ref and falls back to packed-refs.
func (s *Store) readMain() (plumbing.Hash, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(mainRef)))
	if err == nil {
		return parseRefValue(b)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return plumbing.ZeroHash, fmt.Errorf("read %s: %w", mainRef, err)
	}
	return s.readPackedMain()
}

func parseRefValue(b []byte) (plumbing.Hash, error) {
	v := strings.TrimSpace(string(b))
	if strings.HasPrefix(v, "ref:") {
		return plumbing.ZeroHash, fmt.Errorf("read %s: a symbolic ref (%s) is not supported", mainRef, v)
	}
	if !plumbing.IsHash(v) {
		return plumbing.ZeroHash, fmt.Errorf("read %s: malformed value %q", mainRef, v)
	}
	return plumbing.NewHash(v), nil
}

// readPackedMain looks main up in packed-refs, where git pack-refs and gc
// move refs.
func (s *Store) readPackedMain() (plumbing.Hash, error) {
	f, err := os.Open(filepath.Join(s.dir, "packed-refs"))
	if errors.Is(err, fs.ErrNotExist) {
		return plumbing.ZeroHash, nil
	} else if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read packed-refs: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] == '#' || line[0] == '^' {
			continue
		}
		id, name, ok := bytes.Cut(line, []byte{' '})
		if ok && string(name) == mainRef {
			return parseRefValue(id)
		}
	}
	if err := sc.Err(); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read packed-refs: %w", err)
	}
	return plumbing.ZeroHash, nil
}

// casMain moves main from old (zero: main must not exist) to new the way
// git does: take refs/heads/main.lock exclusively, check the current value
// under the lock, write and fsync the lock file, rename it over the ref and
// fsync the folder. git push and git commit take the same lock, so neither
// side can lose the other's update. The folders in syncDirs, holding the new
// objects, are fsynced alongside the lock file, before the rename.
func (s *Store) casMain(old, new plumbing.Hash, who wiki.Signature, subject string, syncDirs []string) (err error) {
	refDir := filepath.Join(s.dir, "refs", "heads")
	if err := os.MkdirAll(refDir, 0o755); err != nil {
		return fmt.Errorf("update %s: %w", mainRef, err)
	}
	ref := filepath.Join(refDir, "main")
	lock := ref + ".lock"
	f, err := acquireLock(lock)
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if !renamed {
			f.Close()
			os.Remove(lock)
		}
	}()
	cur, err := s.readMain()
	if err != nil {
		return err
	}
	if cur != old {
		return fmt.Errorf("update %s from %s: %w", mainRef, old, wiki.ErrRefMoved)
	}
	if _, err := f.WriteString(new.String() + "\n"); err != nil {
		return fmt.Errorf("write %s.lock: %w", mainRef, err)
	}
	err = parallel(len(syncDirs)+1, func(i int) error {
		if i == len(syncDirs) {
			return f.Sync()
		}
		return syncDir(syncDirs[i])
	})
	if err != nil {
		return fmt.Errorf("sync %s.lock and objects: %w", mainRef, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s.lock: %w", mainRef, err)
	}
	s.appendReflog(old, new, who, subject)
	if err := os.Rename(lock, ref); err != nil {
		return fmt.Errorf("update %s: %w", mainRef, err)
	}
	renamed = true
	return syncDir(refDir)
}

// acquireLock creates the lock file exclusively, retrying briefly while
// another writer holds it.
func acquireLock(lock string) (*os.File, error) {
	deadline := time.Now().Add(lockTimeout)
	wait := time.Millisecond
	for {
		f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", mainRef, err)
		}
		if time.Now().After(deadline) {
			return nil, &wiki.Error{
				Code:    wiki.EUNAVAILABLE,
				Message: "The wiki repository is locked by another writer (refs/heads/main.lock); try again.",
				Err:     fmt.Errorf("lock %s: %w", mainRef, err),
			}
		}
		time.Sleep(wait)
		wait = min(2*wait, 20*time.Millisecond)
	}
}

// appendReflog adds a line to main's reflog when it has one. Like git in a
// bare repository, it does not start a reflog; the reflog is a convenience,
// so failures are ignored.
func (s *Store) appendReflog(old, new plumbing.Hash, who wiki.Signature, subject string) {
	name := filepath.Join(s.dir, "logs", filepath.FromSlash(mainRef))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	defer f.Close()
	when := who.When
	if when.IsZero() {
		when = time.Now()
	}
	fmt.Fprintf(f, "%s %s %s <%s> %d %s\topswiki: %s\n",
		old, new, who.Name, who.Email, when.Unix(), when.Format("-0700"), subject)
}
