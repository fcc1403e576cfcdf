package wiki_test

import (
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

func TestAddAlias(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"NoFrontMatter", "# T\n", "---\naliases:\n  - \"old\"\n---\n# T\n"},
		{"NoKey", "---\ntitle: T # keep\n---\nbody\n", "---\ntitle: T # keep\naliases:\n  - \"old\"\n---\nbody\n"},
		{"BlockList", "---\naliases:\n    - a\n    - b\ntitle: T\n---\n", "---\naliases:\n    - a\n    - b\n    - \"old\"\ntitle: T\n---\n"},
		{"FlowList", "---\ntitle: T\naliases: [a]\nowner: x\n---\n", "---\ntitle: T\naliases: [\"a\", \"old\"]\nowner: x\n---\n"},
		{"Scalar", "---\naliases: a\n---\n", "---\naliases: [\"a\", \"old\"]\n---\n"},
		{"TOML", "+++\ntitle = \"T\"\n[params]\nx = 1\n+++\nbody\n", "+++\naliases = [\"old\"]\ntitle = \"T\"\n[params]\nx = 1\n+++\nbody\n"},
		{"JSON", "{\n  \"title\": \"T\"\n}\nbody\n", "{\n  \"aliases\": [\"old\"],\n  \"title\": \"T\"\n}\nbody\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := wiki.AddAlias([]byte(tt.in), "old")
			if err != nil {
				t.Fatal(err)
			}
			got := string(out)
			if got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
			if d := wiki.ParseDocument("p.md", []byte(got)); len(d.Errors()) > 0 || d.Meta.Aliases[len(d.Meta.Aliases)-1] != "old" {
				t.Fatalf("result does not parse to the alias: %+v %v", d.Meta.Aliases, d.Errors())
			}
		})
	}
}

// Aliases the front matter has already, in TOML or JSON, are not
// rewritten: the move is refused with what to do instead.
func TestAddAliasRefused(t *testing.T) {
	for name, in := range map[string]string{
		"TOMLHasAliases": "+++\naliases = [\"/x/\"]\n+++\n",
		"JSONHasAliases": "{\n  \"aliases\": [\"/x/\"]\n}\n",
		"JSONOneLine":    "{\"title\": \"T\"}\nbody\n",
		"TOMLBroken":     "+++\ntitle = \n+++\n",
		"TOMLNotClosed":  "+++\ntitle = \"T\"\n",
	} {
		t.Run(name, func(t *testing.T) {
			if out, err := wiki.AddAlias([]byte(in), "old"); wiki.ErrorCode(err) != wiki.EINVALID {
				t.Fatalf("AddAlias = %q, %v; want EINVALID", out, err)
			}
		})
	}
}

func TestNewPage(t *testing.T) {
	date := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	p := wiki.NewPageParams{Incident: "INC-123", Service: "checkout", Alert: "KubeAPIErrorsHigh", Title: "DB down: \"again\"", Author: "ana", Date: date}
	got := wiki.FillTemplate(`incident: "{{incident}}"`+"\ntitle: \"{{title}}\"\nowner: \"{{owner}}\"\nreviewed: \"{{date}}\"\n", p)
	want := "incident: \"INC-123\"\ntitle: \"DB down: again\"\nowner: \"{{owner}}\"\nreviewed: \"2026-11-21\"\n"
	if got != want {
		t.Errorf("FillTemplate = %q, want %q", got, want)
	}
	for _, tt := range []struct{ kind, want string }{
		{wiki.KindPostmortem, "postmortems/2026/2026-11-21-inc-123-db-down-again.md"},
		{wiki.KindRunbook, "runbooks/kube-api-errors-high.md"},
		{wiki.KindService, "services/checkout.md"},
		{"", "db-down-again.md"},
	} {
		if got := wiki.DefaultPagePath(tt.kind, p); got != tt.want {
			t.Errorf("DefaultPagePath(%q) = %q, want %q", tt.kind, got, tt.want)
		}
	}
	if got := wiki.DefaultPagePath(wiki.KindPostmortem, wiki.NewPageParams{Incident: "INC-7", Date: date}); got != "postmortems/2026/2026-11-21-inc-7.md" {
		t.Errorf("postmortem without title: %q", got)
	}
}

func TestRelativePath(t *testing.T) {
	for _, tt := range []struct {
		dir, p wiki.Path
		want   string
	}{
		{"", "a.md", "a.md"},
		{"runbooks", "runbooks/a.md", "a.md"},
		{"runbooks/db", "services/x.md", "../../services/x.md"},
		{"", "services/x.md", "services/x.md"},
		{"a/b", "a/c/d.md", "../c/d.md"},
	} {
		if got := wiki.RelativePath(tt.dir, tt.p); got != tt.want {
			t.Errorf("RelativePath(%q, %q) = %q, want %q", tt.dir, tt.p, got, tt.want)
		}
	}
}
