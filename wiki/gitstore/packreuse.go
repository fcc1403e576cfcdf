package gitstore

import (
	"bufio"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
)

// Writing states of a sendObject.
const (
	sendPending uint8 = iota
	sendWriting
	sendDone
)

// packSender writes the selected objects as one pack. An entry of the
// repository's packs is copied as it is stored, checked against the
// CRC-32 its index keeps, when the client can use it: a whole object
// always; a delta when its base is sent too (written first, so the delta
// can name it by offset) or, in a thin pack, when the client has the base.
// Anything else (loose objects, deltas on bases the client lacks) is
// sent whole, compressed afresh. No new deltas are searched for: the
// repository's packs already hold the deltas worth having, and a search
// would cost more than it saves on the wire.
type packSender struct {
	ctx  context.Context
	src  *objectSource
	sel  *selection
	ofs  bool
	thin bool

	out  *countingWriter
	sum  hash.Hash
	crc  hash.Hash32
	zw   *zlib.Writer // made on first use: most clones need none
	cur  packCursor
	hdr  []byte
	done int

	deltas, reused, reusedDeltas int
}

func newPackSender(ctx context.Context, src *objectSource, sel *selection, ofs, thin bool) *packSender {
	return &packSender{ctx: ctx, src: src, sel: sel, ofs: ofs, thin: thin, crc: crc32.NewIEEE(),
		cur: packCursor{src: src, br: bufio.NewReaderSize(nil, 64<<10)}}
}

