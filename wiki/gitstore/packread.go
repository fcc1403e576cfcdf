package gitstore

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// A pushed pack is read here rather than by go-git's parser, because a
// pack's headers are the client's word: an entry may declare a 2^40-byte
// blob in a 148-byte push, a delta may declare any result size. Every
// declared size is checked against the limits and against the bytes that
// follow before anything is allocated, zlib output never exceeds the
// declared size, and delta instructions never write or read out of
// bounds.

// maxDeflateRatio is the most deflate can expand: 258 bytes from a 2-bit
// code at best, so about 1032 to 1. An entry declaring more than that
// many times the bytes left in the pack cannot be honest.
const maxDeflateRatio = 1032

// packLimits bound what reading one pack may allocate.
type packLimits struct {
	// object bounds one object: an entry's inflated size or a delta's
	// result.
	object int64
	// total bounds everything inflated at once: objects, deltas not yet
	// applied, and the repository objects a thin pack's deltas are based
	// on.
	total int64
}

// errPackLimit reports a pack over one of its limits; it becomes ETOOLARGE.
type errPackLimit struct{ msg string }

func (e *errPackLimit) Error() string { return e.msg }

// Pack entry type codes.
const (
	packCommit   = 1
	packTree     = 2
	packBlob     = 3
	packTag      = 4
	packOFSDelta = 6
	packREFDelta = 7
)

var packObjectTypes = [...]plumbing.ObjectType{
	packCommit: plumbing.CommitObject, packTree: plumbing.TreeObject,
	packBlob: plumbing.BlobObject, packTag: plumbing.TagObject,
}

// rawEntry is one entry of the pack as read, before its delta, if any,
// is applied.
type rawEntry struct {
	offset  int64
	code    byte
	baseOff int64         // base of an OFS_DELTA
	baseRef plumbing.Hash // base of a REF_DELTA
	data    []byte        // the inflated object, or the delta until applied
	crc     uint32
	obj     gitObject // once resolved
	done    bool
}

// readPack is a pack read whole.
type readPack struct {
	objs    []gitObject     // in pack order, duplicates included
	entries []idxfile.Entry // where each is, for storing the pack as it came
	// bases are the repository objects thin deltas were based on.
	bases map[plumbing.Hash]gitObject
}

// packReader reads one pack held in memory.
type packReader struct {
	data  []byte
	lim   packLimits
	total int64
	zr    io.ReadCloser
}

