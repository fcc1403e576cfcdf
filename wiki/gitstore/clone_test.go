package gitstore_test

import (
	"errors"
	"fmt"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

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
			if _, err := gitstore.Clone(ctx, src, dst); err != nil {
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
		if _, err := gitstore.Clone(ctx, "file://"+bare, dst); err != nil {
			t.Fatal(err)
		}
		requireCloned(t, bare, "trunk", dst)
	})
	t.Run("KeepsSourceMain", func(t *testing.T) {
		src := MustSourceRepo(t, "master")
		Git(t, src, "branch", "main", "HEAD~2")
		dst := filepath.Join(t.TempDir(), "wiki.git")
		if _, err := gitstore.Clone(ctx, src, dst); err != nil {
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
		if _, err := gitstore.Clone(ctx, srv.URL+"/src.git", dst); err != nil {
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
			_, err := gitstore.Clone(ctx, src, dst)
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
		if _, err := gitstore.Clone(ctx, src, filepath.Join(t.TempDir(), "w")); err == nil {
			t.Fatal("Clone of a repository without commits succeeded")
		}
	})
	t.Run("DestinationNotEmpty", func(t *testing.T) {
		src := MustSourceRepo(t, "master")
		dst := t.TempDir()
		WriteFiles(t, dst, map[string]string{"keep.txt": "x"})
		if _, err := gitstore.Clone(ctx, src, dst); err == nil {
			t.Fatal("Clone into a non-empty folder succeeded")
		}
	})
}

// MustWildRepo makes a source as repositories in the wild are: hundreds
// of branches, annotated tags, a merge and a rename on a side branch, and
// two refs whose objects are not all there (a branch whose newest blob was
// lost, a tag of a commit whose tree was). It returns the repository and
// the names of the broken refs.
func MustWildRepo(tb testing.TB, branches int) (string, []string) {
	tb.Helper()
	src := MustSourceRepo(tb, "master")
	var stdin strings.Builder
	head := Git(tb, src, "rev-parse", "HEAD")
	for i := range branches {
		fmt.Fprintf(&stdin, "create refs/heads/topic/%04d %s\n", i, head)
	}
	cmd := exec.Command("git", "update-ref", "--stdin")
	cmd.Dir, cmd.Stdin = src, strings.NewReader(stdin.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("update-ref: %v\n%s", err, out)
	}
	for i := range 20 {
		Git(tb, src, "tag", "-a", "-m", fmt.Sprint("release ", i), fmt.Sprintf("v2.%d", i), "HEAD~"+fmt.Sprint(i%4))
	}
	// A merge and a rename on a side branch.
	Git(tb, src, "checkout", "-q", "-b", "renames", "HEAD~2")
	Git(tb, src, "mv", "docs/0.md", "docs/zero.md")
	Git(tb, src, "commit", "-q", "-m", "rename")
	Git(tb, src, "merge", "-q", "--no-edit", "feature")
	// A branch whose newest blob is gone.
	Git(tb, src, "checkout", "-q", "-b", "broken-blob", "master")
	WriteFiles(tb, src, map[string]string{"lost.md": "this blob will be lost"})
	Git(tb, src, "add", "-A")
	Git(tb, src, "commit", "-q", "-m", "soon broken")
	blob := Git(tb, src, "rev-parse", "HEAD:lost.md")
	// A tag of a commit whose tree is gone.
	Git(tb, src, "checkout", "-q", "--orphan", "orphan")
	WriteFiles(tb, src, map[string]string{"orphan-only.md": "unique tree"})
	Git(tb, src, "add", "orphan-only.md")
	Git(tb, src, "commit", "-q", "-m", "orphan")
	tree := Git(tb, src, "rev-parse", "HEAD^{tree}")
	Git(tb, src, "tag", "-a", "-m", "orphaned", "v0-orphan")
	Git(tb, src, "checkout", "-q", "-f", "master")
	Git(tb, src, "branch", "-D", "orphan")
	for _, id := range []string{blob, tree} {
		if err := os.Remove(filepath.Join(src, ".git", "objects", id[:2], id[2:])); err != nil {
			tb.Fatal(err)
		}
	}
	return src, []string{"refs/heads/broken-blob", "refs/tags/v0-orphan"}
}

// A source missing objects on side refs: main and every whole ref are
// imported, the broken refs are left out and named with the reason, and
// the result is a sound repository, from a folder and over HTTP.
func TestCloneWildSource(t *testing.T) {
	src, broken := MustWildRepo(t, 300)
	check := func(t *testing.T, dst string, skipped []gitstore.SkippedRef, wantRefs int, reason string) {
		t.Helper()
		var names []string
		for _, r := range skipped {
			names = append(names, r.Name)
			if !strings.Contains(r.Reason, reason) || strings.ContainsFunc(r.Reason, unicode.IsControl) {
				t.Errorf("%s left out for %q, want a reason saying %q", r.Name, r.Reason, reason)
			}
		}
		if strings.Join(names, " ") != strings.Join(broken, " ") {
			t.Errorf("left out %v, want %v", names, broken)
		}
		requireCloned(t, src, "master", dst)
		if got, want := Git(t, dst, "rev-parse", "renames"), Git(t, src, "rev-parse", "renames"); got != want {
			t.Errorf("renames is %s, want %s", got, want)
		}
		refs := strings.Split(Git(t, dst, "for-each-ref", "--format=%(refname)"), "\n")
		if len(refs) != wantRefs {
			t.Errorf("%d refs in the wiki, want %d", len(refs), wantRefs)
		}
	}
	// master, feature, renames, 300 topics; v1 and 20 more tags.
	const whole = 3 + 300 + 21
	t.Run("Folder", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "wiki.git")
		skipped, err := gitstore.Clone(ctx, src, dst)
		if err != nil {
			t.Fatal(err)
		}
		// main is added beside master.
		check(t, dst, skipped, whole+1, "object not found")
	})
	t.Run("HTTP", func(t *testing.T) {
		gitBin, err := exec.LookPath("git")
		if err != nil {
			t.Skip("no git binary")
		}
		srv := httptest.NewServer(&cgi.Handler{Path: gitBin, Args: []string{"http-backend"},
			Env: []string{"GIT_PROJECT_ROOT=" + filepath.Dir(src), "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null"}})
		defer srv.Close()
		dst := filepath.Join(t.TempDir(), "wiki.git")
		skipped, err := gitstore.Clone(ctx, srv.URL+"/src/.git", dst)
		if err != nil {
			t.Fatal(err)
		}
		// git's upload-pack says only that the source is damaged.
		check(t, dst, skipped, whole+1, "corruption")
	})
	t.Run("BrokenDefaultBranch", func(t *testing.T) {
		Git(t, src, "checkout", "-q", "broken-blob")
		defer Git(t, src, "checkout", "-q", "-f", "master")
		dst := filepath.Join(t.TempDir(), "wiki.git")
		if _, err := gitstore.Clone(ctx, src, dst); err == nil || !strings.Contains(err.Error(), "default branch") {
			t.Fatalf("Clone with a broken default branch: %v", err)
		}
		if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed clone left %s behind", dst)
		}
	})
}
