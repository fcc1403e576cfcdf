package gitstore

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"

	"github.com/opswiki/opswiki/wiki"
)

// UpstreamRef is where the upstream's default branch is fetched to: what
// the wiki last knew of the repository of record.
const UpstreamRef = "refs/remotes/upstream/main"

// Timeouts of the conversations with the upstream. A save waits for its
// push at most pushTimeout; past it the write is kept and delivered later.
const (
	pushTimeout  = 15 * time.Second
	fetchTimeout = 5 * time.Minute
)

// The upstream's answers to a push, as publish sorts them.
var (
	// errUpstreamMoved: the upstream's branch is not where the wiki last
	// saw it; the wiki fetches, merges and tries again.
	errUpstreamMoved = errors.New("the upstream's branch moved")
)

// Upstream is the git repository of record the wiki follows and, unless
// read-only, writes through to: every change of main is pushed there with
// a compare-and-swap on its branch before main moves, and commits made
// while it cannot be reached wait on main, in order, until it can. Git is
// the replication engine: main ahead of UpstreamRef is the queue of
// writes not yet delivered, durable as any commit.
type Upstream struct {
	s        *Store
	url      string
	auth     transport.AuthMethod
	who      wiki.Signature
	readOnly bool

	// net serialises conversations with the upstream (fetch, push). Lock
	// order: the store's wmu, then net.
	net sync.Mutex

	mu        sync.Mutex
	branch    plumbing.ReferenceName // the upstream's default branch
	down      error                  // why the last conversation failed
	downSince time.Time
	contact   time.Time // the last conversation that worked
	pushes    int64     // deliveries, for /metrics
	failures  int64
	conflicts []wiki.Path // pages the last merge left with conflict markers
	mergedAt  time.Time
	counts    aheadBehind
}

// aheadBehind caches the commit counts between main and UpstreamRef.
type aheadBehind struct {
	main, upstream plumbing.Hash
	ahead, behind  int
}

// UpstreamOptions configures NewUpstream.
type UpstreamOptions struct {
	URL  string
	Auth transport.AuthMethod
	// Who signs the merge commits the wiki makes itself.
	Who wiki.Signature
	// ReadOnly only follows: main moves to the upstream's branch on fast
	// forwards, and nothing is pushed.
	ReadOnly bool
}

// NewUpstream attaches the repository at opts.URL to the store as its
// upstream. Every later change of main (commits, pushes) is delivered
// there first unless opts.ReadOnly.
func (s *Store) NewUpstream(opts UpstreamOptions) (*Upstream, error) {
	if _, err := transport.NewEndpoint(opts.URL); err != nil {
		return nil, fmt.Errorf("the upstream %q: %w", opts.URL, err)
	}
	u := &Upstream{s: s, url: opts.URL, auth: opts.Auth, who: opts.Who, readOnly: opts.ReadOnly}
	if !opts.ReadOnly {
		s.wmu.Lock()
		s.upstream = u
		s.wmu.Unlock()
	}
	return u, nil
}

// UpstreamStatus is how the wiki stands with its upstream.
type UpstreamStatus struct {
	URL    string
	Branch string
	// Ahead counts the commits on main the upstream does not have yet:
	// writes waiting for delivery. Behind counts the upstream's commits
	// main does not have yet. Both are capped at countLimit.
	Ahead, Behind int
	// Down says why the upstream cannot be reached (empty when it can),
	// and since when.
	Down      string
	DownSince time.Time
	// Contact is when the last fetch or push worked.
	Contact time.Time
	// Pushes and Failures count deliveries and failed conversations.
	Pushes, Failures int64
	// Conflicts are the pages the last merge with the upstream left with
	// both versions between conflict markers, for people to settle.
	Conflicts []wiki.Path
	MergedAt  time.Time
	ReadOnly  bool
}

// countLimit bounds the walk that counts ahead and behind.
const countLimit = 10000

