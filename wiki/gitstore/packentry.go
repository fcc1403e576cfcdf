package gitstore

import (
	"cmp"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
)

// Pack entry type codes beyond the four object types (packTypes).
const (
	ofsDeltaCode = 6
	refDeltaCode = 7
)

// entryHead is a pack entry's header.
type entryHead struct {
	code    byte  // 1-4: an object of that type; ofsDeltaCode, refDeltaCode
	size    int64 // inflated size: of the delta, for deltas
	n       int   // header bytes, the delta's base included
	baseOff int64 // an ofs-delta's base
	baseRef plumbing.Hash
}

// entryHead reads the header of the entry at off in pack p.
func (s *objectSource) entryHead(p int32, off int64) (entryHead, error) {
	n, err := s.packs[p].f.ReadAt(s.head[:], off)
	if n == 0 && err != nil {
		return entryHead{}, fmt.Errorf("read pack %s: %w", s.packs[p].name, err)
	}
	e, err := parseEntryHead(s.head[:n], off)
	if err != nil {
		return e, fmt.Errorf("pack %s: %w", s.packs[p].name, err)
	}
	return e, nil
}

func (e entryHead) isDelta() bool { return e.code == ofsDeltaCode || e.code == refDeltaCode }

// parseEntryHead decodes the header of the entry at off from its first
// bytes.
func parseEntryHead(b []byte, off int64) (entryHead, error) {
	bad := errMalformedEntry(off)
	if len(b) == 0 {
		return entryHead{}, bad
	}
	e := entryHead{code: b[0] >> 4 & 7, size: int64(b[0] & 15), n: 1}
	for shift := 4; b[e.n-1]&0x80 != 0; shift += 7 {
		if e.n >= len(b) || shift > 56 {
			return entryHead{}, bad
		}
		e.size |= int64(b[e.n]&0x7f) << shift
		e.n++
	}
	switch e.code {
	case 1, 2, 3, 4:
	case ofsDeltaCode:
		if e.n >= len(b) {
			return entryHead{}, bad
		}
		c := b[e.n]
		dist := int64(c & 0x7f)
		e.n++
		for c&0x80 != 0 {
			if e.n >= len(b) || dist >= 1<<55 {
				return entryHead{}, bad
			}
			c = b[e.n]
			dist = (dist+1)<<7 | int64(c&0x7f)
			e.n++
		}
		if dist <= 0 || dist > off-12 {
			return entryHead{}, bad
		}
		e.baseOff = off - dist
	case refDeltaCode:
		if len(b) < e.n+20 {
			return entryHead{}, bad
		}
		copy(e.baseRef[:], b[e.n:])
		e.n += 20
	default:
		return entryHead{}, bad
	}
	return e, nil
}

// errMalformedEntry is the error of a pack entry that cannot be read; it
// formats its message only when shown.
type errMalformedEntry int64

func (e errMalformedEntry) Error() string {
	return fmt.Sprintf("malformed pack entry at offset %d", int64(e))
}

// entry reads the entry at off in pack p whole, with one read: its
// header and its compressed data.
func (s *objectSource) entry(p int32, off int64) (entryHead, []byte, error) {
	sp := s.packs[p]
	n := s.entryEnd(p, off) - off
	if n <= 0 || n > sp.size {
		return entryHead{}, nil, fmt.Errorf("pack %s: no entry at offset %d", sp.name, off)
	}
	if int64(cap(s.raw)) < n {
		s.raw = make([]byte, n)
	}
	raw := s.raw[:n]
	if n > 1<<20 {
		s.raw = nil // not kept: one large blob must not pin its size
	}
	if _, err := sp.f.ReadAt(raw, off); err != nil {
		return entryHead{}, nil, fmt.Errorf("read pack %s: %w", sp.name, err)
	}
	e, err := parseEntryHead(raw[:min(len(raw), 32)], off)
	if err != nil {
		return entryHead{}, nil, fmt.Errorf("pack %s: %w", sp.name, err)
	}
	return e, raw[e.n:], nil
}