// parsePack reads and checks a whole pack: its header, every entry, its
// trailing checksum; deltas are resolved against the pack itself and,
// for a thin pack, against base, which returns a repository object.
func parsePack(ctx context.Context, data []byte, lim packLimits, base func(plumbing.Hash) (gitObject, error)) (*readPack, error) {
	if len(data) < 12+20 {
		return nil, errors.New("the pack is truncated")
	}
	if string(data[:4]) != "PACK" {
		return nil, errors.New("it is not a git pack")
	}
	if v := be32(data[4:]); v != 2 && v != 3 {
		return nil, fmt.Errorf("pack version %d is not supported", v)
	}
	body := data[:len(data)-20]
	if sum := sha1.Sum(body); !bytes.Equal(sum[:], data[len(data)-20:]) {
		return nil, errors.New("the pack's checksum does not match its content")
	}
	count := int64(be32(data[8:]))
	// Each entry takes at least a header byte and an 8-byte zlib stream.
	if count > int64(len(body)-12)/9 {
		return nil, fmt.Errorf("the pack declares %d objects in %d bytes", count, len(data))
	}
	r := &packReader{data: body, lim: lim}
	entries := make([]rawEntry, 0, count)
	byOffset := make(map[int64]int, count)
	pos := int64(12)
	for i := int64(0); i < count; i++ {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		e, next, err := r.entry(pos)
		if err != nil {
			return nil, fmt.Errorf("object %d of %d at offset %d: %w", i+1, count, pos, err)
		}
		if e.code == packOFSDelta {
			if _, ok := byOffset[e.baseOff]; !ok {
				return nil, fmt.Errorf("object %d of %d at offset %d: its delta base at offset %d is not an object", i+1, count, pos, e.baseOff)
			}
		}
		byOffset[pos] = len(entries)
		entries = append(entries, e)
		pos = next
	}
	if pos != int64(len(body)) {
		return nil, fmt.Errorf("%d bytes of junk follow the last object", int64(len(body))-pos)
	}
	rp := &readPack{bases: make(map[plumbing.Hash]gitObject)}
	if err := r.resolve(ctx, entries, byOffset, base, rp); err != nil {
		return nil, err
	}
	rp.objs = make([]gitObject, len(entries))
	rp.entries = make([]idxfile.Entry, len(entries))
	for i, e := range entries {
		rp.objs[i] = e.obj
		rp.entries[i] = idxfile.Entry{Hash: e.obj.hash, Offset: uint64(e.offset), CRC32: e.crc}
	}
	return rp, nil
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// entry reads the entry at pos and returns it with the offset of the next.
func (r *packReader) entry(pos int64) (rawEntry, int64, error) {
	e := rawEntry{offset: pos}
	d := r.data
	p := pos
	if p >= int64(len(d)) {
		return e, 0, errors.New("the pack ends early")
	}
	b := d[p]
	p++
	e.code = b >> 4 & 7
	size := uint64(b & 0x0f)
	for shift := 4; b&0x80 != 0; shift += 7 {
		if p >= int64(len(d)) {
			return e, 0, errors.New("the pack ends inside an object header")
		}
		if shift > 57 {
			return e, 0, errors.New("an object header declares a size beyond 2^64")
		}
		b = d[p]
		p++
		size |= uint64(b&0x7f) << shift
	}
	switch e.code {
	case packCommit, packTree, packBlob, packTag:
	case packOFSDelta:
		if p >= int64(len(d)) {
			return e, 0, errors.New("the pack ends inside a delta header")
		}
		b = d[p]
		p++
		off := int64(b & 0x7f)
		for b&0x80 != 0 {
			if p >= int64(len(d)) {
				return e, 0, errors.New("the pack ends inside a delta header")
			}
			if off >= math.MaxInt64>>7-1 {
				return e, 0, errors.New("a delta's base offset overflows")
			}
			b = d[p]
			p++
			off = (off+1)<<7 | int64(b&0x7f)
		}
		if off <= 0 || off > pos-12 {
			return e, 0, fmt.Errorf("a delta's base offset %d is outside the pack", off)
		}
		e.baseOff = pos - off
	case packREFDelta:
		if p+20 > int64(len(d)) {
			return e, 0, errors.New("the pack ends inside a delta header")
		}
		copy(e.baseRef[:], d[p:p+20])
		p += 20
	default:
		return e, 0, fmt.Errorf("unknown object type %d", e.code)
	}
	left := int64(len(d)) - p
	if err := r.reserve(size, left); err != nil {
		return e, 0, err
	}
	data, n, err := r.inflate(d[p:], int(size))
	if err != nil {
		return e, 0, err
	}
	e.data = data
	e.crc = crc32.ChecksumIEEE(d[pos : p+n])
	return e, p + n, nil
}

// reserve admits an allocation of size bytes, declared by the client,
// before it is made; left, when not negative, is the compressed bytes
// that can still supply it.
func (r *packReader) reserve(size uint64, left int64) error {
	if size > uint64(r.lim.object) {
		return &errPackLimit{fmt.Sprintf("The push holds an object of %d MiB, more than the server's limit of %d MiB for one object.", size>>20, r.lim.object>>20)}
	}
	if left >= 0 && size > uint64(left)*maxDeflateRatio+1024 {
		return fmt.Errorf("an object declares %d bytes, more than the %d compressed bytes left in the pack can hold", size, left)
	}
	if r.total+int64(size) > r.lim.total {
		return &errPackLimit{fmt.Sprintf("The push unpacks to more than %d MiB, the most the server holds in memory for one push.", r.lim.total>>20)}
	}
	r.total += int64(size)
	return nil
}

// inflate reads one zlib stream from the start of src that must inflate
// to exactly size bytes, and returns it with the compressed length.
func (r *packReader) inflate(src []byte, size int) ([]byte, int64, error) {
	br := bytes.NewReader(src)
	var err error
	if r.zr == nil {
		r.zr, err = zlib.NewReader(br)
	} else {
		err = r.zr.(zlib.Resetter).Reset(br, nil)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("bad zlib data: %w", err)
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(r.zr, out); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, 0, errors.New("the object is shorter than its header says")
		}
		return nil, 0, fmt.Errorf("bad zlib data: %w", err)
	}
	var one [1]byte
	switch n, err := r.zr.Read(one[:]); {
	case n > 0:
		return nil, 0, errors.New("the object is longer than its header says")
	case errors.Is(err, io.EOF):
	case err == nil:
		// A reader may return 0, nil; one more read settles it.
		if n, err := r.zr.Read(one[:]); n > 0 || !errors.Is(err, io.EOF) {
			return nil, 0, errors.New("the object is longer than its header says")
		}
	default:
		return nil, 0, fmt.Errorf("bad zlib data: %w", err)
	}
	return out, int64(len(src) - br.Len()), nil
}

