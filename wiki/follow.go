package wiki

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Follower keeps every derived view in step with main. It is the one
// mechanism that notices main moved, whoever moved it (a save in the browser,
// a push, a commit by another process), and hands each view the tree diff
// from the commit it reflects to the new head. Each view catches up on its
// own goroutine, so a slow rebuild of one never holds up the others.
type Follower struct {
	store    Store
	log      *slog.Logger
	interval time.Duration

	// pollMu orders the reads of main: Sync reads it from every save's
	// goroutine, and a read that took longer than a later one must not
	// set the head back to the older commit.
	pollMu sync.Mutex

	mu      sync.Mutex
	head    string
	seq     uint64 // increments each time a new head is observed
	changed chan struct{}
	views   []*viewState
	wake    chan struct{}

	// Every view is handed the same diff and reads the same changed
	// pages: each is computed once and shared.
	diffs    *Cache[[2]string, []Change]
	docs     *Cache[string, *Document] // by settings blob, path and blob
	settings *Cache[string, *Settings] // by commit
}

type viewState struct {
	v       View
	seq     uint64 // the observed head sequence the view has reached
	head    string // the head being applied, while catching up
	total   int
	done    int
	lastErr error
	failed  uint64 // the head sequence lastErr was met at
	kick    chan struct{}
}

// ViewStatus reports how far a view is behind main.
type ViewStatus struct {
	Name    string `json:"name"`
	Commit  string `json:"commit"`
	Head    string `json:"head"`
	Ready   bool   `json:"ready"`
	Done    int    `json:"done"`
	Total   int    `json:"total"`
	Error   string `json:"error,omitempty"`
	Rebuild bool   `json:"rebuild"`
}

// NewFollower returns a follower for the given views. Interval is how often
// the ref is read to notice writes by other processes; 200ms when zero.
func NewFollower(store Store, log *slog.Logger, interval time.Duration, views ...View) *Follower {
	if interval <= 0 {
		interval = 200 * time.Millisecond
	}
	if log == nil {
		log = slog.Default()
	}
	f := &Follower{store: store, log: log, interval: interval, changed: make(chan struct{}), wake: make(chan struct{}, 1),
		diffs:    NewCache[[2]string, []Change](int64(4*len(views)), nil),
		docs:     NewCache(4<<20, func(_ string, d *Document) int64 { return int64(256 + len(d.Body) + len(d.Text)) }),
		settings: NewCache[string, *Settings](int64(4*len(views)), nil)}
	for _, v := range views {
		f.views = append(f.views, &viewState{v: v, kick: make(chan struct{}, 1)})
	}
	return f
}

// Run follows main until ctx ends.
func (f *Follower) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, vs := range f.views {
		wg.Add(1)
		go func() { defer wg.Done(); f.runView(ctx, vs) }()
	}
	t := time.NewTicker(f.interval)
	defer t.Stop()
	for {
		f.poll(ctx)
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
		case <-f.wake:
		}
	}
}

// Notify asks the follower to read main now, after a write of our own.
func (f *Follower) Notify() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// poll reads main and, when it moved, wakes every view.
func (f *Follower) poll(ctx context.Context) (uint64, error) {
	f.pollMu.Lock()
	defer f.pollMu.Unlock()
	head, err := f.store.Head(ctx)
	if errors.Is(err, ErrEmpty) {
		head, err = "", nil
	}
	if err != nil {
		f.log.Error("read main", "err", err)
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if head != f.head || f.seq == 0 {
		f.head = head
		f.seq++
		for _, vs := range f.views {
			select {
			case vs.kick <- struct{}{}:
			default:
			}
		}
		f.broadcastLocked()
	}
	return f.seq, nil
}

func (f *Follower) broadcastLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// runView applies each new head to one view, retrying with backoff on error.
func (f *Follower) runView(ctx context.Context, vs *viewState) {
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return
		case <-vs.kick:
		}
		for {
			f.mu.Lock()
			head, seq, reached := f.head, f.seq, vs.seq
			f.mu.Unlock()
			if reached >= seq {
				break
			}
			err := f.catchUp(ctx, vs, head)
			f.mu.Lock()
			vs.lastErr, vs.failed = err, seq
			if err == nil {
				vs.seq = seq
				backoff = 100 * time.Millisecond
			}
			f.broadcastLocked()
			f.mu.Unlock()
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				f.log.Error("update view", "view", vs.v.Name(), "head", head, "err", err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(backoff*2, 10*time.Second)
			}
		}
	}
}

