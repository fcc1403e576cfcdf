package gitstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/opswiki/opswiki/wiki"
)

// upstreamRef is where the upstream's default branch is fetched to.
const upstreamRef = "refs/remotes/upstream/main"

// FollowUpstream fetches the default branch of the repository at url into
// refs/remotes/upstream/main and moves main to it, when that is a fast
// forward: what a read-only replica does to keep in step. It returns
// whether main moved. Upstream history that does not descend from main
// (a force-push upstream) is an EINVALID error naming both commits; main
// stays where it is.
func (s *Store) FollowUpstream(ctx context.Context, url string, auth transport.AuthMethod, who wiki.Signature) (bool, error) {
	repo, err := git.PlainOpen(s.dir)
	if err != nil {
		return false, err
	}
	rem, err := repo.CreateRemoteAnonymous(&config.RemoteConfig{Name: "anonymous", URLs: []string{url}})
	if err != nil {
		return false, err
	}
	tip, name, _, err := listRemote(ctx, rem, auth)
	if err != nil {
		return false, fmt.Errorf("the upstream: %w", err)
	}
	if name == plumbing.HEAD {
		return false, errors.New("the upstream's default branch cannot be told from its refs")
	}
	err = rem.FetchContext(ctx, &git.FetchOptions{Auth: auth, Tags: git.NoTags,
		RefSpecs: []config.RefSpec{config.RefSpec("+" + name + ":" + upstreamRef)}})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return false, fmt.Errorf("fetch the upstream's %s: %w", name.Short(), err)
	}
	cur := plumbing.ZeroHash
	if h, err := s.Head(ctx); err == nil {
		cur = plumbing.NewHash(h)
	} else if !errors.Is(err, wiki.ErrEmpty) {
		return false, err
	}
	if cur == tip {
		return false, nil
	}
	errs := s.UpdateRefs(ctx, []RefUpdate{{Name: MainRef, Old: cur, New: tip}}, who, "follow upstream "+url)
	if err := errs[0]; err != nil {
		if wiki.ErrorCode(err) == wiki.EINVALID {
			return false, wiki.Errorf(wiki.EINVALID, "The upstream's %s (%s) does not descend from main (%s): its history was rewritten; make this copy again with opswiki init --from.", name.Short(), tip.String()[:12], cur.String()[:12])
		}
		return false, err
	}
	return true, nil
}
