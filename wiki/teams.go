package wiki

import (
	"path"
	"sort"
	"strings"
)

// teamKeys are the names a team page answers to, lower-cased: its name in
// front matter, its title, its file name and its path without .md
// ("teams/sre"), so "owner: SRE", "owner: sre" and "owner: teams/sre"
// all find teams/sre.md.
func teamKeys(pi *PageInfo) []string {
	var keys []string
	add := func(s string) {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" && !containsString(keys, s) {
			keys = append(keys, s)
		}
	}
	add(pi.Meta.Name)
	add(pi.Title)
	name := pi.Path.Name() // teams/sre, or teams/sre for teams/sre/README.md
	add(name)
	add(path.Base(name))
	return keys
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Team returns the team page a name refers to (an owner, an escalation
// target), case-insensitively: by the team's name, title, file name or
// path. Two teams answering to one name: the first by path.
func (g *Graph) Team(name string) (*PageInfo, bool) {
	name = strings.ToLower(strings.Trim(strings.TrimSpace(name), "/"))
	name = strings.TrimPrefix(strings.TrimSuffix(name, ".md"), "@")
	if name == "" {
		return nil, false
	}
	return g.teams.Get(name)
}

// Teams returns every team page once, by path.
func (g *Graph) Teams() []*PageInfo {
	seen := map[Path]bool{}
	var out []*PageInfo
	for it := g.teams.Iterator(); !it.Done(); {
		_, pi, _ := it.Next()
		if !seen[pi.Path] {
			seen[pi.Path] = true
			out = append(out, pi)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// OwnerTeam returns the team page of the team owning a service, when the
// wiki has one.
func (g *Graph) OwnerTeam(n *ServiceNode) (*PageInfo, bool) {
	if n == nil {
		return nil, false
	}
	return g.Team(n.Owner())
}

// ServicesOf returns the services a page is about, for resolving who to
// call: a service page's own service, else its services.
func (g *Graph) ServicesOf(pi *PageInfo) []*ServiceNode {
	var names []string
	if pi.Meta.Kind == KindService && pi.Meta.Name != "" {
		names = append(names, pi.Meta.Name)
	}
	names = append(names, pi.Meta.Services...)
	var out []*ServiceNode
	seen := map[string]bool{}
	for _, name := range names {
		k := strings.ToLower(name)
		if seen[k] {
			continue
		}
		seen[k] = true
		if n, ok := g.Service(name); ok {
			out = append(out, n)
		}
	}
	return out
}
