package gitstore

import (
	"bufio"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// packTypes are the type codes of pack entries.
var packTypes = map[plumbing.ObjectType]byte{
	plumbing.CommitObject: 1,
	plumbing.TreeObject:   2,
	plumbing.BlobObject:   3,
	plumbing.TagObject:    4,
}

// maxPackBytes keeps offsets in the index's 31-bit table; the pushes and
// repacks that write packs are far smaller.
const maxPackBytes = 1<<31 - 1

// writePack stores objects, which must be distinct, as one pack without
// deltas and its index; see installPack.
func (s *Store) writePack(objs []gitObject) (string, error) {
	return s.installPack(func(w io.Writer, idx *idxfile.Writer) (plumbing.Hash, error) {
		return encodePack(w, objs, idx)
	})
}

// installPack writes a pack with encode, which also tells idx where each
// object is, and its index, durably: both are written to temporary files
// in objects/pack and fsynced, the pack is renamed into place before its
// index (readers find packs by their index, as git does), and the folder
// is fsynced. On failure nothing is left behind. It returns the pack's
// name, pack-<checksum>.
func (s *Store) installPack(encode func(w io.Writer, idx *idxfile.Writer) (plumbing.Hash, error)) (string, error) {
	dir := filepath.Join(s.dir, "objects", "pack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("write pack: %w", err)
	}
	pf, err := os.CreateTemp(dir, "tmp_pack_")
	if err != nil {
		return "", fmt.Errorf("write pack: %w", err)
	}
	tmpPack := pf.Name()
	var tmpIdx string
	ok := false
	defer func() {
		if !ok {
			pf.Close()
			os.Remove(tmpPack)
			if tmpIdx != "" {
				os.Remove(tmpIdx)
			}
		}
	}()
	idx := new(idxfile.Writer)
	bw := bufio.NewWriterSize(pf, 256<<10)
	sum, err := encode(bw, idx)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return "", fmt.Errorf("write pack: %w", err)
	}
	if err := finishFile(pf); err != nil {
		return "", fmt.Errorf("write pack: %w", err)
	}
	xf, err := os.CreateTemp(dir, "tmp_idx_")
	if err != nil {
		return "", fmt.Errorf("write pack index: %w", err)
	}
	tmpIdx = xf.Name()
	mi, err := idx.Index()
	if err == nil {
		xw := bufio.NewWriter(xf)
		if _, err = idxfile.NewEncoder(xw).Encode(mi); err == nil {
			err = xw.Flush()
		}
	}
	if err == nil {
		err = finishFile(xf)
	} else {
		xf.Close()
	}
	if err != nil {
		return "", fmt.Errorf("write pack index: %w", err)
	}
	name := "pack-" + sum.String()
	if err := os.Rename(tmpPack, filepath.Join(dir, name+".pack")); err != nil {
		return "", fmt.Errorf("write pack: %w", err)
	}
	if err := os.Rename(tmpIdx, filepath.Join(dir, name+".idx")); err != nil {
		os.Remove(filepath.Join(dir, name+".pack"))
		return "", fmt.Errorf("write pack index: %w", err)
	}
	ok = true
	if err := syncDir(dir); err != nil {
		return "", err
	}
	return name, nil
}

// finishFile makes a written file read-only like git's, fsyncs and closes it.
func finishFile(f *os.File) error {
	if err := f.Chmod(0o444); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// encodePack writes a version 2 pack of whole objects to w and tells idx
// where each one is; it returns the pack's checksum.
func encodePack(w io.Writer, objs []gitObject, idx *idxfile.Writer) (plumbing.Hash, error) {
	if len(objs) == 0 {
		return plumbing.ZeroHash, errors.New("no objects to pack")
	}
	pw := newPackWriter(w)
	if err := pw.header(uint32(len(objs)), idx); err != nil {
		return plumbing.ZeroHash, err
	}
	for _, o := range objs {
		if err := pw.object(o, idx); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	return pw.trailer(idx)
}

// completePack writes a received pack as it came, with the objects its
// deltas are based on appended when it is thin (what git index-pack
// --fix-thin does): the header's count and the checksum change, nothing
// else moves, so entries keeps the offsets and CRCs the parser saw.
func completePack(w io.Writer, raw []byte, entries []idxfile.Entry, bases []gitObject, idx *idxfile.Writer) (plumbing.Hash, error) {
	if len(raw) < 32 || string(raw[:4]) != "PACK" {
		return plumbing.ZeroHash, errors.New("not a pack")
	}
	pw := newPackWriter(w)
	if err := pw.header(uint32(len(entries)+len(bases)), idx); err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := pw.cw.Write(raw[12 : len(raw)-20]); err != nil {
		return plumbing.ZeroHash, err
	}
	for _, e := range entries {
		idx.Add(e.Hash, e.Offset, e.CRC32)
	}
	for _, o := range bases {
		if err := pw.object(o, idx); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	return pw.trailer(idx)
}

// packWriter writes a pack, counting offsets and summing its bytes.
type packWriter struct {
	w   io.Writer
	sum hash.Hash
	cw  *countingWriter
	zw  *zlib.Writer
	crc hash.Hash32
}

func newPackWriter(w io.Writer) *packWriter {
	sum := sha1.New()
	return &packWriter{w: w, sum: sum, cw: &countingWriter{w: io.MultiWriter(w, sum)}, zw: zlib.NewWriter(nil), crc: crc32.NewIEEE()}
}

func (p *packWriter) header(count uint32, idx *idxfile.Writer) error {
	var hdr [12]byte
	copy(hdr[:], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	binary.BigEndian.PutUint32(hdr[8:], count)
	if err := idx.OnHeader(count); err != nil {
		return err
	}
	_, err := p.cw.Write(hdr[:])
	return err
}

// object writes one whole object as a pack entry.
func (p *packWriter) object(o gitObject, idx *idxfile.Writer) error {
	code, ok := packTypes[o.typ]
	if !ok {
		return fmt.Errorf("object %s: type %s cannot be packed", o.hash, o.typ)
	}
	pos := p.cw.n
	if pos > maxPackBytes {
		return errors.New("pack would be larger than 2 GiB")
	}
	p.crc.Reset()
	ew := io.MultiWriter(p.cw, p.crc)
	if _, err := ew.Write(entryHeader(code, len(o.data))); err != nil {
		return err
	}
	p.zw.Reset(ew)
	if _, err := p.zw.Write(o.data); err != nil {
		return err
	}
	if err := p.zw.Close(); err != nil {
		return err
	}
	idx.Add(o.hash, uint64(pos), p.crc.Sum32())
	return nil
}

// trailer writes the checksum of everything before it.
func (p *packWriter) trailer(idx *idxfile.Writer) (plumbing.Hash, error) {
	var h plumbing.Hash
	copy(h[:], p.sum.Sum(nil))
	if _, err := p.w.Write(h[:]); err != nil {
		return plumbing.ZeroHash, err
	}
	return h, idx.OnFooter(h)
}

// entryHeader encodes a pack entry's type and inflated size.
func entryHeader(code byte, size int) []byte {
	b := []byte{code<<4 | byte(size&0x0f)}
	size >>= 4
	for size > 0 {
		b[len(b)-1] |= 0x80
		b = append(b, byte(size&0x7f))
		size >>= 7
	}
	return b
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
