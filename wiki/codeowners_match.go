package wiki

import (
	"path"
	"slices"
	"strconv"
	"strings"
)

// ownersPattern is a CODEOWNERS pattern ready to match, one segment per
// name of a path.
type ownersPattern struct {
	segs []ownersSegment
	// inside says the pattern also covers everything under what it
	// names: true unless it ends in "**" or a lone "*".
	inside bool
	// need is a name every path the pattern matches has (its first
	// segment without wildcards), "" when there is none: most rules name
	// folders, and most paths are told apart by that alone.
	need string
}

type ownersSegment struct {
	glob    string
	any     bool // "**": any number of names; at the end, at least one
	literal bool // no wildcard or escape: compared as it is
}

func (s ownersSegment) matches(name string) bool {
	if s.literal {
		return s.glob == name
	}
	ok, _ := path.Match(s.glob, name)
	return ok
}

// matches reports whether the pattern matches the file at p (given as its
// names), or one of the folders holding it when the pattern covers what is
// inside. Positions are tracked as a set, so "**" costs at most the
// path's length per segment whatever the pattern.
func (m *ownersPattern) matches(names []string) bool {
	if len(m.segs) == 0 || len(names) == 0 {
		return false
	}
	if first := m.segs[0]; first.literal && first.glob != names[0] || m.need != "" && !slices.Contains(names, m.need) {
		return false
	}
	var buf [2][33]bool
	pos, next := buf[0][:], buf[1][:]
	if len(names)+1 > len(pos) {
		pos, next = make([]bool, len(names)+1), make([]bool, len(names)+1)
	} else {
		pos, next = pos[:len(names)+1], next[:len(names)+1]
	}
	pos[0] = true
	for i, s := range m.segs {
		clear(next)
		last := i == len(m.segs)-1
		reached := false
		for j, ok := range pos {
			if !ok {
				continue
			}
			switch {
			case s.any && last:
				if j < len(names) {
					return true
				}
			case s.any:
				for k := j; k < len(next); k++ {
					next[k] = true
				}
				reached = true
			case j < len(names) && s.matches(names[j]):
				next[j+1] = true
				reached = true
			}
			if s.any {
				break // every later position is reached already
			}
		}
		if !reached {
			return false
		}
		pos, next = next, pos
	}
	if pos[len(names)] {
		return true
	}
	if m.inside {
		for j := 1; j < len(names); j++ {
			if pos[j] {
				return true
			}
		}
	}
	return false
}

// CodeOwnersMatch is the rule that decides who owns a path in one section.
type CodeOwnersMatch struct {
	Rule    *CodeOwnersRule
	Section *CodeOwnersSection
}

// OwnersOf returns, for each section in file order, the last rule matching
// p, when that rule names owners; none when p has no owner. Optional
// sections are included: they say who owns a path without restricting it.
func (co *CodeOwners) OwnersOf(p Path) []CodeOwnersMatch {
	ms := co.Decisions(p)
	out := ms[:0]
	for _, m := range ms {
		if len(m.Rule.Owners) > 0 {
			out = append(out, m)
		}
	}
	return out
}

// Decisions returns, for each section in file order, the last rule
// matching p, whether it names owners or leaves p without one.
func (co *CodeOwners) Decisions(p Path) []CodeOwnersMatch {
	if co == nil || len(co.Rules) == 0 {
		return nil
	}
	names := strings.Split(string(p), "/")
	var decided [8]bool
	done := decided[:0]
	if len(co.Sections) > len(decided) {
		done = make([]bool, len(co.Sections))
	} else {
		done = decided[:len(co.Sections)]
	}
	left := len(co.Sections)
	var out []CodeOwnersMatch
	for i := len(co.Rules) - 1; i >= 0 && left > 0; i-- {
		r := &co.Rules[i]
		if done[r.Section] || !r.match.matches(names) {
			continue
		}
		done[r.Section] = true
		left--
		out = append(out, CodeOwnersMatch{Rule: r, Section: &co.Sections[r.Section]})
	}
	// Found from the last rule up: put the sections in file order.
	slices.SortFunc(out, func(a, b CodeOwnersMatch) int { return a.Rule.Section - b.Rule.Section })
	return out
}

