package gitstore

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// The history index is derived data: rebuilding it means diffing every
// commit of main against its parent, seconds for thousands of commits.
// So the index is also kept in a file of its own beside the repository,
// written after it changed and at shutdown, and read at start; the
// follower then applies only the commits since. A file that is missing,
// unreadable, of another format, or at a commit the repository no longer
// has is ignored and the index rebuilt.

// historyMagic starts the file; the number after "v" changes with the
// format.
const historyMagic = "opswiki history index v1\n"

// historySaveEvery is how many commits the index may gain before it is
// written again, besides at shutdown.
const historySaveEvery = 256

// OpenHistory returns the history index of the store, kept in the file at
// path: read from it now when it is usable, and written back by Save and
// as it grows. Problems with the file are logged to log, never fatal.
func OpenHistory(s *Store, path string, log *slog.Logger) *History {
	h := NewHistory(s)
	h.file, h.log = path, log
	if ix, err := readHistoryFile(path, s); err == nil {
		h.ix, h.saved = ix, len(ix.commits)
	} else if !errors.Is(err, os.ErrNotExist) {
		log.Warn("history index file unusable; rebuilding the index", "file", path, "err", err)
	}
	return h
}

// Save writes the index to its file (see OpenHistory), atomically: a crash
// leaves the old file or the new one. It does nothing for an index without
// a file or not yet built.
func (h *History) Save() error {
	h.mu.RLock()
	ix := h.ix
	h.mu.RUnlock()
	if h.file == "" || ix == nil || ix.head == "" {
		return nil
	}
	h.saveMu.Lock()
	defer h.saveMu.Unlock()
	// The index grows in place as commits arrive; write a copy, so the
	// follower never waits for the disk (a slow fsync under load would
	// hold up every save waiting for the history).
	h.mu.RLock()
	snap := ix.snapshot()
	h.mu.RUnlock()
	n := len(snap.commits)
	err := writeFileAtomic(h.file, func(w io.Writer) error { return snap.write(w) })
	if err != nil {
		return fmt.Errorf("save history index: %w", err)
	}
	h.mu.Lock()
	h.saved = n
	h.mu.Unlock()
	return nil
}

// saveSoon writes the index in the background once it has gained enough
// commits since it was last written.
func (h *History) saveSoon() {
	h.mu.RLock()
	due := h.file != "" && h.ix != nil && len(h.ix.commits)-h.saved >= historySaveEvery
	h.mu.RUnlock()
	if due && h.saving.CompareAndSwap(false, true) {
		go func() {
			defer h.saving.Store(false)
			if err := h.Save(); err != nil {
				h.log.Warn("history index not saved", "err", err)
			}
		}()
	}
}

// snapshot returns a copy of the index as it is now that later commits do
// not change: extend only appends, beyond the lengths copied here.
func (ix *historyIndex) snapshot() *historyIndex {
	cp := &historyIndex{head: ix.head, commits: ix.commits[:len(ix.commits):len(ix.commits)],
		paths: make(map[wiki.Path][]pathRev, len(ix.paths))}
	for p, revs := range ix.paths {
		cp.paths[p] = revs[:len(revs):len(revs)]
	}
	return cp
}

// write encodes the index: the commits of the first-parent line, oldest
// first, then every path with its changes.
func (ix *historyIndex) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	e := &encoder{w: bw}
	e.bytes([]byte(historyMagic))
	e.str(ix.head)
	e.uvarint(uint64(len(ix.commits)))
	for _, ci := range ix.commits {
		e.hash(plumbing.NewHash(ci.commit.ID))
		e.hash(ci.tree)
		e.uvarint(uint64(len(ci.parents)))
		for _, p := range ci.parents {
			e.hash(p)
		}
		e.signature(ci.commit.Author)
		e.signature(ci.commit.Committer)
		e.str(ci.commit.Message)
	}
	e.uvarint(uint64(len(ix.paths)))
	for p, revs := range ix.paths {
		e.str(string(p))
		e.uvarint(uint64(len(revs)))
		for _, r := range revs {
			e.uvarint(uint64(r.commit))
			e.bytes([]byte{r.kind})
			if wiki.ChangeKind(r.kind) != wiki.Deleted {
				e.hash(r.blob)
			}
		}
	}
	if e.err != nil {
		return e.err
	}
	return bw.Flush()
}

