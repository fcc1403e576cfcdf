package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// refChunk is how many refs a batch holds locked at once: their lock files
// stay open until fsynced together, which bounds the open files.
const refChunk = 256

// refUpdate is one update of a batch on its way through the locks.
type refUpdate struct {
	i    int // index in the caller's list
	u    RefUpdate
	ref  string // the loose ref file
	lock *os.File
}

// updateRefsLocked applies a batch of ref updates, the caller holding the
// write lock, in time linear in the batch: the refs are listed once for
// every clash check, packed-refs is read once per chunk of locked refs and
// rewritten once per chunk of deletions, and the lock files of a chunk are
// fsynced together, as are the folders at the end. Each ref still moves
// the way git moves it: its lock taken, its value compared under the lock,
// the lock file written, fsynced and renamed over the ref.
func (s *Store) updateRefsLocked(ctx context.Context, updates []RefUpdate, who wiki.Signature, subject string) []error {
	errs := make([]error, len(updates))
	if who.When.IsZero() {
		who.When = time.Now()
	}
	refs, _, err := s.Refs()
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	names := make(map[string]bool, len(refs))
	folders := make(map[string]bool)
	add := func(name string) {
		names[name] = true
		for i := strings.IndexByte(name, '/'); i >= 0; i = nextSlash(name, i) {
			folders[name[:i]] = true
		}
	}
	for _, r := range refs {
		add(r.Name)
	}
	seen := make(map[string]bool, len(updates))
	var todo []*refUpdate
	for i, u := range updates {
		if err := ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if err := s.checkRefUpdate(u); err != nil || u.Old == u.New {
			errs[i] = err
			continue
		}
		if seen[u.Name] {
			errs[i] = invalid("%s: the update names it twice.", u.Name)
			continue
		}
		seen[u.Name] = true
		if u.Name == mainRef && s.upstream != nil {
			if err := s.publishPushLocked(ctx, u); err != nil {
				errs[i] = err
				continue
			}
		}
		if u.Old.IsZero() {
			if clash := refClash(u.Name, names, folders); clash != "" {
				errs[i] = &wiki.Error{Code: wiki.ECONFLICT, Message: fmt.Sprintf("%s clashes with the existing ref %s.", u.Name, clash)}
				continue
			}
			add(u.Name)
		}
		todo = append(todo, &refUpdate{i: i, u: u, ref: filepath.Join(s.dir, filepath.FromSlash(u.Name))})
	}
	// Locks are taken in name order, as git takes them.
	slices.SortFunc(todo, func(a, b *refUpdate) int { return strings.Compare(a.u.Name, b.u.Name) })
	dirs := make(map[string]bool)
	var emptied []string
	// A bare repository keeps no reflogs unless git was told to; without
	// logs/refs there is none to append to, and no need to look per ref.
	_, err = os.Stat(filepath.Join(s.dir, "logs", "refs"))
	reflogs := err == nil
	for len(todo) > 0 {
		n := min(len(todo), refChunk)
		s.updateRefChunk(todo[:n], errs, who, subject, reflogs, dirs, &emptied)
		todo = todo[n:]
	}
	list := make([]string, 0, len(dirs))
	for d := range dirs {
		list = append(list, d)
	}
	dirErrs := make([]error, len(list))
	_ = parallel(len(list), func(i int) error {
		if err := syncDir(list[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			dirErrs[i] = err
		}
		return nil
	})
	for i, err := range dirErrs {
		if err != nil {
			for j, u := range updates {
				if errs[j] == nil && filepath.Dir(filepath.Join(s.dir, filepath.FromSlash(u.Name))) == list[i] {
					errs[j] = err
				}
			}
		}
	}
	for _, d := range emptied {
		s.removeEmptyRefDirs(d)
	}
	return errs
}

func nextSlash(s string, i int) int {
	if j := strings.IndexByte(s[i+1:], '/'); j >= 0 {
		return i + 1 + j
	}
	return -1
}

// refClash returns an existing ref that name cannot live beside (one of
// its folders is a ref, or it is a folder of refs), or "".
func refClash(name string, names, folders map[string]bool) string {
	if folders[name] {
		return name + "/…"
	}
	for i := strings.IndexByte(name, '/'); i >= 0; i = nextSlash(name, i) {
		if names[name[:i]] {
			return name[:i]
		}
	}
	return ""
}

// updateRefChunk takes the locks of a chunk of updates, compares each
// ref under its lock, and applies the deletions and then the writes.
// Failures are recorded in errs; dirs gains the folders to fsync.
func (s *Store) updateRefChunk(chunk []*refUpdate, errs []error, who wiki.Signature, subject string, reflogs bool, dirs map[string]bool, emptied *[]string) {
	release := func(p *refUpdate) {
		if p.lock != nil {
			p.lock.Close()
			os.Remove(p.lock.Name())
			p.lock = nil
		}
	}
	defer func() {
		for _, p := range chunk {
			release(p)
		}
	}()
	made := make(map[string]bool)
	var locked []*refUpdate
	for _, p := range chunk {
		dir := filepath.Dir(p.ref)
		if !made[dir] {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				errs[p.i] = refConflict(p.u.Name, err)
				continue
			}
			made[dir] = true
		}
		f, err := acquireLock(p.u.Name, p.ref+".lock")
		if err != nil {
			errs[p.i] = err
			continue
		}
		p.lock = f
		locked = append(locked, p)
	}
	packed, err := s.readPackedRefs()
	if err != nil {
		for _, p := range locked {
			errs[p.i] = err
		}
		return
	}
	var dels, writes []*refUpdate
	dropPacked := make(map[string]bool)
	for _, p := range locked {
		cur, err := readLooseRef(p.u.Name, p.ref, packed)
		switch {
		case err != nil:
			errs[p.i] = err
		case cur != p.u.Old:
			errs[p.i] = fmt.Errorf("update %s from %s: %w", p.u.Name, p.u.Old, wiki.ErrRefMoved)
		case p.u.New.IsZero():
			dels = append(dels, p)
			if _, ok := packed[p.u.Name]; ok {
				dropPacked[p.u.Name] = true
			}
			continue
		default:
			writes = append(writes, p)
			continue
		}
		release(p)
	}
	if len(dropPacked) > 0 {
		if err := s.dropPackedRefs(dropPacked); err != nil {
			for _, p := range dels {
				errs[p.i] = err
			}
			dels = nil
		}
	}
	for _, p := range dels {
		if err := os.Remove(p.ref); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs[p.i] = fmt.Errorf("delete %s: %w", p.u.Name, err)
			continue
		}
		if reflogs {
			_ = os.Remove(filepath.Join(s.dir, "logs", filepath.FromSlash(p.u.Name)))
		}
		dirs[filepath.Dir(p.ref)] = true
		*emptied = append(*emptied, filepath.Dir(p.ref))
	}
	s.writeRefs(writes, errs, who, subject, reflogs, dirs)
}

