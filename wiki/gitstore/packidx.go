package gitstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// packIndex is a pack's .idx file held in memory: the object ids in order,
// where each entry starts in the pack and, from version 2 on, the CRC-32
// of each entry as stored, which lets an entry be copied into another pack
// without inflating it and still be checked.
type packIndex struct {
	fanout [256]uint32
	ids    []byte // 20 bytes an object, sorted
	crcs   []byte // 4 bytes an object; nil for a version 1 index
	offs   []byte // 4 bytes an object; top bit set: an index into large
	large  []byte // 8-byte offsets of packs over 2 GiB
	pack   plumbing.Hash
}

var errBadIndex = errors.New("malformed pack index")

// parsePackIndex decodes a version 1 or 2 pack index.
func parsePackIndex(data []byte) (*packIndex, error) {
	x := &packIndex{}
	v2 := len(data) >= 8 && bytes.Equal(data[:4], []byte{0xff, 't', 'O', 'c'})
	if v2 {
		if binary.BigEndian.Uint32(data[4:8]) != 2 {
			return nil, fmt.Errorf("%w: version %d", errBadIndex, binary.BigEndian.Uint32(data[4:8]))
		}
		data = data[8:]
	}
	if len(data) < 256*4+40 {
		return nil, fmt.Errorf("%w: truncated", errBadIndex)
	}
	var prev uint32
	for i := range x.fanout {
		x.fanout[i] = binary.BigEndian.Uint32(data[i*4:])
		if x.fanout[i] < prev {
			return nil, fmt.Errorf("%w: fan-out table out of order", errBadIndex)
		}
		prev = x.fanout[i]
	}
	n := int(x.fanout[255])
	data = data[256*4:]
	if !v2 {
		// Version 1: offset and id interleaved, no CRCs.
		if len(data) != n*24+40 {
			return nil, fmt.Errorf("%w: %d bytes for %d objects", errBadIndex, len(data), n)
		}
		x.ids, x.offs = make([]byte, n*20), make([]byte, n*4)
		for i := range n {
			copy(x.offs[i*4:], data[i*24:i*24+4])
			copy(x.ids[i*20:], data[i*24+4:i*24+24])
		}
		copy(x.pack[:], data[n*24:])
		return x, x.check()
	}
	if len(data) < n*28+40 {
		return nil, fmt.Errorf("%w: %d bytes for %d objects", errBadIndex, len(data), n)
	}
	x.ids, data = data[:n*20], data[n*20:]
	x.crcs, data = data[:n*4], data[n*4:]
	x.offs, data = data[:n*4], data[n*4:]
	large := len(data) - 40
	if large%8 != 0 {
		return nil, fmt.Errorf("%w: large offset table of %d bytes", errBadIndex, large)
	}
	x.large = data[:large]
	copy(x.pack[:], data[large:])
	return x, x.check()
}

// check makes sure lookups cannot go out of bounds: ids sorted, large
// offsets present where referred to.
func (x *packIndex) check() error {
	for i := 1; i < x.count(); i++ {
		if bytes.Compare(x.ids[(i-1)*20:i*20], x.ids[i*20:(i+1)*20]) >= 0 {
			return fmt.Errorf("%w: object ids out of order", errBadIndex)
		}
	}
	for i := range x.count() {
		v := binary.BigEndian.Uint32(x.offs[i*4:])
		if v&0x80000000 != 0 && x.crcs != nil && int(v&0x7fffffff) >= len(x.large)/8 {
			return fmt.Errorf("%w: large offset %d missing", errBadIndex, v&0x7fffffff)
		}
	}
	return nil
}

func (x *packIndex) count() int { return len(x.ids) / 20 }

// find returns the position of h in the index.
func (x *packIndex) find(h plumbing.Hash) (int, bool) {
	lo := 0
	if h[0] > 0 {
		lo = int(x.fanout[h[0]-1])
	}
	hi := int(x.fanout[h[0]])
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(x.ids[mid*20:mid*20+20], h[:]); {
		case c == 0:
			return mid, true
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, false
}

func (x *packIndex) hash(i int) (h plumbing.Hash) {
	copy(h[:], x.ids[i*20:])
	return h
}

func (x *packIndex) offset(i int) int64 {
	v := binary.BigEndian.Uint32(x.offs[i*4:])
	if v&0x80000000 == 0 || x.crcs == nil {
		return int64(v)
	}
	return int64(binary.BigEndian.Uint64(x.large[(v&0x7fffffff)*8:]))
}

// crc returns the CRC-32 of entry i as stored; ok is false for a version
// 1 index, which has none.
func (x *packIndex) crc(i int) (uint32, bool) {
	if x.crcs == nil {
		return 0, false
	}
	return binary.BigEndian.Uint32(x.crcs[i*4:]), true
}
