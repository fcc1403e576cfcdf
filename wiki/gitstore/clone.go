package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/revlist"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// previousMain keeps a source's own main branch when its default branch is
// another one and main is taken over by the default.
const previousMain = "refs/heads/source-main"

// SkippedRef is a branch or tag of a source repository that Clone left
// out, because the source cannot give all the objects it reaches.
type SkippedRef struct {
	Name   string
	Reason string
}

// Clone creates a bare repository at dir (which must not exist or be
// empty) from source, a local path or a URL, with the full history of its
// branches and tags. main becomes the source's default branch, whatever its
// name; HEAD names main. Local sources are read in-process and need no git
// binary. On failure dir is left as it was.
//
// Repositories in the wild miss objects now and then: a side branch whose
// history a broken tool rewrote, a tag of a commit that was gc'd. The
// default branch must be whole; any other branch or tag that is not is left
// out and returned, with the reason, instead of failing the whole clone.
func Clone(ctx context.Context, source, dir string) ([]SkippedRef, error) {
	skipped, err := clone(ctx, source, dir)
	if err != nil {
		return nil, fmt.Errorf("clone %s: %w", source, err)
	}
	return skipped, nil
}

func clone(ctx context.Context, source, dir string) ([]SkippedRef, error) {
	empty, err := isEmptyDir(dir)
	if err != nil {
		return nil, fmt.Errorf("into %s: %w", dir, err)
	}
	if !empty {
		return nil, fmt.Errorf("into %s: directory is not empty", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("into %s: %w", dir, err)
	}
	// Build beside dir and rename at the end, so a failed or interrupted
	// clone never leaves a half repository where Open would find it.
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("into %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".clone-")
	if err != nil {
		return nil, fmt.Errorf("into %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	if err := Init(tmp); err != nil {
		return nil, err
	}
	ep, err := transport.NewEndpoint(source)
	if err != nil {
		return nil, err
	}
	var def plumbing.Hash
	var defName plumbing.ReferenceName
	var skipped []SkippedRef
	if ep.Protocol == "file" {
		def, defName, skipped, err = copyLocal(ctx, ep.Path, tmp)
	} else {
		def, defName, skipped, err = fetchRemote(ctx, source, tmp)
	}
	if err != nil {
		return nil, err
	}
	if err := setMain(tmp, def, defName); err != nil {
		return nil, err
	}
	if err := syncTree(tmp); err != nil {
		return nil, err
	}
	// os.Rename refuses to replace a directory, even an empty one; Remove
	// removes only an empty one, which isEmptyDir promised dir was.
	if err := os.Remove(abs); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("into %s: %w", dir, err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		return nil, fmt.Errorf("into %s: %w", dir, err)
	}
	return skipped, syncDir(filepath.Dir(abs))
}

// copyLocal copies every object reachable from the branches, tags and HEAD
// of the repository at path into one pack in dst, and the refs with them.
// It returns the commit HEAD names, the branch it names, and the refs left
// out because the source misses objects they reach.
func copyLocal(ctx context.Context, path, dst string) (plumbing.Hash, plumbing.ReferenceName, []SkippedRef, error) {
	src, err := git.PlainOpenWithOptions(path, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return plumbing.ZeroHash, "", nil, fmt.Errorf("%w: %w", ErrNotRepository, err)
	}
	head, err := src.Head()
	if err != nil {
		return plumbing.ZeroHash, "", nil, fmt.Errorf("read HEAD (does the repository have commits?): %w", err)
	}
	refs, err := src.References()
	if err != nil {
		return plumbing.ZeroHash, "", nil, err
	}
	var keep []*plumbing.Reference
	wants := []plumbing.Hash{head.Hash()}
	err = refs.ForEach(func(r *plumbing.Reference) error {
		if r.Type() == plumbing.HashReference && (r.Name().IsBranch() || r.Name().IsTag()) {
			keep = append(keep, r)
			wants = append(wants, r.Hash())
		}
		return nil
	})
	if err != nil {
		return plumbing.ZeroHash, "", nil, err
	}
	var skipped []SkippedRef
	hashes, err := reachable(src.Storer, wants, nil)
	if err != nil {
		// Something is missing: find out which refs, one at a time.
		hashes, keep, skipped, err = objectsRefByRef(ctx, src.Storer, head, keep)
		if err != nil {
			return plumbing.ZeroHash, "", nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return plumbing.ZeroHash, "", nil, err
	}
	st := filesystem.NewStorage(osfs.New(dst), cache.NewObjectLRUDefault())
	defer st.Close()
	pw, err := st.PackfileWriter()
	if err != nil {
		return plumbing.ZeroHash, "", nil, err
	}
	if _, err := packfile.NewEncoder(pw, src.Storer, false).Encode(hashes, 10); err != nil {
		pw.Close()
		return plumbing.ZeroHash, "", nil, fmt.Errorf("write pack: %w", err)
	}
	if err := pw.Close(); err != nil {
		return plumbing.ZeroHash, "", nil, fmt.Errorf("write pack: %w", err)
	}
	for _, r := range keep {
		if err := st.SetReference(r); err != nil {
			return plumbing.ZeroHash, "", nil, err
		}
	}
	return head.Hash(), head.Name(), skipped, nil
}

// reachable lists the objects wants reach that ignore does not, and checks
// that each is there: listing reads commits and trees but not blobs.
func reachable(s storer.EncodedObjectStorer, wants, ignore []plumbing.Hash) ([]plumbing.Hash, error) {
	hashes, err := revlist.Objects(s, wants, ignore)
	if err != nil {
		return nil, err
	}
	for _, h := range hashes {
		if err := s.HasEncodedObject(h); err != nil {
			return nil, fmt.Errorf("object %s: %w", h, err)
		}
	}
	return hashes, nil
}

// objectsRefByRef lists the objects of HEAD, which must all be there, and
// of each ref of refs whose objects are all there; it returns those refs
// and the others with what is missing.
func objectsRefByRef(ctx context.Context, s storer.EncodedObjectStorer, head *plumbing.Reference, refs []*plumbing.Reference) ([]plumbing.Hash, []*plumbing.Reference, []SkippedRef, error) {
	hashes, err := reachable(s, []plumbing.Hash{head.Hash()}, nil)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("the default branch %s cannot be read whole: %w", head.Name().Short(), err)
	}
	var keep []*plumbing.Reference
	var skipped []SkippedRef
	for _, r := range refs {
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, err
		}
		more, err := reachable(s, []plumbing.Hash{r.Hash()}, hashes)
		if err != nil {
			skipped = append(skipped, SkippedRef{Name: r.Name().String(), Reason: err.Error()})
			continue
		}
		hashes = append(hashes, more...)
		keep = append(keep, r)
	}
	return hashes, keep, skipped, nil
}

// fetchRemote fetches the branches and tags of a remote repository into
// dst, without recording the remote: the wiki is a copy, and a later fetch
// from the old remote would overwrite main. When the remote cannot send
// them all (it misses an object some ref reaches), the default branch is
// fetched alone, then every other ref on its own, and those that fail are
// returned.
func fetchRemote(ctx context.Context, url, dst string) (plumbing.Hash, plumbing.ReferenceName, []SkippedRef, error) {
	repo, err := git.PlainOpen(dst)
	if err != nil {
		return plumbing.ZeroHash, "", nil, err
	}
	rem, err := repo.CreateRemoteAnonymous(&config.RemoteConfig{Name: "anonymous", URLs: []string{url}})
	if err != nil {
		return plumbing.ZeroHash, "", nil, err
	}
	def, defName, byName, err := listRemote(ctx, rem, nil)
	if err != nil {
		return plumbing.ZeroHash, "", nil, err
	}
	fetch := func(specs ...config.RefSpec) error {
		err := rem.FetchContext(ctx, &git.FetchOptions{RefSpecs: specs, Tags: git.NoTags})
		if errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil
		}
		return err
	}
	if err := fetch("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"); err == nil {
		return def, defName, nil, nil
	} else if ctx.Err() != nil {
		return plumbing.ZeroHash, "", nil, fmt.Errorf("fetch: %w", err)
	}
	// Something is missing: the default branch alone, then ref by ref.
	if defName == plumbing.HEAD {
		return plumbing.ZeroHash, "", nil, errors.New("fetch: the remote's default branch cannot be fetched")
	}
	if err := fetch(config.RefSpec("+" + defName + ":" + defName)); err != nil {
		return plumbing.ZeroHash, "", nil, fmt.Errorf("fetch the default branch %s: %w", defName.Short(), err)
	}
	names := make([]plumbing.ReferenceName, 0, len(byName))
	for n := range byName {
		if n != defName && (n.IsBranch() || n.IsTag()) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var skipped []SkippedRef
	for _, n := range names {
		if err := fetch(config.RefSpec("+" + n + ":" + n)); err != nil {
			if ctx.Err() != nil {
				return plumbing.ZeroHash, "", nil, ctx.Err()
			}
			skipped = append(skipped, SkippedRef{Name: n.String(), Reason: printable(err.Error())})
		}
	}
	return def, defName, skipped, nil
}

// printable drops the control characters a remote's message may carry.
func printable(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s))
}

