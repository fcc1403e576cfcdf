package wiki_test

import (
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

// owners returns the owners of p as "@a @b | [Section] @c", sections after
// the first marked with their name ("^" for optional ones).
func owners(co *wiki.CodeOwners, p wiki.Path) string {
	var parts []string
	for _, m := range co.OwnersOf(p) {
		s := strings.Join(m.Rule.Owners, " ")
		if m.Section.Name != "" {
			mark := ""
			if m.Section.Optional {
				mark = "^"
			}
			s = mark + "[" + m.Section.Name + "] " + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " | ")
}

// TestCodeOwnersPatterns checks the matcher against the examples of
// GitHub's and GitLab's CODEOWNERS documentation, each as a file of its
// own: which paths each pattern gives which owners.
func TestCodeOwnersPatterns(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       map[wiki.Path]string // "" for no owner
	}{
		{"Everything", "*       @global-owner1 @global-owner2\n", map[wiki.Path]string{
			"README.md": "@global-owner1 @global-owner2", "a/b/c.md": "@global-owner1 @global-owner2", ".github/CODEOWNERS": "@global-owner1 @global-owner2"}},
		{"ExtensionWithInlineComment", "*.js    @js-owner #This is an inline comment.\n", map[wiki.Path]string{
			"app.js": "@js-owner", "src/deep/app.js": "@js-owner", "app.ts": "", "app.js.md": ""}},
		{"Email", "*.go docs@example.com\n", map[wiki.Path]string{"main.go": "docs@example.com", "cmd/x/main.go": "docs@example.com", "go.mod": ""}},
		{"Team", "*.txt @octo-org/octocats\n", map[wiki.Path]string{"notes.txt": "@octo-org/octocats", "a/notes.txt": "@octo-org/octocats"}},
		{"AnchoredFolder", "/build/logs/ @doctocat\n", map[wiki.Path]string{
			"build/logs/a.log": "@doctocat", "build/logs/deep/b.log": "@doctocat", "x/build/logs/a.log": "", "build/logs": "", "build/a.log": ""}},
		{"FolderFilesOnly", "docs/* docs@example.com\n", map[wiki.Path]string{
			"docs/getting-started.md": "docs@example.com", "docs/build-app/troubleshooting.md": "", "x/docs/a.md": "", "docs": ""}},
		{"FolderAnywhere", "apps/ @octocat\n", map[wiki.Path]string{
			"apps/a.md": "@octocat", "x/y/apps/b.md": "@octocat", "apps": "", "myapps/a.md": ""}},
		{"RootFolder", "/docs/ @doctocat\n", map[wiki.Path]string{"docs/a.md": "@doctocat", "docs/x/y.md": "@doctocat", "x/docs/a.md": ""}},
		{"TwoOwners", "/scripts/ @doctocat @octocat\n", map[wiki.Path]string{"scripts/a.sh": "@doctocat @octocat"}},
		{"LogsAnywhere", "**/logs @octocat\n", map[wiki.Path]string{
			"build/logs/a": "@octocat", "scripts/logs/b": "@octocat", "deeply/nested/logs/c": "@octocat", "logs/d": "@octocat", "logs": "@octocat", "logsx/a": ""}},
		{"NoOwnerOverrides", "/apps/ @octocat\n/apps/github\n", map[wiki.Path]string{
			"apps/main.go": "@octocat", "apps/github/index.js": "", "apps/github": "", "apps/githubx/a": "@octocat"}},
		{"LaterOwnerWins", "/apps/ @octocat\n/apps/github @doctocat\n", map[wiki.Path]string{
			"apps/main.go": "@octocat", "apps/github/index.js": "@doctocat"}},
		{"LastMatchWins", "* @all\n*.md @md\n/runbooks/ @ops\n", map[wiki.Path]string{
			"a.go": "@all", "a.md": "@md", "runbooks/db.md": "@ops", "docs/runbooks/x.md": "@md"}},
		{"EscapedPound", "\\#file_with_pound.rb @owner-file-with-pound\n", map[wiki.Path]string{"#file_with_pound.rb": "@owner-file-with-pound", "file_with_pound.rb": ""}},
		{"EscapedSpaces", "path\\ with\\ spaces/ @space-owner\n", map[wiki.Path]string{"path with spaces/a.md": "@space-owner", "path/a.md": ""}},
		{"EscapedWildcard", "f\\*o @x\n", map[wiki.Path]string{"f*o": "@x", "foo": ""}},
		{"RootFilesOnly", "/docs/* @root-docs\n", map[wiki.Path]string{"docs/a.md": "@root-docs", "docs/x/a.md": ""}},
		{"GlobstarInside", "/docs/**/*.md @md-docs\n", map[wiki.Path]string{"docs/a.md": "@md-docs", "docs/x/y/a.md": "@md-docs", "docs/a.txt": ""}},
		{"QuestionMark", "/runbooks/db?.md @x\n", map[wiki.Path]string{"runbooks/db1.md": "@x", "runbooks/db10.md": "", "runbooks/db.md": ""}},
		{"RootWildcard", "/* @top\n", map[wiki.Path]string{"README.md": "@top", "docs/a.md": ""}},
		{"PrefixWildcardCoversInside", "/run* @r\n", map[wiki.Path]string{"runbooks/a.md": "@r", "docs/runbooks/a.md": ""}},
		{"AnchoredWithoutSlash", "runbooks/db @dba\n", map[wiki.Path]string{"runbooks/db/failover.md": "@dba", "x/runbooks/db/a.md": "", "runbooks/dbx.md": ""}},
		// GitLab reads a path without a leading / as starting with **/;
		// a file with sections is read as GitLab reads it.
		{"GitLabRelative", "[Docs]\ninternal/README.md @username\n", map[wiki.Path]string{
			"internal/README.md": "[Docs] @username", "docs/internal/README.md": "[Docs] @username", "docs/api/internal/README.md": "[Docs] @username"}},
		{"GitHubRelative", "internal/README.md @username\n", map[wiki.Path]string{"internal/README.md": "@username", "docs/internal/README.md": ""}},
		{"CaseSensitive", "/Runbooks/ @r\n", map[wiki.Path]string{"Runbooks/a.md": "@r", "runbooks/a.md": ""}},
		{"CommentsAndBlankLines", "# who owns what\n\n   # indented comment\n*.md @md\n", map[wiki.Path]string{"a.md": "@md"}},
		{"CRLF", "*.md @md\r\n/runbooks/ @ops\r\n", map[wiki.Path]string{"a.md": "@md", "runbooks/a.md": "@ops"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			co := wiki.ParseCodeOwners("CODEOWNERS", []byte(tc.file))
			if len(co.Problems) > 0 {
				t.Fatalf("problems: %+v", co.Problems)
			}
			for p, want := range tc.want {
				if got := owners(co, p); got != want {
					t.Errorf("%s: owners %q, want %q", p, got, want)
				}
			}
		})
	}
}

// TestCodeOwnersSections follows GitLab's documentation of sections: each
// section's last matching rule counts, default owners on the heading,
// optional sections, approvals, and sections of one name combined.
func TestCodeOwnersSections(t *testing.T) {
	file := `# Required for all files
* @general-approvers

[Documentation][2] @docs-team
docs/
README.md
*.txt

^[Database] @database-team
model/db/
config/db/database-setup.md @docs-team

[DOCUMENTATION]
docs/api/ @api-docs
`
	co := wiki.ParseCodeOwners(".gitlab/CODEOWNERS", []byte(file))
	if len(co.Problems) > 0 {
		t.Fatalf("problems: %+v", co.Problems)
	}
	if len(co.Sections) != 3 || co.Sections[1].Name != "Documentation" || co.Sections[1].Approvals != 2 || !co.Sections[2].Optional {
		t.Fatalf("sections: %+v", co.Sections)
	}
	for p, want := range map[wiki.Path]string{
		"main.go":                     "@general-approvers",
		"docs/guide.md":               "@general-approvers | [Documentation] @docs-team",
		"README.md":                   "@general-approvers | [Documentation] @docs-team",
		"sub/README.md":               "@general-approvers | [Documentation] @docs-team",
		"docs/api/v1.md":              "@general-approvers | [Documentation] @api-docs",
		"model/db/user.rb":            "@general-approvers | ^[Database] @database-team",
		"config/db/database-setup.md": "@general-approvers | ^[Database] @docs-team",
	} {
		if got := owners(co, p); got != want {
			t.Errorf("%s: owners %q, want %q", p, got, want)
		}
	}
	t.Run("RequiredWinsOverOptional", func(t *testing.T) {
		co := wiki.ParseCodeOwners("CODEOWNERS", []byte("^[DB] @a\ndb/\n[db]\nlegacy/ @b\n"))
		if len(co.Sections) != 2 || co.Sections[1].Optional {
			t.Fatalf("sections: %+v", co.Sections)
		}
		if got := owners(co, "db/x.sql"); got != "[DB] @a" {
			t.Errorf("owners %q", got)
		}
	})
	t.Run("EveryRequiredSectionRestricts", func(t *testing.T) {
		u := &wiki.User{Name: "docs-writer", Groups: []string{"docs-team"}, Role: wiki.RoleEditor, Via: "password"}
		if err := co.Check(u, []wiki.Path{"docs/guide.md"}); err == nil ||
			err.Error() == "" || wiki.ErrorMessage(err) != "docs/guide.md is owned by @general-approvers (.gitlab/CODEOWNERS:2); you are not one of them." {
			t.Fatalf("docs writer outside general-approvers: %v", err)
		}
		u.Groups = append(u.Groups, "general-approvers")
		if err := co.Check(u, []wiki.Path{"docs/guide.md"}); err != nil {
			t.Fatalf("in both sections: %v", err)
		}
		// An optional section names owners without restricting anyone.
		if err := co.Check(u, []wiki.Path{"model/db/user.rb"}); err != nil {
			t.Fatalf("optional section restricted: %v", err)
		}
		u.Groups = []string{"general-approvers"}
		err := co.Check(u, []wiki.Path{"docs/api/v1.md"})
		want := "docs/api/v1.md is owned by @api-docs in section [Documentation] (.gitlab/CODEOWNERS:14); you are not one of them."
		if wiki.ErrorCode(err) != wiki.EFORBIDDEN || wiki.ErrorMessage(err) != want {
			t.Fatalf("got %q, want %q", wiki.ErrorMessage(err), want)
		}
		err = co.Check(&wiki.User{Name: "eve", Role: wiki.RoleEditor, Via: "token"}, []wiki.Path{"docs/api/v1.md"})
		want = "docs/api/v1.md is owned by @general-approvers (.gitlab/CODEOWNERS:2) and by @api-docs in section [Documentation] (.gitlab/CODEOWNERS:14); you are not one of them."
		if wiki.ErrorCode(err) != wiki.EFORBIDDEN || wiki.ErrorMessage(err) != want {
			t.Fatalf("got %q, want %q", wiki.ErrorMessage(err), want)
		}
	})
}

// TestCodeOwnersProblems checks that every mistake is reported with its
// line, that the line is left out, and that the other lines hold.
func TestCodeOwnersProblems(t *testing.T) {
	for _, tc := range []struct {
		name, line, want string
		// kept is a path the line, had it been read, would give @x.
		kept wiki.Path
	}{
		{"Negation", "!docs/ @x", "negation with ! is not supported", "docs/a.md"},
		{"CharacterRange", "docs/[ab].md @x", "character ranges with [ ] are not supported", "docs/a.md"},
		{"RangeAtStart", "[a-z]*.md @x", "character ranges", "a.md"},
		{"ThreeStars", "***.md @x", "*** is not a pattern", "a.md"},
		{"SlashAlone", "/ @x", `"/" matches no file`, "a.md"},
		{"EmptyFolder", "docs//a.md @x", "empty folder name", "docs/a.md"},
		{"LoneBackslash", `docs/a.md @x \`, `lone "\"`, "docs/a.md"},
		{"NotAnOwner", "docs/a.md x", `"x" is not an owner`, "docs/a.md"},
		{"BadTeam", "docs/a.md @org/", `"@org/" is not an owner`, "docs/a.md"},
		{"GitLabRole", "docs/a.md @@developer", "names a GitLab role", "docs/a.md"},
		{"NotAnEmail", "docs/a.md a@localhost", `"a@localhost" is not an email address`, "docs/a.md"},
		{"SectionWithoutName", "[] @x", "a section needs a name", ""},
		{"BadApprovals", "[Docs][many] @x", "must be a whole number of at least 1", ""},
		{"NoApprovals", "[Docs][0] @x", "must be a whole number of at least 1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := "* @everyone\n# comment\n" + tc.line + "\n"
			co := wiki.ParseCodeOwners(".github/CODEOWNERS", []byte(file))
			if len(co.Problems) != 1 {
				t.Fatalf("problems: %+v", co.Problems)
			}
			p := co.Problems[0]
			if p.Path != ".github/CODEOWNERS" || p.Line != 3 || p.Severity != wiki.SeverityError || !strings.Contains(p.Message, tc.want) {
				t.Fatalf("problem %+v, want line 3 saying %q", p, tc.want)
			}
			if tc.kept != "" {
				if got := owners(co, tc.kept); got != "@everyone" {
					t.Errorf("%s: owners %q: the line with the problem was read", tc.kept, got)
				}
			}
			err := wiki.CheckCodeOwners(".github/CODEOWNERS", []byte(file))
			if wiki.ErrorCode(err) != wiki.EDOCUMENT {
				t.Errorf("CheckCodeOwners = %v, want EDOCUMENT", err)
			}
		})
	}
	t.Run("BadOwnerAmongGoodOnes", func(t *testing.T) {
		co := wiki.ParseCodeOwners("CODEOWNERS", []byte("* @everyone\n/db/ @dba not-an-owner\n"))
		if len(co.Problems) != 1 || co.Problems[0].Line != 2 {
			t.Fatalf("problems: %+v", co.Problems)
		}
		if got := owners(co, "db/a.sql"); got != "@dba" {
			t.Errorf("owners %q: the line's good owners should hold", got)
		}
	})
	t.Run("TooLarge", func(t *testing.T) {
		big := strings.Repeat("/a/ @x\n", 3<<20/7+1)
		co := wiki.ParseCodeOwners("CODEOWNERS", []byte(big))
		if len(co.Problems) != 1 || len(co.Rules) != 0 || !strings.Contains(co.Problems[0].Message, "larger than 3 MiB") {
			t.Fatalf("problems %+v, %d rules", co.Problems, len(co.Rules))
		}
	})
	t.Run("ProblemsAreCounted", func(t *testing.T) {
		co := wiki.ParseCodeOwners("CODEOWNERS", []byte(strings.Repeat("!x @a\n", 250)))
		if len(co.Problems) != 101 || co.Problems[100].Message != "and 150 more problems" {
			t.Fatalf("%d problems, last %+v", len(co.Problems), co.Problems[len(co.Problems)-1])
		}
	})
	t.Run("Clean", func(t *testing.T) {
		if err := wiki.CheckCodeOwners("CODEOWNERS", []byte("* @a\n")); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCodeOwnersUsers checks who counts as an owner.
func TestCodeOwnersUsers(t *testing.T) {
	editor := func(name, email string, groups ...string) *wiki.User {
		return &wiki.User{Name: name, Email: email, Groups: groups, Role: wiki.RoleEditor, Via: "password"}
	}
	for _, tc := range []struct {
		name  string
		owner string
		user  *wiki.User
		want  bool
	}{
		{"UserName", "@dana", editor("dana", ""), true},
		{"UserNameAnyCase", "@Dana", editor("dana", ""), true},
		{"OtherUser", "@dana", editor("eve", ""), false},
		{"GroupOfThatName", "@dba-team", editor("eve", "", "dba-team"), true},
		{"TeamFull", "@acme/dba", editor("eve", "", "acme/dba"), true},
		{"TeamBare", "@acme/dba", editor("eve", "", "dba"), true},
		{"TeamAnyCase", "@acme/dba", editor("eve", "", "ACME/DBA"), true},
		{"TeamWithAt", "@acme/dba", editor("eve", "", "@acme/dba"), true},
		{"TeamOfOtherOrg", "@acme/dba", editor("eve", "", "other/dba"), false},
		{"TeamIsNotAUser", "@acme/dba", editor("dba", ""), false},
		{"NestedGroup", "@gitlab-org/plan/backend", editor("eve", "", "gitlab-org/plan/backend"), true},
		{"NestedGroupBare", "@gitlab-org/plan/backend", editor("eve", "", "backend"), true},
		{"Email", "dba@example.com", editor("eve", "DBA@example.com"), true},
		{"OtherEmail", "dba@example.com", editor("eve", "eve@example.com"), false},
		{"NoEmail", "dba@example.com", editor("eve", ""), false},
		{"NoUser", "@dana", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := wiki.IsOwner(tc.owner, tc.user); got != tc.want {
				t.Fatalf("IsOwner(%q, %+v) = %v", tc.owner, tc.user, got)
			}
		})
	}
	t.Run("WhomItRestricts", func(t *testing.T) {
		for _, tc := range []struct {
			user *wiki.User
			want bool
		}{
			{nil, false}, // the wiki's own writes
			{&wiki.User{Name: "Ops", Role: wiki.RoleAdmin, Via: "none"}, false},
			{&wiki.User{Name: "Ops", Role: wiki.RoleEditor, Via: "none"}, false},
			{&wiki.User{Name: "ana", Role: wiki.RoleAdmin, Via: "password"}, false},
			{&wiki.User{Name: "bo", Role: wiki.RoleEditor, Via: "token"}, true},
			{&wiki.User{Name: "bo", Role: wiki.RoleEditor, Via: "proxy"}, true},
		} {
			if got := wiki.CodeOwnersApply(tc.user); got != tc.want {
				t.Errorf("CodeOwnersApply(%+v) = %v", tc.user, got)
			}
		}
	})
	t.Run("Message", func(t *testing.T) {
		co := wiki.ParseCodeOwners(".github/CODEOWNERS", []byte("# owners\n* @everyone-team\n\n/runbooks/db/ @acme/dba\n"))
		eve := editor("eve", "eve@example.com", "everyone-team")
		err := co.Check(eve, []wiki.Path{"runbooks/web.md", "runbooks/db/failover.md", "runbooks/db/failover.md"})
		want := "runbooks/db/failover.md is owned by @acme/dba (.github/CODEOWNERS:4); you are not one of them."
		if wiki.ErrorCode(err) != wiki.EFORBIDDEN || wiki.ErrorMessage(err) != want {
			t.Fatalf("got %v, want %q", err, want)
		}
		if err := co.Check(editor("dan", "", "dba"), []wiki.Path{"runbooks/db/failover.md"}); err != nil {
			t.Fatalf("a member of the team: %v", err)
		}
		admin := &wiki.User{Name: "ana", Role: wiki.RoleAdmin, Via: "password"}
		if err := co.Check(admin, []wiki.Path{"runbooks/db/failover.md", "x"}); err != nil {
			t.Fatalf("an admin: %v", err)
		}
		var none *wiki.CodeOwners
		if err := none.Check(eve, []wiki.Path{"runbooks/db/failover.md"}); err != nil || none.OwnersOf("a") != nil {
			t.Fatalf("no CODEOWNERS restricts: %v", err)
		}
	})
}

// TestCodeOwnersPaths checks where the file is looked for.
func TestCodeOwnersPaths(t *testing.T) {
	for p, want := range map[wiki.Path]bool{
		".github/CODEOWNERS": true, "CODEOWNERS": true, "docs/CODEOWNERS": true, ".gitlab/CODEOWNERS": true,
		"codeowners": false, "x/CODEOWNERS": false, "CODEOWNERS.md": false,
	} {
		if p.IsCodeOwners() != want || wiki.IsConfigFile(p) != want {
			t.Errorf("%s: IsCodeOwners %v, want %v", p, p.IsCodeOwners(), want)
		}
	}
	g := wiki.Gate{}
	if _, err := g.CheckFile("CODEOWNERS", []byte("* @a\n!x @b\n"), nil); wiki.ErrorCode(err) != wiki.EDOCUMENT {
		t.Errorf("the gate let a CODEOWNERS file with a mistake through: %v", err)
	}
	if _, err := g.CheckFile("CODEOWNERS", []byte("* @a\n"), nil); err != nil {
		t.Errorf("the gate refused a good CODEOWNERS: %v", err)
	}
}
