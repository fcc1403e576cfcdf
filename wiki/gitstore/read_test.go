package gitstore_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

func TestLog(t *testing.T) {
	s, dir, _ := MustSeeded(t)
	MustCommit(t, s, "", "two", put("two.md", "2"), del("a/e.md"))
	// A merge made with git: Log follows the first parent.
	work := MustClone(t, dir)
	Git(t, work, "checkout", "-q", "-b", "side")
	WriteFiles(t, work, map[string]string{"side.md": "s"})
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-q", "-m", "side")
	Git(t, work, "checkout", "-q", "main")
	WriteFiles(t, work, map[string]string{"main.md": "m"})
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-q", "-m", "on main")
	Git(t, work, "merge", "-q", "--no-ff", "-m", "merge side", "side")
	Git(t, work, "push", "-q", "origin", "main")
	head := MustCommit(t, s, "", "after merge", put("a/b/c.md", "c2"))

	log, err := s.Log(ctx, head.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(Git(t, dir, "rev-list", "--first-parent", "main"))
	var got []string
	for _, e := range log {
		got = append(got, e.ID)
		from := ""
		if len(e.Parents) > 0 {
			from = e.Parents[0]
		}
		diff, err := s.Diff(ctx, from, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(e.Changes, diff) {
			t.Errorf("%s: Log changes %v, Diff %v", e.ID, e.Changes, diff)
		}
		requireDiffLikeGit(t, s, dir, from, e.ID)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Log:\n got %v\nwant %v", got, want)
	}
	if merge := log[1]; len(merge.Parents) != 2 || len(merge.Changes) != 1 || merge.Changes[0].Path != "side.md" {
		t.Fatalf("merge entry: %+v", merge)
	}
	t.Run("Limit", func(t *testing.T) {
		log, err := s.Log(ctx, head.ID, 2)
		if err != nil || len(log) != 2 || log[0].ID != head.ID {
			t.Fatalf("Log limit 2: %d entries, %v", len(log), err)
		}
	})
	t.Run("Root", func(t *testing.T) {
		root := log[len(log)-1]
		if len(root.Changes) != len(baseFiles) {
			t.Fatalf("root changes %v", root.Changes)
		}
		for _, c := range root.Changes {
			if c.Kind != wiki.Added || c.OldBlob != "" || c.Blob == "" {
				t.Fatalf("root change %+v", c)
			}
		}
	})
}

func TestNotFound(t *testing.T) {
	s, _, base := MustSeeded(t)
	missing := strings.Repeat("0123456789", 4)
	tests := []struct {
		name string
		err  func() error
	}{
		{"GetCommitMissing", func() error { _, err := s.GetCommit(ctx, missing); return err }},
		{"GetCommitMalformed", func() error { _, err := s.GetCommit(ctx, "main"); return err }},
		{"GetCommitOfTree", func() error {
			entries, _ := s.List(ctx, base.ID)
			_, err := s.GetCommit(ctx, entries[0].Blob)
			return err
		}},
		{"ReadFileMissing", func() error { _, _, err := s.ReadFile(ctx, base.ID, "nope.md"); return err }},
		{"ReadFileFolder", func() error { _, _, err := s.ReadFile(ctx, base.ID, "a/b"); return err }},
		{"ReadFileUnderFile", func() error { _, _, err := s.ReadFile(ctx, base.ID, "README.md/x"); return err }},
		{"ReadFileBadCommit", func() error { _, _, err := s.ReadFile(ctx, missing, "README.md"); return err }},
		{"ReadBlobMissing", func() error { _, err := s.ReadBlob(ctx, missing); return err }},
		{"ReadBlobOfCommit", func() error { _, err := s.ReadBlob(ctx, base.ID); return err }},
		{"DiffMissing", func() error { _, err := s.Diff(ctx, missing, base.ID); return err }},
		{"ListMissing", func() error { _, err := s.List(ctx, missing); return err }},
		{"LogMissing", func() error { _, err := s.Log(ctx, missing, 1); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			requireCode(t, err, wiki.ENOTFOUND)
			if !errors.Is(err, wiki.ErrNotFound) {
				t.Fatalf("errors.Is(%v, ErrNotFound) is false", err)
			}
		})
	}
	t.Run("EmptyTree", func(t *testing.T) {
		if l, err := s.List(ctx, ""); err != nil || len(l) != 0 {
			t.Fatalf("List(\"\"): %v, %v", l, err)
		}
		if d, err := s.Diff(ctx, base.ID, base.ID); err != nil || len(d) != 0 {
			t.Fatalf("Diff of a commit with itself: %v, %v", d, err)
		}
	})
}
