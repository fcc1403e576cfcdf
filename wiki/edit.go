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

// EDOCUMENT reports a document whose errors block a save or push.
const EDOCUMENT = "invalid_document"

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
}

// NewEditor returns an editor writing through store.
func NewEditor(store Store, merger Merger, follower *Follower, catalog *Catalog) *Editor {
	return &Editor{store: store, merger: merger, follower: follower, catalog: catalog}
}

// maxAttempts bounds the retries when main moves between reading it and
// writing; each retry merges again against the newer version.
const maxAttempts = 8

// Save writes one page. Returns a *ValidationError (EDOCUMENT) when the
// document has errors, a *ConflictError (ECONFLICT) when a concurrent change
// cannot be merged, EINVALID for a bad path or base.
func (e *Editor) Save(ctx context.Context, req SaveRequest) (SaveResult, error) {
	if !req.Path.IsPage() {
		return SaveResult{}, Errorf(EINVALID, "A page's path must end in .md: %q.", req.Path)
	}
	for range maxAttempts {
		head, cur, curBlob, err := e.current(ctx, req.Path)
		if err != nil {
			return SaveResult{}, err
		}
		content, merged, err := e.merge(ctx, req, cur, curBlob)
		if err != nil {
			return SaveResult{}, err
		}
		if curBlob != "" && bytes.Equal(content, cur) {
			return SaveResult{Commit: head, Blob: curBlob, Merged: merged, Unchanged: true}, nil
		}
		if err := Validate(req.Path, content); err != nil {
			return SaveResult{}, err
		}
		msg := req.Message
		if msg == "" {
			msg = "Update " + string(req.Path)
			if curBlob == "" {
				msg = "Create " + string(req.Path)
			}
		}
		// Only this page is pinned: saves of other pages meanwhile are no
		// reason to merge again.
		c, err := e.store.Commit(ctx, CommitRequest{Expect: map[Path]string{req.Path: curBlob}, Author: req.Author, Message: msg,
			Changes: []FileChange{{Path: req.Path, Content: content}}})
		if errors.Is(err, ErrRefMoved) {
			continue
		}
		if err != nil {
			return SaveResult{}, err
		}
		e.sync(ctx)
		return SaveResult{Commit: c.ID, Blob: BlobID(content), Merged: merged}, nil
	}
	return SaveResult{}, Errorf(EUNAVAILABLE, "The wiki is changing too fast to save right now; your text is kept, try again.")
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
	r := e.merger.Merge3(base, req.Content, cur)
	if !r.Clean {
		return nil, false, &ConflictError{Path: req.Path, Base: curBlob, Theirs: cur, Yours: req.Content, Merged: r.Text}
	}
	return r.Text, true, nil
}

// Validate returns a *ValidationError when content has errors that block a
// save: front matter errors and unresolved conflict markers.
func Validate(p Path, content []byte) error {
	d := ParseDocument(p, content)
	errs := d.Errors()
	errs = append(errs, conflictMarkers(p, content)...)
	if len(errs) > 0 {
		return &ValidationError{Problems: errs}
	}
	return nil
}

// conflictMarkers finds the markers Merge3 writes, left in a text.
func conflictMarkers(p Path, content []byte) []Problem {
	var out []Problem
	for i, line := range bytes.Split(content, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if bytes.Equal(line, []byte("<<<<<<< your edit")) || bytes.Equal(line, []byte(">>>>>>> current version")) {
			out = append(out, Problem{Path: p, Line: i + 1, Severity: SeverityError,
				Message: "an unresolved conflict marker: keep the text that should stay and remove the markers"})
		}
	}
	return out
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
	for range maxAttempts {
		_, cur, curBlob, err := e.current(ctx, p)
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
		c, err := e.store.Commit(ctx, CommitRequest{Expect: map[Path]string{p: curBlob}, Author: author, Message: message,
			Changes: []FileChange{{Path: p, Delete: true}}})
		if errors.Is(err, ErrRefMoved) {
			continue
		}
		if err != nil {
			return "", err
		}
		e.sync(ctx)
		return c.ID, nil
	}
	return "", Errorf(EUNAVAILABLE, "The wiki is changing too fast to delete right now; try again.")
}