// catchUp brings one view from the commit it reflects to head.
func (f *Follower) catchUp(ctx context.Context, vs *viewState, head string) error {
	from := vs.v.Commit()
	if from == head {
		return nil
	}
	var changes []Change
	var err error
	settings := (*Settings)(nil)
	if head != "" {
		changes, err = f.diff(ctx, from, head)
		if err != nil && from != "" && ErrorCode(err) == ENOTFOUND {
			// The view reflects a commit main no longer has (history was
			// rewritten, or the repository replaced): rebuild it.
			f.log.Warn("view commit not in repository; rebuilding", "view", vs.v.Name(), "commit", from)
			from = ""
			changes, err = f.diff(ctx, "", head)
		}
		if err != nil {
			return err
		}
		if settings, err = f.settingsAt(ctx, head); err != nil {
			return err
		}
		if from != "" && followsSettings(vs.v) && slices.ContainsFunc(changes, func(c Change) bool { return c.Path.IsSettings() }) {
			// The settings shape every page: derive the view again from
			// the whole tree, once.
			f.log.Info("settings changed; deriving the view again", "view", vs.v.Name(), "commit", head)
			from = ""
			if changes, err = f.diff(ctx, "", head); err != nil {
				return err
			}
		}
	}
	f.mu.Lock()
	vs.head, vs.total, vs.done = head, len(changes), 0
	f.mu.Unlock()
	start := time.Now()
	u := Update{From: from, To: head, Changes: changes, Settings: settings,
		Load: func(ctx context.Context, c Change) (*Document, error) { return f.load(ctx, c, settings) },
		Progress: func(done int) {
			f.mu.Lock()
			vs.done = done
			f.broadcastLocked()
			f.mu.Unlock()
		}}
	if err := vs.v.Apply(ctx, u); err != nil {
		return err
	}
	f.mu.Lock()
	vs.done = vs.total
	f.mu.Unlock()
	if len(changes) > 100 || from == "" {
		f.log.Info("view caught up", "view", vs.v.Name(), "commit", head, "changes", len(changes), "rebuild", from == "", "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// diff returns the changes between two commits, computed once for all the
// views that catch up over the same span.
func (f *Follower) diff(ctx context.Context, from, to string) ([]Change, error) {
	key := [2]string{from, to}
	if changes, ok := f.diffs.Get(key); ok {
		return changes, nil
	}
	changes, err := f.store.Diff(ctx, from, to)
	if err == nil {
		f.diffs.Put(key, changes)
	}
	return changes, err
}

// settingsAt returns the repository settings in force at commit.
func (f *Follower) settingsAt(ctx context.Context, commit string) (*Settings, error) {
	if s, ok := f.settings.Get(commit); ok {
		return s, nil
	}
	s, err := ReadSettings(ctx, f.store, commit)
	if err != nil {
		return nil, err
	}
	f.settings.Put(commit, s)
	return s, nil
}

// ReadSettings reads the repository settings at commit; nil when the
// repository has none.
func ReadSettings(ctx context.Context, store Store, commit string) (*Settings, error) {
	b, blob, err := store.ReadFile(ctx, commit, SettingsPath)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseSettings(b, blob), nil
}

// followsSettings reports whether a view derives from the pages' content,
// which the settings shape.
func followsSettings(v View) bool {
	sv, ok := v.(interface{ FollowsSettings() bool })
	return ok && sv.FollowsSettings()
}

// load reads and parses a changed page at the commit being applied, under
// that commit's settings. The views share what they load: a page a commit
// changed is read and parsed once, not once per view. Views must not change
// the document.
func (f *Follower) load(ctx context.Context, c Change, s *Settings) (*Document, error) {
	if !c.Path.IsPage() && !IsConfigFile(c.Path) || c.Kind == Deleted {
		return nil, Errorf(ENOTFOUND, "%s is not a page", c.Path)
	}
	key := s.blob() + "\x00" + string(c.Path) + "\x00" + c.Blob // the document knows its path
	if d, ok := f.docs.Get(key); ok {
		return d, nil
	}
	b, err := f.store.ReadBlob(ctx, c.Blob)
	if err != nil {
		return nil, err
	}
	d := ParseFile(c.Path, b, s)
	f.docs.Put(key, d)
	return d, nil
}

// Sync reads main now and waits until the named views (all when none are
// named) reflect it. Write paths call it so a save is visible on return.
func (f *Follower) Sync(ctx context.Context, names ...string) error {
	seq, err := f.poll(ctx)
	if err != nil {
		return err
	}
	for {
		f.mu.Lock()
		ch := f.changed
		caught := true
		for _, vs := range f.views {
			if len(names) > 0 && !contains(names, vs.v.Name()) {
				continue
			}
			if vs.seq < seq {
				if vs.lastErr != nil && vs.failed >= seq {
					f.mu.Unlock()
					return fmt.Errorf("update %s: %w", vs.v.Name(), vs.lastErr)
				}
				caught = false
			}
		}
		f.mu.Unlock()
		if caught {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// Status reports each view's progress towards the current head.
func (f *Follower) Status() []ViewStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]ViewStatus, 0, len(f.views))
	for _, vs := range f.views {
		// A view already at the head (one that was saved there, before
		// its goroutine has looked) reflects it as well as one that got
		// there since.
		commit := vs.v.Commit()
		st := ViewStatus{Name: vs.v.Name(), Commit: commit, Head: f.head,
			Ready: f.seq > 0 && (vs.seq == f.seq || (f.head != "" && commit == f.head)), Done: vs.done, Total: vs.total}
		st.Rebuild = !st.Ready && st.Commit == ""
		if vs.lastErr != nil {
			st.Error = ErrorMessage(vs.lastErr)
		}
		out = append(out, st)
	}
	return out
}

// Ready reports whether every view reflects the current head of main.
func (f *Follower) Ready() bool {
	for _, st := range f.Status() {
		if !st.Ready {
			return false
		}
	}
	return true
}

// LoadAll runs load over the changed pages and configuration files (see
// IsConfigFile) with a few workers, for views that rebuild many pages at
// once; results keep the order of changes, nil for other files.
func LoadAll(ctx context.Context, u Update, changes []Change) ([]*Document, error) {
	docs := make([]*Document, len(changes))
	errs := make([]error, len(changes))
	work := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				docs[i], errs[i] = u.Load(ctx, changes[i])
			}
		}()
	}
	for i, c := range changes {
		if c.Kind != Deleted && (c.Path.IsPage() || IsConfigFile(c.Path)) {
			work <- i
		}
	}
	close(work)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return docs, ctx.Err()
}
