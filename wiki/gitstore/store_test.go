package gitstore_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

func TestOpen(t *testing.T) {
	t.Run("OpenOrInitCreates", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data", "wiki.git")
		if gitstore.IsRepository(dir) {
			t.Fatal("IsRepository before init")
		}
		s, err := gitstore.OpenOrInit(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if !gitstore.IsRepository(dir) {
			t.Fatal("IsRepository after init")
		}
		if _, err := s.Head(ctx); !errors.Is(err, wiki.ErrEmpty) {
			t.Fatalf("Head of new repository: %v, want ErrEmpty", err)
		}
		if got := Git(t, dir, "symbolic-ref", "HEAD"); got != "refs/heads/main" {
			t.Fatalf("HEAD names %s", got)
		}
		if got := Git(t, dir, "rev-parse", "--is-bare-repository"); got != "true" {
			t.Fatalf("bare: %s", got)
		}
	})
	t.Run("OpenOrInitEmptyDir", func(t *testing.T) {
		dir := t.TempDir()
		s, err := gitstore.OpenOrInit(dir)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	})
	t.Run("ErrNotRepository", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{dir, filepath.Join(dir, "missing")} {
			if _, err := gitstore.Open(d); !errors.Is(err, gitstore.ErrNotRepository) {
				t.Errorf("Open(%s): %v, want ErrNotRepository", d, err)
			}
		}
		if _, err := gitstore.OpenOrInit(dir); !errors.Is(err, gitstore.ErrNotRepository) {
			t.Errorf("OpenOrInit of a non-empty folder: %v, want ErrNotRepository", err)
		}
	})
	t.Run("NotWritable", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes through permission bits")
		}
		_, dir := MustOpen(t)
		objects := filepath.Join(dir, "objects")
		if err := os.Chmod(objects, 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(objects, 0o755)
		if _, err := gitstore.Open(dir); err == nil {
			t.Fatal("Open of a read-only repository succeeded")
		}
	})
	t.Run("OpensGitInit", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "r.git")
		Git(t, t.TempDir(), "init", "--bare", "-b", "main", dir)
		s, err := gitstore.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		MustCommit(t, s, "", "first", put("a.md", "a"))
		Git(t, dir, "fsck", "--strict")
	})
}

func TestSeed(t *testing.T) {
	files := fstest.MapFS{
		"README.md":                  {Data: []byte("# Home\n")},
		"runbooks/disk-full.md":      {Data: []byte("# Disk full\n")},
		"runbooks/db/replica.md":     {Data: []byte("# Replica lag\n")},
		"services/api.md":            {Data: []byte("# API\n")},
		".git/config":                {Data: []byte("[core]\n")},
		".hidden.md":                 {Data: []byte("no")},
		"runbooks/.draft/x.md":       {Data: []byte("no")},
		"static/logo.svg":            {Data: []byte("<svg/>")},
		"postmortems/2024/outage.md": {Data: []byte("")},
	}
	s, dir := MustOpen(t)
	c, err := s.Seed(ctx, files, ada, "Seed the wiki")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Parents) != 0 || c.Message != "Seed the wiki\n" || c.Author.Name != ada.Name || !c.Author.When.Equal(ada.When) {
		t.Fatalf("seed commit: %+v", c)
	}
	if got := MustHead(t, s); got != c.ID {
		t.Fatalf("Head %s, want %s", got, c.ID)
	}
	want := map[string]string{
		"README.md":                  "# Home\n",
		"runbooks/disk-full.md":      "# Disk full\n",
		"runbooks/db/replica.md":     "# Replica lag\n",
		"services/api.md":            "# API\n",
		"static/logo.svg":            "<svg/>",
		"postmortems/2024/outage.md": "",
	}
	if got := MustFiles(t, s, c.ID); !reflect.DeepEqual(got, want) {
		t.Fatalf("files:\n got %v\nwant %v", got, want)
	}
	Git(t, dir, "fsck", "--strict")

	t.Run("ErrConflict", func(t *testing.T) {
		_, err := s.Seed(ctx, files, ada, "again")
		requireCode(t, err, wiki.ECONFLICT)
	})
	t.Run("Empty", func(t *testing.T) {
		s2, _ := MustOpen(t)
		_, err := s2.Seed(ctx, fstest.MapFS{".git/x": {Data: []byte("x")}}, ada, "empty")
		requireCode(t, err, wiki.EINVALID)
	})
}
