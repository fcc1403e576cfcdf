package gitstore_test

import (
	"maps"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

var baseFiles = map[string]string{
	"README.md":  "home",
	"a/b/c.md":   "c",
	"a/b/d.md":   "d",
	"a/e.md":     "e",
	"x/y/z.md":   "z",
	"zz/last.md": "last",
}

// MustSeeded returns a store seeded with baseFiles.
func MustSeeded(tb testing.TB) (*gitstore.Store, string, wiki.Commit) {
	tb.Helper()
	s, dir := MustOpen(tb)
	fsys := fstest.MapFS{}
	for p, c := range baseFiles {
		fsys[p] = &fstest.MapFile{Data: []byte(c)}
	}
	c, err := s.Seed(ctx, fsys, ada, "seed")
	if err != nil {
		tb.Fatal(err)
	}
	return s, dir, c
}

func TestCommit(t *testing.T) {
	tests := []struct {
		name    string
		changes []wiki.FileChange
		add     map[string]string // files written, on top of baseFiles
		remove  []string          // files gone
		gone    []string          // folders that must no longer exist
		code    string            // expected error code
	}{
		{name: "AddTop", changes: []wiki.FileChange{put("new.md", "n")}, add: map[string]string{"new.md": "n"}},
		{name: "AddDeep", changes: []wiki.FileChange{put("n/e/w/page.md", "deep")}, add: map[string]string{"n/e/w/page.md": "deep"}},
		{name: "AddSorted", changes: []wiki.FileChange{put("a-b.md", "1"), put("a.md", "2"), put("a/b.md", "3"), put("a0", "4")},
			add: map[string]string{"a-b.md": "1", "a.md": "2", "a/b.md": "3", "a0": "4"}},
		{name: "ModifyNested", changes: []wiki.FileChange{put("a/b/c.md", "C2")}, add: map[string]string{"a/b/c.md": "C2"}},
		{name: "DeleteNested", changes: []wiki.FileChange{del("a/b/c.md")}, remove: []string{"a/b/c.md"}},
		{name: "FolderBecomesEmpty", changes: []wiki.FileChange{del("x/y/z.md")}, remove: []string{"x/y/z.md"}, gone: []string{"x", "x/y"}},
		{name: "SubfolderBecomesEmpty", changes: []wiki.FileChange{del("a/b/c.md"), del("a/b/d.md")}, remove: []string{"a/b/c.md", "a/b/d.md"}, gone: []string{"a/b"}},
		{name: "Mixed", changes: []wiki.FileChange{put("a/b/c.md", "C3"), del("a/e.md"), put("x/y/new.md", "new"), del("zz/last.md")},
			add: map[string]string{"a/b/c.md": "C3", "x/y/new.md": "new"}, remove: []string{"a/e.md", "zz/last.md"}, gone: []string{"zz"}},
		{name: "MoveIntoFreedName", changes: []wiki.FileChange{del("zz/last.md"), put("zz.md", "z")}, add: map[string]string{"zz.md": "z"}, remove: []string{"zz/last.md"}},
		{name: "DeleteAll", changes: []wiki.FileChange{del("README.md"), del("a/b/c.md"), del("a/b/d.md"), del("a/e.md"), del("x/y/z.md"), del("zz/last.md")},
			remove: []string{"README.md", "a/b/c.md", "a/b/d.md", "a/e.md", "x/y/z.md", "zz/last.md"}, gone: []string{"a", "x", "zz"}},
		{name: "NothingToCommit", changes: []wiki.FileChange{put("a/e.md", "e")}, code: wiki.EINVALID},
		{name: "NoChanges", code: wiki.EINVALID},
		{name: "FileAsFolder", changes: []wiki.FileChange{put("README.md/x.md", "x")}, code: wiki.EINVALID},
		{name: "FolderAsFile", changes: []wiki.FileChange{put("a/b", "x")}, code: wiki.EINVALID},
		{name: "DeleteFolder", changes: []wiki.FileChange{del("a")}, code: wiki.ENOTFOUND},
		{name: "DeleteMissing", changes: []wiki.FileChange{del("nope.md")}, code: wiki.ENOTFOUND},
		{name: "DeleteMissingDeep", changes: []wiki.FileChange{del("q/r/nope.md")}, code: wiki.ENOTFOUND},
		{name: "Duplicate", changes: []wiki.FileChange{put("d.md", "1"), put("d.md", "2")}, code: wiki.EINVALID},
		{name: "FileAndFolderInOneChange", changes: []wiki.FileChange{put("f", "1"), put("f/g.md", "2")}, code: wiki.EINVALID},
		{name: "EscapingPath", changes: []wiki.FileChange{put("../etc/passwd", "x")}, code: wiki.EINVALID},
		{name: "DotGit", changes: []wiki.FileChange{put(".git/config", "x")}, code: wiki.EINVALID},
		{name: "EmptyPath", changes: []wiki.FileChange{put("", "x")}, code: wiki.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir, base := MustSeeded(t)
			c, err := s.Commit(ctx, wiki.CommitRequest{Parent: base.ID, Author: ada, Message: tt.name, Changes: tt.changes})
			if tt.code != "" {
				requireCode(t, err, tt.code)
				if got := MustHead(t, s); got != base.ID {
					t.Fatalf("a failed commit moved main to %s", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Parents, []string{base.ID}) || MustHead(t, s) != c.ID {
				t.Fatalf("commit %+v does not follow %s or is not main", c, base.ID)
			}
			want := maps.Clone(baseFiles)
			maps.Copy(want, tt.add)
			for _, p := range tt.remove {
				delete(want, p)
			}
			if got := MustFiles(t, s, c.ID); !reflect.DeepEqual(got, want) {
				t.Fatalf("files:\n got %v\nwant %v", got, want)
			}
			trees := "\n" + Git(t, dir, "ls-tree", "-r", "-t", "--name-only", "main") + "\n"
			for _, g := range tt.gone {
				if strings.Contains(trees, "\n"+g+"\n") {
					t.Errorf("folder %s still in the tree:%s", g, trees)
				}
			}
			Git(t, dir, "fsck", "--strict")
		})
	}
}

func TestCommitRequest(t *testing.T) {
	s, _, _ := MustSeeded(t)
	tests := []struct {
		name string
		req  wiki.CommitRequest
	}{
		{"EmptyMessage", wiki.CommitRequest{Author: ada, Message: " \n", Changes: []wiki.FileChange{put("m.md", "m")}}},
		{"NoAuthor", wiki.CommitRequest{Message: "m", Changes: []wiki.FileChange{put("m.md", "m")}}},
		{"BadEmail", wiki.CommitRequest{Author: wiki.Signature{Name: "x", Email: "a>b"}, Message: "m", Changes: []wiki.FileChange{put("m.md", "m")}}},
		{"BadParent", wiki.CommitRequest{Parent: "main", Author: ada, Message: "m", Changes: []wiki.FileChange{put("m.md", "m")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Commit(ctx, tt.req)
			requireCode(t, err, wiki.EINVALID)
		})
	}
}
