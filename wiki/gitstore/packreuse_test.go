package gitstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// shrinking is a page whose later versions are shorter, so git stores the
// new version as a delta of the old one (it bases deltas on the larger
// object): a fetch of the new version can then be sent as a delta only
// to a client that has the old one.
func shrinking(version, lines int) string {
	var b strings.Builder
	for i := range lines {
		fmt.Fprintf(&b, "line %d: drain the queue, then restart the consumer.\n", i)
	}
	return b.String() + "version " + strconv.Itoa(version) + "\n"
}

// TestSendPackReuse checks that stored pack entries are copied rather
// than inflated and compressed again: all of them in a clone of a packed
// repository, as offset deltas with ofs-delta and as reference deltas
// without; loose objects are compressed afresh. Every pack is indexed with
// git index-pack --strict.
func TestSendPackReuse(t *testing.T) {
	w := newWorkRepo(t)
	for i := range 12 {
		w.commit(fmt.Sprintf("edit %d", i), map[string]string{
			"runbooks/disk.md":             page("disk", strconv.Itoa(i)),
			"runbooks/queue.md":            page("queue", strconv.Itoa(i%3)),
			fmt.Sprintf("notes/n%d.md", i): page("note", strconv.Itoa(i)),
		})
	}
	w.git("repack", "-adfq", "--depth=50", "--window=50")
	s, err := gitstore.Open(filepath.Join(w.dir, ".git"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	head := plumbing.NewHash(w.git("rev-parse", "HEAD"))

	t.Run("Packed", func(t *testing.T) {
		for _, ofs := range []bool{true, false} {
			pack, st := mustSendPack(t, s, gitstore.SendRequest{Wants: []plumbing.Hash{head}, OfsDelta: ofs})
			if st.Reused != st.Objects || st.Deltas == 0 {
				t.Errorf("ofs-delta %v: %+v; want every object reused, some as deltas", ofs, st)
			}
			entries := scanPack(t, pack)
			ofsDeltas, refDeltas := entries[plumbing.OFSDeltaObject], entries[plumbing.REFDeltaObject]
			if ofs && (ofsDeltas != st.Deltas || refDeltas != 0) || !ofs && (refDeltas != st.Deltas || ofsDeltas != 0) {
				t.Errorf("ofs-delta %v: %d offset and %d reference deltas, %d deltas sent", ofs, ofsDeltas, refDeltas, st.Deltas)
			}
			mustIndexPack(t, copyRepo(t, mustClient(t, w, nil)), pack)
		}
	})

	t.Run("LooseOnTop", func(t *testing.T) {
		later := w.commit("loose", map[string]string{"runbooks/disk.md": page("disk", "loose")})
		pack, st := mustSendPack(t, s, gitstore.SendRequest{Wants: []plumbing.Hash{plumbing.NewHash(later)}, OfsDelta: true})
		// The new commit, its root and runbooks trees and the new blob.
		if st.Objects-st.Reused != 4 {
			t.Errorf("%+v: want 4 loose objects compressed afresh", st)
		}
		mustIndexPack(t, copyRepo(t, mustClient(t, w, nil)), pack)
	})

	t.Run("ThinOnlyWhenAsked", func(t *testing.T) {
		w := newWorkRepo(t)
		old := w.commit("long", map[string]string{"f.md": shrinking(1, 200)})
		w.commit("short", map[string]string{"f.md": shrinking(2, 150)})
		w.git("repack", "-adfq")
		s, err := gitstore.Open(filepath.Join(w.dir, ".git"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		req := gitstore.SendRequest{Wants: []plumbing.Hash{plumbing.NewHash(w.git("rev-parse", "HEAD"))},
			Haves: []plumbing.Hash{plumbing.NewHash(old)}, OfsDelta: true}
		client := mustClient(t, w, []string{old})

		pack, st := mustSendPack(t, s, req)
		if st.Deltas != 0 {
			t.Errorf("%+v: a delta on a base the pack lacks, without thin-pack", st)
		}
		mustIndexPack(t, copyRepo(t, client), pack) // no --fix-thin

		req.ThinPack = true
		pack, st = mustSendPack(t, s, req)
		if st.Deltas != 1 || scanPack(t, pack)[plumbing.REFDeltaObject] != 1 {
			t.Errorf("%+v: want the new version as a delta of the one the client has", st)
		}
		repo := copyRepo(t, client)
		mustIndexPack(t, repo, pack, "--fix-thin")
		mustComplete(t, repo, []string{w.git("rev-parse", "HEAD")})
	})
}

// TestSendPackDamagedPack: an entry that does not match the CRC the pack's
// index keeps is not sent.
func TestSendPackDamagedPack(t *testing.T) {
	w := newWorkRepo(t)
	head := w.commit("one", map[string]string{"f.md": page("f", "1")})
	w.git("repack", "-adfq")
	blob := w.git("rev-parse", "HEAD:f.md")
	var off int64
	for line := range strings.SplitSeq(w.git("verify-pack", "-v", packIndexOf(t, w)), "\n") {
		if f := strings.Fields(line); len(f) >= 5 && f[0] == blob {
			off, _ = strconv.ParseInt(f[4], 10, 64)
		}
	}
	name := strings.TrimSuffix(packIndexOf(t, w), ".idx") + ".pack"
	os.Chmod(name, 0o644)
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	f.ReadAt(b[:], off+10)
	b[0] ^= 0x55
	f.WriteAt(b[:], off+10)
	f.Close()
	s, err := gitstore.Open(filepath.Join(w.dir, ".git"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.SendPack(ctx, io.Discard, gitstore.SendRequest{Wants: []plumbing.Hash{plumbing.NewHash(head)}})
	if err == nil || !strings.Contains(err.Error(), "CRC") {
		t.Fatalf("SendPack from a damaged pack: %v", err)
	}
}

func packIndexOf(tb testing.TB, w *workRepo) string {
	tb.Helper()
	m, _ := filepath.Glob(filepath.Join(w.dir, ".git", "objects", "pack", "*.idx"))
	if len(m) != 1 {
		tb.Fatalf("%d packs", len(m))
	}
	return m[0]
}

// TestSendPackWhileRepacked removes, in the middle of sending, the pack
// and the loose objects the pack is being made from: the store's own
// Repack packs its loose objects and removes them, git gc packs everything
// anew. What was found before is still read (the pack files stay open; a
// loose object gone is found in the new pack). Repack does not wait for a
// client that is slow to read: it finishes while the pack is half sent.
func TestSendPackWhileRepacked(t *testing.T) {
	s, dir := MustBenchRepo(t)
	for _, tc := range []struct {
		name   string
		during func(t *testing.T) (after func())
	}{
		{"Repack", func(t *testing.T) func() {
			st, err := s.Repack(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Packed == 0 || looseCount(t, dir) != 0 {
				t.Fatalf("Repack: %+v, %d loose objects left", st, looseCount(t, dir))
			}
			return func() {}
		}},
		{"GitGC", func(t *testing.T) func() {
			Git(t, dir, "gc", "-q", "--prune=now")
			return func() {}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var changes []wiki.FileChange
			for i := range gitstore.LooseLimit + 10 {
				changes = append(changes, put(fmt.Sprintf("loose-%s/p%04d.md", tc.name, i), page("loose", strconv.Itoa(i))))
			}
			head := MustCommit(t, s, "", "loose pages", changes...)
			pr, pw := io.Pipe()
			sent := make(chan error, 1)
			go func() {
				_, err := s.SendPack(ctx, pw, gitstore.SendRequest{Wants: []plumbing.Hash{plumbing.NewHash(head.ID)}, OfsDelta: true})
				pw.CloseWithError(err)
				sent <- err
			}()
			var pack bytes.Buffer
			if _, err := io.CopyN(&pack, pr, 4096); err != nil {
				t.Fatal(err)
			}
			after := tc.during(t)
			if _, err := io.Copy(&pack, pr); err != nil {
				t.Fatal(err)
			}
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
			after()
			fresh := filepath.Join(t.TempDir(), "fresh.git")
			Git(t, "", "init", "-q", "--bare", "-b", "main", fresh)
			mustIndexPack(t, fresh, pack.Bytes())
			mustComplete(t, fresh, []string{head.ID})
		})
	}
}

// TestSendPackCanceled stops when the client goes away.
func TestSendPackCanceled(t *testing.T) {
	s, _ := MustBenchRepo(t)
	head := MustHead(t, s)
	c, cancel := context.WithCancel(ctx)
	defer cancel()
	w := writerFunc(func(p []byte) (int, error) { cancel(); return len(p), nil })
	_, err := s.SendPack(c, w, gitstore.SendRequest{Wants: []plumbing.Hash{plumbing.NewHash(head)}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("SendPack after the client left: %v", err)
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
