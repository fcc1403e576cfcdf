package gitstore_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

var (
	ctx = context.Background()
	ada = wiki.Signature{Name: "Ada Lovelace", Email: "ada@example.com", When: time.Date(2024, 3, 1, 12, 0, 0, 0, time.FixedZone("", 3600))}
)

// MustOpen creates an empty repository in a temporary directory and opens it.
func MustOpen(tb testing.TB) (*gitstore.Store, string) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "wiki.git")
	s, err := gitstore.OpenOrInit(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, dir
}

// MustCommit commits changes on parent ("" for whatever main is).
func MustCommit(tb testing.TB, s *gitstore.Store, parent, msg string, changes ...wiki.FileChange) wiki.Commit {
	tb.Helper()
	c, err := s.Commit(ctx, wiki.CommitRequest{Parent: parent, Author: ada, Message: msg, Changes: changes})
	if err != nil {
		tb.Fatalf("commit %q: %v", msg, err)
	}
	return c
}

// MustHead returns main.
func MustHead(tb testing.TB, s *gitstore.Store) string {
	tb.Helper()
	h, err := s.Head(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func put(p, content string) wiki.FileChange {
	return wiki.FileChange{Path: wiki.Path(p), Content: []byte(content)}
}

func del(p string) wiki.FileChange { return wiki.FileChange{Path: wiki.Path(p), Delete: true} }

// MustFiles returns path → content of every file at the commit.
func MustFiles(tb testing.TB, s *gitstore.Store, commit string) map[string]string {
	tb.Helper()
	entries, err := s.List(ctx, commit)
	if err != nil {
		tb.Fatal(err)
	}
	out := make(map[string]string)
	for _, e := range entries {
		b, err := s.ReadBlob(ctx, e.Blob)
		if err != nil {
			tb.Fatal(err)
		}
		if int64(len(b)) != e.Size {
			tb.Errorf("%s: size %d, content %d bytes", e.Path, e.Size, len(b))
		}
		out[string(e.Path)] = string(b)
	}
	return out
}

// Git runs the real git command in dir with a fixed identity and no user
// or system configuration, and returns its trimmed output.
func Git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Bob", "GIT_AUTHOR_EMAIL=bob@example.com",
		"GIT_COMMITTER_NAME=Bob", "GIT_COMMITTER_EMAIL=bob@example.com",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// WriteFiles writes files into a worktree.
func WriteFiles(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for p, c := range files {
		name := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(c), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

func requireCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := wiki.ErrorCode(err); got != code {
		tb.Fatalf("error code %q, want %q (err: %v)", got, code, err)
	}
}