// resolve computes every entry's object: whole objects directly, deltas
// once their base is known, in pack order of dependence, and thin deltas
// from the repository once the pack itself offers nothing more.
func (r *packReader) resolve(ctx context.Context, entries []rawEntry, byOffset map[int64]int, base func(plumbing.Hash) (gitObject, error), rp *readPack) error {
	ofsChildren := make(map[int][]int)
	refChildren := make(map[plumbing.Hash][]int)
	var stack []int
	for i := range entries {
		e := &entries[i]
		switch e.code {
		case packOFSDelta:
			b := byOffset[e.baseOff]
			ofsChildren[b] = append(ofsChildren[b], i)
		case packREFDelta:
			refChildren[e.baseRef] = append(refChildren[e.baseRef], i)
		default:
			e.obj = newObject(packObjectTypes[e.code], e.data)
			e.data, e.done = nil, true
			stack = append(stack, i)
		}
	}
	resolved := 0
	// apply resolves the deltas waiting on an object.
	apply := func(b gitObject, children []int) error {
		for _, c := range children {
			e := &entries[c]
			if e.done {
				continue
			}
			out, err := r.applyDelta(b.data, e.data)
			if err != nil {
				return fmt.Errorf("object at offset %d: %w", e.offset, err)
			}
			r.total -= int64(len(e.data))
			e.obj = newObject(b.typ, out)
			e.data, e.done = nil, true
			stack = append(stack, c)
		}
		return nil
	}
	drain := func() error {
		for len(stack) > 0 {
			if resolved++; resolved%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			o := entries[i].obj
			if err := apply(o, ofsChildren[i]); err != nil {
				return err
			}
			if err := apply(o, refChildren[o.hash]); err != nil {
				return err
			}
			delete(refChildren, o.hash)
		}
		return nil
	}
	if err := drain(); err != nil {
		return err
	}
	// What is left waits on objects the pack does not hold: a thin
	// pack's bases in the repository. A base not stored may still be an
	// object of the pack that waits on one that is; each is looked up
	// once, and whatever stays unresolved has no base anywhere.
	for h, children := range refChildren {
		pending := false
		for _, c := range children {
			pending = pending || !entries[c].done
		}
		if !pending {
			continue
		}
		g, err := base(h)
		if err != nil {
			continue
		}
		if err := r.reserve(uint64(len(g.data)), -1); err != nil {
			return err
		}
		rp.bases[h] = g
		if err := apply(g, children); err != nil {
			return err
		}
		if err := drain(); err != nil {
			return err
		}
	}
	for _, e := range entries {
		switch {
		case e.done:
		case e.code == packREFDelta:
			return fmt.Errorf("the delta base %s is neither in the pack nor in the repository", e.baseRef)
		default:
			return fmt.Errorf("the delta at offset %d has no base", e.offset)
		}
	}
	return nil
}
