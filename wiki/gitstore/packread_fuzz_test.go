package gitstore_test

import (
	"bytes"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// FuzzPackHeader reads packs of arbitrary entries (object headers, sizes,
// delta offsets) and arbitrary deltas (their headers and instructions)
// applied to a pushed blob and to a stored one, as a thin pack's are:
// nothing panics, every failure is EINVALID or ETOOLARGE, and nothing
// allocates much beyond the limits, whatever the headers declare.
func FuzzPackHeader(f *testing.F) {
	s, _, base := MustSeeded(f)
	stored := longestFile(f, s, base.ID)
	storedID := plumbing.ComputeHash(plumbing.BlobObject, stored)
	blob := []byte("# A page\n\nSome text that a delta copies from.\n")
	blobEntry := cat(entryHeader(packBlob, uint64(len(blob))), deflate(blob))
	const object, total = 64 << 10, 1 << 20

	f.Add(uint32(1), cat(entryHeader(packBlob, 1<<40), deflate([]byte("tiny"))), cat(deltaVarint(uint64(len(blob))), deltaVarint(1<<40), []byte{0x90, 4}))
	f.Add(uint32(1), blobEntry, cat(deltaVarint(uint64(len(blob))), deltaVarint(6), []byte{0x90, 2, 4, 'x', 'y', 'z', 'w'}))
	f.Add(uint32(2), cat(blobEntry, entryHeader(packOFSDelta, 3), ofsOffset(uint64(len(blobEntry))), deflate([]byte{46, 2, 0x90})), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
	f.Add(uint32(3), cat(entryHeader(packBlob, 1<<62), []byte{0x78, 0x9c, 0x03, 0x00}), []byte{0x80})
	f.Add(uint32(0), []byte{}, cat(deltaVarint(uint64(len(stored))), deltaVarint(uint64(len(stored))), []byte{0x80}))

	f.Fuzz(func(t *testing.T, count uint32, entries, delta []byte) {
		ofs := cat(entryHeader(packOFSDelta, uint64(len(delta))), ofsOffset(uint64(len(blobEntry))), deflate(delta))
		ref := cat(entryHeader(packREFDelta, uint64(len(delta))), storedID[:], deflate(delta))
		for _, pack := range [][]byte{rawPack(count, entries), rawPack(2, blobEntry, ofs), rawPack(1, ref)} {
			var err error
			n := allocated(func() {
				_, err = s.ReceivePackLimits(ctx, bytes.NewReader(pack), 1<<20, object, total)
			})
			if code := wiki.ErrorCode(err); code != "" && code != wiki.EINVALID && code != wiki.ETOOLARGE {
				t.Fatalf("error %v", err)
			}
			if limit := uint64(total + object + 4*len(pack) + 2<<20); n > limit {
				t.Fatalf("a %d-byte pack allocated %d bytes, over %d", len(pack), n, limit)
			}
		}
	})
}