// listRemote lists a remote's branches and tags and finds its default
// branch from its HEAD.
func listRemote(ctx context.Context, rem *git.Remote, auth transport.AuthMethod) (plumbing.Hash, plumbing.ReferenceName, map[plumbing.ReferenceName]plumbing.Hash, error) {
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: auth})
	if err != nil {
		return plumbing.ZeroHash, "", nil, fmt.Errorf("list remote refs: %w", err)
	}
	byName := make(map[plumbing.ReferenceName]plumbing.Hash)
	var head *plumbing.Reference
	for _, r := range refs {
		if r.Name() == plumbing.HEAD {
			head = r
		} else if r.Type() == plumbing.HashReference {
			byName[r.Name()] = r.Hash()
		}
	}
	if head == nil {
		// HEAD names a branch that does not exist (a bare repository made
		// with git init, whose HEAD is master, that was then pushed main):
		// take main, else master, else the only branch.
		var branches []plumbing.ReferenceName
		for n := range byName {
			if n.IsBranch() {
				branches = append(branches, n)
			}
		}
		for _, cand := range []plumbing.ReferenceName{"refs/heads/main", "refs/heads/master"} {
			if h, ok := byName[cand]; ok {
				return h, cand, byName, nil
			}
		}
		if len(branches) == 1 {
			return byName[branches[0]], branches[0], byName, nil
		}
		return plumbing.ZeroHash, "", nil, errors.New("the remote repository has no HEAD (is it empty?)")
	}
	def, defName, err := remoteDefault(head, byName)
	return def, defName, byName, err
}

