package gitstore_test

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// Pack entry type codes, as git writes them.
const (
	packBlob     = 3
	packOFSDelta = 6
	packREFDelta = 7
)

// entryHeader encodes a pack entry's type and declared size, any size.
func entryHeader(code byte, size uint64) []byte {
	b := []byte{code<<4 | byte(size&0x0f)}
	size >>= 4
	for size > 0 {
		b[len(b)-1] |= 0x80
		b = append(b, byte(size&0x7f))
		size >>= 7
	}
	return b
}

// ofsOffset encodes an OFS_DELTA's distance back to its base.
func ofsOffset(off uint64) []byte {
	b := []byte{byte(off & 0x7f)}
	for off >>= 7; off > 0; off >>= 7 {
		off--
		b = append([]byte{0x80 | byte(off&0x7f)}, b...)
	}
	return b
}

func deflate(data []byte) []byte {
	var b bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// deltaVarint encodes a size of a delta's header.
func deltaVarint(n uint64) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// rawPack frames entries as a version 2 pack of count objects, with its
// checksum.
func rawPack(count uint32, entries ...[]byte) []byte {
	var b bytes.Buffer
	b.WriteString("PACK")
	binary.Write(&b, binary.BigEndian, uint32(2))
	binary.Write(&b, binary.BigEndian, count)
	for _, e := range entries {
		b.Write(e)
	}
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	return b.Bytes()
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// longestFile returns the content of the longest file at the commit.
func longestFile(tb testing.TB, s *gitstore.Store, commit string) []byte {
	tb.Helper()
	var longest string
	for _, c := range MustFiles(tb, s, commit) {
		if len(c) > len(longest) {
			longest = c
		}
	}
	return []byte(longest)
}

// TestReceivePackLimits sends packs whose headers lie about sizes: each
// is refused with a clear error before the lie is believed, allocating
// little whatever it declares.
func TestReceivePackLimits(t *testing.T) {
	s, _, base := MustSeeded(t)
	stored := longestFile(t, s, base.ID)
	storedID := plumbing.ComputeHash(plumbing.BlobObject, stored)
	zeros := deflate(make([]byte, 24<<20))
	blob := []byte("# A page\n\nSome text that a delta copies from.\n")
	blobEntry := cat(entryHeader(packBlob, uint64(len(blob))), deflate(blob))
	delta := func(src, dst uint64, ops ...byte) []byte {
		return cat(deltaVarint(src), deltaVarint(dst), ops)
	}
	ref := func(base plumbing.Hash, d []byte) []byte {
		return cat(entryHeader(packREFDelta, uint64(len(d))), base[:], deflate(d))
	}
	ofs := func(d []byte) []byte {
		return cat(entryHeader(packOFSDelta, uint64(len(d))), ofsOffset(uint64(len(blobEntry))), deflate(d))
	}
	for _, tc := range []struct {
		name string
		pack []byte
		code string
		msg  string
	}{
		{"HugeBlobHeader", rawPack(1, cat(entryHeader(packBlob, 1<<40), deflate([]byte("tiny")))), wiki.ETOOLARGE, "limit"},
		{"BlobHeaderOverRemaining", rawPack(1, cat(entryHeader(packBlob, 10<<20), deflate([]byte("tiny")))), wiki.EINVALID, "compressed bytes left"},
		{"BlobOverObjectLimit", rawPack(1, cat(entryHeader(packBlob, 24<<20), zeros)), wiki.ETOOLARGE, "for one object"},
		{"LongerThanDeclared", rawPack(1, cat(entryHeader(packBlob, 4), deflate([]byte("much longer than four bytes")))), wiki.EINVALID, "longer than its header"},
		{"ShorterThanDeclared", rawPack(1, cat(entryHeader(packBlob, 400), deflate([]byte("short")))), wiki.EINVALID, "shorter than its header"},
		{"DeltaHugeResult", rawPack(2, blobEntry, ofs(delta(uint64(len(blob)), 1<<40, 0x90, 4))), wiki.ETOOLARGE, "limit"},
		{"DeltaHugeBase", rawPack(2, blobEntry, ofs(delta(1<<40, 4, 0x90, 4))), wiki.EINVALID, "base of"},
		{"DeltaCopyOutOfBounds", rawPack(2, blobEntry, ofs(delta(uint64(len(blob)), 100, 0x91, 40, 100))), wiki.EINVALID, "out of bounds"},
		{"DeltaInsertOutOfBounds", rawPack(2, blobEntry, ofs(delta(uint64(len(blob)), 2, 3, 'a', 'b', 'c'))), wiki.EINVALID, "out of bounds"},
		{"DeltaShortResult", rawPack(2, blobEntry, ofs(delta(uint64(len(blob)), 10, 0x90, 4))), wiki.EINVALID, "not the 10"},
		{"DeltaReservedOp", rawPack(2, blobEntry, ofs(delta(uint64(len(blob)), 1, 0))), wiki.EINVALID, "reserved"},
		{"DeltaHeaderOverflow", rawPack(2, blobEntry, ofs(bytes.Repeat([]byte{0xff}, 12))), wiki.EINVALID, "header is malformed"},
		{"OffsetBeforePack", rawPack(1, cat(entryHeader(packOFSDelta, 3), ofsOffset(1000), deflate([]byte{0, 0, 0}))), wiki.EINVALID, "outside the pack"},
		{"OffsetNotAnObject", rawPack(2, blobEntry, cat(entryHeader(packOFSDelta, 3), ofsOffset(3), deflate([]byte{0, 0, 0}))), wiki.EINVALID, "is not an object"},
		{"MissingBase", rawPack(1, ref(plumbing.NewHash(strings.Repeat("07", 20)), delta(1, 1, 1, 'x'))), wiki.EINVALID, "neither in the pack"},
		{"ThinBaseWrongSize", rawPack(1, ref(storedID, delta(uint64(len(stored))+1, 1, 1, 'x'))), wiki.EINVALID, "base of"},
		{"CountTooLarge", rawPack(1<<31, blobEntry), wiki.EINVALID, "declares"},
		{"Junk", rawPack(1, blobEntry, []byte("junk")), wiki.EINVALID, "junk"},
		{"Truncated", rawPack(2, blobEntry), wiki.EINVALID, "ends"},
		{"UnknownType", rawPack(1, cat([]byte{5<<4 | 1}, deflate([]byte("x")))), wiki.EINVALID, "unknown object type"},
		{"SizeBeyond64Bits", rawPack(1, cat([]byte{0xbf}, bytes.Repeat([]byte{0xff}, 10), []byte{1})), wiki.EINVALID, "2^64"},
		{"BadChecksum", func() []byte { p := rawPack(1, blobEntry); p[len(p)-1] ^= 1; return p }(), wiki.EINVALID, "checksum"},
		{"BadVersion", func() []byte {
			p := rawPack(1, blobEntry)
			p[7] = 9
			sum := sha1.Sum(p[:len(p)-20])
			copy(p[len(p)-20:], sum[:])
			return p
		}(), wiki.EINVALID, "version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			n := allocated(func() {
				_, err = s.ReceivePack(ctx, bytes.NewReader(tc.pack), 20<<20)
			})
			if wiki.ErrorCode(err) != tc.code || !strings.Contains(wiki.ErrorMessage(err), tc.msg) {
				t.Fatalf("got %s %q, want %s containing %q", wiki.ErrorCode(err), wiki.ErrorMessage(err), tc.code, tc.msg)
			}
			// The pack itself, the zlib reader, a few small objects.
			if n > 1<<20+2*uint64(len(tc.pack)) {
				t.Fatalf("reading a %d-byte pack allocated %d bytes", len(tc.pack), n)
			}
		})
	}
	t.Run("Valid", func(t *testing.T) {
		d := delta(uint64(len(blob)), 6, 0x90, 2, 4, 'x', 'y', 'z', 'w')
		in, err := s.ReceivePack(ctx, bytes.NewReader(rawPack(2, blobEntry, ofs(d))), 20<<20)
		if err != nil || in.Objects() != 2 {
			t.Fatalf("%v, %d objects", err, in.Objects())
		}
		want := plumbing.ComputeHash(plumbing.BlobObject, []byte("# xyzw"))
		if b, err := in.ReadBlob(ctx, want.String()); err != nil || string(b) != "# xyzw" {
			t.Fatalf("delta result %q, %v", b, err)
		}
	})
}

