package search

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// verifySegments checks the checksum of every segment file the index
// refers to. bleve maps segments into memory and trusts them: a damaged one
// loads, then fails or panics only when a search reaches the damaged part.
//
// Each zap segment (zapx v11–v16) ends in a big-endian CRC-32 (IEEE) of all
// the bytes before it. Only segments of the open snapshot are read: they
// are complete (the snapshot references them) and cannot be removed while
// the snapshot is held, whatever the merger writes meanwhile.
func verifySegments(idx bleve.Index) error {
	adv, err := idx.Advanced()
	if err != nil {
		return err
	}
	r, err := adv.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil
	}
	for _, ss := range snap.Segments() {
		if p, ok := ss.Segment().(interface{ Path() string }); ok && p.Path() != "" {
			if err := verifySegment(p.Path()); err != nil {
				return err
			}
		}
	}
	return nil
}

func verifySegment(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	n := fi.Size() - 4
	if n < 0 {
		return fmt.Errorf("segment %s is truncated (%d bytes)", filepath.Base(path), fi.Size())
	}
	h := crc32.NewIEEE()
	if _, err := io.CopyN(h, f, n); err != nil {
		return fmt.Errorf("read segment %s: %w", filepath.Base(path), err)
	}
	var footer [4]byte
	if _, err := io.ReadFull(f, footer[:]); err != nil {
		return fmt.Errorf("read segment %s: %w", filepath.Base(path), err)
	}
	if got, want := h.Sum32(), binary.BigEndian.Uint32(footer[:]); got != want {
		return fmt.Errorf("segment %s is corrupt: checksum %08x, recorded %08x", filepath.Base(path), got, want)
	}
	return nil
}
