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

// Merger merges two edits of the same base text line by line. Its
// methods use plain types so that a leaf package can implement it.
type Merger interface {
	// Merge3 merges yours and theirs, both edits of base. Changes to
	// different lines combine; the same change made on both sides is taken
	// once; different changes to the same lines are a conflict: the merged
	// text then holds both versions between the conflict markers
	// (MarkerYours, MarkerSep, MarkerTheirs), and conflicts counts them.
	Merge3(base, yours, theirs []byte) (merged []byte, conflicts int)
}
