package gitstore_test

import (
	"errors"
	"fmt"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/opswiki/opswiki/wiki/gitstore"
)

// MustSourceRepo makes a non-bare repository whose default branch is
// master, with five commits, a feature branch and an annotated tag.
func MustSourceRepo(tb testing.TB, branch string) string {
	tb.Helper()
	src := filepath.Join(tb.TempDir(), "src")
	Git(tb, filepath.Dir(src), "init", "-q", "-b", branch, src)
	for i := range 5 {
		WriteFiles(tb, src, map[string]string{fmt.Sprintf("docs/%d.md", i): fmt.Sprint(i), "README.md": fmt.Sprint("v", i)})
		Git(tb, src, "add", "-A")
		Git(tb, src, "commit", "-q", "-m", fmt.Sprint("commit ", i))
	}
	Git(tb, src, "tag", "-a", "-m", "release", "v1")
	Git(tb, src, "checkout", "-q", "-b", "feature")
	WriteFiles(tb, src, map[string]string{"feature.md": "f"})
	Git(tb, src, "add", "-A")
	Git(tb, src, "commit", "-q", "-m", "feature")
	Git(tb, src, "checkout", "-q", branch)
	return src
}

// requireCloned checks that dst is a copy of src whose main is src's branch.
func requireCloned(tb testing.TB, src, branch, dst string) {
	tb.Helper()
	if !gitstore.IsRepository(dst) {
		tb.Fatal("no repository after Clone")
	}
	if got, want := Git(tb, dst, "rev-parse", "main"), Git(tb, src, "rev-parse", branch); got != want {
		tb.Fatalf("main is %s, want %s's %s", got, branch, want)
	}
	if got, want := Git(tb, dst, "rev-list", "--count", "main"), Git(tb, src, "rev-list", "--count", branch); got != want {
		tb.Fatalf("main has %s commits, source %s", got, want)
	}
	if got := Git(tb, dst, "symbolic-ref", "HEAD"); got != "refs/heads/main" {
		tb.Fatalf("HEAD names %s", got)
	}
	if got, want := Git(tb, dst, "rev-parse", "feature", "v1"), Git(tb, src, "rev-parse", "feature", "v1"); got != want {
		tb.Fatalf("branches and tags: %s, want %s", got, want)
	}
	Git(tb, dst, "fsck", "--strict")
	s, err := gitstore.Open(dst)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	log, err := s.Log(ctx, MustHead(tb, s), 0)
	if err != nil || len(log) != 5 {
		tb.Fatalf("Log after clone: %d entries, %v", len(log), err)
	}
	MustCommit(tb, s, "", "first wiki edit", put("wiki.md", "w"))
	Git(tb, dst, "fsck", "--strict")
}

func TestClone(t *testing.T) {
	t.Run("LocalMaster", func(t *testing.T) {
		src := MustSourceRepo(t, "master")
		dst := filepath.Join(t.TempDir(), "data", "wiki.git")
		t.Run("WithoutGitBinary", func(t *testing.T) {
			t.Setenv("PATH", "")
			if err := gitstore.Clone(ctx, src, dst); err != nil {
				t.Fatal(err)
			}
		})
		requireCloned(t, src, "master", dst)
	})
	t.Run("BareFileURL", func(t *testing.T) {
		src := MustSourceRepo(t, "trunk")
		bare := filepath.Join(t.TempDir(), "src.git")
		Git(t, filepath.Dir(bare), "clone", "-q", "--bare", src, bare)
		dst := t.TempDir() // exists and is empty
		if err := gitstore.Clone(ctx, "file://"+bare, dst); err != nil {
			t.Fatal(err)
		}
		requireCloned(t, bare, "trunk", dst)
	})
	t.Run("KeepsSourceMain", func(t *testing.T) {
		src := MustSourceRepo(t, "master")
		Git(t, src, "branch", "main", "HEAD~2")
		dst := filepath.Join(t.TempDir(), "wiki.git")
		if err := gitstore.Clone(ctx, src, dst); err != nil {
			t.Fatal(err)
		}
		requireCloned(t, src, "master", dst)
		if got, want := Git(t, dst, "rev-parse", "source-main"), Git(t, src, "rev-parse", "main"); got != want {
			t.Fatalf("source-main %s, want %s", got, want)
		}
	})
	t.Run("HTTP", func(t *testing.T) {
		src := MustSourceRepo(t, "master")
		root := t.TempDir()
		Git(t, root, "clone", "-q", "--bare", src, filepath.Join(root, "src.git"))
		gitBin, err := exec.LookPath("git")
		if err != nil {
			t.Skip("no git binary")
		}
		srv := httptest.NewServer(&cgi.Handler{Path: gitBin, Args: []string{"http-backend"},
			Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null"}})
		defer srv.Close()
		dst := filepath.Join(t.TempDir(), "wiki.git")
		if err := gitstore.Clone(ctx, srv.URL+"/src.git", dst); err != nil {
			t.Fatal(err)
		}
		requireCloned(t, src, "master", dst)
		if got := Git(t, dst, "remote"); got != "" {
			t.Fatalf("the clone remembers remotes: %q", got)
		}
	})
	t.Run("ErrNotRepository", func(t *testing.T) {
		parent := t.TempDir()
		dst := filepath.Join(parent, "wiki.git")
		for _, src := range []string{t.TempDir(), filepath.Join(parent, "missing")} {
			err := gitstore.Clone(ctx, src, dst)
			if !errors.Is(err, gitstore.ErrNotRepository) {
				t.Fatalf("Clone(%s): %v, want ErrNotRepository", src, err)
			}
		}
		if ents, _ := os.ReadDir(parent); len(ents) != 0 {
			t.Fatalf("a failed clone left %v behind", ents)
		}
	})
	t.Run("NoCommits", func(t *testing.T) {
		src := filepath.Join(t.TempDir(), "empty")
		Git(t, filepath.Dir(src), "init", "-q", src)
		if err := gitstore.Clone(ctx, src, filepath.Join(t.TempDir(), "w")); err == nil {
			t.Fatal("Clone of a repository without commits succeeded")
		}
	})
	t.Run("DestinationNotEmpty", func(t *testing.T) {
		src := MustSourceRepo(t, "master")
		dst := t.TempDir()
		WriteFiles(t, dst, map[string]string{"keep.txt": "x"})
		if err := gitstore.Clone(ctx, src, dst); err == nil {
			t.Fatal("Clone into a non-empty folder succeeded")
		}
	})
}