// writeRefs writes each new value into its lock file, fsyncs them all
// together, then renames each over its ref.
func (s *Store) writeRefs(writes []*refUpdate, errs []error, who wiki.Signature, subject string, reflogs bool, dirs map[string]bool) {
	for _, p := range writes {
		if _, err := p.lock.WriteString(p.u.New.String() + "\n"); err != nil {
			errs[p.i] = fmt.Errorf("write %s.lock: %w", p.u.Name, err)
		}
	}
	_ = parallel(len(writes), func(i int) error {
		p := writes[i]
		if errs[p.i] == nil {
			if err := p.lock.Sync(); err != nil {
				errs[p.i] = fmt.Errorf("sync %s.lock: %w", p.u.Name, err)
			}
		}
		return nil
	})
	for _, p := range writes {
		if errs[p.i] != nil {
			continue
		}
		name := p.lock.Name()
		err := p.lock.Close()
		p.lock = nil
		if err != nil {
			os.Remove(name)
			errs[p.i] = fmt.Errorf("close %s.lock: %w", p.u.Name, err)
			continue
		}
		if reflogs {
			s.appendReflog(p.u.Name, p.u.Old, p.u.New, who, subject)
		}
		if err := os.Rename(name, p.ref); err != nil {
			os.Remove(name)
			errs[p.i] = refConflict(p.u.Name, err)
			continue
		}
		dirs[filepath.Dir(p.ref)] = true
	}
}

