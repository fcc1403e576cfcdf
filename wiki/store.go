package wiki

import (
	"context"
	"io/fs"
	"time"
)

// Signature names who made a commit and when.
type Signature struct {
	Name  string
	Email string
	When  time.Time
}

// Commit describes one commit on the wiki's history.
type Commit struct {
	ID        string
	Parents   []string
	Author    Signature
	Committer Signature
	Message   string
}

// Entry is one file or folder in a tree at some commit.
type Entry struct {
	Path  Path
	Blob  string // object id; for folders the tree id
	Size  int64  // bytes, for files
	IsDir bool
}

// ChangeKind says what happened to a path between two commits.
type ChangeKind int

// The kinds of change a tree diff reports. A rename is a Delete and an Add.
const (
	Added ChangeKind = iota + 1
	Modified
	Deleted
)

// String returns "added", "modified" or "deleted".
func (k ChangeKind) String() string {
	switch k {
	case Added:
		return "added"
	case Modified:
		return "modified"
	case Deleted:
		return "deleted"
	}
	return "unknown"
}

// Change is one file that differs between two commits.
type Change struct {
	Kind    ChangeKind
	Path    Path
	Blob    string // the new blob id; empty for Deleted
	OldBlob string // the old blob id; empty for Added
}

// FileChange is one file a new commit writes or removes.
type FileChange struct {
	Path    Path
	Content []byte
	Delete  bool
}

// CommitRequest asks the store for one new commit on main.
type CommitRequest struct {
	// Parent is the commit main must still point at for the write to apply;
	// empty means "whatever main is now" (for writes that cannot conflict,
	// such as seeding), or "no main yet" when the repository is empty.
	Parent string
	// Expect pins files instead of the whole of main: each path must still
	// have this blob ("" for absent) when the commit is applied, else the
	// write fails with ErrRefMoved. Saves of different pages then never
	// get in each other's way.
	Expect  map[Path]string
	Author  Signature
	Message string
	Changes []FileChange
}

// LogEntry is a commit with the files it changed, for recent changes.
type LogEntry struct {
	Commit
	Changes []Change
}

// Store is the wiki's git repository. Every method is safe for concurrent use.
type Store interface {
	// Head returns the commit main points at. Returns ErrEmpty when the
	// repository has no main branch.
	Head(ctx context.Context) (string, error)

	// ReadFile returns the content and blob id of the file at path in the
	// given commit. Returns ENOTFOUND when there is no such file.
	ReadFile(ctx context.Context, commit string, path Path) (content []byte, blob string, err error)

	// ReadBlob returns the content of a blob by its id. Returns ENOTFOUND.
	ReadBlob(ctx context.Context, blob string) ([]byte, error)

	// List returns every file (not folder) in the tree of the commit.
	List(ctx context.Context, commit string) ([]Entry, error)

	// Diff returns the files that differ between two commits. An empty from
	// means the empty tree, so every file is Added. Returns ENOTFOUND when
	// either commit does not exist in the repository.
	Diff(ctx context.Context, from, to string) ([]Change, error)

	// Commit writes one commit on main without a worktree and moves main to
	// it with a compare-and-swap. Returns ErrRefMoved when req.Parent is set
	// and main no longer points at it, EINVALID for a bad request.
	Commit(ctx context.Context, req CommitRequest) (Commit, error)

	// Log returns up to limit commits reachable from the given commit,
	// newest first, each with its changed files.
	Log(ctx context.Context, from string, limit int) ([]LogEntry, error)

	// GetCommit returns one commit. Returns ENOTFOUND.
	GetCommit(ctx context.Context, id string) (Commit, error)
}

// Seeder fills an empty repository from a file system, as its first commit.
type Seeder interface {
	Seed(ctx context.Context, files fs.FS, author Signature, message string) (Commit, error)
}
