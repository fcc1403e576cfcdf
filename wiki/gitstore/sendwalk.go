package gitstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
)

// tree reads a tree object into memory of its own, which the caller
// hands back with recycle once it is done with it: trees are kept while
// their entries are walked, which reads other objects.
func (sel *selection) tree(h plumbing.Hash) (objLoc, []byte, error) {
	l, err := sel.src.locate(h)
	if err != nil {
		return l, nil, err
	}
	t, data, owned, err := sel.src.read(h, l)
	if err != nil {
		return l, nil, err
	}
	if t != plumbing.TreeObject {
		return l, nil, fmt.Errorf("object %s is a %s, not a tree", h, t)
	}
	if !owned {
		data = append(sel.src.getBuf(int64(len(data)))[:0], data...)
	}
	return l, data, nil
}

// markHave records that the client has tree h and everything in it.
func (sel *selection) markHave(h plumbing.Hash) error {
	if _, added := sel.have.add(h); !added {
		return nil
	}
	if err := sel.ctx.Err(); err != nil {
		return err
	}
	_, data, err := sel.tree(h)
	if err != nil {
		return err
	}
	defer sel.src.recycle(data)
	for pos := 0; pos < len(data); {
		mode, _, id, next, err := treeEntryAt(h, data, pos)
		if err != nil {
			return err
		}
		switch mode & 0o170000 {
		case 0o040000:
			if err := sel.markHave(id); err != nil {
				return err
			}
		case 0o160000: // a submodule's commit, not in this repository
		default:
			sel.have.add(id)
		}
		pos = next
	}
	return nil
}

// walkedTree is a tree object with where its entries start, and its
// length last.
type walkedTree struct {
	id     plumbing.Hash
	data   []byte
	bounds []int32
}

// walk adds tree h, found at path, and everything in it that is neither
// sent already nor the client's. An entry that the tree last walked at the
// same path has too (same mode, name and id) was dealt with then: a
// folder's versions share most entries, and its runs of entries before
// and after the first and last difference are skipped by comparing bytes,
// without parsing them, which spares millions of lookups in a clone.
func (sel *selection) walk(h plumbing.Hash, path string) error {
	if sel.have.has(h) || sel.sent.has(h) {
		return nil
	}
	if err := sel.ctx.Err(); err != nil {
		return err
	}
	l, data, err := sel.tree(h)
	if err != nil {
		return err
	}
	sel.addAt(h, l)
	prev, ok := sel.walked[path]
	if !ok {
		prev = walkedTree{bounds: []int32{0}}
	}
	// Entries that lie in the bytes both trees start with are the same
	// entries: both are parsed from the start.
	pre := commonPrefix(data, prev.data)
	k, _ := slices.BinarySearch(prev.bounds, int32(pre)+1)
	k-- // prev.bounds[k] is the last entry start within pre
	pos := int(prev.bounds[k])
	bounds := sel.boundsBuf(len(prev.bounds) + 4)
	bounds = append(bounds, prev.bounds[:k]...)
	// The bytes both end with are the same entries once they start where
	// an entry of prev starts.
	suf := commonSuffix(data[pos:], prev.data[pos:])
	shift := len(prev.data) - len(data)
	for pos < len(data) {
		if len(data)-pos <= suf {
			if j, ok := slices.BinarySearch(prev.bounds, int32(pos+shift)); ok {
				for _, b := range prev.bounds[j:] {
					bounds = append(bounds, b-int32(shift))
				}
				break
			}
		}
		bounds = append(bounds, int32(pos))
		mode, name, id, next, err := treeEntryAt(h, data, pos)
		if err != nil {
			return err
		}
		if err := sel.walkEntry(h, path, mode, name, id); err != nil {
			return err
		}
		pos = next
	}
	if len(bounds) == 0 || int(bounds[len(bounds)-1]) != len(data) {
		bounds = append(bounds, int32(len(data)))
	}
	// The tree replaces prev; both serve as delta bases while held.
	sel.walked[path] = walkedTree{id: h, data: data, bounds: bounds}
	sel.held[h] = data
	if ok {
		delete(sel.held, prev.id)
		sel.src.recycle(prev.data)
		sel.freeBounds = prev.bounds
	}
	return nil
}

// boundsBuf returns an empty slice for a walked tree's bounds.
func (sel *selection) boundsBuf(n int) []int32 {
	if b := sel.freeBounds; cap(b) >= n {
		sel.freeBounds = nil
		return b[:0]
	}
	return make([]int32, 0, n+n/8+16)
}

func (sel *selection) walkEntry(tree plumbing.Hash, path string, mode uint32, name []byte, id plumbing.Hash) error {
	switch mode & 0o170000 {
	case 0o040000:
		if path != "" {
			return sel.walk(id, path+"/"+string(name))
		}
		return sel.walk(id, string(name))
	case 0o160000: // a submodule's commit, not in this repository
		return nil
	}
	if sel.have.has(id) || sel.sent.has(id) {
		return nil
	}
	l, err := sel.src.locate(id)
	if err != nil {
		return fmt.Errorf("tree %s: %w", tree, err)
	}
	sel.addAt(id, l)
	return nil
}

// treeEntryAt parses the tree entry at pos and returns where the next
// one starts.
func treeEntryAt(h plumbing.Hash, data []byte, pos int) (mode uint32, name []byte, id plumbing.Hash, next int, err error) {
	rest := data[pos:]
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 || sp > 7 {
		return 0, nil, id, 0, fmt.Errorf("tree %s is malformed at byte %d", h, pos)
	}
	for _, c := range rest[:sp] {
		if c < '0' || c > '7' {
			return 0, nil, id, 0, fmt.Errorf("tree %s is malformed: mode %q", h, rest[:sp])
		}
		mode = mode<<3 | uint32(c-'0')
	}
	nul := bytes.IndexByte(rest[sp+1:], 0)
	if nul < 0 || len(rest) < sp+1+nul+21 {
		return 0, nil, id, 0, fmt.Errorf("tree %s is malformed: truncated entry", h)
	}
	name = rest[sp+1 : sp+1+nul]
	copy(id[:], rest[sp+1+nul+1:])
	return mode, name, id, pos + sp + 1 + nul + 21, nil
}

// commonPrefix returns how many bytes a and b start with alike.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for ; i+8 <= n; i += 8 {
		if binary.LittleEndian.Uint64(a[i:]) != binary.LittleEndian.Uint64(b[i:]) {
			break
		}
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// commonSuffix returns how many bytes a and b end with alike.
func commonSuffix(a, b []byte) int {
	n := min(len(a), len(b))
	a, b = a[len(a)-n:], b[len(b)-n:]
	i := n
	for ; i >= 8; i -= 8 {
		if binary.LittleEndian.Uint64(a[i-8:]) != binary.LittleEndian.Uint64(b[i-8:]) {
			break
		}
	}
	for i > 0 && a[i-1] == b[i-1] {
		i--
	}
	return n - i
}