// write writes the pack: header, entries, and the SHA-1 of both. Entries
// go in the order they are stored, pack by pack, so the repository's
// packs are read from start to end, as git writes its own.
func (ps *packSender) write(w io.Writer) error {
	ps.sum = sha1.New()
	ps.out = &countingWriter{w: io.MultiWriter(w, ps.sum)}
	objs := ps.sel.objs
	var hdr [12]byte
	copy(hdr[:], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	binary.BigEndian.PutUint32(hdr[8:], uint32(len(objs)))
	if _, err := ps.out.Write(hdr[:]); err != nil {
		return err
	}
	order := make([]int, len(objs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		la, lb := objs[a].loc, objs[b].loc
		switch {
		case la.loose() != lb.loose():
			if la.loose() {
				return 1
			}
			return -1
		case la.pack != lb.pack:
			return int(la.pack - lb.pack)
		case la.off < lb.off:
			return -1
		case la.off > lb.off:
			return 1
		}
		return 0
	})
	for _, i := range order {
		if err := ps.send(i); err != nil {
			return err
		}
	}
	if ps.done != len(objs) {
		return fmt.Errorf("wrote %d of %d objects", ps.done, len(objs))
	}
	_, err := w.Write(ps.sum.Sum(nil))
	ps.out.n += 20
	return err
}

// send writes object i, after its delta base when that is sent too.
func (ps *packSender) send(i int) error {
	o := &ps.sel.objs[i]
	if o.state != sendPending {
		return nil
	}
	if ps.done%256 == 0 {
		if err := ps.ctx.Err(); err != nil {
			return err
		}
	}
	o.state = sendWriting
	var err error
	if o.loc.loose() {
		err = ps.whole(i)
	} else {
		err = ps.reuse(i)
	}
	o.state = sendDone
	ps.done++
	return err
}

// reuse writes a packed object, copying its entry when it can.
func (ps *packSender) reuse(i int) error {
	o := &ps.sel.objs[i]
	p := o.loc.pack
	crc, ok := ps.src.packs[p].idx.crc(int(o.loc.pos))
	if !ok {
		return ps.whole(i) // no CRC to check a copy against
	}
	e, err := ps.cur.head(p, o.loc.off)
	if err != nil {
		return err
	}
	if !e.isDelta() {
		return ps.copyEntry(i, e, crc, plumbing.ZeroHash, -1)
	}
	base := e.baseRef
	if e.code == ofsDeltaCode {
		if base, ok = ps.src.hashAt(p, e.baseOff); !ok {
			return fmt.Errorf("pack %s: the delta at offset %d has no base", ps.src.packs[p].name, o.loc.off)
		}
	}
	if j, ok := ps.sel.sent.find(base); ok {
		if err := ps.send(j); err != nil {
			return err
		}
		if b := &ps.sel.objs[j]; b.state == sendDone {
			return ps.copyEntry(i, e, crc, base, b.out)
		}
		// The base is being written and waits for this object: the two
		// are stored as deltas of each other in different packs.
		return ps.whole(i)
	}
	if ps.thin && ps.sel.have.has(base) {
		return ps.copyEntry(i, e, crc, base, -1)
	}
	return ps.whole(i)
}

// copyEntry copies a stored entry's compressed data under a new header:
// the same type and size for an object, a reference to base for a delta
// (by offset when baseOut is where it was written and the client takes
// offsets, else by id). The entry is checked against its CRC as it is
// copied.
func (ps *packSender) copyEntry(i int, e entryHead, crc uint32, base plumbing.Hash, baseOut int64) error {
	o := &ps.sel.objs[i]
	o.out = ps.out.n
	h := ps.hdr[:0]
	switch {
	case !e.isDelta():
		h = appendEntryHeader(h, e.code, e.size)
	case ps.ofs && baseOut >= 0:
		h = appendEntryHeader(h, ofsDeltaCode, e.size)
		h = appendOfsDistance(h, uint64(o.out-baseOut))
	default:
		h = appendEntryHeader(h, refDeltaCode, e.size)
		h = append(h, base[:]...)
	}
	ps.hdr = h
	if _, err := ps.out.Write(h); err != nil {
		return err
	}
	p, off := o.loc.pack, o.loc.off
	end := ps.src.entryEnd(p, off)
	ps.crc.Reset()
	if err := ps.cur.copy(ps.crc, p, off, int64(e.n)); err != nil {
		return err
	}
	if err := ps.cur.copy(io.MultiWriter(ps.out, ps.crc), p, off+int64(e.n), end-off-int64(e.n)); err != nil {
		return err
	}
	if ps.crc.Sum32() != crc {
		return fmt.Errorf("pack %s: the entry of %s at offset %d does not match its CRC (the pack is damaged)",
			ps.src.packs[p].name, ps.sel.sent.keys[i], off)
	}
	ps.reused++
	if e.isDelta() {
		ps.deltas++
		ps.reusedDeltas++
	}
	return nil
}

// whole writes an object in full, compressed afresh.
func (ps *packSender) whole(i int) error {
	o := &ps.sel.objs[i]
	h := ps.sel.sent.keys[i]
	t, data, owned, err := ps.src.read(h, o.loc)
	if err != nil {
		return err
	}
	if owned {
		defer ps.src.recycle(data)
	}
	code, ok := packTypes[t]
	if !ok {
		return fmt.Errorf("object %s: type %s cannot be packed", h, t)
	}
	o.out = ps.out.n
	ps.hdr = appendEntryHeader(ps.hdr[:0], code, int64(len(data)))
	if _, err := ps.out.Write(ps.hdr); err != nil {
		return err
	}
	if ps.zw == nil {
		ps.zw = zlib.NewWriter(ps.out)
	} else {
		ps.zw.Reset(ps.out)
	}
	if _, err := ps.zw.Write(data); err != nil {
		return err
	}
	return ps.zw.Close()
}

// appendEntryHeader appends a pack entry's type and size.
func appendEntryHeader(b []byte, code byte, size int64) []byte {
	c := code<<4 | byte(size&0x0f)
	for size >>= 4; size > 0; size >>= 7 {
		b = append(b, c|0x80)
		c = byte(size & 0x7f)
	}
	return append(b, c)
}

// appendOfsDistance appends how far back an ofs-delta's base starts, in
// git's encoding: big-endian groups of seven bits, each but the last
// one less one.
func appendOfsDistance(b []byte, d uint64) []byte {
	var buf [10]byte
	i := len(buf) - 1
	buf[i] = byte(d & 0x7f)
	for d >>= 7; d > 0; d >>= 7 {
		d--
		i--
		buf[i] = 0x80 | byte(d&0x7f)
	}
	return append(b, buf[i:]...)
}

// packCursor reads a pack sequentially with a large buffer, and seeks
// only when asked for another place: entries are copied in pack order.
type packCursor struct {
	src  *objectSource
	br   *bufio.Reader
	pack int32
	pos  int64
	ok   bool
}

func (c *packCursor) seek(p int32, off int64) {
	if !c.ok || c.pack != p || c.pos != off {
		sp := c.src.packs[p]
		c.br.Reset(io.NewSectionReader(sp.f, off, sp.size-off))
		c.pack, c.pos, c.ok = p, off, true
	}
}

// head reads the header of the entry at off in pack p.
func (c *packCursor) head(p int32, off int64) (entryHead, error) {
	c.seek(p, off)
	b, err := c.br.Peek(32)
	if len(b) == 0 {
		c.ok = false
		return entryHead{}, fmt.Errorf("read pack %s: %w", c.src.packs[p].name, err)
	}
	return parseEntryHead(b, off)
}

// copy writes n bytes of pack p from off to w.
func (c *packCursor) copy(w io.Writer, p int32, off, n int64) error {
	c.seek(p, off)
	for n > 0 {
		chunk, err := c.br.Peek(int(min(n, int64(c.br.Size()))))
		if len(chunk) == 0 {
			c.ok = false
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read pack %s: %w", c.src.packs[p].name, err)
		}
		if _, err := w.Write(chunk); err != nil {
			c.ok = false
			return err
		}
		c.br.Discard(len(chunk))
		c.pos += int64(len(chunk))
		n -= int64(len(chunk))
	}
	return nil
}
