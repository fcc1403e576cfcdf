package wiki_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

// FuzzParseCodeowners checks that no file makes parsing or matching panic
// or run away, that every problem points at a line of the file, that a
// file is refused exactly when it has problems, and that every rule kept
// reads back alone without a problem: nothing the parser keeps is
// something it would refuse.
func FuzzParseCodeowners(f *testing.F) {
	for _, s := range []string{
		"*       @global-owner1 @global-owner2\n*.js    @js-owner #This is an inline comment.\n*.go docs@example.com\n",
		"/build/logs/ @doctocat\ndocs/* docs@example.com\napps/ @octocat\n/docs/ @doctocat\n**/logs @octocat\n/apps/ @octocat\n/apps/github\n",
		"* @general\n\n[Documentation][2] @docs-team\ndocs/\nREADME.md\n\n^[Database] @database-team\nmodel/db/\nconfig/db/setup.md @docs-team\n",
		"\\#file_with_pound.rb @owner\npath\\ with\\ spaces/ @space-owner\n!neg @x\n[a-z].md @y\n***/x @z\n/ @w\n",
		"[]\n[x][0]\n^[y] @@role\na//b @o\nc @org/\nd a@b\ne \\\n",
		"**/**/**/**/**/a/**/b/** @deep\n*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?* @stars\n",
	} {
		f.Add([]byte(s))
	}
	paths := []wiki.Path{"a.md", "docs/a.md", "apps/github/x.js", "build/logs/a/b/c.log", "#x", "a b/c", "model/db/user.rb",
		wiki.Path(strings.Repeat("a/", 60) + "b")}
	f.Fuzz(func(t *testing.T, b []byte) {
		co := wiki.ParseCodeOwners("CODEOWNERS", b)
		lines := strings.Count(string(b), "\n") + 1
		for _, p := range co.Problems {
			if p.Line < 1 || p.Line > lines || p.Path != "CODEOWNERS" || p.Message == "" {
				t.Fatalf("problem %+v of a %d-line file", p, lines)
			}
		}
		if err := wiki.CheckCodeOwners("CODEOWNERS", b); (err != nil) != (len(co.Problems) > 0) {
			t.Fatalf("CheckCodeOwners = %v with %d problems", err, len(co.Problems))
		}
		if again := wiki.ParseCodeOwners("CODEOWNERS", b); !reflect.DeepEqual(again, co) {
			t.Fatal("parsing the same file twice differs")
		}
		for _, r := range co.Rules {
			if r.Line < 1 || r.Line > lines || r.Section < 0 || r.Section >= len(co.Sections) {
				t.Fatalf("rule %+v of a %d-line file with %d sections", r, lines, len(co.Sections))
			}
			alone := r.Pattern
			if len(r.Owners) > 0 {
				alone += " " + strings.Join(r.Owners, " ")
			}
			if len(co.Sections) > 1 {
				alone = "[S]\n" + alone
			}
			if one := wiki.ParseCodeOwners("CODEOWNERS", []byte(alone)); len(one.Problems) > 0 || len(one.Rules) != 1 {
				t.Fatalf("rule %q kept, but alone it reads as %+v", alone, one.Problems)
			}
		}
		u := &wiki.User{Name: "u", Role: wiki.RoleEditor, Via: "password", Groups: []string{"team"}}
		for _, p := range paths {
			prev := -1
			for _, m := range co.OwnersOf(p) {
				if len(m.Rule.Owners) == 0 || m.Rule.Section <= prev || &co.Sections[m.Rule.Section] != m.Section {
					t.Fatalf("%s: match %+v after section %d", p, m, prev)
				}
				prev = m.Rule.Section
			}
			_ = co.Check(u, []wiki.Path{p})
		}
	})
}
