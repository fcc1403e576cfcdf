package gitstore

import (
	"context"
	"errors"
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
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return wiki.Commit{}, err
		}
		cur, err := s.readMain()
		if err != nil {
			return wiki.Commit{}, err
		}
		if pinned && cur != parent {
			return wiki.Commit{}, fmt.Errorf("commit on %s: %w", parent, wiki.ErrRefMoved)
		}
		if err := s.checkExpected(ctx, cur, expect); err != nil {
			return wiki.Commit{}, err
		}
		base := emptyTree
		if !cur.IsZero() {
			ci, err := s.commit(cur)
			if err != nil {
				return wiki.Commit{}, err
			}
			base = ci.tree
		}
		b := &builder{s: s}
		tree, err := b.rebuild(base, changes, "")
		if err != nil {
			return wiki.Commit{}, err
		}
		if tree.IsZero() {
			tree = emptyTree
			b.objs = append(b.objs, newObject(plumbing.TreeObject, nil))
		}
		if tree == base {
			return wiki.Commit{}, invalid("Nothing to commit: the changes leave every file as it was.")
		}
		co := newObject(plumbing.CommitObject, encodeCommit(tree, cur, author, message))
		dirs, err := s.writeObjects(append(b.objs, co))
		if err != nil {
			return wiki.Commit{}, err
		}
		if beforeCAS != nil {
			beforeCAS()
		}
		subject, _, _ := strings.Cut(message, "\n")
		err = s.casMain(cur, co.hash, author, subject, dirs)
		if errors.Is(err, wiki.ErrRefMoved) && !pinned && attempt < casAttempts {
			// The next attempt skips the objects written now, so make
			// their names durable before it can point a ref at them.
			if err := parallel(len(dirs), func(i int) error { return syncDir(dirs[i]) }); err != nil {
				return wiki.Commit{}, err
			}
			continue
		} else if err != nil {
			return wiki.Commit{}, err
		}
		ci, err := decodeCommit(co.hash, co.data)
		if err != nil {
			return wiki.Commit{}, err
		}
		s.commits.put(co.hash, ci)
		return ci.commit, nil
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

// newChangeTree validates the changed paths and arranges them by folder.
func newChangeTree(changes []wiki.FileChange) (*changeNode, error) {
	root := &changeNode{}
	for _, c := range changes {
		p, err := wiki.ParsePath(string(c.Path))
		if err != nil {
			return nil, err
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

// checkExpected verifies, under the write lock, that each pinned file still
// has the blob the writer based its change on.
func (s *Store) checkExpected(ctx context.Context, cur plumbing.Hash, expect map[wiki.Path]string) error {
	for p, want := range expect {
		got := ""
		if !cur.IsZero() {
			_, blob, err := s.ReadFile(ctx, cur.String(), p)
			if err != nil && wiki.ErrorCode(err) != wiki.ENOTFOUND {
				return err
			}
			got = blob
		}
		if got != want {
			return fmt.Errorf("%s changed: %w", p, wiki.ErrRefMoved)
		}
	}
	return nil
}
