package gitstore_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// historyPaths are the files TestHistory follows, including ones deleted,
// re-added, changed only on a merged branch, and never present.
var historyPaths = []string{"a.md", "b.md", "dir/c.md", "dir/d.md", "side.md", "main.md", "never.md"}

// MustApply brings the index from one commit to another.
func MustApply(tb testing.TB, h *gitstore.History, from, to string) {
	tb.Helper()
	if err := h.Apply(ctx, wiki.Update{From: from, To: to}); err != nil {
		tb.Fatalf("Apply %.7s..%.7s: %v", from, to, err)
	}
	if h.Commit() != to {
		tb.Fatalf("Commit %s after Apply, want %s", h.Commit(), to)
	}
}

// requireHistoryLikeGit compares each path's history with git log
// --first-parent, and each revision's kind, blob and commit with git's.
func requireHistoryLikeGit(tb testing.TB, s *gitstore.Store, h *gitstore.History, dir, head string, paths []string) {
	tb.Helper()
	for _, p := range paths {
		revs, err := h.PageHistory(ctx, wiki.Path(p), 0, "")
		if err != nil {
			tb.Fatal(err)
		}
		var got []string
		for _, r := range revs {
			got = append(got, r.ID)
			requireRevisionLikeGit(tb, s, dir, p, r)
		}
		want := strings.Fields(Git(tb, dir, "log", "--first-parent", "--format=%H", head, "--", p))
		if !slices.Equal(got, want) {
			tb.Fatalf("history of %s:\n got %q\nwant %q", p, got, want)
		}
	}
}

func requireRevisionLikeGit(tb testing.TB, s *gitstore.Store, dir, p string, r wiki.Revision) {
	tb.Helper()
	c, err := s.GetCommit(ctx, r.ID)
	if err != nil || !reflect.DeepEqual(c, r.Commit) {
		tb.Fatalf("%s at %s: commit %+v, GetCommit %+v, %v", p, r.ID, r.Commit, c, err)
	}
	parent := emptyTreeID
	if len(c.Parents) > 0 {
		parent = c.Parents[0]
	}
	status := Git(tb, dir, "diff", "--name-status", "--no-renames", parent, r.ID, "--", p)
	kind := map[string]wiki.ChangeKind{"A": wiki.Added, "M": wiki.Modified, "D": wiki.Deleted}[strings.Fields(status + " ?")[0]]
	if r.Kind != kind {
		tb.Fatalf("%s at %s: kind %v, git says %q", p, r.ID, r.Kind, status)
	}
	if r.Kind == wiki.Deleted {
		if r.Blob != "" {
			tb.Fatalf("%s at %s: deleted with blob %s", p, r.ID, r.Blob)
		}
	} else if want := Git(tb, dir, "rev-parse", r.ID+":"+p); r.Blob != want {
		tb.Fatalf("%s at %s: blob %s, git says %s", p, r.ID, r.Blob, want)
	}
}

// mustHistoryRepo makes a repository with adds, edits, a delete and
// re-add, a move, and a merge made and pushed with git.
func mustHistoryRepo(tb testing.TB) (*gitstore.Store, string) {
	tb.Helper()
	s, dir := MustOpen(tb)
	MustCommit(tb, s, "", "add", put("a.md", "a1"), put("b.md", "b1"), put("dir/c.md", "c1"))
	MustCommit(tb, s, "", "edit a", put("a.md", "a2"))
	MustCommit(tb, s, "", "delete b", del("b.md"))
	MustCommit(tb, s, "", "re-add b", put("b.md", "b2"))
	MustCommit(tb, s, "", "move c", del("dir/c.md"), put("dir/d.md", "c1"))
	work := MustClone(tb, dir)
	Git(tb, work, "checkout", "-q", "-b", "side")
	WriteFiles(tb, work, map[string]string{"side.md": "s", "a.md": "a from side"})
	Git(tb, work, "add", "-A")
	Git(tb, work, "commit", "-q", "-m", "side")
	WriteFiles(tb, work, map[string]string{"side.md": "s2"})
	Git(tb, work, "commit", "-q", "-am", "side again")
	Git(tb, work, "checkout", "-q", "main")
	WriteFiles(tb, work, map[string]string{"main.md": "m", "b.md": "b from main"})
	Git(tb, work, "add", "-A")
	Git(tb, work, "commit", "-q", "-m", "on main")
	Git(tb, work, "merge", "-q", "--no-ff", "-m", "merge side", "side")
	Git(tb, work, "push", "-q", "origin", "main")
	MustCommit(tb, s, "", "after merge", put("a.md", "a3"), put("dir/d.md", "d2"))
	return s, dir
}

