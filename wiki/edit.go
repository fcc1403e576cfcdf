package wiki

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// BlobID returns the git object id a file with this content has.
func BlobID(content []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// ConflictError reports an edit that could not be merged with a change made
// to the same page since the edit began. It carries everything the person
// needs to resolve it; their own text is never lost.
type ConflictError struct {
	Path Path
	// Base is the blob of the current version: the base of the next save.
	Base string
	// Theirs is the current version ("" when the page was deleted).
	Theirs []byte
	// Yours is the text the person tried to save.
	Yours []byte
	// Merged holds both, with conflict markers around each conflicting region.
	Merged []byte
	// Deleted says the page was deleted meanwhile.
	Deleted bool
}

// Error implements error.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("conflicting edit of %s", e.Path)
}

// Unwrap lets ErrorCode and ErrorMessage see the conflict.
func (e *ConflictError) Unwrap() error {
	msg := "Someone else changed this page while you were editing, and both of you changed the same lines. Your text is kept: resolve the marked places and save again."
	if e.Deleted {
		msg = "Someone deleted this page while you were editing. Your text is kept: save again to create it anew."
	}
	return &Error{Code: ECONFLICT, Message: msg}
}

// ValidationError reports a document with errors; nothing was written.
type ValidationError struct {
	Problems []Problem
}

// Error implements error.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("document has %d errors", len(e.Problems))
}

// Unwrap lets ErrorCode and ErrorMessage see the code.
func (e *ValidationError) Unwrap() error {
	p := e.Problems[0]
	return &Error{Code: EDOCUMENT, Message: fmt.Sprintf("The page has errors; nothing was saved. Line %d: %s", p.Line, p.Message)}
}

// SaveRequest is one save of a page from the editor or the API.
type SaveRequest struct {
	Path    Path
	Content []byte
	// Base is the blob the edit started from; "" for a new page.
	Base    string
	Message string
	Author  Signature
}

// SaveResult says what a save did.
type SaveResult struct {
	Commit string
	Blob   string
	// Merged says the edit was merged with a concurrent change.
	Merged bool
	// Unchanged says the page already had this content; nothing was committed.
	Unchanged bool
}

// Editor changes pages. Every change is one commit through the store,
// validated first and, when the page changed since the edit began, merged
// three ways; it returns once the derived views show the change.
type Editor struct {
	store    Store
	merger   Merger
	follower *Follower
	catalog  *Catalog
	gate     Gate
	// locks queues writers of the same page (see pathLocks).
	locks pathLocks
	// owners are the CODEOWNERS files every write is checked against.
	owners codeOwners
}

// NewEditor returns an editor writing through store; every change it
// writes passes gate.
func NewEditor(store Store, merger Merger, follower *Follower, catalog *Catalog, gate Gate) *Editor {
	return &Editor{store: store, merger: merger, follower: follower, catalog: catalog, gate: gate, owners: newCodeOwners()}
}

// maxAttempts bounds the retries when a page changes between reading it and
// committing. Writers through this editor queue per page (pathLocks), so a
// retry means a push or another process changed the very same page
// meanwhile; each retry merges again against the newer version.
const maxAttempts = 64

// errBusy is what a writer is told in the unlikely case that other
// processes change the same page faster than it can merge.
var errBusy = Errorf(EUNAVAILABLE, "Pushes keep changing this page faster than the change can be merged; nothing was lost, try again.")

// Save writes one page, or the repository settings. Returns a *ValidationError (EDOCUMENT) when the
// document has errors, a *ConflictError (ECONFLICT) when a concurrent change
// cannot be merged, EINVALID for a bad path or base, ETOOLARGE over the
// page limit (see Gate).
func (e *Editor) Save(ctx context.Context, req SaveRequest) (SaveResult, error) {
	if !req.Path.IsPage() && !req.Path.IsSettings() {
		return SaveResult{}, Errorf(EINVALID, "A page's path must end in .md: %q.", req.Path)
	}
	// Over the limit fails before any merging; the gate checks the
	// merged text again before it is written.
	if err := e.gate.CheckSize(req.Path, int64(len(req.Content))); err != nil {
		return SaveResult{}, err
	}
	return e.writePage(ctx, req.Path, req.Author, func(cur []byte, curBlob string) (pageChange, error) {
		content, merged, err := e.merge(ctx, req, cur, curBlob)
		if err != nil || (curBlob != "" && bytes.Equal(content, cur)) {
			return pageChange{content: content, merged: merged}, err
		}
		doc, err := e.gate.CheckFile(req.Path, content, e.catalog.Settings())
		if err == nil {
			err = e.gate.CheckClose(ctx, doc, e.catalog.Settings(), nil)
		}
		if err != nil {
			return pageChange{}, err
		}
		msg := req.Message
		if msg == "" {
			msg = "Update " + string(req.Path)
			if curBlob == "" {
				msg = "Create " + string(req.Path)
			}
		}
		return pageChange{content: content, message: msg, merged: merged}, nil
	})
}

// rewrite changes one page with edit, applied to the page as it is now:
// for changes that need no base (an action item's status, a review date),
// so two of them at once both land, one after the other. edit returning
// the content unchanged commits nothing.
func (e *Editor) rewrite(ctx context.Context, p Path, author Signature, message string, edit func(cur []byte) ([]byte, error)) (SaveResult, error) {
	return e.writePage(ctx, p, author, func(cur []byte, blob string) (pageChange, error) {
		if blob == "" {
			return pageChange{}, Errorf(ENOTFOUND, "There is no page %s.", p)
		}
		out, err := edit(cur)
		if err != nil || bytes.Equal(out, cur) {
			return pageChange{content: out}, err
		}
		if _, err := e.gate.CheckRewrite(p, cur, out, e.catalog.Settings()); err != nil {
			return pageChange{}, err
		}
		return pageChange{content: out, message: message}, nil
	})
}

