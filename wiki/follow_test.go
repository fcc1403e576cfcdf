package wiki_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

var author = wiki.Signature{Name: "Ops", Email: "ops@example.com", When: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}

// MustStore returns a new repository with one commit of the given files.
func MustStore(tb testing.TB, files map[string]string) *gitstore.Store {
	tb.Helper()
	s, err := gitstore.OpenOrInit(filepath.Join(tb.TempDir(), "wiki.git"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	MustCommitFiles(tb, s, files)
	return s
}

// MustCommitFiles writes files ("" content deletes) in one commit.
func MustCommitFiles(tb testing.TB, s wiki.Store, files map[string]string) wiki.Commit {
	tb.Helper()
	var changes []wiki.FileChange
	for p, c := range files {
		changes = append(changes, wiki.FileChange{Path: wiki.Path(p), Content: []byte(c), Delete: c == ""})
	}
	c, err := s.Commit(context.Background(), wiki.CommitRequest{Author: author, Message: "test", Changes: changes})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// recorder is a view that remembers every update it was given, and can be
// told to fail.
type recorder struct {
	mu      sync.Mutex
	commit  string
	updates []wiki.Update
	fail    error
}

func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Commit() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.commit
}
func (r *recorder) Apply(ctx context.Context, u wiki.Update) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.updates = append(r.updates, u)
	r.commit = u.To
	return nil
}

// MustFollow runs a follower over the views until the test ends.
func MustFollow(tb testing.TB, s wiki.Store, views ...wiki.View) *wiki.Follower {
	tb.Helper()
	f := wiki.NewFollower(s, slog.New(slog.DiscardHandler), 20*time.Millisecond, views...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	return f
}

func mustSync(tb testing.TB, f *wiki.Follower) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f.Sync(ctx); err != nil {
		tb.Fatal(err)
	}
}

func TestFollowerIncremental(t *testing.T) {
	s := MustStore(t, map[string]string{"a.md": "# A", "b.md": "# B", "img/x.png": "png"})
	rec := &recorder{}
	cat := wiki.NewCatalog()
	f := MustFollow(t, s, rec, cat)
	mustSync(t, f)
	if len(rec.updates) != 1 || rec.updates[0].From != "" || len(rec.updates[0].Changes) != 3 {
		t.Fatalf("first update = %+v, want a full build of 3 files", rec.updates)
	}
	c := MustCommitFiles(t, s, map[string]string{"b.md": "# B2", "c/d.md": "# D", "img/x.png": ""})
	mustSync(t, f)
	last := rec.updates[len(rec.updates)-1]
	if last.From != rec.updates[0].To || last.To != c.ID || len(last.Changes) != 3 {
		t.Fatalf("incremental update = from %s to %s with %+v", last.From, last.To, last.Changes)
	}
	kinds := map[wiki.Path]wiki.ChangeKind{}
	for _, ch := range last.Changes {
		kinds[ch.Path] = ch.Kind
	}
	if kinds["b.md"] != wiki.Modified || kinds["c/d.md"] != wiki.Added || kinds["img/x.png"] != wiki.Deleted {
		t.Errorf("changes = %v", kinds)
	}
	doc, err := last.Load(context.Background(), last.Changes[0])
	if err != nil || doc == nil {
		t.Fatalf("Load: %v", err)
	}
	for _, st := range f.Status() {
		if !st.Ready || st.Commit != c.ID {
			t.Errorf("status %+v", st)
		}
	}
}

func TestFollowerRetriesAndReports(t *testing.T) {
	s := MustStore(t, map[string]string{"a.md": "# A"})
	rec := &recorder{fail: errors.New("disk on fire")}
	f := MustFollow(t, s, rec)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f.Sync(ctx); err == nil {
		t.Fatal("Sync succeeded with a failing view")
	}
	if f.Ready() || f.Status()[0].Error == "" {
		t.Fatalf("status = %+v", f.Status())
	}
	rec.mu.Lock()
	rec.fail = nil
	rec.mu.Unlock()
	deadline := time.Now().Add(time.Minute)
	for !f.Ready() {
		if time.Now().After(deadline) {
			t.Fatalf("view never recovered: %+v", f.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFollowerRebuildsUnknownCommit(t *testing.T) {
	s := MustStore(t, map[string]string{"a.md": "# A"})
	rec := &recorder{commit: "0123456789012345678901234567890123456789"}
	f := MustFollow(t, s, rec)
	mustSync(t, f)
	if len(rec.updates) != 1 || rec.updates[0].From != "" {
		t.Fatalf("updates = %+v, want one rebuild", rec.updates)
	}
}

// slowHead is a store whose reads of main take a while after the ref
// was read, as a read does when the goroutine is descheduled.
type slowHead struct{ wiki.Store }

func (s slowHead) Head(ctx context.Context) (string, error) {
	h, err := s.Store.Head(ctx)
	time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
	return h, err
}

// Saves call Sync concurrently, each reading main: the follower must never
// move its views back to an older commit than one it already reached (a
// view would then rebuild from the root, the history index seconds long).
func TestFollowerHeadNeverMovesBack(t *testing.T) {
	s := MustStore(t, map[string]string{"a.md": "# A"})
	head, err := s.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	order := map[string]int{head: 0}
	rec := &recorder{}
	f := MustFollow(t, slowHead{s}, rec)
	mustSync(t, f)

	const commits, syncers = 60, 8
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range syncers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := f.Sync(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := 1; i <= commits; i++ {
		c := MustCommitFiles(t, s, map[string]string{"a.md": fmt.Sprintf("# A %d", i)})
		order[c.ID] = i
		time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
	}
	close(done)
	wg.Wait()
	mustSync(t, f)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if last := rec.updates[len(rec.updates)-1].To; order[last] != commits {
		t.Fatalf("view ends at commit %d, want %d", order[last], commits)
	}
	for _, u := range rec.updates[1:] {
		if order[u.To] <= order[u.From] {
			t.Fatalf("view moved from commit %d back to commit %d", order[u.From], order[u.To])
		}
	}
}

func TestCatalogLookup(t *testing.T) {
	s := MustStore(t, map[string]string{
		"README.md":                    "# Home",
		"runbooks/README.md":           "---\nkind: page\n---\n# Runbooks",
		"runbooks/KubePodCrash.md":     "# KubePodCrashLooping\n",
		"runbooks/db/disk-full.md":     "---\ntitle: Disk full\n---\n",
		"services/checkout.md":         "---\nowner: t\n---\n# Checkout",
		"services/pay/_index.md":       "---\nname: payments\nowner: t\n---\n",
		"postmortems/2026/inc-1.md":    "# INC 1",
		"postmortems/2026/graph.PNG":   "png",
		"handbook/Deploy-Checklist.md": "Steps, in order.",
		"handbook/On-Call-Handbook.md": "Who to call.",
	})
	cat := wiki.NewCatalog()
	f := MustFollow(t, s, cat)
	mustSync(t, f)
	for _, tt := range []struct {
		name  string
		kind  wiki.TargetKind
		path  wiki.Path
		exact bool
	}{
		{"", wiki.TargetPage, "README.md", true},
		{"runbooks", wiki.TargetPage, "runbooks/README.md", true},
		{"runbooks/", wiki.TargetPage, "runbooks/README.md", true},
		{"runbooks/KubePodCrash", wiki.TargetPage, "runbooks/KubePodCrash.md", true},
		{"runbooks/kubepodcrash", wiki.TargetPage, "runbooks/KubePodCrash.md", false},
		{"RUNBOOKS/DB/DISK-FULL", wiki.TargetPage, "runbooks/db/disk-full.md", false},
		{"runbooks/db", wiki.TargetFolder, "runbooks/db", true},
		{"Runbooks/DB", wiki.TargetFolder, "runbooks/db", false},
		{"services/pay", wiki.TargetPage, "services/pay/_index.md", true},
		{"postmortems/2026/graph.PNG", wiki.TargetFile, "postmortems/2026/graph.PNG", true},
		{"postmortems/2026/graph.png", wiki.TargetFile, "postmortems/2026/graph.PNG", false},
		{"runbooks/KubePodCrash.md", wiki.TargetPage, "runbooks/KubePodCrash.md", true},
		{"nope", wiki.TargetNone, "", false},
		{"../etc/passwd", wiki.TargetNone, "", false},
	} {
		got := cat.Lookup(tt.name)
		if got.Kind != tt.kind || got.Path != tt.path || (got.Kind != wiki.TargetNone && got.Exact != tt.exact) {
			t.Errorf("Lookup(%q) = %+v, want kind %d path %q exact %v", tt.name, got, tt.kind, tt.path, tt.exact)
		}
	}
	for _, tt := range []struct {
		from   wiki.Path
		target string
		want   wiki.Path
	}{
		{"runbooks/db/disk-full.md", "runbooks/KubePodCrash", "runbooks/KubePodCrash.md"},
		{"runbooks/README.md", "db/disk-full", "runbooks/db/disk-full.md"},
		{"README.md", "Disk Full", "runbooks/db/disk-full.md"},
		{"README.md", "kubepodcrashlooping", "runbooks/KubePodCrash.md"},
		{"README.md", "inc-1", "postmortems/2026/inc-1.md"},
		// GitHub and Gollum wikis: the file is the name with dashes.
		{"handbook/Deploy-Checklist.md", "On Call Handbook", "handbook/On-Call-Handbook.md"},
		{"README.md", "Deploy Checklist", "handbook/Deploy-Checklist.md"},
		{"README.md", "handbook/deploy checklist", "handbook/Deploy-Checklist.md"},
	} {
		if got, ok := cat.LookupName(tt.from, tt.target); !ok || got != tt.want {
			t.Errorf("LookupName(%q, %q) = %q, %v; want %q", tt.from, tt.target, got, ok, tt.want)
		}
	}
	if pi, ok := cat.Service("PAYMENTS"); !ok || pi.Path != "services/pay/_index.md" {
		t.Errorf("Service(PAYMENTS) = %v, %v", pi, ok)
	}

	gen := cat.Generation()
	MustCommitFiles(t, s, map[string]string{"runbooks/db/disk-full.md": "", "runbooks/KubePodCrash.md": "# Renamed title"})
	mustSync(t, f)
	if cat.IsFolder("runbooks/db") || cat.Lookup("runbooks/db").Kind != wiki.TargetNone {
		t.Error("a folder left empty by a delete still exists")
	}
	if cat.Generation() == gen {
		t.Error("generation did not change when a file was deleted")
	}
	if _, ok := cat.LookupName("README.md", "kubepodcrashlooping"); ok {
		t.Error("the old title still resolves")
	}
	var names []string
	for _, ch := range cat.Children("runbooks") {
		names = append(names, ch.Name)
	}
	if len(names) != 2 || names[0] != "KubePodCrash.md" || names[1] != "README.md" {
		t.Errorf("children of runbooks = %v", names)
	}
}