// Status reports how far ahead and behind the upstream main is, and
// whether the upstream can be reached.
func (u *Upstream) Status(ctx context.Context) UpstreamStatus {
	u.mu.Lock()
	st := UpstreamStatus{URL: u.url, Branch: u.branch.Short(), Contact: u.contact, DownSince: u.downSince,
		Pushes: u.pushes, Failures: u.failures, Conflicts: u.conflicts, MergedAt: u.mergedAt, ReadOnly: u.readOnly}
	if u.down != nil {
		st.Down = u.down.Error()
	}
	cached := u.counts
	u.mu.Unlock()
	main, err1 := u.s.readMain()
	up, err2 := u.s.readRef(UpstreamRef)
	if err1 != nil || err2 != nil {
		return st
	}
	if cached.main == main && cached.upstream == up {
		st.Ahead, st.Behind = cached.ahead, cached.behind
		return st
	}
	ahead, behind, err := u.s.countApart(ctx, main, up)
	if err != nil {
		return st
	}
	st.Ahead, st.Behind = ahead, behind
	u.mu.Lock()
	u.counts = aheadBehind{main: main, upstream: up, ahead: ahead, behind: behind}
	u.mu.Unlock()
	return st
}

// countApart counts the commits a reaches that b does not, and the
// reverse, each up to countLimit, as git rev-list --left-right --count
// does: newest first from both tips, until every commit still to visit is
// reached from both (and a few more, for clocks that disagree), so the
// cost follows how far apart they are, not the length of the history. A
// commit visited again with more flags passes them on to its parents, so
// a commit dated before its children is still counted right.
func (s *Store) countApart(ctx context.Context, a, b plumbing.Hash) (int, int, error) {
	if a == b {
		return 0, 0, nil
	}
	p := &painter{s: s}
	if err := p.start(a, b); err != nil {
		return 0, 0, err
	}
	passed := map[plumbing.Hash]uint8{} // the marks passed on to the parents
	slop := 8
	for p.q.Len() > 0 && len(p.flags) < 4*countLimit {
		if !p.pending() {
			if slop == 0 {
				break
			}
			slop--
		}
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		c := heap.Pop(&p.q).(queued)
		f := p.flags[c.h]
		if passed[c.h] == f {
			continue
		}
		passed[c.h] = f
		if err := p.pass(c, f); err != nil {
			return 0, 0, err
		}
	}
	ahead, behind := 0, 0
	for _, f := range p.flags {
		switch f {
		case fromA:
			ahead++
		case fromB:
			behind++
		}
	}
	return min(ahead, countLimit), min(behind, countLimit), nil
}

// Sync fetches the upstream, brings main up to it (a fast forward, or a
// merge page by page when both sides have new commits) and, unless
// read-only, delivers the commits main has that the upstream lacks. It
// returns whether main moved. An unreachable upstream is an error here;
// the writes stay queued.
func (u *Upstream) Sync(ctx context.Context) (bool, error) {
	if _, err := u.fetch(ctx); err != nil {
		return false, err
	}
	u.s.wmu.Lock()
	defer u.s.wmu.Unlock()
	moved, err := u.integrateLocked(ctx)
	if err != nil || u.readOnly {
		return moved, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		main, err := u.s.readMain()
		if err != nil {
			return moved, err
		}
		up, err := u.s.readRef(UpstreamRef)
		if err != nil || main == up || main.IsZero() {
			return moved, err
		}
		err = u.deliver(ctx, up, main)
		if !errors.Is(err, errUpstreamMoved) {
			return moved, err
		}
		if _, err := u.fetch(ctx); err != nil {
			return moved, err
		}
		m, err := u.integrateLocked(ctx)
		moved = moved || m
		if err != nil {
			return moved, err
		}
	}
	return moved, wiki.Errorf(wiki.EUNAVAILABLE, "The upstream's branch kept moving during five deliveries; the wiki tries again at the next poll.")
}

// fetch brings the upstream's default branch into UpstreamRef and returns
// its commit (zero when the upstream is empty).
func (u *Upstream) fetch(ctx context.Context) (plumbing.Hash, error) {
	u.net.Lock()
	defer u.net.Unlock()
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	repo, err := git.PlainOpen(u.s.dir)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	rem, err := repo.CreateRemoteAnonymous(&config.RemoteConfig{Name: "anonymous", URLs: []string{u.url}})
	if err != nil {
		return plumbing.ZeroHash, err
	}
	tip, name, _, err := listRemote(ctx, rem, u.auth)
	if err != nil {
		if isEmptyRemote(err) {
			u.reached()
			return plumbing.ZeroHash, nil
		}
		return plumbing.ZeroHash, u.failed(fmt.Errorf("the upstream: %w", err))
	}
	if name == plumbing.HEAD {
		return plumbing.ZeroHash, u.failed(errors.New("the upstream's default branch cannot be told from its refs"))
	}
	u.mu.Lock()
	u.branch = name
	u.mu.Unlock()
	cur, err := u.s.readRef(UpstreamRef)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	switch {
	case cur == tip:
	case u.s.hasObject(tip):
		// The wiki pushed it, or fetched it before: no need to ask.
		if err := u.s.casRef(UpstreamRef, cur, tip, u.who, "fetch "+u.url, nil); err != nil {
			return plumbing.ZeroHash, err
		}
	default:
		err = rem.FetchContext(ctx, &git.FetchOptions{Auth: u.auth, Tags: git.NoTags,
			RefSpecs: []config.RefSpec{config.RefSpec("+" + name + ":" + UpstreamRef)}})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return plumbing.ZeroHash, u.failed(fmt.Errorf("fetch the upstream's %s: %w", name.Short(), err))
		}
		u.s.Refresh()
	}
	u.reached()
	return tip, nil
}

