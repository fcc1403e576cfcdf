package wiki

import "context"

// Revision is one commit that changed a page, for its history.
type Revision struct {
	Commit
	// Kind says what the commit did to the path.
	Kind ChangeKind
	// Blob is the file's blob after the commit; empty when it deleted it.
	Blob string
}

// History answers which commits changed a path, from an index kept up to
// date from tree diffs, not from a walk of the log per request.
type History interface {
	// PageHistory returns up to limit revisions of path, newest first,
	// starting below the commit before (all when before is "").
	// Returns EUNAVAILABLE while the index is still being built.
	PageHistory(ctx context.Context, path Path, limit int, before string) ([]Revision, error)
}

// MergeResult is the outcome of a three-way merge of text.
type MergeResult struct {
	// Text is the merged text; when Clean is false it holds conflict
	// markers around each conflicting region:
	//   <<<<<<< your edit / ======= / >>>>>>> current version
	Text  []byte
	Clean bool
	// Conflicts counts the conflicting regions.
	Conflicts int
}

// Merger merges two edits of the same base text line by line.
type Merger interface {
	// Merge3 merges yours and theirs, both edits of base. Changes to
	// different lines combine; the same change made on both sides is taken
	// once; different changes to the same lines are a conflict.
	Merge3(base, yours, theirs []byte) MergeResult
}

// DiffOp says what a diff line is.
type DiffOp int

// Diff line operations.
const (
	DiffEqual DiffOp = iota
	DiffDelete
	DiffInsert
)

// DiffLine is one line of a text diff, with its line numbers in the old and
// new text (0 when the line is absent from that side).
type DiffLine struct {
	Op      DiffOp
	OldLine int
	NewLine int
	Text    string
}

// DiffHunk is a run of changed lines with a few lines of context.
type DiffHunk struct {
	OldStart, OldLines int
	NewStart, NewLines int
	Lines              []DiffLine
}

// TextDiffer computes line diffs of two texts for the history views.
type TextDiffer interface {
	// DiffText returns the hunks that turn a into b, with context lines of
	// context around each change.
	DiffText(a, b []byte, context int) []DiffHunk
}
