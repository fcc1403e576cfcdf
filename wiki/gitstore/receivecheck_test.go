package gitstore_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// rawTree encodes tree entries ("mode name" → object id) in the order
// given.
func rawTree(entries ...string) string {
	var b bytes.Buffer
	for i := 0; i < len(entries); i += 2 {
		h := plumbing.NewHash(entries[i+1])
		b.WriteString(entries[i] + "\x00")
		b.Write(h[:])
	}
	return b.String()
}

// TestCheckEntryTypes pushes trees whose entries' modes contradict the
// objects they name, in the push or in the repository: each is refused
// with a message naming the path, never read as the wrong type.
func TestCheckEntryTypes(t *testing.T) {
	s, dir, base := MustSeeded(t)
	work := filepath.Join(t.TempDir(), "work")
	Git(t, "", "clone", "-q", dir, work)
	blob := gitInput(t, work, "# x\n", "hash-object", "-w", "--stdin")
	sub := gitInput(t, work, rawTree("100644 a.md", blob), "hash-object", "-w", "-t", "tree", "--literally", "--stdin")
	stored := Git(t, work, "rev-parse", "HEAD^{tree}")
	for _, tc := range []struct {
		name, tree string
		objects    []string
		want       string
	}{
		{"BlobModeTree", rawTree("40000 docs", sub, "100644 x.md", sub), []string{sub, blob}, "x.md: the pushed tree"},
		{"TreeModeBlob", rawTree("40000 docs", blob), []string{blob}, "docs: the pushed tree"},
		{"BlobModeStoredTree", rawTree("100644 x.md", stored), nil, "x.md: the pushed tree"},
		{"SymlinkModeTree", rawTree("120000 x.md", sub), []string{sub, blob}, "x.md: the pushed tree"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree := gitInput(t, work, tc.tree, "hash-object", "-w", "-t", "tree", "--literally", "--stdin")
			commit := gitInput(t, work, "bad\n", "commit-tree", tree, "-p", base.ID)
			list := strings.Join(append([]string{commit, tree}, tc.objects...), "\n") + "\n"
			pack := gitInput(t, work, list, "pack-objects", "--stdout", "-q")
			in, err := s.ReceivePack(ctx, strings.NewReader(pack), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			_, err = in.Check(ctx, plumbing.NewHash(commit))
			requireCode(t, err, wiki.EINVALID)
			if msg := wiki.ErrorMessage(err); !strings.HasPrefix(msg, tc.want) || !strings.Contains(msg, "but it is a") {
				t.Fatalf("message: %s", msg)
			}
		})
	}
}

// TestCheckSharedHistory checks 300 tips on one chain of commits, one of
// which has a tree git refuses: the tips below it pass, those above fail
// at once, and Accept writes what the passing tips reach, nothing more.
func TestCheckSharedHistory(t *testing.T) {
	s, dir, base := MustSeeded(t)
	work := filepath.Join(t.TempDir(), "work")
	Git(t, "", "clone", "-q", dir, work)
	var stream strings.Builder
	for i := range 300 {
		fmt.Fprintf(&stream, "commit refs/heads/x%03d\nmark :%d\ncommitter Bob <bob@example.com> %d +0000\ndata 2\nc\n", i, i+1, 1700000000+i)
		if i == 0 {
			fmt.Fprintf(&stream, "from %s\n", base.ID)
		} else {
			fmt.Fprintf(&stream, "from :%d\n", i)
		}
		name := fmt.Sprintf("p%03d.md", i)
		if i == 150 {
			name = "GIT~1/p.md" // fast-import does not check names
		}
		fmt.Fprintf(&stream, "M 100644 inline %s\ndata 4\n%03d\n", name, i)
	}
	gitInput(t, work, stream.String(), "fast-import", "--quiet")
	pack := packOf(t, work, false, "x299", "^origin/main")
	in, err := s.ReceivePack(ctx, bytes.NewReader(pack), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var good []plumbing.Hash
	for i := range 300 {
		tip := plumbing.NewHash(Git(t, work, "rev-parse", fmt.Sprintf("x%03d", i)))
		_, err := in.Check(ctx, tip)
		switch {
		case i < 150 && err != nil:
			t.Fatalf("c%03d: %v", i, err)
		case i >= 150 && !strings.Contains(wiki.ErrorMessage(err), "GIT~1:"):
			t.Fatalf("c%03d: %v", i, err)
		case i < 150:
			good = append(good, tip)
		}
	}
	if err := in.Accept(ctx, good...); err != nil {
		t.Fatal(err)
	}
	if err := in.Accept(ctx, plumbing.NewHash(Git(t, work, "rev-parse", "x150"))); err == nil {
		t.Fatal("a refused tip was accepted")
	}
	// 150 commits, their trees and blobs: nothing of c150 and later.
	for i, want := range map[int]bool{0: true, 149: true, 150: false, 299: false} {
		c := Git(t, work, "rev-parse", fmt.Sprintf("x%03d", i))
		if got := s.ObjectType(plumbing.NewHash(c)) != plumbing.InvalidObject; got != want {
			t.Errorf("c%03d stored: %v", i, got)
		}
	}
	mustFsck(t, dir)
}