// remoteDefault finds the remote's default branch from its HEAD.
func remoteDefault(head *plumbing.Reference, byName map[plumbing.ReferenceName]plumbing.Hash) (plumbing.Hash, plumbing.ReferenceName, error) {
	if head.Type() == plumbing.SymbolicReference {
		h, ok := byName[head.Target()]
		if !ok {
			return plumbing.ZeroHash, "", fmt.Errorf("the remote's default branch %s has no commits", head.Target())
		}
		return h, head.Target(), nil
	}
	// Servers that do not advertise HEAD's branch: take the branch at the
	// same commit, preferring main and master.
	for _, cand := range []plumbing.ReferenceName{"refs/heads/main", "refs/heads/master"} {
		if byName[cand] == head.Hash() {
			return head.Hash(), cand, nil
		}
	}
	name := plumbing.HEAD
	for n, h := range byName {
		if n.IsBranch() && h == head.Hash() && (name == plumbing.HEAD || n < name) {
			name = n
		}
	}
	return head.Hash(), name, nil
}

// setMain points main at the default branch's commit. A different main
// the source had is kept as source-main rather than lost.
func setMain(dir string, def plumbing.Hash, defName plumbing.ReferenceName) error {
	ref := filepath.Join(dir, filepath.FromSlash(mainRef))
	if defName != mainRef {
		if b, err := os.ReadFile(ref); err == nil && strings.TrimSpace(string(b)) != def.String() {
			if err := writeFileSync(filepath.Join(dir, filepath.FromSlash(previousMain)), b); err != nil {
				return err
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(ref), 0o755); err != nil {
		return err
	}
	if err := writeFileSync(ref, []byte(def.String()+"\n")); err != nil {
		return err
	}
	return writeFileSync(filepath.Join(dir, "HEAD"), []byte("ref: "+mainRef+"\n"))
}