// inflate inflates an entry's data, which must come to size bytes and
// end with a good checksum.
func (s *objectSource) inflate(p *sourcePack, off int64, zdata []byte, size int64) ([]byte, error) {
	// Deflate expands at most about 1032 times: a larger size is corrupt.
	if size < 0 || size > 1100*int64(len(zdata))+64 {
		return nil, fmt.Errorf("pack %s: implausible object size %d at offset %d", p.name, size, off)
	}
	s.rd.Reset(zdata)
	var err error
	if s.zr == nil {
		s.zr, err = zlib.NewReader(&s.rd)
	} else {
		err = s.zr.(zlib.Resetter).Reset(&s.rd, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("pack %s, offset %d: %w", p.name, off, err)
	}
	data := s.getBuf(size)
	if _, err := io.ReadFull(s.zr, data); err != nil {
		return nil, fmt.Errorf("pack %s, offset %d: %w", p.name, off, err)
	}
	var one [1]byte
	if n, err := s.zr.Read(one[:]); n != 0 || err != io.EOF {
		return nil, fmt.Errorf("pack %s, offset %d: the entry is longer than its header says", p.name, off)
	}
	return data, nil
}

// entryEnd returns where the entry starting at off in pack p ends: where
// the next one starts, or the trailer.
func (s *objectSource) entryEnd(p int32, off int64) int64 {
	sp := s.packs[p]
	sp.sortOffsets()
	k, _ := slices.BinarySearch(sp.offsets, off+1)
	if k == len(sp.offsets) {
		return sp.size - 20
	}
	return sp.offsets[k]
}

// hashAt returns the id of the object whose entry starts at off in pack p.
func (s *objectSource) hashAt(p int32, off int64) (plumbing.Hash, bool) {
	sp := s.packs[p]
	sp.sortOffsets()
	k, ok := slices.BinarySearch(sp.offsets, off)
	if !ok {
		return plumbing.ZeroHash, false
	}
	return sp.idx.hash(int(sp.byOffset[k])), true
}

func (p *sourcePack) sortOffsets() {
	if p.offsets != nil {
		return
	}
	n := p.idx.count()
	offsets, order := make([]int64, n), make([]uint32, n)
	if n < 1<<24 && p.size < 1<<40 {
		// Offset and position in one integer: a sort of plain integers
		// is several times faster than one through a function.
		keys := make([]uint64, n)
		for i := range keys {
			keys[i] = uint64(p.idx.offset(i))<<24 | uint64(i)
		}
		slices.Sort(keys)
		for k, key := range keys {
			offsets[k], order[k] = int64(key>>24), uint32(key&(1<<24-1))
		}
	} else {
		for i := range order {
			order[i] = uint32(i)
		}
		slices.SortFunc(order, func(a, b uint32) int { return cmp.Compare(p.idx.offset(int(a)), p.idx.offset(int(b))) })
		for k, i := range order {
			offsets[k] = p.idx.offset(int(i))
		}
	}
	p.offsets, p.byOffset = offsets, order
}

var errBadDelta = errors.New("malformed delta")

// deltaResultHint is how large a buffer to start applying delta to base
// in: the size the delta declares, unless a corrupt one declares more
// than its commands can produce.
func deltaResultHint(base, delta []byte) int64 {
	_, n := binary.Uvarint(delta)
	if n <= 0 {
		return 0
	}
	size, m := binary.Uvarint(delta[n:])
	if m <= 0 {
		return 0
	}
	return int64(min(size, uint64(len(base))+uint64(len(delta))*128+64))
}

// patchDelta applies a git delta to its base, into dst's memory.
func patchDelta(dst, base, delta []byte) ([]byte, error) {
	srcSize, n := binary.Uvarint(delta)
	if n <= 0 || srcSize != uint64(len(base)) {
		return nil, errBadDelta
	}
	delta = delta[n:]
	dstSize, n := binary.Uvarint(delta)
	if n <= 0 || dstSize > 1<<40 {
		return nil, errBadDelta
	}
	delta = delta[n:]
	// A corrupt size must not allocate terabytes: dst is at most a bound
	// (deltaResultHint), past which out grows only as the delta's
	// commands produce the bytes.
	out := dst[:0]
	for len(delta) > 0 {
		cmd := delta[0]
		delta = delta[1:]
		switch {
		case cmd&0x80 != 0:
			var off, size uint64
			for k := range 7 {
				if cmd&(1<<k) == 0 {
					continue
				}
				if len(delta) == 0 {
					return nil, errBadDelta
				}
				if k < 4 {
					off |= uint64(delta[0]) << (8 * k)
				} else {
					size |= uint64(delta[0]) << (8 * (k - 4))
				}
				delta = delta[1:]
			}
			if size == 0 {
				size = 0x10000
			}
			if off+size > uint64(len(base)) || uint64(len(out))+size > dstSize {
				return nil, errBadDelta
			}
			out = append(out, base[off:off+size]...)
		case cmd != 0:
			if int(cmd) > len(delta) || uint64(len(out))+uint64(cmd) > dstSize {
				return nil, errBadDelta
			}
			out = append(out, delta[:cmd]...)
			delta = delta[cmd:]
		default:
			return nil, errBadDelta
		}
	}
	if uint64(len(out)) != dstSize {
		return nil, errBadDelta
	}
	return out, nil
}
