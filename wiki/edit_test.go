package wiki_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
	"github.com/opswiki/opswiki/wiki/textdiff"
)

// MustEditor returns an editor over a new repository with files, its
// follower running.
func MustEditor(tb testing.TB, files map[string]string) (*wiki.Editor, *gitstore.Store, *wiki.Catalog) {
	tb.Helper()
	s := MustStore(tb, files)
	cat := wiki.NewCatalog()
	f := MustFollow(tb, s, cat)
	mustSync(tb, f)
	return wiki.NewEditor(s, textdiff.Merger{Markers: textdiff.Markers{Yours: wiki.MarkerYours, Sep: wiki.MarkerSep, Theirs: wiki.MarkerTheirs}}, f, cat, wiki.Gate{MaxPageBytes: 1 << 20, MaxFileBytes: 1 << 20}), s, cat
}

func mustRead(tb testing.TB, s *gitstore.Store, p wiki.Path) (string, string) {
	tb.Helper()
	head, err := s.Head(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	b, blob, err := s.ReadFile(context.Background(), head, p)
	if err != nil {
		tb.Fatalf("read %s: %v", p, err)
	}
	return string(b), blob
}

func TestEditorSave(t *testing.T) {
	ctx := context.Background()
	base := "# Runbook\n\nline one\nline two\nline three\nline four\n"
	ed, s, cat := MustEditor(t, map[string]string{"rb.md": base})
	_, baseBlob := mustRead(t, s, "rb.md")

	t.Run("Create", func(t *testing.T) {
		res, err := ed.Save(ctx, wiki.SaveRequest{Path: "new.md", Content: []byte("# New\n"), Author: author})
		if err != nil || res.Merged || res.Blob != wiki.BlobID([]byte("# New\n")) {
			t.Fatalf("%+v %v", res, err)
		}
		if _, ok := cat.Page("new.md"); !ok {
			t.Error("the catalog does not show the new page on return")
		}
		c, _ := s.GetCommit(ctx, res.Commit)
		if strings.TrimSpace(c.Message) != "Create new.md" || c.Author.Name != author.Name {
			t.Errorf("commit %+v", c)
		}
	})
	t.Run("CleanMerge", func(t *testing.T) {
		theirs := strings.Replace(base, "line one", "line ONE (theirs)", 1)
		if _, err := ed.Save(ctx, wiki.SaveRequest{Path: "rb.md", Content: []byte(theirs), Base: baseBlob, Author: author}); err != nil {
			t.Fatal(err)
		}
		yours := strings.Replace(base, "line four", "line FOUR (yours)", 1)
		res, err := ed.Save(ctx, wiki.SaveRequest{Path: "rb.md", Content: []byte(yours), Base: baseBlob, Author: author, Message: "mine"})
		if err != nil || !res.Merged {
			t.Fatalf("%+v %v", res, err)
		}
		got, _ := mustRead(t, s, "rb.md")
		if !strings.Contains(got, "line ONE (theirs)") || !strings.Contains(got, "line FOUR (yours)") {
			t.Fatalf("merged text:\n%s", got)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		cur, curBlob := mustRead(t, s, "rb.md")
		if _, err := ed.Save(ctx, wiki.SaveRequest{Path: "rb.md", Content: []byte(strings.Replace(cur, "line two", "line two: A", 1)), Base: curBlob, Author: author}); err != nil {
			t.Fatal(err)
		}
		yours := strings.Replace(cur, "line two", "line two: B", 1)
		_, err := ed.Save(ctx, wiki.SaveRequest{Path: "rb.md", Content: []byte(yours), Base: curBlob, Author: author})
		var ce *wiki.ConflictError
		if !errors.As(err, &ce) || wiki.ErrorCode(err) != wiki.ECONFLICT {
			t.Fatalf("err = %v", err)
		}
		if string(ce.Yours) != yours || !strings.Contains(string(ce.Theirs), "line two: A") {
			t.Errorf("conflict sides: yours %q theirs %q", ce.Yours, ce.Theirs)
		}
		for _, want := range []string{"<<<<<<< your edit\nline two: B\n=======\nline two: A\n>>>>>>> current version\n"} {
			if !strings.Contains(string(ce.Merged), want) {
				t.Errorf("merged text lacks %q:\n%s", want, ce.Merged)
			}
		}
		_, nowBlob := mustRead(t, s, "rb.md")
		if ce.Base != nowBlob {
			t.Errorf("conflict base %s, current %s", ce.Base, nowBlob)
		}
		// Saving the merged text with its markers is refused; resolving them saves.
		_, err = ed.Save(ctx, wiki.SaveRequest{Path: "rb.md", Content: ce.Merged, Base: ce.Base, Author: author})
		var ve *wiki.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.Problems[0].Message, "conflict marker") {
			t.Fatalf("saving markers: %v", err)
		}
		if _, err := ed.Save(ctx, wiki.SaveRequest{Path: "rb.md", Content: []byte(yours), Base: ce.Base, Author: author}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("BothCreated", func(t *testing.T) {
		if _, err := ed.Save(ctx, wiki.SaveRequest{Path: "twice.md", Content: []byte("# A\n"), Author: author}); err != nil {
			t.Fatal(err)
		}
		_, err := ed.Save(ctx, wiki.SaveRequest{Path: "twice.md", Content: []byte("# B\n"), Author: author})
		if wiki.ErrorCode(err) != wiki.ECONFLICT {
			t.Fatalf("second create of the same page: %v", err)
		}
	})
	t.Run("ErrDocument", func(t *testing.T) {
		_, err := ed.Save(ctx, wiki.SaveRequest{Path: "bad.md", Content: []byte("---\nkind: nonsense\n---\n"), Author: author})
		var ve *wiki.ValidationError
		if !errors.As(err, &ve) || wiki.ErrorCode(err) != wiki.EDOCUMENT || ve.Problems[0].Line != 2 {
			t.Fatalf("err = %v", err)
		}
		if cat.Exists("bad.md") {
			t.Error("an invalid page was written")
		}
	})
	t.Run("Unchanged", func(t *testing.T) {
		cur, blob := mustRead(t, s, "rb.md")
		res, err := ed.Save(ctx, wiki.SaveRequest{Path: "rb.md", Content: []byte(cur), Base: blob, Author: author})
		if err != nil || !res.Unchanged || res.Blob != blob {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("DeletedMeanwhile", func(t *testing.T) {
		_, blob := mustRead(t, s, "new.md")
		if _, err := ed.Delete(ctx, "new.md", blob, author, ""); err != nil {
			t.Fatal(err)
		}
		_, err := ed.Save(ctx, wiki.SaveRequest{Path: "new.md", Content: []byte("# New, edited\n"), Base: blob, Author: author})
		var ce *wiki.ConflictError
		if !errors.As(err, &ce) || !ce.Deleted || string(ce.Yours) != "# New, edited\n" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("BadPath", func(t *testing.T) {
		if _, err := ed.Save(ctx, wiki.SaveRequest{Path: "x.txt", Content: []byte("x"), Author: author}); wiki.ErrorCode(err) != wiki.EINVALID {
			t.Fatalf("err = %v", err)
		}
		if _, err := ed.Save(ctx, wiki.SaveRequest{Path: "rb.md", Content: []byte("x"), Base: "0123456789012345678901234567890123456789", Author: author}); wiki.ErrorCode(err) != wiki.EINVALID {
			t.Fatalf("unknown base: %v", err)
		}
	})
}

func TestEditorDelete(t *testing.T) {
	ctx := context.Background()
	ed, s, cat := MustEditor(t, map[string]string{"a.md": "# A\n", "b.md": "# B\n"})
	_, blob := mustRead(t, s, "a.md")
	if _, err := ed.Delete(ctx, "a.md", "", author, ""); wiki.ErrorCode(err) != wiki.EINVALID {
		t.Fatalf("delete without base: %v", err)
	}
	if _, err := ed.Delete(ctx, "a.md", wiki.BlobID([]byte("old")), author, ""); wiki.ErrorCode(err) != wiki.ECONFLICT {
		t.Fatalf("delete with a stale base: %v", err)
	}
	if _, err := ed.Delete(ctx, "a.md", blob, author, ""); err != nil {
		t.Fatal(err)
	}
	if cat.Exists("a.md") || !cat.Exists("b.md") {
		t.Error("wrong files after delete")
	}
	if _, err := ed.Delete(ctx, "a.md", blob, author, ""); wiki.ErrorCode(err) != wiki.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
}

func TestEditorMove(t *testing.T) {
	ctx := context.Background()
	ed, s, cat := MustEditor(t, map[string]string{
		"runbooks/disk.md":   "---\ntitle: Disk full\nowner: sre\n---\n# Disk full\n\nSee [the service](../services/db.md) and ![graph](img/g.png).\n",
		"runbooks/img/g.png": "png",
		"services/db.md":     "---\nowner: sre\n---\n# DB\n\nRunbooks: [[runbooks/disk]], [[Disk full|the disk one]], [disk](../runbooks/disk.md#mitigation).\n\n```\n[[runbooks/disk]] stays in code\n```\n\n[ref]: ../runbooks/disk.md \"title\"\n",
		"README.md":          "# Home\n\n[disk](runbooks/disk) and `[[runbooks/disk]]` in code.\n",
		"other.md":           "# Other\n\nNothing here.\n",
	})
	_, blob := mustRead(t, s, "runbooks/disk.md")
	res, err := ed.Move(ctx, "runbooks/disk.md", "runbooks/storage/disk-full.md", blob, author, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Updated) != 2 {
		t.Errorf("updated %v, want README.md and services/db.md", res.Updated)
	}
	moved, _ := mustRead(t, s, "runbooks/storage/disk-full.md")
	for _, want := range []string{"aliases:\n  - \"runbooks/disk\"\n---", "(../../services/db.md)", "(../img/g.png)"} {
		if !strings.Contains(moved, want) {
			t.Errorf("moved page lacks %q:\n%s", want, moved)
		}
	}
	db, _ := mustRead(t, s, "services/db.md")
	for _, want := range []string{"[[runbooks/storage/disk-full]]", "[[runbooks/storage/disk-full|the disk one]]",
		"(../runbooks/storage/disk-full.md#mitigation)", "[[runbooks/disk]] stays in code", "[ref]: ../runbooks/storage/disk-full.md \"title\""} {
		if !strings.Contains(db, want) {
			t.Errorf("services/db.md lacks %q:\n%s", want, db)
		}
	}
	home, _ := mustRead(t, s, "README.md")
	if !strings.Contains(home, "[disk](runbooks/storage/disk-full)") || !strings.Contains(home, "`[[runbooks/disk]]`") {
		t.Errorf("README.md:\n%s", home)
	}
	if t2 := cat.Lookup("runbooks/disk"); t2.Kind != wiki.TargetPage || !t2.Alias || t2.Path != "runbooks/storage/disk-full.md" {
		t.Errorf("old name resolves to %+v, want the moved page as an alias", t2)
	}
	head, _ := s.Head(ctx)
	c, _ := s.GetCommit(ctx, head)
	if len(c.Parents) != 1 || c.Parents[0] == "" || !strings.HasPrefix(c.Message, "Move runbooks/disk.md") {
		t.Errorf("move commit %+v", c)
	}
	if _, err := ed.Move(ctx, "other.md", "README.md", "", author, ""); wiki.ErrorCode(err) != wiki.ECONFLICT {
		t.Errorf("move onto an existing page: %v", err)
	}
}

func TestEditorAttach(t *testing.T) {
	ctx := context.Background()
	ed, _, cat := MustEditor(t, map[string]string{"runbooks/a.md": "# A\n"})
	p1, err := ed.Attach(ctx, "runbooks/a.md", "Screen Shot 2026-11-21 at 03.14.PNG", []byte("png"), author)
	if err != nil || p1 != "runbooks/Screen-Shot-2026-11-21-at-03.14.png" {
		t.Fatalf("%q %v", p1, err)
	}
	p2, err := ed.Attach(ctx, "runbooks/a.md", "Screen Shot 2026-11-21 at 03.14.PNG", []byte("png2"), author)
	if err != nil || p2 != "runbooks/Screen-Shot-2026-11-21-at-03.14-2.png" || !cat.Exists(p2) {
		t.Fatalf("%q %v", p2, err)
	}
	for _, name := range []string{"../../etc/passwd", "..", "page.md"} {
		p, err := ed.Attach(ctx, "runbooks/a.md", name, []byte("x"), author)
		if err == nil && (strings.Contains(string(p), "..") || p.IsPage()) {
			t.Errorf("Attach(%q) = %q", name, p)
		}
	}
	if _, err := ed.Attach(ctx, "runbooks/a.md", "x.png", nil, author); wiki.ErrorCode(err) != wiki.EINVALID {
		t.Errorf("empty file: %v", err)
	}
}

// TestEditorConcurrentSaves has thirty people save one page at once, each
// from the same version and each changing a line of their own: saves of
// one page queue, so every one lands as a clean merge and none is told to
// try again.
func TestEditorConcurrentSaves(t *testing.T) {
	ctx := context.Background()
	const writers = 30
	var lines []string
	for i := range writers {
		lines = append(lines, fmt.Sprintf("step %d: check the dashboard", i), "")
	}
	base := "# Busy runbook\n\n" + strings.Join(lines, "\n")
	s := MustStore(t, map[string]string{"busy.md": base})
	cat := wiki.NewCatalog()
	f := MustFollow(t, s, cat)
	mustSync(t, f)
	counted := &raceCounter{Store: s}
	ed := wiki.NewEditor(counted, textdiff.Merger{Markers: textdiff.Markers{Yours: wiki.MarkerYours, Sep: wiki.MarkerSep, Theirs: wiki.MarkerTheirs}}, f, cat, wiki.Gate{MaxPageBytes: 1 << 20, MaxFileBytes: 1 << 20})
	_, baseBlob := mustRead(t, s, "busy.md")
	t.Cleanup(func() {
		if n := counted.moved.Load(); n != 0 {
			t.Errorf("%d commits found the page changed under them: saves of one page raced instead of queueing", n)
		}
	})

	t.Run("DifferentLines", func(t *testing.T) {
		errs := make([]error, writers)
		results := make([]wiki.SaveResult, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				yours := strings.Replace(base, fmt.Sprintf("step %d: check", i), fmt.Sprintf("step %d: CHECKED by writer %d", i, i), 1)
				results[i], errs[i] = ed.Save(ctx, wiki.SaveRequest{Path: "busy.md", Content: []byte(yours), Base: baseBlob, Author: author})
			})
		}
		wg.Wait()
		merged := 0
		for i, err := range errs {
			if err != nil {
				t.Errorf("writer %d: %v (code %s)", i, err, wiki.ErrorCode(err))
			}
			if results[i].Merged {
				merged++
			}
		}
		if merged != writers-1 {
			t.Errorf("%d saves were merges, want %d (all but the first)", merged, writers-1)
		}
		got, _ := mustRead(t, s, "busy.md")
		for i := range writers {
			if !strings.Contains(got, fmt.Sprintf("step %d: CHECKED by writer %d", i, i)) {
				t.Errorf("writer %d's change is lost", i)
			}
		}
	})

	t.Run("SameLine", func(t *testing.T) {
		cur, curBlob := mustRead(t, s, "busy.md")
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				yours := strings.Replace(cur, "# Busy runbook", fmt.Sprintf("# Busy runbook, title by %d", i), 1)
				_, errs[i] = ed.Save(ctx, wiki.SaveRequest{Path: "busy.md", Content: []byte(yours), Base: curBlob, Author: author})
			})
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			var ce *wiki.ConflictError
			switch {
			case err == nil:
				if won >= 0 {
					t.Errorf("writers %d and %d both changed the title without a conflict", won, i)
				}
				won = i
			case errors.As(err, &ce):
				if !strings.Contains(string(ce.Yours), fmt.Sprintf("title by %d", i)) {
					t.Errorf("writer %d's conflict does not carry their text", i)
				}
			default:
				t.Errorf("writer %d: %v, want success or a conflict", i, err)
			}
		}
		got, _ := mustRead(t, s, "busy.md")
		if won < 0 || !strings.Contains(got, fmt.Sprintf("title by %d\n", won)) {
			t.Errorf("winner %d, page:\n%s", won, got)
		}
	})
}

// raceCounter counts the commits that failed because the page they pinned
// changed between reading and committing.
type raceCounter struct {
	wiki.Store
	moved atomic.Int64
}

func (r *raceCounter) Commit(ctx context.Context, req wiki.CommitRequest) (wiki.Commit, error) {
	c, err := r.Store.Commit(ctx, req)
	if errors.Is(err, wiki.ErrRefMoved) {
		r.moved.Add(1)
	}
	return c, err
}
