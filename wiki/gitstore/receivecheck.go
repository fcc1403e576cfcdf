package gitstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
)

// checkState is Check's verdict on one pushed object: good once it and
// everything it reaches passed, bad once something it reaches failed.
type checkState uint8

const (
	unchecked checkState = iota
	checking
	checkedGood
	checkedBad
)

// link is an object a pushed object names, with the type the name
// demands.
type link struct {
	hash plumbing.Hash
	typ  plumbing.ObjectType
	what string // how the referrer names it, for messages
	path string // for trees and files: where the push puts it
	// old is, for a folder, the stored tree at the same path before the
	// push; trusted marks an entry a stored tree at its path already has,
	// whose object need not be looked up again.
	old     plumbing.Hash
	trusted bool
}

// refusal words a problem of the object at path, when the walk knows it.
func refusal(path, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		return invalid("%s: %s", path, msg)
	}
	return invalid("%s", strings.ToUpper(msg[:1])+msg[1:])
}

func typeWord(t plumbing.ObjectType) string {
	switch t {
	case plumbing.BlobObject:
		return "file (blob)"
	case plumbing.TreeObject:
		return "folder (tree)"
	}
	return t.String()
}

// walk checks the pushed objects tip reaches, depth first, each once per
// push: an object is good when it is well formed and everything it names
// is good or in the repository with the right type. A failure marks every
// object on the way to it bad, so later tips sharing them fail at once.
func (in *Incoming) walk(ctx context.Context, tip plumbing.Hash) error {
	switch in.state[tip] {
	case checkedGood:
		return nil
	case checkedBad:
		return in.fail[tip]
	}
	type frame struct {
		h     plumbing.Hash
		links []link
		next  int
	}
	var stack []*frame
	fail := func(err error) error {
		for _, f := range stack {
			in.state[f.h] = checkedBad
			in.fail[f.h] = err
		}
		return err
	}
	enter := func(h plumbing.Hash, path string, old plumbing.Hash) error {
		links, err := in.checkObject(h, path, old)
		if err != nil {
			stack = append(stack, &frame{h: h})
			return fail(err)
		}
		in.state[h] = checking
		stack = append(stack, &frame{h: h, links: links})
		return nil
	}
	if err := enter(tip, "", plumbing.ZeroHash); err != nil {
		return err
	}
	steps := 0
	for len(stack) > 0 {
		if steps++; steps%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return fail(err)
			}
		}
		f := stack[len(stack)-1]
		if f.next == len(f.links) {
			in.state[f.h] = checkedGood
			stack = stack[:len(stack)-1]
			continue
		}
		l := f.links[f.next]
		f.next++
		o, pushed := in.objs[l.hash]
		if !pushed {
			if l.trusted {
				continue
			}
			if err := in.checkStored(f.h, l); err != nil {
				return fail(err)
			}
			continue
		}
		if o.typ != l.typ {
			return fail(refusal(l.path, "%s lists %s as a %s, but it is a %s", l.what, l.hash, typeWord(l.typ), typeWord(o.typ)))
		}
		in.links[f.h] = append(in.links[f.h], l.hash)
		switch in.state[l.hash] {
		case checkedBad:
			return fail(in.fail[l.hash])
		case unchecked:
			if err := enter(l.hash, l.path, l.old); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkStored verifies that an object a pushed object names, not being in
// the push, is in the repository with the type the name demands.
func (in *Incoming) checkStored(from plumbing.Hash, l link) error {
	typ, ok := in.types[l.hash]
	if !ok {
		if t, cached := in.s.trees.Get(l.hash); cached && t != nil {
			typ = plumbing.TreeObject
		} else {
			typ = in.s.ObjectType(l.hash)
		}
		in.types[l.hash] = typ
	}
	switch {
	case typ == plumbing.InvalidObject:
		return invalid("The push is incomplete: %s %s is neither in the pushed pack nor in the repository.", l.typ, l.hash)
	case typ != l.typ:
		return refusal(l.path, "%s lists %s as a %s, but it is a %s", l.what, l.hash, typeWord(l.typ), typeWord(typ))
	}
	return nil
}

// checkObject checks one pushed object on its own and returns what it
// names.
func (in *Incoming) checkObject(h plumbing.Hash, path string, old plumbing.Hash) ([]link, error) {
	o := in.objs[h]
	switch o.typ {
	case plumbing.CommitObject:
		if err := checkCommit(h, o.data); err != nil {
			return nil, err
		}
		ci, err := in.commit(h)
		if err != nil {
			return nil, err
		}
		links := []link{{hash: ci.tree, typ: plumbing.TreeObject, what: "commit " + h.String(), old: in.storedBaseTree(h)}}
		for _, p := range ci.parents {
			links = append(links, link{hash: p, typ: plumbing.CommitObject, what: "commit " + h.String()})
		}
		return links, nil
	case plumbing.TreeObject:
		return in.checkPushedTree(h, o.data, path, old)
	case plumbing.TagObject:
		t, err := decodeTagInfo(h, o.data)
		if err != nil {
			return nil, err
		}
		typ, err := plumbing.ParseObjectType(t.typ)
		if err != nil || typ == plumbing.OFSDeltaObject || typ == plumbing.REFDeltaObject {
			return nil, invalid("The pushed tag %s tags an object of the unknown type %q.", h, t.typ)
		}
		return []link{{hash: t.target, typ: typ, what: "tag " + h.String()}}, nil
	}
	return nil, nil
}

// checkPushedTree checks a pushed tree's format and every entry's name,
// and the content of git's own files (.gitmodules) among them.
func (in *Incoming) checkPushedTree(h plumbing.Hash, data []byte, dir string, old plumbing.Hash) ([]link, error) {
	entries, err := in.tree(h)
	if err != nil {
		return nil, err
	}
	// The stored tree at the same path: the entries the push keeps as
	// they were need no lookup in the repository (a push of one page in
	// a folder of a thousand names one new blob and 999 stored ones).
	var before map[string]treeEntry
	if !old.IsZero() {
		if t, err := in.s.tree(old); err == nil {
			before = make(map[string]treeEntry, len(t))
			for _, e := range t {
				before[e.name] = e
			}
		}
	}
	links := make([]link, 0, len(entries))
	what := "the pushed tree " + h.String()
	// An entry the stored tree already had, unchanged, is not the push's
	// doing: like a save, a push may keep a name refused today (an old
	// import's) while it changes something else; it may not add one.
	keeps := func(e treeEntry) bool {
		was, ok := before[e.name]
		return ok && was.hash == e.hash && was.mode == e.mode
	}
	for _, e := range entries {
		p := e.name
		if dir != "" {
			p = dir + "/" + e.name
		}
		if keeps(e) {
			continue
		}
		if err := wiki.CheckEntryName(e.name, uint32(e.mode)); err != nil {
			return nil, refusal(p, "%s", strings.TrimSuffix(wiki.ErrorMessage(err), "."))
		}
		if e.hash.IsZero() {
			return nil, refusal(p, "%s names the null object", what)
		}
	}
	// Names first, so a refused name is reported with its path.
	if err := checkTree(h, data); err != nil {
		return nil, err
	}
	for _, e := range entries {
		p := e.name
		if dir != "" {
			p = dir + "/" + e.name
		}
		was, kept := before[e.name], keeps(e)
		switch {
		case e.isDir():
			l := link{hash: e.hash, typ: plumbing.TreeObject, what: what, path: p, trusted: kept}
			if was.isDir() {
				l.old = was.hash
			}
			links = append(links, l)
		case e.isFile():
			links = append(links, link{hash: e.hash, typ: plumbing.BlobObject, what: what, path: p, trusted: kept})
			if !kept && uint32(e.mode) != wiki.ModeSymlink && wiki.IsSpecialFile(e.name) {
				if err := in.checkSpecialBlob(p, e); err != nil {
					return nil, err
				}
			}
		}
	}
	return links, nil
}

// checkSpecialBlob checks the content of a file git reads itself, from
// the push or, when the tree names a stored blob, from the repository.
func (in *Incoming) checkSpecialBlob(path string, e treeEntry) error {
	var data []byte
	if o, ok := in.objs[e.hash]; ok {
		if o.typ != plumbing.BlobObject {
			return nil // the walk reports the wrong type
		}
		data = o.data
	} else {
		b, err := in.s.readObject(plumbing.BlobObject, e.hash)
		if err != nil {
			return nil // the walk reports what is missing
		}
		data = b
	}
	if err := wiki.CheckSpecialFile(wiki.Path(path), data); err != nil {
		return invalid("%s", wiki.ErrorMessage(err))
	}
	return nil
}

// storedBaseTree returns the root tree of the first stored commit on the
// first-parent line of a pushed commit, or zero: what the pushed trees
// are compared with to skip lookups of what they keep.
func (in *Incoming) storedBaseTree(c plumbing.Hash) plumbing.Hash {
	var line []plumbing.Hash
	base := plumbing.ZeroHash
	for cur := c; ; {
		if b, ok := in.baseTrees[cur]; ok {
			base = b
			break
		}
		if _, pushed := in.objs[cur]; !pushed {
			if ci, err := in.s.commit(cur); err == nil {
				base = ci.tree
			}
			break
		}
		line = append(line, cur)
		ci, err := in.commit(cur)
		if err != nil || len(ci.parents) == 0 {
			break
		}
		cur = ci.parents[0]
	}
	for _, h := range line {
		in.baseTrees[h] = base
	}
	return base
}