// CodeOwnersApply reports whether CODEOWNERS restricts what u writes. It
// does not with no identity to tell people apart (no user, or --auth
// none, where everyone is the same configured author), nor for admins, so
// that a CODEOWNERS file that locks everyone out can always be fixed.
// Writes the wiki makes itself carry no user and are not restricted.
func CodeOwnersApply(u *User) bool {
	return u != nil && u.Via != "none" && u.Role < RoleAdmin
}

// IsOwner reports whether the owner names u: "@name" is the user of that
// name or a group of that name (GitLab's @group), "@org/team" a group
// "org/team" or just "team" (identity providers often send bare team
// names), an email address the user's. Names compare case-insensitively.
func IsOwner(owner string, u *User) bool {
	if u == nil {
		return false
	}
	name, ok := strings.CutPrefix(owner, "@")
	if !ok {
		return u.Email != "" && strings.EqualFold(u.Email, owner)
	}
	team := name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		team = name[i+1:]
	} else if strings.EqualFold(u.Name, name) {
		return true
	}
	for _, g := range u.Groups {
		g = strings.TrimPrefix(strings.TrimSpace(g), "@")
		if strings.EqualFold(g, name) || strings.EqualFold(g, team) {
			return true
		}
	}
	return false
}

// Refusals returns the matches that keep u from changing p: the required
// sections whose owners u is not among. None when u may change p.
func (co *CodeOwners) Refusals(u *User, p Path) []CodeOwnersMatch {
	if co == nil || !CodeOwnersApply(u) {
		return nil
	}
	var out []CodeOwnersMatch
	for _, m := range co.OwnersOf(p) {
		if m.Section.Optional {
			continue
		}
		owner := false
		for _, o := range m.Rule.Owners {
			if IsOwner(o, u) {
				owner = true
				break
			}
		}
		if !owner {
			out = append(out, m)
		}
	}
	return out
}

// RefusalMessage says why p may not be changed, naming its owners and the
// lines that made them: "runbooks/db/failover.md is owned by @acme/dba
// (.github/CODEOWNERS:4); you are not one of them.", or with sections
// "… by @a (CODEOWNERS:2) and by @b in section [Database] (CODEOWNERS:9); …".
func (co *CodeOwners) RefusalMessage(p Path, refused []CodeOwnersMatch) string {
	var b strings.Builder
	b.WriteString(string(p))
	b.WriteString(" is owned by ")
	for i, m := range refused {
		if i > 0 {
			b.WriteString(" and by ")
		}
		b.WriteString(strings.Join(m.Rule.Owners, " "))
		if l := m.Section.Label(); l != "" {
			b.WriteString(" in " + l)
		}
		b.WriteString(" (" + m.Rule.Source(co) + ")")
	}
	b.WriteString("; you are not one of them.")
	return b.String()
}

// Source names the rule's line: ".github/CODEOWNERS:4".
func (r *CodeOwnersRule) Source(co *CodeOwners) string {
	return string(co.Path) + ":" + strconv.Itoa(r.Line)
}

// Check returns an EFORBIDDEN error naming every path of paths that u may
// not change, its owners and the lines that made them; nil when u may
// change them all.
func (co *CodeOwners) Check(u *User, paths []Path) error {
	var msgs []string
	seen := map[Path]bool{}
	for _, p := range paths {
		if seen[p] {
			continue
		}
		seen[p] = true
		if refused := co.Refusals(u, p); len(refused) > 0 {
			msgs = append(msgs, co.RefusalMessage(p, refused))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return Errorf(EFORBIDDEN, "%s", strings.Join(msgs, " "))
}
