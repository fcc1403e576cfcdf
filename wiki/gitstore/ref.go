package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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
// no main.
func (s *Store) readMain() (plumbing.Hash, error) { return s.readRef(mainRef) }

// readRef returns the object a ref points at, or the zero hash when there
// is no such ref. Like git, it prefers the loose ref and falls back to
// packed-refs, where git pack-refs and gc move refs.
func (s *Store) readRef(name string) (plumbing.Hash, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(name)))
	if err == nil {
		return parseRefValue(name, b)
	}
	if !errors.Is(err, fs.ErrNotExist) && !isNotDir(err) && !errors.Is(err, syscall.EISDIR) {
		return plumbing.ZeroHash, fmt.Errorf("read %s: %w", name, err)
	}
	packed, err := s.readPackedRefs()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return packed[name], nil
}

// isNotDir reports an error from a path that runs through a file, as
// refs/heads/a/b does when refs/heads/a is a branch.
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

func parseRefValue(name string, b []byte) (plumbing.Hash, error) {
	v := strings.TrimSpace(string(b))
	if strings.HasPrefix(v, "ref:") {
		return plumbing.ZeroHash, fmt.Errorf("read %s: a symbolic ref (%s) is not supported", name, v)
	}
	if !plumbing.IsHash(v) {
		return plumbing.ZeroHash, fmt.Errorf("read %s: malformed value %q", name, v)
	}
	return plumbing.NewHash(v), nil
}

// casMain moves main from old (zero: main must not exist) to new; see
// casRef.
func (s *Store) casMain(old, new plumbing.Hash, who wiki.Signature, subject string, syncDirs []string) error {
	return s.casRef(mainRef, old, new, who, subject, syncDirs)
}

// casRef moves a ref from old (zero: the ref must not exist) to new (zero:
// delete it) the way git does: take <ref>.lock exclusively, check the
// current value under the lock, write and fsync the lock file, rename it
// over the ref and fsync the folder. git push and git commit take the same
// lock, so neither side can lose the other's update. The folders in
// syncDirs, holding the new objects, are fsynced alongside the lock file,
// before the rename.
func (s *Store) casRef(name string, old, new plumbing.Hash, who wiki.Signature, subject string, syncDirs []string) (err error) {
	ref := filepath.Join(s.dir, filepath.FromSlash(name))
	refDir := filepath.Dir(ref)
	if err := os.MkdirAll(refDir, 0o755); err != nil {
		return refConflict(name, err)
	}
	lock := ref + ".lock"
	f, err := acquireLock(name, lock)
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
	cur, err := s.readRef(name)
	if err != nil {
		return err
	}
	if cur != old {
		return fmt.Errorf("update %s from %s: %w", name, old, wiki.ErrRefMoved)
	}
	if new.IsZero() {
		err := s.deleteRefLocked(name, ref)
		f.Close()
		os.Remove(lock)
		renamed = true
		if err == nil {
			s.removeEmptyRefDirs(refDir)
		}
		return err
	}
	if _, err := f.WriteString(new.String() + "\n"); err != nil {
		return fmt.Errorf("write %s.lock: %w", name, err)
	}
	err = parallel(len(syncDirs)+1, func(i int) error {
		if i == len(syncDirs) {
			return f.Sync()
		}
		return syncDir(syncDirs[i])
	})
	if err != nil {
		return fmt.Errorf("sync %s.lock and objects: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s.lock: %w", name, err)
	}
	s.appendReflog(name, old, new, who, subject)
	if err := os.Rename(lock, ref); err != nil {
		return refConflict(name, err)
	}
	renamed = true
	return syncDir(refDir)
}

// refConflict explains a ref that cannot be written because a folder of
// refs has its name, or a ref has the name of one of its folders.
func refConflict(name string, err error) error {
	if isNotDir(err) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
		return &wiki.Error{Code: wiki.ECONFLICT, Message: fmt.Sprintf("%s clashes with an existing ref of a similar name (like a/b next to a).", name), Err: err}
	}
	return fmt.Errorf("update %s: %w", name, err)
}

// acquireLock creates the lock file exclusively, retrying briefly while
// another writer holds it.
func acquireLock(name, lock string) (*os.File, error) {
	deadline := time.Now().Add(lockTimeout)
	wait := time.Millisecond
	for {
		f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, refConflict(name, err)
		}
		if time.Now().After(deadline) {
			return nil, &wiki.Error{
				Code:    wiki.EUNAVAILABLE,
				Message: fmt.Sprintf("The wiki repository is locked by another writer (%s); try again.", filepath.Base(lock)),
				Err:     fmt.Errorf("lock %s: %w", name, err),
			}
		}
		time.Sleep(wait)
		wait = min(2*wait, 20*time.Millisecond)
	}
}

// appendReflog adds a line to a ref's reflog when it has one. Like git in a
// bare repository, it does not start a reflog; the reflog is a convenience,
// so failures are ignored.
func (s *Store) appendReflog(name string, old, new plumbing.Hash, who wiki.Signature, subject string) {
	f, err := os.OpenFile(filepath.Join(s.dir, "logs", filepath.FromSlash(name)), os.O_WRONLY|os.O_APPEND, 0)
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
