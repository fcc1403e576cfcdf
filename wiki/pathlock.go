package wiki

import (
	"context"
	"slices"
	"sync"
)

// pathLocks queues the writers of one page behind each other. Without it,
// thirty people saving one busy page race: each reads the page, merges and
// tries to commit, all but one find the page changed and start again, and
// after a few rounds someone is told to retry for no fault of theirs. Queued,
// each writer merges against the page as the previous one left it, so every
// save lands or meets a true conflict. Writers of different pages never wait
// for each other.
type pathLocks struct {
	mu    sync.Mutex
	locks map[Path]*pathLock
}

// pathLock is one page's turn: a token in a one-slot channel, so waiting for
// it can give up when the request is gone.
type pathLock struct {
	turn chan struct{}
	refs int // holders and waiters; the entry goes when it drops to zero
}

// lock waits for the turn of every path, in a fixed order so two writers
// of overlapping sets cannot wait for each other, and returns the function
// that gives them back. It returns ctx's error when ctx ends first.
func (l *pathLocks) lock(ctx context.Context, paths ...Path) (unlock func(), err error) {
	paths = slices.Clone(paths)
	slices.Sort(paths)
	paths = slices.Compact(paths)
	entries := make([]*pathLock, len(paths))
	l.mu.Lock()
	if l.locks == nil {
		l.locks = make(map[Path]*pathLock)
	}
	for i, p := range paths {
		pl := l.locks[p]
		if pl == nil {
			pl = &pathLock{turn: make(chan struct{}, 1)}
			l.locks[p] = pl
		}
		pl.refs++
		entries[i] = pl
	}
	l.mu.Unlock()
	release := func(held int) {
		for i := range held {
			<-entries[i].turn
		}
		l.mu.Lock()
		for i, p := range paths {
			if entries[i].refs--; entries[i].refs == 0 {
				delete(l.locks, p)
			}
		}
		l.mu.Unlock()
	}
	for i, pl := range entries {
		select {
		case pl.turn <- struct{}{}:
		case <-ctx.Done():
			release(i)
			return nil, ctx.Err()
		}
	}
	var once sync.Once
	return func() { once.Do(func() { release(len(entries)) }) }, nil
}
