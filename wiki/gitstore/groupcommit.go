package gitstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// Writes are committed in groups. A commit is only durable once its
// objects and the new main are fsynced, and writers are serialised so the
// store never loses a compare-and-swap of main to itself; one commit at a
// time would make every save wait for every fsync of the saves before it.
// Instead, the writes that arrive while a group is being written form the
// next group: each still becomes a commit of its own (its author, its
// message, its parent the commit before it), built in memory one on top
// of the other, and the group's objects are written and main moved once,
// to the last of them. Each write keeps its own checks: a pinned parent or
// an expected file that the commits before it changed fails that write
// alone.

// upstreamAttempts bounds how often one group is built again because the
// upstream moved; past it the group is committed on main and delivered by
// the syncer, merged like a write made while the upstream was down.
const upstreamAttempts = 8

// onGroup, when set by a test, is told how many commits each group wrote.
var onGroup func(n int)

// commitJob is one write waiting for its group.
type commitJob struct {
	ctx     context.Context // a write whose caller is gone is left out
	changes *changeNode
	parent  plumbing.Hash
	pinned  bool
	expect  map[wiki.Path]string
	author  wiki.Signature
	message string

	done   chan struct{}
	result wiki.Commit
	err    error
}

// enqueue adds job to the next group, and writes groups until none is
// waiting when no other writer is doing so.
func (s *Store) enqueue(job *commitJob) {
	s.qmu.Lock()
	s.queue = append(s.queue, job)
	if s.committing {
		s.qmu.Unlock()
		return
	}
	s.committing = true
	s.qmu.Unlock()
	for {
		s.qmu.Lock()
		group := s.queue
		s.queue = nil
		if len(group) == 0 {
			s.committing = false
			s.qmu.Unlock()
			return
		}
		s.qmu.Unlock()
		s.commitGroup(group)
	}
}

// commitGroup writes the jobs of one group as consecutive commits on main.
func (s *Store) commitGroup(group []*commitJob) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	upstreamMoves := 0
	for attempt := 1; ; attempt++ {
		cur, err := s.readMain()
		if err != nil {
			finish(group, err)
			return
		}
		tip, tree := cur, emptyTree
		if !cur.IsZero() {
			ci, err := s.commit(cur)
			if err != nil {
				finish(group, err)
				return
			}
			tree = ci.tree
		}
		var objs []gitObject
		var built []*commitJob
		var commits []gitObject
		local := map[plumbing.Hash][]treeEntry{}
		for _, job := range group {
			if job.err = job.ctx.Err(); job.err != nil {
				continue
			}
			co, newTree, jobObjs, err := s.buildCommit(job, tip, tree, local)
			if err != nil {
				job.err = err
				continue
			}
			objs = append(append(objs, jobObjs...), co)
			built, commits = append(built, job), append(commits, co)
			tip, tree = co.hash, newTree
		}
		if len(built) == 0 {
			finish(group, nil)
			return
		}
		dirs, err := s.writeObjects(objs)
		if err != nil {
			finish(built, err)
			finish(group, nil)
			return
		}
		if s.upstream != nil {
			err := s.upstream.publishLocked(built[0].ctx, cur, tip)
			if errors.Is(err, errUpstreamMoved) && upstreamMoves < upstreamAttempts {
				// The upstream has commits main lacks: merge them, then
				// build the group again on the result, where each write's
				// own checks (a pinned parent, expected files) apply.
				upstreamMoves++
				attempt--
				if err := parallel(len(dirs), func(i int) error { return syncDir(dirs[i]) }); err != nil {
					finish(group, err)
					return
				}
				if _, err := s.upstream.integrateLocked(context.WithoutCancel(built[0].ctx)); err != nil {
					finish(group, err)
					return
				}
				continue
			}
			if err != nil && !errors.Is(err, errUpstreamMoved) {
				finish(built, err)
				finish(group, nil)
				return
			}
		}
		if beforeCAS != nil {
			beforeCAS()
		}
		last := built[len(built)-1]
		subject, _, _ := strings.Cut(last.message, "\n")
		err = s.casMain(cur, tip, last.author, subject, dirs)
		if errors.Is(err, wiki.ErrRefMoved) && attempt < casAttempts {
			// Another process moved main: build the group again on it.
			// The next attempt skips the objects written now, so make
			// their names durable before it can point a ref at them.
			if err := parallel(len(dirs), func(i int) error { return syncDir(dirs[i]) }); err != nil {
				finish(group, err)
				return
			}
			continue
		}
		if err != nil {
			finish(built, err)
			finish(group, nil)
			return
		}
		if onGroup != nil {
			onGroup(len(built))
		}
		for i, job := range built {
			ci, err := decodeCommit(commits[i].hash, commits[i].data)
			if err != nil {
				job.err = err
				continue
			}
			s.commits.Put(commits[i].hash, ci)
			job.result = ci.commit
		}
		finish(group, nil)
		return
	}
}

// buildCommit builds one job's commit on tip, whose tree is tree: its
// checks first, then its trees and the commit. Nothing is written.
func (s *Store) buildCommit(job *commitJob, tip, tree plumbing.Hash, local map[plumbing.Hash][]treeEntry) (gitObject, plumbing.Hash, []gitObject, error) {
	if job.pinned && tip != job.parent {
		return gitObject{}, plumbing.ZeroHash, nil, fmt.Errorf("commit on %s: %w", job.parent, wiki.ErrRefMoved)
	}
	b := &builder{s: s, local: local}
	for p, want := range job.expect {
		got, err := b.blobAt(tree, p)
		if err != nil {
			return gitObject{}, plumbing.ZeroHash, nil, err
		}
		if got != want {
			return gitObject{}, plumbing.ZeroHash, nil, fmt.Errorf("%s changed: %w", p, wiki.ErrRefMoved)
		}
	}
	newTree, err := b.rebuild(tree, job.changes, "")
	if err != nil {
		return gitObject{}, plumbing.ZeroHash, nil, err
	}
	if newTree.IsZero() {
		newTree = emptyTree
		b.objs = append(b.objs, newObject(plumbing.TreeObject, nil))
	}
	if newTree == tree {
		return gitObject{}, plumbing.ZeroHash, nil, invalid("Nothing to commit: the changes leave every file as it was.")
	}
	return newObject(plumbing.CommitObject, encodeCommit(newTree, tip, job.author, job.message)), newTree, b.objs, nil
}

// blobAt returns the blob of the file at p in tree ("" when absent), a
// tree built or stored.
func (b *builder) blobAt(tree plumbing.Hash, p wiki.Path) (string, error) {
	segs := strings.Split(string(p), "/")
	h := tree
	for i, seg := range segs {
		entries, err := b.tree(h)
		if err != nil {
			return "", err
		}
		j := slices.IndexFunc(entries, func(e treeEntry) bool { return e.name == seg })
		if j < 0 {
			return "", nil
		}
		e := entries[j]
		if i == len(segs)-1 {
			if e.isFile() {
				return e.hash.String(), nil
			}
			return "", nil
		}
		if !e.isDir() {
			return "", nil
		}
		h = e.hash
	}
	return "", nil
}

// finish answers every job of jobs that has no answer yet: err when it is
// not nil, else the job's own.
func finish(jobs []*commitJob, err error) {
	for _, job := range jobs {
		select {
		case <-job.done:
			continue
		default:
		}
		if err != nil {
			job.err = err
		}
		close(job.done)
	}
}