// TestReceivePackThinChain resolves a delta whose base is another delta
// of the pack, itself based on a stored object, whichever comes first.
func TestReceivePackThinChain(t *testing.T) {
	s, _, base := MustSeeded(t)
	stored := longestFile(t, s, base.ID)
	storedID := plumbing.ComputeHash(plumbing.BlobObject, stored)
	// x = the stored blob's first two bytes and "x"; y = x's and "y".
	x := append(append([]byte{}, stored[:2]...), 'x')
	y := append(append([]byte{}, x...), 'y')
	xID := plumbing.ComputeHash(plumbing.BlobObject, x)
	ref := func(base plumbing.Hash, d []byte) []byte {
		return cat(entryHeader(packREFDelta, uint64(len(d))), base[:], deflate(d))
	}
	dx := ref(storedID, cat(deltaVarint(uint64(len(stored))), deltaVarint(3), []byte{0x90, 2, 1, 'x'}))
	dy := ref(xID, cat(deltaVarint(3), deltaVarint(4), []byte{0x90, 3, 1, 'y'}))
	for name, pack := range map[string][]byte{"BaseFirst": rawPack(2, dx, dy), "BaseLast": rawPack(2, dy, dx)} {
		t.Run(name, func(t *testing.T) {
			in, err := s.ReceivePack(ctx, bytes.NewReader(pack), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			got, err := in.ReadBlob(ctx, plumbing.ComputeHash(plumbing.BlobObject, y).String())
			if err != nil || !bytes.Equal(got, y) {
				t.Fatalf("%q %v", got, err)
			}
		})
	}
}

// TestReceivePackTotalLimit unpacks copy-only deltas, each within the
// limit for one object, until the limit on the whole push refuses them.
func TestReceivePackTotalLimit(t *testing.T) {
	s, _, _ := MustSeeded(t)
	base := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	entries := [][]byte{cat(entryHeader(packBlob, uint64(len(base))), deflate(base))}
	offsets := []int{12}
	pos := 12 + len(entries[0])
	copyAll := cat(deltaVarint(uint64(len(base))), deltaVarint(uint64(len(base))), []byte{0x80}) // copy 64 KiB from 0
	for range 40 {
		e := cat(entryHeader(packOFSDelta, uint64(len(copyAll))), ofsOffset(uint64(pos-offsets[0])), deflate(copyAll))
		entries = append(entries, e)
		pos += len(e)
	}
	pack := rawPack(uint32(len(entries)), entries...)
	var err error
	n := allocated(func() {
		_, err = s.ReceivePackLimits(ctx, bytes.NewReader(pack), 1<<20, 1<<20, 1<<20)
	})
	if wiki.ErrorCode(err) != wiki.ETOOLARGE || !strings.Contains(wiki.ErrorMessage(err), "unpacks to more than 1 MiB") {
		t.Fatalf("%v", err)
	}
	if n > 3<<20 {
		t.Fatalf("a push limited to 1 MiB unpacked allocated %d bytes", n)
	}
	// The same pack within a larger limit reads, every delta resolved.
	in, err := s.ReceivePackLimits(ctx, bytes.NewReader(pack), 1<<20, 1<<20, 4<<20)
	if err != nil || in.Objects() != 1 {
		t.Fatalf("%v (%d distinct objects, want 1)", err, in.Objects())
	}
}

// BenchmarkReceive1000 reads and checks the thin pack of a push that
// changes 1,000 pages of the 10,000-page wiki, as a push is checked before
// anything is written.
func BenchmarkReceive1000(b *testing.B) {
	s, dir := MustBenchRepo(b)
	work := b.TempDir()
	Git(b, "", "clone", "-q", dir, work)
	files := map[string]string{}
	for i := 0; i < benchFiles; i += benchFiles / 1000 {
		files[benchPath(i)] = fmt.Sprintf("---\ntitle: Page %d\n---\n# Page %d, edited\n\n%s\n", i, i, strings.Repeat("Some runbook text. ", 40))
	}
	WriteFiles(b, work, files)
	Git(b, work, "commit", "-qam", "Edit 1000")
	tip := plumbing.NewHash(Git(b, work, "rev-parse", "HEAD"))
	pack := packOf(b, work, true, "HEAD", "^origin/main")
	b.ResetTimer()
	for range b.N {
		in, err := s.ReceivePack(ctx, bytes.NewReader(pack), 64<<20)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := in.Check(ctx, tip); err != nil {
			b.Fatal(err)
		}
	}
}