// readLooseRef reads a ref whose lock the caller holds: its loose file,
// else its line in packed-refs (given), else zero.
func readLooseRef(name, ref string, packed map[string]plumbing.Hash) (plumbing.Hash, error) {
	b, err := os.ReadFile(ref)
	switch {
	case err == nil:
		return parseRefValue(name, b)
	case errors.Is(err, fs.ErrNotExist) || isNotDir(err) || errors.Is(err, syscall.EISDIR):
		return packed[name], nil
	}
	return plumbing.ZeroHash, fmt.Errorf("read %s: %w", name, err)
}

// checkRefUpdate refuses an update that cannot apply whatever the refs
// are: a bad name, deleting main, moving main backwards, naming a missing
// object.
func (s *Store) checkRefUpdate(u RefUpdate) error {
	if msg := ValidRefName(u.Name); msg != "" {
		return invalid("%s: %s.", u.Name, msg)
	}
	switch {
	case u.Old == u.New:
		return nil
	case u.Name == mainRef && u.New.IsZero():
		return invalid("main is the wiki and cannot be deleted.")
	case u.Name == mainRef && !u.Old.IsZero():
		ok, err := isAncestor(context.Background(), s, u.Old, u.New)
		if err != nil {
			return err
		}
		if !ok {
			return &wiki.Error{Code: wiki.EINVALID, Message: "main only moves forward: the new commit does not descend from the current one (non-fast-forward)."}
		}
	}
	if !u.New.IsZero() && !s.hasObject(u.New) {
		return invalid("%s: there is no object %s in the repository.", u.Name, u.New)
	}
	return nil
}

// dropPackedRefs rewrites packed-refs without the given refs (and their
// peeled lines), through packed-refs.lock as git does.
func (s *Store) dropPackedRefs(drop map[string]bool) error {
	path := filepath.Join(s.dir, "packed-refs")
	lock := path + ".lock"
	f, err := acquireLock("packed-refs", lock)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(lock)
		}
	}()
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read packed-refs: %w", err)
	}
	var out bytes.Buffer
	skipPeeled := false
	for line := range bytes.Lines(data) {
		t := bytes.TrimRight(line, "\n")
		if len(t) > 0 && t[0] == '^' && skipPeeled {
			continue
		}
		skipPeeled = false
		if _, n, ok := bytes.Cut(t, []byte{' '}); ok && len(t) > 0 && t[0] != '#' && drop[string(n)] {
			skipPeeled = true
			continue
		}
		out.Write(line)
	}
	if _, err := f.Write(out.Bytes()); err != nil {
		return fmt.Errorf("write packed-refs.lock: %w", err)
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync packed-refs.lock: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(lock, path); err != nil {
		return fmt.Errorf("replace packed-refs: %w", err)
	}
	done = true
	return syncDir(s.dir)
}

// publishPushLocked delivers a push's new main to the upstream before main
// moves here: a push is taken only when the upstream takes it too, or
// cannot be reached (then it waits on main, like any write). When the
// upstream has commits main lacks, they are merged into main and the push
// is refused as git refuses a push that is not a fast forward, so the
// pusher fetches them and pushes again.
func (s *Store) publishPushLocked(ctx context.Context, u RefUpdate) error {
	cur, err := s.readMain()
	if err != nil || cur != u.Old {
		return err // the compare-and-swap refuses it
	}
	err = s.upstream.publishLocked(ctx, u.Old, u.New)
	if !errors.Is(err, errUpstreamMoved) {
		return err
	}
	if _, err := s.upstream.integrateLocked(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	return ErrUpstreamAhead
}

// ErrUpstreamAhead refuses a push that the upstream could not take as a
// fast forward: it has commits the pusher has not seen.
var ErrUpstreamAhead = &wiki.Error{Code: wiki.ECONFLICT, Message: "The upstream has commits this push does not: fetch them (git pull) and push again.", Err: wiki.ErrRefMoved}
