package gitstore

import (
	"context"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

var _ wiki.Timeline = (*History)(nil)

// PageAt returns path p as of moment t: the newest revision in force at
// or before t, how many revisions came after it, and the newest revision.
//
// A revision counts from its commit's committer time, or from the time
// the page's previous revision counts from when that is later: it was made
// on top of that revision and cannot have been in force before it,
// whatever its clock said. Commits that did not change the page do not
// move its clock, so a commit with a wrong clock misdates only the pages it
// changed. Times are whole seconds, as git keeps them. The scan is over
// the page's own revisions, a few dozen for most pages. Returns
// EUNAVAILABLE before the first Apply.
func (h *History) PageAt(ctx context.Context, p wiki.Path, t time.Time) (wiki.PageAt, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	ix := h.ix
	if ix == nil {
		return wiki.PageAt{}, h.unbuilt(ctx)
	}
	revs := ix.paths[p]
	moment := t.Unix()
	then := -1
	var clock, thenAt int64
	for i, r := range revs {
		clock = max(clock, ix.commits[r.commit].commit.Committer.When.Unix())
		if clock <= moment {
			then, thenAt = i, clock
		}
	}
	out := wiki.PageAt{Since: len(revs) - 1 - then}
	if then >= 0 {
		out.Then, out.ThenAt = ix.revision(revs[then]), time.Unix(thenAt, 0).UTC()
	}
	if len(revs) > 0 {
		out.Latest, out.LatestAt = ix.revision(revs[len(revs)-1]), time.Unix(clock, 0).UTC()
	}
	return out, nil
}

// revision returns one change to a path as a Revision.
func (ix *historyIndex) revision(r pathRev) wiki.Revision {
	rev := wiki.Revision{Commit: ix.commits[r.commit].commit, Kind: wiki.ChangeKind(r.kind)}
	if rev.Kind != wiki.Deleted {
		rev.Blob = r.blob.String()
	}
	return rev
}
