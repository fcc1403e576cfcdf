package wiki_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

// bigCodeOwners is a CODEOWNERS file of a large organisation: a default
// owner, then per team a folder, its runbooks anywhere, and a few file
// types, in three GitLab sections.
func bigCodeOwners(teams int) []byte {
	var b strings.Builder
	b.WriteString("* @acme/everyone\n")
	for s, name := range []string{"Runbooks", "Services", "Postmortems"} {
		fmt.Fprintf(&b, "\n[%s] @acme/%s-leads\n", name, strings.ToLower(name))
		for i := range teams / 3 {
			t := s*1000 + i
			fmt.Fprintf(&b, "/%s/team-%d/ @acme/team-%d\n**/team-%d/*.md @acme/team-%d-docs\n/%s/team-%d/**/secret-*.md team%d@example.com\n",
				strings.ToLower(name), t, t, t, t, strings.ToLower(name), t, t)
		}
	}
	return []byte(b.String())
}

// BenchmarkCodeOwners measures parsing a CODEOWNERS file of 300 teams (904
// rules) and deciding who owns a path under it: the cost of a save's or
// push's check per file, and of a page view's owners line.
func BenchmarkCodeOwners(b *testing.B) {
	file := bigCodeOwners(300)
	b.Run("Parse", func(b *testing.B) {
		b.SetBytes(int64(len(file)))
		for b.Loop() {
			wiki.ParseCodeOwners(".github/CODEOWNERS", file)
		}
	})
	co := wiki.ParseCodeOwners(".github/CODEOWNERS", file)
	if len(co.Problems) > 0 || len(co.Rules) < 900 {
		b.Fatalf("%d rules, problems %+v", len(co.Rules), co.Problems)
	}
	u := &wiki.User{Name: "eve", Role: wiki.RoleEditor, Via: "token", Groups: []string{"team-7", "acme/everyone"}}
	for _, p := range []wiki.Path{"runbooks/team-7/db/failover.md", "services/team-1099/api.md", "docs/unowned/page.md"} {
		b.Run("Check/"+string(p), func(b *testing.B) {
			for b.Loop() {
				_ = co.Check(u, []wiki.Path{p})
			}
		})
	}
}
