package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/revlist"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// previousMain keeps a source's own main branch when its default branch is
// another one and main is taken over by the default.
const previousMain = "refs/heads/source-main"

// Clone creates a bare repository at dir (which must not exist or be
// empty) from source, a local path or a URL, with the full history of its
// branches and tags. main becomes the source's default branch, whatever its
// name; HEAD names main. Local sources are read in-process and need no git
// binary. On failure dir is left as it was.
func Clone(ctx context.Context, source, dir string) error {
	empty, err := isEmptyDir(dir)
	if err != nil {
		return fmt.Errorf("clone into %s: %w", dir, err)
	}
	if !empty {
		return fmt.Errorf("clone into %s: directory is not empty", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("clone into %s: %w", dir, err)
	}
	// Build beside dir and rename at the end, so a failed or interrupted
	// clone never leaves a half repository where Open would find it.
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return fmt.Errorf("clone into %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".clone-")
	if err != nil {
		return fmt.Errorf("clone into %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	if err := Init(tmp); err != nil {
		return err
	}
	ep, err := transport.NewEndpoint(source)
	if err != nil {
		return fmt.Errorf("clone %s: %w", source, err)
	}
	var def plumbing.Hash
	var defName plumbing.ReferenceName
	if ep.Protocol == "file" {
		def, defName, err = copyLocal(ctx, ep.Path, tmp)
	} else {
		def, defName, err = fetchRemote(ctx, source, tmp)
	}
	if err != nil {
		return fmt.Errorf("clone %s: %w", source, err)
	}
	if err := setMain(tmp, def, defName); err != nil {
		return fmt.Errorf("clone %s: %w", source, err)
	}
	if err := syncTree(tmp); err != nil {
		return fmt.Errorf("clone %s: %w", source, err)
	}
	// os.Rename refuses to replace a directory, even an empty one; Remove
	// removes only an empty one, which isEmptyDir promised dir was.
	if err := os.Remove(abs); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clone into %s: %w", dir, err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		return fmt.Errorf("clone into %s: %w", dir, err)
	}
	return syncDir(filepath.Dir(abs))
}

// copyLocal copies every object reachable from the branches, tags and HEAD
// of the repository at path into one pack in dst, and the refs with them.
// It returns the commit HEAD names and the branch it names.
func copyLocal(ctx context.Context, path, dst string) (plumbing.Hash, plumbing.ReferenceName, error) {
	src, err := git.PlainOpenWithOptions(path, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return plumbing.ZeroHash, "", fmt.Errorf("%w: %w", ErrNotRepository, err)
	}
	head, err := src.Head()
	if err != nil {
		return plumbing.ZeroHash, "", fmt.Errorf("read HEAD (does the repository have commits?): %w", err)
	}
	refs, err := src.References()
	if err != nil {
		return plumbing.ZeroHash, "", err
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
		return plumbing.ZeroHash, "", err
	}
	hashes, err := revlist.Objects(src.Storer, wants, nil)
	if err != nil {
		return plumbing.ZeroHash, "", fmt.Errorf("list objects: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return plumbing.ZeroHash, "", err
	}
	st := filesystem.NewStorage(osfs.New(dst), cache.NewObjectLRUDefault())
	defer st.Close()
	pw, err := st.PackfileWriter()
	if err != nil {
		return plumbing.ZeroHash, "", err
	}
	if _, err := packfile.NewEncoder(pw, src.Storer, false).Encode(hashes, 10); err != nil {
		pw.Close()
		return plumbing.ZeroHash, "", fmt.Errorf("write pack: %w", err)
	}
	if err := pw.Close(); err != nil {
		return plumbing.ZeroHash, "", fmt.Errorf("write pack: %w", err)
	}
	for _, r := range keep {
		if err := st.SetReference(r); err != nil {
			return plumbing.ZeroHash, "", err
		}
	}
	return head.Hash(), head.Name(), nil
}

// fetchRemote fetches the branches and tags of a remote repository into
// dst, without recording the remote: the wiki is a copy, and a later fetch
// from the old remote would overwrite main.
func fetchRemote(ctx context.Context, url, dst string) (plumbing.Hash, plumbing.ReferenceName, error) {
	repo, err := git.PlainOpen(dst)
	if err != nil {
		return plumbing.ZeroHash, "", err
	}
	rem, err := repo.CreateRemoteAnonymous(&config.RemoteConfig{Name: "anonymous", URLs: []string{url}})
	if err != nil {
		return plumbing.ZeroHash, "", err
	}
	refs, err := rem.ListContext(ctx, &git.ListOptions{})
	if err != nil {
		return plumbing.ZeroHash, "", fmt.Errorf("list remote refs: %w", err)
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
		return plumbing.ZeroHash, "", errors.New("the remote repository has no HEAD (is it empty?)")
	}
	err = rem.FetchContext(ctx, &git.FetchOptions{
		RefSpecs: []config.RefSpec{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"},
		Tags:     git.NoTags,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return plumbing.ZeroHash, "", fmt.Errorf("fetch: %w", err)
	}
	if head.Type() == plumbing.SymbolicReference {
		h, ok := byName[head.Target()]
		if !ok {
			return plumbing.ZeroHash, "", fmt.Errorf("the remote's default branch %s has no commits", head.Target())
		}
		return h, head.Target(), nil
	}
	// Servers that do not advertise HEAD's branch: take the branch at the
	// same commit, preferring main and master.
	name := plumbing.HEAD
	for _, cand := range []plumbing.ReferenceName{"refs/heads/main", "refs/heads/master"} {
		if byName[cand] == head.Hash() {
			return head.Hash(), cand, nil
		}
	}
	for n, h := range byName {
		if n.IsBranch() && h == head.Hash() {
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