func TestHistory(t *testing.T) {
	s, dir := mustHistoryRepo(t)
	head := MustHead(t, s)
	h := gitstore.NewHistory(s)

	t.Run("Unavailable", func(t *testing.T) {
		_, err := h.PageHistory(ctx, "a.md", 0, "")
		requireCode(t, err, wiki.EUNAVAILABLE)
		if h.Name() != "history" || h.Commit() != "" {
			t.Fatalf("Name %q, Commit %q", h.Name(), h.Commit())
		}
	})
	MustApply(t, h, "", head)
	requireHistoryLikeGit(t, s, h, dir, head, historyPaths)
	if revs, _ := h.PageHistory(ctx, "a.md", 0, ""); len(revs) != 4 || !strings.HasPrefix(revs[1].Message, "merge side") {
		t.Fatalf("a.md: the merge should be its second newest revision: %+v", revs)
	}

	t.Run("Incremental", func(t *testing.T) {
		from := head
		MustCommit(t, s, "", "more", put("a.md", "a4"), put("never2.md", "n"))
		MustCommit(t, s, "", "delete d", del("dir/d.md"))
		to := MustHead(t, s)
		rebuilds := 0
		defer gitstore.SetOnHistoryRebuild(func() { rebuilds++ })()
		MustApply(t, h, from, to)
		if rebuilds != 0 {
			t.Fatal("Apply from the index's own commit rebuilt it")
		}
		requireHistoryLikeGit(t, s, h, dir, to, append(historyPaths, "never2.md"))
		MustApply(t, h, to, to) // nothing to do
	})

	t.Run("UnknownFrom", func(t *testing.T) {
		h := gitstore.NewHistory(s)
		MustApply(t, h, "", head)
		to := MustHead(t, s)
		rebuilds := 0
		defer gitstore.SetOnHistoryRebuild(func() { rebuilds++ })()
		MustApply(t, h, strings.Repeat("0", 40), to)
		if rebuilds != 1 {
			t.Fatalf("%d rebuilds for an unknown From, want 1", rebuilds)
		}
		requireHistoryLikeGit(t, s, h, dir, to, historyPaths)
	})

	t.Run("Rewound", func(t *testing.T) {
		// main moved back: the old head is not on the new line.
		h := gitstore.NewHistory(s)
		to := MustHead(t, s)
		MustApply(t, h, "", to)
		rebuilds := 0
		defer gitstore.SetOnHistoryRebuild(func() { rebuilds++ })()
		MustApply(t, h, to, head)
		if rebuilds != 1 {
			t.Fatalf("%d rebuilds for a rewound main, want 1", rebuilds)
		}
		requireHistoryLikeGit(t, s, h, dir, head, historyPaths)
	})

	t.Run("FromOffFirstParentLine", func(t *testing.T) {
		// An index at a commit of the merged branch, which the first-parent
		// line of main never passes through.
		side := Git(t, dir, "rev-parse", head+"~1^2")
		h := gitstore.NewHistory(s)
		MustApply(t, h, "", side)
		requireHistoryLikeGit(t, s, h, dir, side, historyPaths)
		MustApply(t, h, side, head)
		requireHistoryLikeGit(t, s, h, dir, head, historyPaths)
	})

	t.Run("BadCommit", func(t *testing.T) {
		h := gitstore.NewHistory(s)
		err := h.Apply(ctx, wiki.Update{To: strings.Repeat("1", 40)})
		requireCode(t, err, wiki.ENOTFOUND)
		if h.Commit() != "" {
			t.Fatalf("Commit %q after a failed Apply", h.Commit())
		}
	})
}

