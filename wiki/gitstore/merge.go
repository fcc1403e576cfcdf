package gitstore

import (
	"bytes"
	"container/heap"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/textdiff"
)

// upstreamMarkers are written around the two versions of lines changed
// both in the wiki and on the upstream.
var upstreamMarkers = textdiff.Markers{Yours: wiki.MarkerWiki, Sep: wiki.MarkerSep, Theirs: wiki.MarkerUpstream}

// integrateLocked brings main up to UpstreamRef, with the store's write
// lock held: nothing when main already contains it, a fast forward when
// main has nothing of its own, else a merge commit whose parents are main
// and the upstream's commit. It returns whether main moved.
func (u *Upstream) integrateLocked(ctx context.Context) (bool, error) {
	s := u.s
	main, err := s.readMain()
	if err != nil {
		return false, err
	}
	up, err := s.readRef(UpstreamRef)
	if err != nil || up.IsZero() || up == main {
		return false, err
	}
	if !main.IsZero() {
		ahead, err := isAncestor(ctx, s, up, main)
		if err != nil || ahead {
			return false, err
		}
	}
	behind := main.IsZero()
	if !behind {
		if behind, err = isAncestor(ctx, s, main, up); err != nil {
			return false, err
		}
	}
	if behind {
		if err := s.casMain(main, up, u.who, "follow upstream "+u.url, nil); err != nil {
			return false, err
		}
		return true, nil
	}
	if u.readOnly {
		return false, wiki.Errorf(wiki.EINVALID, "The upstream's %s (%s) does not descend from main (%s): its history was rewritten; make this copy again with opswiki init --from.",
			u.branch.Short(), up.String()[:12], main.String()[:12])
	}
	who := u.who
	who.When = time.Now()
	merged, conflicts, objs, err := s.mergeCommits(ctx, main, up, who, "Merge the upstream's "+u.branch.Short()+" into the wiki")
	if err != nil {
		return false, err
	}
	dirs, err := s.writeObjects(objs)
	if err != nil {
		return false, err
	}
	if err := s.casMain(main, merged, who, "merge upstream "+u.url, dirs); err != nil {
		return false, err
	}
	u.mu.Lock()
	u.conflicts = conflicts
	u.mergedAt = who.When
	u.mu.Unlock()
	return true, nil
}

// mergeCommits builds, without writing it, a merge commit of ours and
// theirs: each file changed on one side only takes that side; a page
// changed on both is merged line by line, lines changed differently on
// both kept between conflict markers (and listed in conflicts). Nothing
// either side wrote is lost: a file deleted on one side and changed on
// the other keeps the change; files that cannot be merged line by line
// (binary, or a file against a folder) keep the upstream's at their path
// and the wiki's beside it as NAME~wiki, as git does with NAME~HEAD.
func (s *Store) mergeCommits(ctx context.Context, ours, theirs plumbing.Hash, who wiki.Signature, subject string) (plumbing.Hash, []wiki.Path, []gitObject, error) {
	base, err := s.mergeBase(ctx, ours, theirs)
	if err != nil {
		return plumbing.ZeroHash, nil, nil, err
	}
	tree := func(c plumbing.Hash) (plumbing.Hash, error) {
		if c.IsZero() {
			return plumbing.ZeroHash, nil
		}
		ci, err := s.commit(c)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		return ci.tree, nil
	}
	tb, err := tree(base)
	if err != nil {
		return plumbing.ZeroHash, nil, nil, err
	}
	to, err := tree(ours)
	if err != nil {
		return plumbing.ZeroHash, nil, nil, err
	}
	tt, err := tree(theirs)
	if err != nil {
		return plumbing.ZeroHash, nil, nil, err
	}
	m := &treeMerger{s: s, ctx: ctx}
	root, err := m.merge("", tb, to, tt)
	if err != nil {
		return plumbing.ZeroHash, nil, nil, err
	}
	if root.IsZero() {
		root = emptyTree
		m.objs = append(m.objs, newObject(plumbing.TreeObject, nil))
	}
	if who.When.IsZero() {
		return plumbing.ZeroHash, nil, nil, fmt.Errorf("merge: the signature has no time")
	}
	msg := subject + "\n"
	if len(m.conflicts) > 0 {
		var b strings.Builder
		b.WriteString(subject + "\n\nBoth the wiki and the upstream changed the same lines of these files; both versions are kept between conflict markers:\n\n")
		for _, p := range m.conflicts {
			b.WriteString("    " + string(p) + "\n")
		}
		msg = b.String()
	}
	co := newObject(plumbing.CommitObject, encodeMerge(root, []plumbing.Hash{ours, theirs}, who, msg))
	return co.hash, m.conflicts, append(m.objs, co), nil
}

