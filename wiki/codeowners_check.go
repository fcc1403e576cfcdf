package wiki

import (
	"context"
	"errors"
	"maps"
)

// ReadCodeOwners reads the CODEOWNERS file in force at commit: the first
// of CodeOwnersPaths that exists; nil when there is none.
func ReadCodeOwners(ctx context.Context, store Store, commit string) (*CodeOwners, error) {
	return readCodeOwners(ctx, store, commit, nil)
}

func readCodeOwners(ctx context.Context, store Store, commit string, parsed *Cache[string, *CodeOwners]) (*CodeOwners, error) {
	for _, p := range CodeOwnersPaths {
		b, blob, err := store.ReadFile(ctx, commit, p)
		if ErrorCode(err) == ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		key := string(p) + "\x00" + blob
		if co, ok := parsed.Get(key); ok {
			return co, nil
		}
		co := ParseCodeOwners(p, b)
		parsed.Put(key, co)
		return co, nil
	}
	return nil, nil
}

// CodeOwners returns the CODEOWNERS file in force as of the catalog's
// commit; nil when the repository has none.
func (c *Catalog) CodeOwners() *CodeOwners {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, p := range CodeOwnersPaths {
		if d := c.configs[p]; d != nil && d.CodeOwners != nil {
			return d.CodeOwners
		}
	}
	return nil
}

// codeOwners holds the editor's CODEOWNERS by commit, as the follower
// holds the settings, and the parsed files by blob: each save makes a
// new commit, and the file rarely changes with it.
type codeOwners struct {
	byCommit *Cache[string, *CodeOwners]
	parsed   *Cache[string, *CodeOwners]
}

func newCodeOwners() codeOwners {
	return codeOwners{byCommit: NewCache[string, *CodeOwners](64, nil), parsed: NewCache[string, *CodeOwners](8, nil)}
}

// CodeOwnersAt returns the CODEOWNERS file in force at commit (nil for
// none), which is what decides who may change what in a change made on
// top of it.
func (e *Editor) CodeOwnersAt(ctx context.Context, commit string) (*CodeOwners, error) {
	if commit == "" {
		return nil, nil
	}
	if co, ok := e.owners.byCommit.Get(commit); ok {
		return co, nil
	}
	co, err := readCodeOwners(ctx, e.store, commit, e.owners.parsed)
	if err != nil {
		return nil, err
	}
	e.owners.byCommit.Put(commit, co)
	return co, nil
}

// restrictions returns the CODEOWNERS file that restricts the request's
// user in a change made on head, and the user; nil when nothing does
// (no file, no identity, an admin).
func (e *Editor) restrictions(ctx context.Context, head string) (*CodeOwners, *User, error) {
	u := UserFrom(ctx)
	if !CodeOwnersApply(u) {
		return nil, nil, nil
	}
	co, err := e.CodeOwnersAt(ctx, head)
	return co, u, err
}

// MayChange returns the EFORBIDDEN error a change of paths by the
// request's user would meet under the CODEOWNERS file on main now; nil
// when they may change them all. The editor uses it to say so up front.
func (e *Editor) MayChange(ctx context.Context, paths ...Path) error {
	head, err := e.store.Head(ctx)
	if err != nil {
		if errors.Is(err, ErrEmpty) {
			return nil
		}
		return err
	}
	co, u, err := e.restrictions(ctx, head)
	if err != nil || co == nil {
		return err
	}
	return co.Check(u, paths)
}

// commit is the one way the editor writes: every save, move, delete,
// attachment, action item and review date goes through it. head is the
// commit the change was decided on. The CODEOWNERS file in force there
// must let the request's user change every file the commit adds,
// changes or deletes (for a move, the old path and the new); and the
// commit pins that file (and the places before it that would take
// precedence), so a CODEOWNERS changed meanwhile makes the write start
// over and be judged by the new one.
func (e *Editor) commit(ctx context.Context, head string, req CommitRequest) (Commit, error) {
	if head != "" {
		co, u, err := e.restrictions(ctx, head)
		if err != nil {
			return Commit{}, err
		}
		if u != nil {
			paths := make([]Path, len(req.Changes))
			for i, c := range req.Changes {
				paths[i] = c.Path
			}
			if err := co.Check(u, paths); err != nil {
				return Commit{}, err
			}
			req.Expect = pinCodeOwners(req.Expect, co)
		}
	}
	return e.store.Commit(ctx, req)
}

// pinCodeOwners adds to expect the CODEOWNERS file in force (co, nil for
// none) and the absence of every place that would take precedence.
func pinCodeOwners(expect map[Path]string, co *CodeOwners) map[Path]string {
	out := maps.Clone(expect)
	if out == nil {
		out = map[Path]string{}
	}
	for _, p := range CodeOwnersPaths {
		want := ""
		if co != nil && p == co.Path {
			want = co.Blob
		}
		if _, ok := out[p]; !ok {
			out[p] = want
		}
		if want != "" {
			break
		}
	}
	return out
}