func TestHistoryPaging(t *testing.T) {
	s, _ := MustOpen(t)
	var ids []string // newest first
	for i := range 9 {
		c := MustCommit(t, s, "", fmt.Sprint("edit ", i), put("page.md", fmt.Sprint(i)))
		ids = append([]string{c.ID}, ids...)
		MustCommit(t, s, "", fmt.Sprint("other ", i), put("other.md", fmt.Sprint(i)))
	}
	h := gitstore.NewHistory(s)
	MustApply(t, h, "", MustHead(t, s))
	for _, limit := range []int{1, 2, 4, 9, 20} {
		var got []string
		before := ""
		for {
			revs, err := h.PageHistory(ctx, "page.md", limit, before)
			if err != nil {
				t.Fatal(err)
			}
			if len(revs) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(revs))
			}
			if len(revs) == 0 {
				break
			}
			for _, r := range revs {
				got = append(got, r.ID)
			}
			before = revs[len(revs)-1].ID
		}
		if !reflect.DeepEqual(got, ids) {
			t.Fatalf("limit %d: pages give %q, want %q", limit, got, ids)
		}
	}
	t.Run("BeforeOtherCommit", func(t *testing.T) {
		// A commit that did not change the page still marks a place:
		// "other 6" comes after "edit 6".
		other, err := h.PageHistory(ctx, "other.md", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		revs, err := h.PageHistory(ctx, "page.md", 0, other[2].ID)
		if err != nil || !slices.Equal(ids[2:], idsOf(revs)) {
			t.Fatalf("before %s: %q, %v; want %q", other[2].ID, idsOf(revs), err, ids[2:])
		}
	})
	t.Run("BeforeUnknown", func(t *testing.T) {
		_, err := h.PageHistory(ctx, "page.md", 0, strings.Repeat("2", 40))
		requireCode(t, err, wiki.ENOTFOUND)
	})
	t.Run("NoSuchPath", func(t *testing.T) {
		revs, err := h.PageHistory(ctx, "nope.md", 0, "")
		if err != nil || len(revs) != 0 {
			t.Fatalf("%v, %v", revs, err)
		}
	})
}

func idsOf(revs []wiki.Revision) []string {
	var out []string
	for _, r := range revs {
		out = append(out, r.ID)
	}
	return out
}

func TestHistoryEmpty(t *testing.T) {
	s, _ := MustOpen(t)
	h := gitstore.NewHistory(s)
	if revs, err := h.PageHistory(ctx, "a.md", 0, ""); err != nil || len(revs) != 0 {
		t.Fatalf("empty repository before Apply: %v, %v", revs, err)
	}
	MustApply(t, h, "", "")
	if revs, err := h.PageHistory(ctx, "a.md", 0, ""); err != nil || len(revs) != 0 {
		t.Fatalf("empty repository: %v, %v", revs, err)
	}
}

// TestHistoryConcurrent reads histories while the index follows new
// commits and rebuilds; run with -race.
func TestHistoryConcurrent(t *testing.T) {
	s, _ := MustOpen(t)
	first := MustCommit(t, s, "", "first", put("a.md", "0"))
	h := gitstore.NewHistory(s)
	MustApply(t, h, "", first.ID)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				revs, err := h.PageHistory(ctx, "a.md", 0, "")
				if err != nil || len(revs) == 0 || revs[len(revs)-1].ID != first.ID {
					t.Errorf("PageHistory during Apply: %d revisions, %v", len(revs), err)
					return
				}
				h.Commit()
			}
		}()
	}
	from := first.ID
	for i := range 30 {
		to := MustCommit(t, s, "", fmt.Sprint(i), put("a.md", fmt.Sprint(i+1)), put(fmt.Sprintf("n/%d.md", i), "x")).ID
		if i%10 == 9 {
			from = "" // a rebuild swaps the whole index
		}
		MustApply(t, h, from, to)
		from = to
	}
	close(stop)
	wg.Wait()
	if revs, _ := h.PageHistory(ctx, "a.md", 0, ""); len(revs) != 31 {
		t.Fatalf("a.md: %d revisions, want 31", len(revs))
	}
}
