package gitstore

import (
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// applyDelta applies a git delta to base, after checking the sizes its
// header declares.
func (r *packReader) applyDelta(base, delta []byte) ([]byte, error) {
	src, delta, err := deltaSize(delta)
	if err != nil {
		return nil, err
	}
	dst, delta, err := deltaSize(delta)
	if err != nil {
		return nil, err
	}
	if src != uint64(len(base)) {
		return nil, fmt.Errorf("the delta is for a base of %d bytes, not %d", src, len(base))
	}
	if err := r.reserve(dst, -1); err != nil {
		return nil, err
	}
	out := make([]byte, 0, dst)
	for len(delta) > 0 {
		op := delta[0]
		delta = delta[1:]
		switch {
		case op&0x80 != 0:
			var off, n uint64
			for i := range 4 {
				if op&(1<<i) != 0 {
					if len(delta) == 0 {
						return nil, errors.New("the delta is truncated")
					}
					off |= uint64(delta[0]) << (8 * i)
					delta = delta[1:]
				}
			}
			for i := range 3 {
				if op&(0x10<<i) != 0 {
					if len(delta) == 0 {
						return nil, errors.New("the delta is truncated")
					}
					n |= uint64(delta[0]) << (8 * i)
					delta = delta[1:]
				}
			}
			if n == 0 {
				n = 0x10000
			}
			if off+n > uint64(len(base)) || n > dst-uint64(len(out)) {
				return nil, errors.New("the delta copies out of bounds")
			}
			out = append(out, base[off:off+n]...)
		case op != 0:
			n := int(op)
			if n > len(delta) || uint64(n) > dst-uint64(len(out)) {
				return nil, errors.New("the delta inserts out of bounds")
			}
			out = append(out, delta[:n]...)
			delta = delta[n:]
		default:
			return nil, errors.New("the delta holds the reserved instruction 0")
		}
	}
	if uint64(len(out)) != dst {
		return nil, fmt.Errorf("the delta makes %d bytes, not the %d it declares", len(out), dst)
	}
	return out, nil
}

// deltaSize reads one of a delta header's little-endian base-128 sizes.
func deltaSize(b []byte) (uint64, []byte, error) {
	var n uint64
	for i, shift := 0, 0; i < len(b); i, shift = i+1, shift+7 {
		if shift > 63 || shift == 63 && b[i]&0x7e != 0 {
			break // beyond 2^64
		}
		n |= uint64(b[i]&0x7f) << shift
		if b[i]&0x80 == 0 {
			return n, b[i+1:], nil
		}
	}
	return 0, nil, errors.New("the delta's header is malformed")
}

// readAny reads an object of any type from the repository: the base of a
// thin pack's delta.
func (s *Store) readAny(h plumbing.Hash) (gitObject, error) {
	var g gitObject
	err := s.withStorage(func(st *filesystem.Storage) error {
		o, err := st.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return err
		}
		r, err := o.Reader()
		if err != nil {
			return err
		}
		defer r.Close()
		data := make([]byte, o.Size())
		if _, err := io.ReadFull(r, data); err != nil {
			return err
		}
		g = gitObject{typ: o.Type(), hash: h, data: data}
		return nil
	})
	return g, err
}
