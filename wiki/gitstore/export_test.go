package gitstore

import (
	"context"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// SetBeforeCAS sets a function to run just before each compare-and-swap of
// main, and returns a function that removes it.
func SetBeforeCAS(f func()) (restore func()) {
	beforeCAS = f
	return func() { beforeCAS = nil }
}

// SetOnHistoryRebuild sets a function to run each time a History index is
// rebuilt from the root rather than extended, and returns a function that
// removes it.
func SetOnHistoryRebuild(f func()) (restore func()) {
	onHistoryRebuild = f
	return func() { onHistoryRebuild = nil }
}

// SetOnGroup sets a function told the size of each group of commits
// written at once, and returns a function that removes it.
func SetOnGroup(f func(n int)) (restore func()) {
	onGroup = f
	return func() { onGroup = nil }
}

// MergeCommits merges ours and theirs as a merge with the upstream does,
// writes the objects and returns the merge commit and the conflicting
// paths.
func MergeCommits(s *Store, ours, theirs string, who wiki.Signature) (string, []wiki.Path, error) {
	h, conflicts, objs, err := s.mergeCommits(context.Background(), plumbing.NewHash(ours), plumbing.NewHash(theirs), who, "Merge")
	if err != nil {
		return "", nil, err
	}
	if _, err := s.writeObjects(objs); err != nil {
		return "", nil, err
	}
	return h.String(), conflicts, nil
}

// MergeBase returns the merge base of two commits, "" when none.
func MergeBase(s *Store, a, b string) (string, error) {
	h, err := s.mergeBase(context.Background(), plumbing.NewHash(a), plumbing.NewHash(b))
	if h.IsZero() {
		return "", err
	}
	return h.String(), err
}

// CountApart counts the commits a has that b lacks, and the reverse.
func CountApart(s *Store, a, b string) (int, int, error) {
	return s.countApart(context.Background(), plumbing.NewHash(a), plumbing.NewHash(b))
}
