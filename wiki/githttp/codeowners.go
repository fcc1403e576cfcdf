package githttp

import (
	"context"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// checkOwners prints, for a push moving main from old to new, every file
// the pusher may not change under the CODEOWNERS file main has before the
// push (old), and returns how many there are. The result of the push is
// what counts, not each commit on the way: a file changed and changed
// back is not a change.
func (h *Handler) checkOwners(ctx context.Context, in *gitstore.Incoming, old, new plumbing.Hash, rep *reporter) (int, error) {
	u := wiki.UserFrom(ctx)
	if old.IsZero() || !wiki.CodeOwnersApply(u) {
		return 0, nil
	}
	co, err := wiki.ReadCodeOwners(ctx, h.store, old.String())
	if err != nil || co == nil {
		return 0, err
	}
	changes, err := in.Diff(ctx, old, new)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range changes {
		if refused := co.Refusals(u, c.Path); len(refused) > 0 {
			n++
			rep.problem("error: " + co.RefusalMessage(c.Path, refused))
		}
	}
	return n, nil
}
