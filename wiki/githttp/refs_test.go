package githttp_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// chainWithRefs makes n commits in a row in work, each on a branch of its
// own (many/0000 …), with git fast-import, and returns the refspec that
// pushes them all.
func chainWithRefs(tb testing.TB, work string, n int) string {
	tb.Helper()
	parent := Git(tb, work, "rev-parse", "HEAD")
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "commit refs/heads/many/%04d\nmark :%d\ncommitter Bob <bob@example.com> %d +0000\ndata 8\nstep %03d\n", i, i+1, 1700000000+i, i%1000)
		if i == 0 {
			fmt.Fprintf(&b, "from %s\n", parent)
		} else {
			fmt.Fprintf(&b, "from :%d\n", i)
		}
		fmt.Fprintf(&b, "M 100644 inline docs/step.md\ndata %d\n# Step %d\n\n", len(fmt.Sprintf("# Step %d\n", i)), i)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = work
	cmd.Env = gitEnv(tb)
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("git fast-import: %v\n%s", err, out)
	}
	return "refs/heads/many/*:refs/heads/many/*"
}

// TestPushManyRefs pushes 500 branches on a chain of 500 commits in one
// push, deletes them in another, and checks that every ref landed and
// went, with git fsck clean.
func TestPushManyRefs(t *testing.T) {
	r := MustRepo(t, nil)
	work := r.Clone(t)
	spec := chainWithRefs(t, work, 500)
	Git(t, work, "push", "-q", "origin", spec)
	remote := Git(t, work, "ls-remote", "origin", "refs/heads/many/*")
	if n := strings.Count(remote, "refs/heads/many/"); n != 500 {
		t.Fatalf("%d of 500 branches on the server", n)
	}
	if want := Git(t, work, "rev-parse", "many/0123"); !strings.Contains(remote, want+"\trefs/heads/many/0123") {
		t.Fatalf("many/0123 is not at %s", want)
	}
	r.Fsck(t)
	// A clash inside the batch: many/0001/x next to the branch many/0001.
	out, err := GitErr(t, work, "push", "origin", "HEAD:refs/heads/many/0001/x")
	if err == nil || !strings.Contains(out, "clashes with") {
		t.Fatalf("a ref inside a branch's name was accepted:\n%s", out)
	}
	Git(t, r.Dir, "pack-refs", "--all")
	Git(t, work, "push", "-q", "origin", "--delete", "many/0000", "many/0250", "many/0499")
	var dels []string
	for i := range 500 {
		if i != 0 && i != 250 && i != 499 {
			dels = append(dels, fmt.Sprintf(":refs/heads/many/%04d", i))
		}
	}
	Git(t, work, append([]string{"push", "-q", "origin"}, dels...)...)
	if remote := Git(t, work, "ls-remote", "origin", "refs/heads/many/*"); remote != "" {
		t.Fatalf("branches left after deleting them all:\n%.300s", remote)
	}
	r.Fsck(t)
}

// BenchmarkPush5000Refs pushes 5,000 new branches, one per commit of a
// chain, in one git push.
func BenchmarkPush5000Refs(b *testing.B) {
	for range b.N {
		b.StopTimer()
		r := MustRepo(b, nil)
		work := r.Clone(b)
		spec := chainWithRefs(b, work, 5000)
		b.StartTimer()
		Git(b, work, "push", "-q", "origin", spec)
		b.StopTimer()
		if n := strings.Count(Git(b, work, "ls-remote", "origin", "refs/heads/many/*"), "\n") + 1; n != 5000 {
			b.Fatalf("%d refs pushed", n)
		}
	}
}
