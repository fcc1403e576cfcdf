package gitstore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// MainRef is the branch that is the wiki.
const MainRef = mainRef

// Ref is a branch or tag and the object it points at.
type Ref struct {
	Name string
	Hash plumbing.Hash
}

// Refs returns every ref under refs/, loose and packed, sorted by name, and
// the ref HEAD names (refs/heads/main).
func (s *Store) Refs() (refs []Ref, head string, err error) {
	byName, err := s.readPackedRefs()
	if err != nil {
		return nil, "", err
	}
	root := filepath.Join(s.dir, "refs")
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted while walking
			}
			return err
		}
		if d.IsDir() || strings.HasSuffix(p, ".lock") || !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(s.dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		} else if err != nil {
			return err
		}
		h, err := parseRefValue(name, b)
		if err != nil {
			return nil // a symbolic or broken ref: git skips those too
		}
		byName[name] = h
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("list refs: %w", err)
	}
	for name, h := range byName {
		refs = append(refs, Ref{Name: name, Hash: h})
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Name < refs[j].Name })
	head = mainRef
	if b, err := os.ReadFile(filepath.Join(s.dir, "HEAD")); err == nil {
		if v, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "ref:"); ok {
			head = strings.TrimSpace(v)
		}
	}
	return refs, head, nil
}

// readPackedRefs returns the refs in packed-refs, without peeled values.
func (s *Store) readPackedRefs() (map[string]plumbing.Hash, error) {
	out := make(map[string]plumbing.Hash)
	f, err := os.Open(filepath.Join(s.dir, "packed-refs"))
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	} else if err != nil {
		return nil, fmt.Errorf("read packed-refs: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] == '#' || line[0] == '^' {
			continue
		}
		id, name, ok := bytes.Cut(line, []byte{' '})
		if ok && plumbing.IsHash(string(id)) {
			out[string(name)] = plumbing.NewHash(string(id))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read packed-refs: %w", err)
	}
	return out, nil
}

// ValidRefName reports why name cannot be a branch or tag pushed to the
// wiki, or "" when it can: it must be under refs/heads/ or refs/tags/ and
// follow git check-ref-format.
func ValidRefName(name string) string {
	rest, ok := strings.CutPrefix(name, "refs/heads/")
	if !ok {
		rest, ok = strings.CutPrefix(name, "refs/tags/")
	}
	switch {
	case !ok:
		return "only branches (refs/heads/) and tags (refs/tags/) can be pushed"
	case rest == "" || len(name) > 255:
		return "the ref name is empty or too long"
	case strings.Contains(name, "..") || strings.Contains(name, "@{") || strings.Contains(name, "//") ||
		strings.HasSuffix(name, "/") || strings.HasSuffix(name, ".") || rest == "@":
		return "the ref name is not valid (git check-ref-format)"
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) {
			return "the ref name is not valid (git check-ref-format)"
		}
	}
	for seg := range strings.SplitSeq(rest, "/") {
		if strings.HasPrefix(seg, ".") || strings.HasSuffix(seg, ".lock") {
			return "the ref name is not valid (git check-ref-format)"
		}
	}
	return ""
}

// RefUpdate asks to move one ref from Old to New with a compare-and-swap:
// a zero Old creates the ref, a zero New deletes it.
type RefUpdate struct {
	Name     string
	Old, New plumbing.Hash
}

// UpdateRefs applies each update with a compare-and-swap under the same
// write lock as Commit, so a push and a save in the browser never overwrite
// each other, and returns one error per update (nil for applied). Objects
// the new values name must already be in the repository (Incoming.Accept).
// Errors: ErrRefMoved when the ref is no longer at Old; EINVALID for a name
// that is not a branch or tag, for deleting main, or for moving main to a
// commit that does not descend from Old; ECONFLICT for a name that clashes
// with an existing ref; EUNAVAILABLE when another process holds the lock.
func (s *Store) UpdateRefs(ctx context.Context, updates []RefUpdate, who wiki.Signature, subject string) []error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.updateRefsLocked(ctx, updates, who, subject)
}

// deleteRefLocked removes a ref whose lock the caller holds: first from
// packed-refs, under packed-refs.lock as git does, then the loose file and
// its reflog.
func (s *Store) deleteRefLocked(name, ref string) error {
	packed, err := s.readPackedRefs()
	if err != nil {
		return err
	}
	if _, ok := packed[name]; ok {
		if err := s.rewritePackedRefs(name); err != nil {
			return err
		}
	}
	if err := os.Remove(ref); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	_ = os.Remove(filepath.Join(s.dir, "logs", filepath.FromSlash(name)))
	return syncDir(filepath.Dir(ref))
}

// removeEmptyRefDirs removes the folders a deleted ref leaves empty, up to
// refs/heads or refs/tags, as git does: an empty refs/heads/draft would
// block a later branch named draft.
func (s *Store) removeEmptyRefDirs(dir string) {
	for _, top := range []string{"heads", "tags"} {
		stop := filepath.Join(s.dir, "refs", top)
		for d := dir; strings.HasPrefix(d, stop+string(filepath.Separator)); d = filepath.Dir(d) {
			if os.Remove(d) != nil {
				return
			}
		}
	}
}

// rewritePackedRefs writes packed-refs without name (and its peeled line)
// through packed-refs.lock.
func (s *Store) rewritePackedRefs(name string) error {
	return s.dropPackedRefs(map[string]bool{name: true})
}

// isAncestor reports whether old is new or one of its ancestors, walking
// parents from new through r.
func isAncestor(ctx context.Context, r objectReader, old, new plumbing.Hash) (bool, error) {
	seen := map[plumbing.Hash]bool{new: true}
	queue := []plumbing.Hash{new}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		h := queue[0]
		queue = queue[1:]
		if h == old {
			return true, nil
		}
		ci, err := r.commit(h)
		if err != nil {
			return false, err
		}
		for _, p := range ci.parents {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	return false, nil
}
