package gitstore

import (
	"crypto/sha1"
	"encoding/binary"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestIDTable adds ids, some of which agree in their first bits as a
// push crafted to slow lookups down could make them, and finds each once.
func TestIDTable(t *testing.T) {
	var ids []plumbing.Hash
	for i := range 20000 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(i))
		h := plumbing.Hash(sha1.Sum(b[:]))
		if i%2 == 0 {
			h[0], h[1], h[2] = 0, 0, 0 // the same lowest bits
		}
		ids = append(ids, h)
	}
	var tab idTable
	for i, h := range ids {
		if n, added := tab.add(h); !added || n != i {
			t.Fatalf("add %d: %d %v", i, n, added)
		}
	}
	for i, h := range ids {
		if n, added := tab.add(h); added || n != i {
			t.Fatalf("add %d again: %d %v", i, n, added)
		}
		if n, ok := tab.find(h); !ok || n != i {
			t.Fatalf("find %d: %d %v", i, n, ok)
		}
	}
	var missing plumbing.Hash
	missing[5] = 1
	if tab.has(missing) {
		t.Fatal("found an id never added")
	}
}