// encodeMerge writes a commit object with several parents.
func encodeMerge(tree plumbing.Hash, parents []plumbing.Hash, who wiki.Signature, message string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "tree %s\n", tree)
	for _, p := range parents {
		fmt.Fprintf(&b, "parent %s\n", p)
	}
	ident := fmt.Sprintf("%s <%s> %d %s", who.Name, who.Email, who.When.Unix(), who.When.Format("-0700"))
	fmt.Fprintf(&b, "author %s\ncommitter %s\n\n%s", ident, ident, message)
	return []byte(b.String())
}

// treeMerger merges three trees folder by folder, reading only folders
// that both sides changed.
type treeMerger struct {
	s         *Store
	ctx       context.Context
	objs      []gitObject
	conflicts []wiki.Path
}

// merge returns the merged tree of base, ours and theirs at dir (zero
// hashes for absent trees; the zero hash back for an empty result).
func (m *treeMerger) merge(dir wiki.Path, base, ours, theirs plumbing.Hash) (plumbing.Hash, error) {
	switch {
	case ours == theirs, base == theirs:
		return ours, nil
	case base == ours:
		return theirs, nil
	}
	if err := m.ctx.Err(); err != nil {
		return plumbing.ZeroHash, err
	}
	read := func(h plumbing.Hash) (map[string]treeEntry, error) {
		out := map[string]treeEntry{}
		if h.IsZero() {
			return out, nil
		}
		es, err := m.s.tree(h)
		for _, e := range es {
			out[e.name] = e
		}
		return out, err
	}
	eb, err := read(base)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	eo, err := read(ours)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	et, err := read(theirs)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	names := map[string]bool{}
	for _, es := range []map[string]treeEntry{eb, eo, et} {
		for n := range es {
			names[n] = true
		}
	}
	var out []treeEntry
	for name := range names {
		b, inB := eb[name]
		o, inO := eo[name]
		t, inT := et[name]
		p := dir.Join(name)
		switch {
		case inO && inT && o == t, !inO && !inT:
			if inO {
				out = append(out, o)
			}
		case inB && inO && o == b:
			// Only the upstream changed it (or deleted it).
			if inT {
				out = append(out, t)
			}
		case inB && inT && t == b:
			if inO {
				out = append(out, o)
			}
		case inO && inT && o.isDir() && t.isDir():
			var bh plumbing.Hash
			if inB && b.isDir() {
				bh = b.hash
			}
			h, err := m.merge(p, bh, o.hash, t.hash)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			if !h.IsZero() {
				out = append(out, treeEntry{name: name, mode: filemode.Dir, hash: h})
			}
		case !inO || !inT:
			// Deleted on one side, changed on the other: the change stays.
			if inO {
				out = append(out, o)
			} else {
				out = append(out, t)
			}
		default:
			es, err := m.mergeFile(p, b, inB, o, t)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			out = append(out, es...)
		}
	}
	if len(out) == 0 {
		return plumbing.ZeroHash, nil
	}
	slices.SortFunc(out, compareEntries)
	for i := 1; i < len(out); i++ {
		if out[i].name == out[i-1].name {
			return plumbing.ZeroHash, fmt.Errorf("merge %s: two entries named %s", dir, out[i].name)
		}
	}
	t := newObject(plumbing.TreeObject, encodeTree(out))
	m.objs = append(m.objs, t)
	m.s.trees.Put(t.hash, out)
	return t.hash, nil
}

