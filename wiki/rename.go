package wiki

import (
	"bytes"
	"context"
	"errors"
)

// MoveResult says what a move did.
type MoveResult struct {
	Commit string
	// Updated lists the other pages whose links were rewritten.
	Updated []Path
}

// Move moves a page in one commit: the page goes to its new path with its
// own relative links adjusted and its old name kept as an alias (so old
// URLs redirect), and every other page that links to it gets its links
// rewritten. base must be the blob the person saw.
func (e *Editor) Move(ctx context.Context, from, to Path, base string, author Signature, message string) (MoveResult, error) {
	if !from.IsPage() || !to.IsPage() {
		return MoveResult{}, Errorf(EINVALID, "Both paths of a move must end in .md.")
	}
	if from == to {
		return MoveResult{}, Errorf(EINVALID, "The page is already at %s.", to)
	}
	unlock, err := e.locks.lock(ctx, from, to)
	if err != nil {
		return MoveResult{}, err
	}
	defer unlock()
	for range maxAttempts {
		head, cur, curBlob, err := e.current(ctx, from)
		if err != nil {
			return MoveResult{}, err
		}
		if curBlob == "" {
			return MoveResult{}, Errorf(ENOTFOUND, "There is no page %s to move.", from)
		}
		if base != "" && curBlob != base {
			return MoveResult{}, &ConflictError{Path: from, Base: curBlob, Theirs: cur}
		}
		if _, _, err := e.store.ReadFile(ctx, head, to); err == nil {
			return MoveResult{}, Errorf(ECONFLICT, "There is already a page at %s.", to)
		} else if ErrorCode(err) != ENOTFOUND {
			return MoveResult{}, err
		}
		moved, err := AddAlias(RebaseLinks(cur, from, to), from.Name())
		if err != nil {
			return MoveResult{}, err
		}
		if _, err := e.gate.CheckRewrite(to, cur, moved, e.catalog.Settings()); err != nil {
			return MoveResult{}, err
		}
		co, u, err := e.restrictions(ctx, head)
		if err != nil {
			return MoveResult{}, err
		}
		if err := co.Check(u, []Path{from, to}); err != nil {
			return MoveResult{}, err
		}
		changes := []FileChange{{Path: from, Delete: true}, {Path: to, Content: moved}}
		// Every file the move changes is pinned, and nothing else: saves
		// of unrelated pages meanwhile do not make it start over.
		expect := map[Path]string{from: curBlob, to: ""}
		var updated []Path
		for _, pi := range e.catalog.Pages() {
			if pi.Path == from {
				continue
			}
			content, blob, err := e.store.ReadFile(ctx, head, pi.Path)
			if err != nil {
				return MoveResult{}, err
			}
			if !mayLinkTo(content, from, e.pageTitle(from)) || len(co.Refusals(u, pi.Path)) > 0 {
				// A page the mover may not change keeps its links: they
				// still lead here through the alias the move leaves.
				continue
			}
			if out, changed := RewriteLinks(pi.Path, content, from, to, e.catalog.LookupName); changed {
				if _, err := e.gate.CheckRewrite(pi.Path, content, out, e.catalog.Settings()); err != nil {
					return MoveResult{}, err
				}
				changes = append(changes, FileChange{Path: pi.Path, Content: out})
				expect[pi.Path] = blob
				updated = append(updated, pi.Path)
			}
		}
		if message == "" {
			message = "Move " + string(from) + " to " + string(to)
		}
		c, err := e.commit(ctx, head, CommitRequest{Expect: expect, Author: author, Message: message, Changes: changes})
		if errors.Is(err, ErrRefMoved) {
			continue
		}
		if err != nil {
			return MoveResult{}, err
		}
		unlock()
		e.sync(ctx)
		return MoveResult{Commit: c.ID, Updated: updated}, nil
	}
	return MoveResult{}, errBusy
}

// mayLinkTo is a cheap filter before parsing links: a page can only link
// to p if it mentions p's file name or its title, ignoring case.
func mayLinkTo(content []byte, p Path, title string) bool {
	lower := bytes.ToLower(content)
	return bytes.Contains(lower, bytes.ToLower([]byte(p.FileTitle()))) ||
		(title != "" && bytes.Contains(lower, bytes.ToLower([]byte(title))))
}

func (e *Editor) pageTitle(p Path) string {
	if pi, ok := e.catalog.Page(p); ok {
		return pi.Title
	}
	return ""
}