// isEmptyRemote reports the answer of a repository with no commits yet.
func isEmptyRemote(err error) bool {
	return errors.Is(err, transport.ErrEmptyRemoteRepository) || strings.Contains(err.Error(), "has no HEAD")
}

// reached records a conversation that worked.
func (u *Upstream) reached() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.down, u.downSince, u.contact = nil, time.Time{}, time.Now()
}

// failed records a conversation that did not work and returns err.
func (u *Upstream) failed(err error) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.down == nil {
		u.downSince = time.Now()
	}
	u.down = err
	u.failures++
	return err
}

// isDown reports whether the last conversation with the upstream failed;
// writes then go on main at once and the syncer delivers them.
func (u *Upstream) isDown() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.down != nil
}

// publishLocked is called with the store's write lock held, before main
// moves from old to new (a descendant of old). It pushes new to the
// upstream expecting its branch at UpstreamRef. It returns nil when the
// upstream took new, or cannot be reached (new then waits on main for the
// syncer); errUpstreamMoved after fetching when the upstream has commits
// main lacks, so the caller merges them (integrateLocked) and builds its
// write again; a wiki.Error when the upstream refused the change.
func (u *Upstream) publishLocked(ctx context.Context, old, new plumbing.Hash) error {
	if u.isDown() {
		return nil
	}
	up, err := u.s.readRef(UpstreamRef)
	if err != nil {
		return err
	}
	if !up.IsZero() {
		// Only a fast forward of the upstream is ever pushed: when main
		// does not contain what the wiki last fetched, merge that first.
		ok, err := isAncestor(ctx, u.s, up, old)
		if err != nil {
			return err
		}
		if !ok {
			return errUpstreamMoved
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pushTimeout)
	defer cancel()
	err = u.deliver(ctx, up, new)
	if errors.Is(err, errUpstreamMoved) {
		// The lock order (the store's wmu, then net) lets a writer fetch.
		if _, ferr := u.fetch(ctx); ferr != nil {
			return nil
		}
		return errUpstreamMoved
	}
	if err != nil && wiki.ErrorCode(err) != wiki.EFORBIDDEN {
		// Unreachable, or an answer that is not a refusal: keep the
		// write; the syncer delivers it.
		return nil
	}
	return err
}

// deliver pushes new to the upstream's branch expecting it at old (zero:
// absent), then moves UpstreamRef to new. Errors: errUpstreamMoved when
// the branch is elsewhere; EFORBIDDEN when the upstream refused the
// update (a protected branch, a hook); others when it cannot be reached.
func (u *Upstream) deliver(ctx context.Context, old, new plumbing.Hash) error {
	u.net.Lock()
	defer u.net.Unlock()
	u.mu.Lock()
	branch := u.branch
	u.mu.Unlock()
	if branch == "" {
		branch = plumbing.NewBranchReferenceName("main")
	}
	err := u.push(ctx, branch, old, new)
	switch {
	case err == nil:
		if err := u.s.casRef(UpstreamRef, old, new, u.who, "push to "+u.url, nil); err != nil && !errors.Is(err, wiki.ErrRefMoved) {
			return err
		}
		u.mu.Lock()
		u.pushes++
		u.mu.Unlock()
		u.reached()
		return nil
	case errors.Is(err, errUpstreamMoved), wiki.ErrorCode(err) == wiki.EFORBIDDEN:
		u.reached()
		return err
	}
	return u.failed(err)
}

// push sends one ref update, with the objects new reaches and old does
// not, over git's receive-pack. The server checks the old value under its
// own lock: git's compare-and-swap (what --force-with-lease asks for).
func (u *Upstream) push(ctx context.Context, branch plumbing.ReferenceName, old, new plumbing.Hash) error {
	ep, err := transport.NewEndpoint(u.url)
	if err != nil {
		return err
	}
	cli, err := client.NewClient(ep)
	if err != nil {
		return err
	}
	sess, err := cli.NewReceivePackSession(ep, u.auth)
	if err != nil {
		return err
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		if refusedLogin(err) {
			return wiki.Errorf(wiki.EFORBIDDEN, "The upstream %s refused the push: %v. Check its credentials (--upstream-token-file or --upstream-ssh-key: they need write access).", u.url, err)
		}
		return fmt.Errorf("the upstream: %w", err)
	}
	refs, err := ar.AllReferences()
	if err != nil {
		return err
	}
	cur := plumbing.ZeroHash
	if r, ok := refs[branch]; ok {
		cur = r.Hash()
	}
	if cur != old {
		return errUpstreamMoved
	}
	req := packp.NewReferenceUpdateRequestFromCapabilities(ar.Capabilities)
	var remote bytes.Buffer
	if ar.Capabilities.Supports(capability.Sideband64k) {
		req.Capabilities.Set(capability.Sideband64k)
		req.Progress = &remote
	}
	req.Commands = []*packp.Command{{Name: branch, Old: old, New: new}}
	pr, pw := io.Pipe()
	req.Packfile = pr
	sent := make(chan error, 1)
	go func() {
		var haves []plumbing.Hash
		if !old.IsZero() {
			haves = []plumbing.Hash{old}
		}
		_, err := u.s.SendPack(ctx, pw, SendRequest{Wants: []plumbing.Hash{new}, Haves: haves,
			OfsDelta: ar.Capabilities.Supports(capability.OFSDelta)})
		pw.CloseWithError(err)
		sent <- err
	}()
	rs, err := sess.ReceivePack(ctx, req)
	pr.Close()
	if serr := <-sent; serr != nil && err == nil && !errors.Is(serr, io.ErrClosedPipe) {
		return fmt.Errorf("send the pack to the upstream: %w", serr)
	}
	if err != nil {
		if rs == nil {
			return fmt.Errorf("push to the upstream: %w", err)
		}
	}
	if rs == nil {
		return errors.New("the upstream answered the push without a status")
	}
	if rs.UnpackStatus != "ok" {
		return wiki.Errorf(wiki.EFORBIDDEN, "The upstream could not take the pushed objects: %s.%s", rs.UnpackStatus, remoteLines(&remote))
	}
	for _, cs := range rs.CommandStatuses {
		if cs.Status == "ok" {
			continue
		}
		// git words a lost compare-and-swap as "stale info", "fetch
		// first" or a failed ref lock; anything else is a refusal.
		if lostCAS(cs.Status) {
			return errUpstreamMoved
		}
		return wiki.Errorf(wiki.EFORBIDDEN, "The upstream refused the update of %s: %s.%s", branch.Short(), cs.Status, remoteLines(&remote))
	}
	return nil
}

// refusedLogin reports an upstream that answers but will not let the wiki
// in (HTTP 401/403/404, an SSH key it does not take): a refusal, not an
// outage, so writes are refused rather than queued.
func refusedLogin(err error) bool {
	if errors.Is(err, transport.ErrAuthorizationFailed) || errors.Is(err, transport.ErrAuthenticationRequired) || errors.Is(err, transport.ErrRepositoryNotFound) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "unable to authenticate") || strings.Contains(msg, "knownhosts:")
}

// lostCAS reports a receive-pack status that means the ref was not where
// the push expected it.
func lostCAS(status string) bool {
	for _, s := range []string{"stale info", "fetch first", "non-fast-forward", "cannot lock ref", "failed to update ref", "but expected", "failed to lock"} {
		if strings.Contains(status, s) {
			return true
		}
	}
	return false
}

// remoteLines returns what the upstream printed (its hooks' messages), as
// a sentence to append.
func remoteLines(b *bytes.Buffer) string {
	s := strings.TrimSpace(b.String())
	if s == "" {
		return ""
	}
	var lines []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(strings.TrimPrefix(l, "remote:")); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > 10 {
		lines = lines[:10]
	}
	return " It said: " + strings.Join(lines, " / ")
}
