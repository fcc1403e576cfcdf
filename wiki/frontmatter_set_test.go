package wiki_test

import (
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

const oddPostmortem = `---
# A comment that must survive.
title: "INC-7: DB"   # trailing comment
incident: INC-7
action_items:
  # first item
  - id: AI-1
    title: "Add alert: disk"   # why: we were blind
    owner: ana
    status: open     # still open
    due: 2026-11-01
  -   id: 'AI-2'
      title: Fix it
  - {id: AI-3, title: "Flow, style", status: "in-progress", owner: bo}
  - title: no id here
    status: open
tags: [a,   b]
---
Body stays.
`

func TestSetActionField(t *testing.T) {
	for _, tt := range []struct {
		name, id, field, value string
		old, new               string // the one line that changes ("" old: a line is added)
	}{
		{"BlockReplaceKeepsComment", "AI-1", "status", "done", "    status: open     # still open\n", "    status: done     # still open\n"},
		{"BlockDate", "AI-1", "due", "2026-12-24", "    due: 2026-11-01\n", "    due: 2026-12-24\n"},
		{"BlockQuotedOwner", "AI-1", "owner", "team: sre", "    owner: ana\n", "    owner: 'team: sre'\n"},
		{"BlockAdd", "AI-2", "status", "done", "", "      status: done\n"},
		{"FlowReplace", "AI-3", "status", "done", `  - {id: AI-3, title: "Flow, style", status: "in-progress", owner: bo}` + "\n", `  - {id: AI-3, title: "Flow, style", status: done, owner: bo}` + "\n"},
		{"FlowAdd", "AI-3", "due", "2027-01-01", `  - {id: AI-3, title: "Flow, style", status: "in-progress", owner: bo}` + "\n", `  - {id: AI-3, title: "Flow, style", status: "in-progress", owner: bo, due: 2027-01-01}` + "\n"},
		{"ByPosition", "4", "status", "wontfix", "    status: open\n", "    status: wontfix\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := wiki.SetActionField([]byte(oddPostmortem), tt.id, tt.field, tt.value)
			if err != nil {
				t.Fatal(err)
			}
			before, after := strings.SplitAfter(oddPostmortem, "\n"), strings.SplitAfter(string(out), "\n")
			var removed, added []string
			for _, l := range diffLines(before, after) {
				if l[0] == '-' {
					removed = append(removed, l[1:])
				} else {
					added = append(added, l[1:])
				}
			}
			wantRemoved := []string{}
			if tt.old != "" {
				wantRemoved = []string{tt.old}
			}
			if strings.Join(removed, "") != strings.Join(wantRemoved, "") || strings.Join(added, "") != tt.new {
				t.Fatalf("removed %q added %q; want removed %q added %q\n%s", removed, added, wantRemoved, tt.new, out)
			}
			d := wiki.ParseDocument("postmortems/x.md", out)
			if errs := d.Errors(); len(errs) > 0 {
				t.Fatalf("result has errors: %v", errs)
			}
		})
	}
	if _, err := wiki.SetActionField([]byte(oddPostmortem), "AI-9", "status", "done"); wiki.ErrorCode(err) != wiki.ENOTFOUND {
		t.Errorf("unknown item: %v", err)
	}
}

func TestSetKey(t *testing.T) {
	out, err := wiki.SetKey([]byte(oddPostmortem), "incident", "INC-8")
	if err != nil || !strings.Contains(string(out), "\nincident: INC-8\n") || len(out) != len(oddPostmortem) {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err = wiki.SetKey([]byte("---\ntitle: x\n---\nbody\n"), "last_reviewed", "2026-11-21")
	if err != nil || string(out) != "---\ntitle: x\nlast_reviewed: 2026-11-21\n---\nbody\n" {
		t.Fatalf("%v %q", err, out)
	}
}

// diffLines is a small LCS line diff for the tests: "-line" and "+line".
func diffLines(a, b []string) []string {
	n, m := len(a), len(b)
	dp := make([][]int, n+1)
	for i := range dp {
		dp[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			i, j = i+1, j+1
		case j < m && (i == n || dp[i][j+1] >= dp[i+1][j]):
			out = append(out, "+"+b[j])
			j++
		default:
			out = append(out, "-"+a[i])
			i++
		}
	}
	return out
}

// Front matter in TOML or JSON is changed only by editing the page: the
// in-place edits of YAML say so instead of writing YAML into it.
func TestSetKeyOtherFormats(t *testing.T) {
	for name, in := range map[string]string{
		"TOML": "+++\ntitle = \"T\"\nlast_reviewed = 2026-01-01\n+++\n# T\n",
		"JSON": "{\n  \"title\": \"T\"\n}\n# T\n",
	} {
		t.Run(name, func(t *testing.T) {
			out, err := wiki.SetKey([]byte(in), "last_reviewed", "2026-11-28")
			if wiki.ErrorCode(err) != wiki.EINVALID || !strings.Contains(wiki.ErrorMessage(err), strings.ToUpper(name)) {
				t.Fatalf("SetKey = %q, %v; want EINVALID naming %s", out, err, name)
			}
			if _, err := wiki.SetActionField([]byte(in), "AI-1", "status", "done"); wiki.ErrorCode(err) != wiki.EINVALID {
				t.Fatalf("SetActionField: %v", err)
			}
		})
	}
}
