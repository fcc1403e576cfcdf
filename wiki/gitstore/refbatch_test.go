package gitstore_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// TestUpdateRefsBatch creates, moves and deletes several hundred refs in
// batches larger than one chunk of locks, with clashes and lost races
// inside a batch reported per ref.
func TestUpdateRefsBatch(t *testing.T) {
	s, dir, base := MustSeeded(t)
	c1 := MustCommit(t, s, base.ID, "one", put("one.md", "1"))
	h := plumbing.NewHash
	zero := plumbing.ZeroHash
	var ups []gitstore.RefUpdate
	for i := range 600 {
		ups = append(ups, gitstore.RefUpdate{Name: fmt.Sprintf("refs/tags/t/%03d", i), New: h(base.ID)})
	}
	ups = append(ups,
		gitstore.RefUpdate{Name: "refs/tags/t/001/x", New: h(base.ID)},              // clashes with t/001 of this batch
		gitstore.RefUpdate{Name: "refs/tags/t/002", New: h(c1.ID)},                  // twice in one batch
		gitstore.RefUpdate{Name: "refs/heads/main", Old: h(base.ID), New: h(c1.ID)}, // stale
	)
	errs := s.UpdateRefs(ctx, ups, ada, "batch")
	for i := range 600 {
		if errs[i] != nil {
			t.Fatalf("%s: %v", ups[i].Name, errs[i])
		}
	}
	if wiki.ErrorCode(errs[600]) != wiki.ECONFLICT {
		t.Errorf("clash inside the batch: %v", errs[600])
	}
	if wiki.ErrorCode(errs[601]) != wiki.EINVALID {
		t.Errorf("a ref named twice: %v", errs[601])
	}
	if !errors.Is(errs[602], wiki.ErrRefMoved) {
		t.Errorf("stale main: %v", errs[602])
	}
	refs, _, err := s.Refs()
	if err != nil || len(refs) != 601 {
		t.Fatalf("%d refs, %v", len(refs), err)
	}
	mustFsck(t, dir)
	// Pack them, then move half and delete the other half in one batch:
	// one packed-refs rewrite per chunk drops the deleted ones.
	Git(t, dir, "pack-refs", "--all")
	ups = ups[:0]
	for i := range 600 {
		u := gitstore.RefUpdate{Name: fmt.Sprintf("refs/tags/t/%03d", i), Old: h(base.ID), New: h(c1.ID)}
		if i%2 == 1 {
			u.New = zero
		}
		ups = append(ups, u)
	}
	for i, err := range s.UpdateRefs(ctx, ups, ada, "batch") {
		if err != nil {
			t.Fatalf("%s: %v", ups[i].Name, err)
		}
	}
	refs, _, _ = s.Refs()
	if len(refs) != 301 {
		t.Fatalf("%d refs after deleting 300 of 600", len(refs))
	}
	for _, r := range refs {
		if r.Name != "refs/heads/main" && r.Hash != h(c1.ID) {
			t.Fatalf("%s at %s", r.Name, r.Hash)
		}
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "refs", "tags", "t", "*.lock")); len(matches) > 0 {
		t.Fatalf("lock files left: %v", matches)
	}
	if _, err := os.Stat(filepath.Join(dir, "packed-refs.lock")); err == nil {
		t.Fatal("packed-refs.lock left")
	}
	mustFsck(t, dir)
}

// BenchmarkUpdateRefs5000 creates 5,000 tags in one batch.
func BenchmarkUpdateRefs5000(b *testing.B) {
	for range b.N {
		b.StopTimer()
		s, _, base := MustSeeded(b)
		ups := make([]gitstore.RefUpdate, 5000)
		for i := range ups {
			ups[i] = gitstore.RefUpdate{Name: fmt.Sprintf("refs/tags/t/%04d", i), New: plumbing.NewHash(base.ID)}
		}
		b.StartTimer()
		for _, err := range s.UpdateRefs(ctx, ups, ada, "bench") {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
