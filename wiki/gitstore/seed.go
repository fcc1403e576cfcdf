package gitstore

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// Seed writes every file of files as the first commit of main, skipping
// files and folders whose names start with "." (such as .git). Returns
// ECONFLICT when main already exists and EINVALID when files holds no file
// or a name the wiki cannot store.
func (s *Store) Seed(ctx context.Context, files fs.FS, author wiki.Signature, message string) (wiki.Commit, error) {
	cur, err := s.readMain()
	if err != nil {
		return wiki.Commit{}, err
	}
	if !cur.IsZero() {
		return wiki.Commit{}, &wiki.Error{Code: wiki.ECONFLICT,
			Message: "The wiki repository already has a main branch; only an empty repository can be seeded."}
	}
	var changes []wiki.FileChange
	err = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		// Symlinks and other special files have no place in a wiki seed.
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		changes = append(changes, wiki.FileChange{Path: wiki.Path(p), Content: data})
		return nil
	})
	if err != nil {
		return wiki.Commit{}, fmt.Errorf("seed: read files: %w", err)
	}
	if len(changes) == 0 {
		return wiki.Commit{}, invalid("Nothing to seed: there are no files.")
	}
	tree, err := newChangeTree(changes)
	if err != nil {
		return wiki.Commit{}, err
	}
	// Pinned to "no main": a main created meanwhile is ErrRefMoved, never
	// a seed on top of someone's history.
	return s.write(ctx, tree, plumbing.ZeroHash, true, nil, author, message)
}