// pageChange is what one attempt at changing a page decided to write.
type pageChange struct {
	content []byte
	message string
	merged  bool // with a change made since the edit began
}

// writePage changes one page in a commit that pins only that page, so
// saves of other pages meanwhile are no reason to start again, queued
// behind the page's other writers. decide is given the page as it is now
// (blob "" when absent) and says what to write; when the page changes
// between reading and committing (a push, another process), it is asked
// again with the newer version. Content the page already has commits
// nothing.
func (e *Editor) writePage(ctx context.Context, p Path, author Signature, decide func(cur []byte, blob string) (pageChange, error)) (SaveResult, error) {
	unlock, err := e.locks.lock(ctx, p)
	if err != nil {
		return SaveResult{}, err
	}
	defer unlock()
	for range maxAttempts {
		head, cur, blob, err := e.current(ctx, p)
		if err != nil {
			return SaveResult{}, err
		}
		// Refused before any merging: someone who may not save the page
		// is not asked to resolve a conflict first.
		if co, u, err := e.restrictions(ctx, head); err != nil {
			return SaveResult{}, err
		} else if err := co.Check(u, []Path{p}); err != nil {
			return SaveResult{}, err
		}
		ch, err := decide(cur, blob)
		if err != nil {
			return SaveResult{}, err
		}
		if blob != "" && bytes.Equal(ch.content, cur) {
			return SaveResult{Commit: head, Blob: blob, Merged: ch.merged, Unchanged: true}, nil
		}
		c, err := e.commit(ctx, head, CommitRequest{Expect: map[Path]string{p: blob}, Author: author, Message: ch.message,
			Changes: []FileChange{{Path: p, Content: ch.content}}})
		if errors.Is(err, ErrRefMoved) {
			continue
		}
		if err != nil {
			return SaveResult{}, err
		}
		// The next writer of this page reads the store, not the views:
		// let it go before waiting for them.
		unlock()
		e.sync(ctx)
		return SaveResult{Commit: c.ID, Blob: BlobID(ch.content), Merged: ch.merged}, nil
	}
	return SaveResult{}, errBusy
}

// current reads main and the page at it ("" blob when absent).
func (e *Editor) current(ctx context.Context, p Path) (head string, content []byte, blob string, err error) {
	head, err = e.store.Head(ctx)
	if errors.Is(err, ErrEmpty) {
		return "", nil, "", nil
	} else if err != nil {
		return "", nil, "", err
	}
	content, blob, err = e.store.ReadFile(ctx, head, p)
	if ErrorCode(err) == ENOTFOUND {
		return head, nil, "", nil
	}
	return head, content, blob, err
}

// merge decides what to write: the request's text when the page is as the
// edit found it, else the three-way merge of the edit and the current page.
func (e *Editor) merge(ctx context.Context, req SaveRequest, cur []byte, curBlob string) ([]byte, bool, error) {
	if curBlob == req.Base {
		return req.Content, false, nil
	}
	var base []byte
	if req.Base != "" {
		var err error
		if base, err = e.store.ReadBlob(ctx, req.Base); err != nil {
			if ErrorCode(err) == ENOTFOUND {
				return nil, false, Errorf(EINVALID, "The edit's base %q is not a version of any file in the wiki.", req.Base)
			}
			return nil, false, err
		}
	}
	if curBlob == "" {
		// Deleted since the edit began: saving would silently undo the
		// delete, so ask the person first.
		return nil, false, &ConflictError{Path: req.Path, Yours: req.Content, Merged: req.Content, Deleted: true}
	}
	merged, conflicts := e.merger.Merge3(base, req.Content, cur)
	if conflicts > 0 {
		return nil, false, &ConflictError{Path: req.Path, Base: curBlob, Theirs: cur, Yours: req.Content, Merged: merged}
	}
	return merged, true, nil
}

// sync waits until the page catalog shows the write, and briefly for the
// other views (search, history) so a save is usually searchable on return;
// a view that is rebuilding does not hold the save up.
func (e *Editor) sync(ctx context.Context) {
	if e.follower == nil {
		return
	}
	_ = e.follower.Sync(ctx, e.catalog.Name())
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_ = e.follower.Sync(ctx)
}

// Delete removes a page. base must be the blob the person saw; a page
// changed since is a *ConflictError.
func (e *Editor) Delete(ctx context.Context, p Path, base string, author Signature, message string) (string, error) {
	if base == "" {
		return "", Errorf(EINVALID, "Deleting a page needs the version you saw (base).")
	}
	unlock, err := e.locks.lock(ctx, p)
	if err != nil {
		return "", err
	}
	defer unlock()
	for range maxAttempts {
		head, cur, curBlob, err := e.current(ctx, p)
		if err != nil {
			return "", err
		}
		if curBlob == "" {
			return "", Errorf(ENOTFOUND, "There is no page %s to delete.", p)
		}
		if curBlob != base {
			return "", &ConflictError{Path: p, Base: curBlob, Theirs: cur}
		}
		if message == "" {
			message = "Delete " + string(p)
		}
		c, err := e.commit(ctx, head, CommitRequest{Expect: map[Path]string{p: curBlob}, Author: author, Message: message,
			Changes: []FileChange{{Path: p, Delete: true}}})
		if errors.Is(err, ErrRefMoved) {
			continue
		}
		if err != nil {
			return "", err
		}
		unlock()
		e.sync(ctx)
		return c.ID, nil
	}
	return "", errBusy
}