// readHistoryFile reads an index written by write, and checks that the
// repository has its head.
func readHistoryFile(path string, s *Store) (*historyIndex, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d := &decoder{b: data}
	if string(d.bytes(len(historyMagic))) != historyMagic {
		return nil, errors.New("not a history index of this format")
	}
	ix := newHistoryIndex(d.str())
	n := d.count()
	ix.commits = make([]*commitInfo, 0, n)
	for i := range n {
		id := d.hash()
		ci := &commitInfo{commit: wiki.Commit{ID: id.String()}, tree: d.hash()}
		for range d.count() {
			p := d.hash()
			ci.parents = append(ci.parents, p)
			ci.commit.Parents = append(ci.commit.Parents, p.String())
		}
		ci.commit.Author = d.signature()
		ci.commit.Committer = d.signature()
		ci.commit.Message = d.str()
		ix.commits = append(ix.commits, ci)
		ix.pos[ci.commit.ID] = int32(i)
	}
	for range d.count() {
		p := wiki.Path(d.str())
		revs := make([]pathRev, d.count())
		for i := range revs {
			revs[i].commit = int32(d.uvarint())
			revs[i].kind = d.bytes(1)[0]
			if wiki.ChangeKind(revs[i].kind) != wiki.Deleted {
				revs[i].blob = d.hash()
			}
			if d.err == nil && (revs[i].commit < 0 || int(revs[i].commit) >= len(ix.commits)) {
				d.err = errors.New("a change names a commit out of range")
			}
		}
		ix.paths[p] = revs
	}
	if d.err != nil {
		return nil, fmt.Errorf("read %s: %w", path, d.err)
	}
	if len(ix.commits) == 0 || ix.commits[len(ix.commits)-1].commit.ID != ix.head {
		return nil, fmt.Errorf("read %s: its commits do not end at its head", path)
	}
	if _, err := s.commit(plumbing.NewHash(ix.head)); err != nil {
		return nil, fmt.Errorf("read %s: head %s: %w", path, ix.head, err)
	}
	return ix, nil
}

// encoder writes the file's few kinds of values, keeping the first error.
type encoder struct {
	w   io.Writer
	err error
	buf [binary.MaxVarintLen64]byte
}

func (e *encoder) bytes(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *encoder) uvarint(v uint64) { e.bytes(e.buf[:binary.PutUvarint(e.buf[:], v)]) }
func (e *encoder) varint(v int64)   { e.bytes(e.buf[:binary.PutVarint(e.buf[:], v)]) }
func (e *encoder) hash(h plumbing.Hash) {
	e.bytes(h[:])
}

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.bytes([]byte(s))
}

func (e *encoder) signature(s wiki.Signature) {
	e.str(s.Name)
	e.str(s.Email)
	_, offset := s.When.Zone()
	e.varint(s.When.Unix())
	e.varint(int64(offset))
}

// decoder reads what encoder wrote; past the end or on a malformed value
// it keeps an error and returns zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = errors.New(msg)
	}
	d.b = nil
}

func (d *decoder) bytes(n int) []byte {
	if n < 0 || n > len(d.b) {
		d.fail("the file ends early")
		return make([]byte, max(n, 0))
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("a number is malformed")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("a number is malformed")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length, which can be no larger than what is left.
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.b)) {
		d.fail("a length is larger than the file")
		return 0
	}
	return int(v)
}

func (d *decoder) str() string { return string(d.bytes(d.count())) }

func (d *decoder) hash() plumbing.Hash {
	var h plumbing.Hash
	copy(h[:], d.bytes(len(h)))
	return h
}

func (d *decoder) signature() wiki.Signature {
	s := wiki.Signature{Name: d.str(), Email: d.str()}
	sec, offset := d.varint(), d.varint()
	s.When = time.Unix(sec, 0).In(time.FixedZone("", int(offset)))
	return s
}