// mergeFile merges one entry that both sides changed differently.
func (m *treeMerger) mergeFile(p wiki.Path, b treeEntry, inB bool, o, t treeEntry) ([]treeEntry, error) {
	regular := func(e treeEntry) bool { return e.mode == filemode.Regular || e.mode == filemode.Executable }
	if regular(o) && regular(t) && (!inB || regular(b)) {
		var base []byte
		var err error
		if inB {
			if base, err = m.s.readObject(plumbing.BlobObject, b.hash); err != nil {
				return nil, err
			}
		}
		yours, err := m.s.readObject(plumbing.BlobObject, o.hash)
		if err != nil {
			return nil, err
		}
		theirs, err := m.s.readObject(plumbing.BlobObject, t.hash)
		if err != nil {
			return nil, err
		}
		if text(base) && text(yours) && text(theirs) {
			r := textdiff.Merge3(base, yours, theirs, upstreamMarkers)
			if !r.Clean {
				m.conflicts = append(m.conflicts, p)
			}
			blob := newObject(plumbing.BlobObject, r.Text)
			m.objs = append(m.objs, blob)
			return []treeEntry{{name: o.name, mode: o.mode, hash: blob.hash}}, nil
		}
	}
	m.conflicts = append(m.conflicts, p)
	kept := o
	kept.name = o.name + "~wiki"
	return []treeEntry{t, kept}, nil
}

// text reports whether b can be merged line by line.
func text(b []byte) bool { return !bytes.Contains(b, []byte{0}) }

// mergeBase returns the newest commit both a and b reach (zero when their
// histories share none), walking both by commit time as git does.
func (s *Store) mergeBase(ctx context.Context, a, b plumbing.Hash) (plumbing.Hash, error) {
	p := &painter{s: s}
	if err := p.start(a, b); err != nil {
		return plumbing.ZeroHash, err
	}
	for p.q.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return plumbing.ZeroHash, err
		}
		c := heap.Pop(&p.q).(queued)
		f := p.flags[c.h]
		if f == fromBoth {
			return c.h, nil
		}
		if err := p.pass(c, f); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	return plumbing.ZeroHash, nil
}

// Which of two tips a commit is reached from, as a painter marks it.
const (
	fromA    uint8 = 1
	fromB    uint8 = 2
	fromBoth       = fromA | fromB
)

// painter walks the histories of two commits newest first, marking each
// commit with the tips it is reached from, as git's merge-base and
// rev-list --left-right do.
type painter struct {
	s     *Store
	flags map[plumbing.Hash]uint8
	q     commitQueue
}

// start queues the two tips.
func (p *painter) start(a, b plumbing.Hash) error {
	p.flags = map[plumbing.Hash]uint8{}
	if err := p.push(a, fromA); err != nil {
		return err
	}
	return p.push(b, fromB)
}

// push marks h with f and queues it when that adds a mark.
func (p *painter) push(h plumbing.Hash, f uint8) error {
	if h.IsZero() || p.flags[h]&f == f {
		return nil
	}
	ci, err := p.s.commit(h)
	if err != nil {
		return err
	}
	p.flags[h] |= f
	heap.Push(&p.q, queued{h: h, when: ci.commit.Committer.When.Unix(), ci: ci})
	return nil
}

// pass marks the parents of c with f.
func (p *painter) pass(c queued, f uint8) error {
	for _, parent := range c.ci.parents {
		if err := p.push(parent, f); err != nil {
			return err
		}
	}
	return nil
}

// pending reports whether a queued commit is reached from one tip only.
func (p *painter) pending() bool {
	for _, e := range p.q {
		if p.flags[e.h] != fromBoth {
			return true
		}
	}
	return false
}

type queued struct {
	h    plumbing.Hash
	when int64
	ci   *commitInfo
}

// commitQueue orders commits newest first.
type commitQueue []queued

func (q commitQueue) Len() int           { return len(q) }
func (q commitQueue) Less(i, j int) bool { return q[i].when > q[j].when }
func (q commitQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *commitQueue) Push(x any)        { *q = append(*q, x.(queued)) }
func (q *commitQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
