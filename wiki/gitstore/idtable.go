package gitstore

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"

	"github.com/go-git/go-git/v5/plumbing"
)

// idTable is a set of object ids numbered in the order they were added.
// Choosing the objects of a clone looks up tens of thousands of ids: ids
// are SHA-1 sums, so eight of their bytes, multiplied by a random odd
// number, make the hash (an id pushed to collide with others in a few
// bits, which anyone can make, still lands anywhere), and open addressing
// keeps the table two slices without pointers.
type idTable struct {
	slots []uint32 // position in keys + 1; 0 for an empty slot
	keys  []plumbing.Hash
	mul   uint64
	shift uint
}

func (t *idTable) slot(h plumbing.Hash) uint64 {
	return (binary.LittleEndian.Uint64(h[:8]) * t.mul) >> t.shift
}

// find returns h's number.
func (t *idTable) find(h plumbing.Hash) (int, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.slot(h); ; i = (i + 1) & mask {
		k := t.slots[i]
		if k == 0 {
			return 0, false
		}
		if t.keys[k-1] == h {
			return int(k - 1), true
		}
	}
}

func (t *idTable) has(h plumbing.Hash) bool {
	_, ok := t.find(h)
	return ok
}

// add adds h unless it is there, and returns its number.
func (t *idTable) add(h plumbing.Hash) (int, bool) {
	if 2*(len(t.keys)+1) > len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	i := t.slot(h)
	for ; t.slots[i] != 0; i = (i + 1) & mask {
		if k := t.slots[i]; t.keys[k-1] == h {
			return int(k - 1), false
		}
	}
	t.keys = append(t.keys, h)
	t.slots[i] = uint32(len(t.keys))
	return len(t.keys) - 1, true
}

func (t *idTable) grow() {
	if t.mul == 0 {
		t.mul = rand.Uint64() | 1
	}
	t.slots = make([]uint32, max(64, 2*len(t.slots)))
	t.shift = uint(64 - bits.TrailingZeros(uint(len(t.slots))))
	mask := uint64(len(t.slots) - 1)
	for k, h := range t.keys {
		i := t.slot(h)
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = uint32(k + 1)
	}
}
