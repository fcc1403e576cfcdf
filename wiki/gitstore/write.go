package gitstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// casAttempts bounds how often a commit with no pinned parent is rebuilt on
// a main that git moved meanwhile.
const casAttempts = 3

// beforeCAS, when set by a test, runs between building a commit and
// swapping main, where another process may move main.
var beforeCAS func()

// Commit writes one commit on main without a worktree and moves main to it
// with a compare-and-swap. Returns ErrRefMoved when req.Parent is set and
// main moved, EINVALID for a bad request or one that changes nothing,
// ENOTFOUND for deleting a file that does not exist, and EUNAVAILABLE when
// another process holds main's lock for too long.
func (s *Store) Commit(ctx context.Context, req wiki.CommitRequest) (wiki.Commit, error) {
	if len(req.Changes) == 0 {
		return wiki.Commit{}, invalid("Nothing to commit: the change lists no files.")
	}
	changes, err := newChangeTree(req.Changes)
	if err != nil {
		return wiki.Commit{}, err
	}
	parent, pinned := plumbing.ZeroHash, req.Parent != ""
	if pinned {
		if !plumbing.IsHash(req.Parent) {
			return wiki.Commit{}, invalid("The parent %q is not a commit id.", req.Parent)
		}
		parent = plumbing.NewHash(req.Parent)
	}
	return s.write(ctx, changes, parent, pinned, req.Expect, req.Author, req.Message)
}

// write builds the new trees on main (or on parent when pinned), writes
// the objects and swaps main. Writers are serialised, so only another
// process can move main between the read and the swap; an unpinned write
// is then rebuilt on the new main.
func (s *Store) write(ctx context.Context, changes *changeNode, parent plumbing.Hash, pinned bool, expect map[wiki.Path]string, author wiki.Signature, message string) (wiki.Commit, error) {
	if err := checkSignature(author); err != nil {
		return wiki.Commit{}, err
	}
	if strings.TrimSpace(message) == "" || strings.ContainsRune(message, 0) {
		return wiki.Commit{}, invalid("The commit message is empty or contains a NUL byte.")
	}
	if !strings.HasSuffix(message, "\n") {
		message += "\n"
	}
	if author.When.IsZero() {
		author.When = time.Now()
	}
	job := &commitJob{ctx: ctx, changes: changes, parent: parent, pinned: pinned, expect: expect, author: author,
		message: message, done: make(chan struct{})}
	s.enqueue(job)
	select {
	case <-job.done:
		return job.result, job.err
	case <-ctx.Done():
		// The job may still be committed; the caller gives up waiting,
		// as with any write whose answer is lost.
		return wiki.Commit{}, ctx.Err()
	}
}

// encodeCommit writes a commit object; the author is also the committer.
func encodeCommit(tree, parent plumbing.Hash, who wiki.Signature, message string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "tree %s\n", tree)
	if !parent.IsZero() {
		fmt.Fprintf(&b, "parent %s\n", parent)
	}
	ident := fmt.Sprintf("%s <%s> %d %s", who.Name, who.Email, who.When.Unix(), who.When.Format("-0700"))
	fmt.Fprintf(&b, "author %s\ncommitter %s\n\n%s", ident, ident, message)
	return []byte(b.String())
}

// checkSignature refuses identities git fsck would reject.
func checkSignature(who wiki.Signature) error {
	if strings.TrimSpace(who.Name) == "" {
		return invalid("The author's name is empty.")
	}
	if strings.ContainsAny(who.Name+who.Email, "<>\n\r\x00") {
		return invalid("The author's name or email contains <, > or a line break.")
	}
	return nil
}

// changeNode is a folder of the requested changes, so each tree on the way
// to a changed file is read and rebuilt once however many files change in it.
type changeNode struct {
	children map[string]*changeNode
	change   *wiki.FileChange
}

// newChangeTree validates the changed paths (wiki.CheckWriteFile for the
// files written) and arranges them by folder.
func newChangeTree(changes []wiki.FileChange) (*changeNode, error) {
	root := &changeNode{}
	for _, c := range changes {
		p, err := wiki.ParsePath(string(c.Path))
		if err != nil {
			return nil, err
		}
		// Every file a server write adds or changes passes the path rule;
		// deleting one, whatever its name, stays possible.
		if !c.Delete {
			if err := wiki.CheckWriteFile(p, c.Content); err != nil {
				return nil, err
			}
		}
		c.Path = p
		n := root
		for seg := range strings.SplitSeq(string(p), "/") {
			if n.change != nil {
				return nil, invalid("The change uses %s both as a file and as a folder.", n.change.Path)
			}
			if n.children == nil {
				n.children = make(map[string]*changeNode)
			}
			child := n.children[seg]
			if child == nil {
				child = &changeNode{}
				n.children[seg] = child
			}
			n = child
		}
		switch {
		case n.change != nil:
			return nil, invalid("The change lists %s twice.", p)
		case n.children != nil:
			return nil, invalid("The change uses %s both as a file and as a folder.", p)
		}
		n.change = &c
	}
	return root, nil
}
