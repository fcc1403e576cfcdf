package wiki_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

func TestParseDocumentFallbacks(t *testing.T) {
	for _, tt := range []struct {
		name, path, content string
		kind, title         string
	}{
		{"FrontMatter", "x.md", "---\ntitle: Disk full\nkind: runbook\n---\n# Other\n", "runbook", "Disk full"},
		{"Heading", "runbooks/a.md", "Intro\n\n# KubePodCrashLooping\n\ntext\n", "runbook", "KubePodCrashLooping"},
		{"SetextHeading", "services/a.md", "Checkout\n========\n\ntext\n", "service", "Checkout"},
		{"FileName", "postmortems/2026/inc-1.md", "## Only a second level\n", "postmortem", "inc-1"},
		{"FolderPage", "services/db/README.md", "text", "service", "db"},
		{"NoFrontMatterHorizontalRule", "a.md", "text\n\n---\n\nmore\n", "page", "a"},
		{"HeadingInCodeIgnored", "a.md", "```\n# not a heading\n```\n# Real\n", "page", "Real"},
		{"EmptyFrontMatter", "a.md", "---\n---\n# T\n", "page", "T"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := wiki.ParseDocument(wiki.Path(tt.path), []byte(tt.content))
			if d.Meta.Kind != tt.kind || d.Title != tt.title {
				t.Errorf("kind, title = %q, %q; want %q, %q", d.Meta.Kind, d.Title, tt.kind, tt.title)
			}
			if errs := d.Errors(); len(errs) > 0 {
				t.Errorf("unexpected errors: %+v", errs)
			}
		})
	}
}

func TestParseDocumentMeta(t *testing.T) {
	src := `---
title: "INC-2041: checkout errors"
incident: INC-2041
status: published
severity: SEV2
service: checkout
authors: [ana, bo]
started: 2026-10-14T09:02:00Z
detected: "2026-10-14 09:10 UTC"
acknowledged: 2026-10-14 11:12 Europe/Berlin
mitigated: 2026-10-14T09:40:00+00:00
resolved: 2026-10-14T10:05:00Z
action_items:
  - id: AI-1
    title: Add connection pool alert
    owner: payments
    type: detect
    status: open
    due: 2026-11-01
  - id: AI-2
    title: Raise pool size
    status: done
custom_field: kept   # an unknown key
---
# Body heading

Text with ` + "`pg_stat_activity`" + ` and a [link](x.md) and [[wiki/link|label]].

` + "```bash\nkubectl get pods\n```\n"
	d := wiki.ParseDocument("postmortems/2026/inc.md", []byte(src))
	if len(d.Problems) > 0 {
		t.Fatalf("problems: %+v", d.Problems)
	}
	m := d.Meta
	if m.Kind != "postmortem" || m.Title != "INC-2041: checkout errors" || m.Status != "published" {
		t.Errorf("kind/title/status = %q/%q/%q", m.Kind, m.Title, m.Status)
	}
	if len(m.Incidents) != 1 || m.Incidents[0] != "INC-2041" || len(m.Services) != 1 || m.Services[0] != "checkout" {
		t.Errorf("incidents, services = %v, %v", m.Incidents, m.Services)
	}
	if got := m.Detected.UTC().Format(time.RFC3339); got != "2026-10-14T09:10:00Z" {
		t.Errorf("detected = %s", got)
	}
	if got := m.Acknowledged.UTC().Format(time.RFC3339); got != "2026-10-14T09:12:00Z" {
		t.Errorf("acknowledged (Europe/Berlin, UTC+2 in October) = %s", got)
	}
	if len(m.ActionItems) != 2 || m.ActionItems[0].Due.Format(time.DateOnly) != "2026-11-01" || m.ActionItems[1].Status != "done" {
		t.Fatalf("action items = %+v", m.ActionItems)
	}
	if m.ActionItems[0].Line != 14 {
		t.Errorf("action item line = %d, want 14", m.ActionItems[0].Line)
	}
	if len(m.Extra) != 1 || m.Extra[0].Key != "custom_field" || m.Extra[0].Value != "kept" || m.Extra[0].Line != 23 {
		t.Errorf("extra = %+v", m.Extra)
	}
	if d.BodyLine != 25 || len(d.Headings) != 1 || d.Headings[0].Line != 25 {
		t.Errorf("body line %d, headings %+v", d.BodyLine, d.Headings)
	}
	if len(d.Code) != 1 || d.Code[0] != "kubectl get pods\n" {
		t.Errorf("code = %q", d.Code)
	}
	for _, want := range []string{"pg_stat_activity", "a link and label"} {
		if !strings.Contains(d.Text, want) {
			t.Errorf("text %q lacks %q", d.Text, want)
		}
	}
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	if dated := d.DatedProblems(now); len(dated) != 1 || dated[0].Line != 14 {
		t.Errorf("dated problems = %+v, want the overdue AI-1 at line 14", dated)
	}
}

func TestParseDocumentProblems(t *testing.T) {
	type want struct {
		sev  wiki.Severity
		line int
		text string
	}
	for _, tt := range []struct {
		name, path, content string
		want                []want
	}{
		{"InvalidYAML", "a.md", "---\ntitle: a\ntags: [x, y\n---\nbody", []want{{wiki.SeverityError, 3, "not valid YAML"}}},
		{"Unclosed", "a.md", "---\ntitle: a\n", []want{{wiki.SeverityError, 1, "no closing"}}},
		{"NotMapping", "a.md", "---\n- a\n- b\n---\n", []want{{wiki.SeverityError, 2, "mapping"}}},
		{"UnknownKind", "a.md", "---\nkind: wikipage\n---\n", []want{{wiki.SeverityError, 2, "unknown kind"}}},
		{"WrongType", "a.md", "---\ntitle: [a, b]\n---\n", []want{{wiki.SeverityError, 2, "must be text"}}},
		{"BadDate", "runbooks/a.md", "---\nowner: t\nlast_reviewed: last week\n---\n", []want{{wiki.SeverityError, 3, "not a date"}}},
		{"NoZone", "postmortems/a.md", "---\nstarted: 2026-10-14 09:00\n---\n", []want{{wiki.SeverityError, 2, "no time zone"}}},
		{"BadInterval", "runbooks/a.md", "---\nowner: t\nreview_every: often\n---\n", []want{{wiki.SeverityError, 3, "not an interval"}}},
		{"BadStatus", "postmortems/a.md", "---\nstatus: finished\n---\n", []want{{wiki.SeverityError, 2, "is not one of"}}},
		{"BadItemStatus", "postmortems/a.md", "---\naction_items:\n  - id: A\n    title: t\n    status: later\n---\n", []want{{wiki.SeverityError, 5, "is not one of"}}},
		{"DuplicateItemID", "postmortems/a.md", "---\naction_items:\n  - {id: A, title: t}\n  - {id: A, title: u}\n---\n", []want{{wiki.SeverityError, 4, "used twice"}}},
		{"DuplicateKey", "a.md", "---\ntitle: a\ntitle: b\n---\n", []want{{wiki.SeverityError, 3, ""}}},
		{"MissingOwner", "services/a.md", "---\ntier: 1\n---\n", []want{{wiki.SeverityWarning, 1, "no owner"}}},
		{"OutOfOrder", "postmortems/a.md", "---\nstarted: 2026-10-14T10:00:00Z\ndetected: 2026-10-14T09:00:00Z\n---\n", []want{{wiki.SeverityWarning, 3, "before started"}}},
		{"UnsafeLink", "services/a.md", "---\nowner: t\ndashboards:\n  - {title: x, url: \"javascript:alert(1)\"}\n---\n", []want{{wiki.SeverityWarning, 4, "not shown"}}},
		{"TemplatePlaceholders", "templates/postmortem.md", "---\nstarted: \"{{date}} 09:00 UTC\"\nstatus: draft\n---\n", nil},
		// A page made from a template before its title was known.
		{"PlaceholdersLeft", "postmortems/a.md", "---\ntitle: \"INC-1: {{title}}\"\nincident: INC-1\n---\n# INC-1: {{title}}\n\n`{{ $labels.job }}` and {{ .Values.x }} are not placeholders.\n",
			[]want{{wiki.SeverityWarning, 2, "{{title}} is a template placeholder"}, {wiki.SeverityWarning, 5, "{{title}} is a template placeholder"}}},
		{"PlaceholderInTOML", "a.md", "+++\ntitle = \"{{alert}}\"\n+++\n", []want{{wiki.SeverityWarning, 2, "{{alert}}"}}},
		// Front matter that cannot be read says so, and no more: its owner
		// may well be in it.
		{"InvalidYAMLNoOwnerWarning", "runbooks/a.md", "---\nowner: sre\nseverity: [critical\n---\n# A\n", []want{{wiki.SeverityError, 3, "not valid YAML"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := wiki.ParseDocument(wiki.Path(tt.path), []byte(tt.content))
			if len(d.Problems) != len(tt.want) {
				t.Fatalf("problems = %+v, want %d", d.Problems, len(tt.want))
			}
			for i, w := range tt.want {
				p := d.Problems[i]
				if p.Severity != w.sev || p.Line != w.line || !strings.Contains(p.Message, w.text) {
					t.Errorf("problem %d = %+v, want %s at line %d containing %q", i, p, w.sev, w.line, w.text)
				}
			}
		})
	}
}

// A page without a kind in a folder no rule names is a runbook when its
// sections are a runbook's, as in repositories that keep runbooks beside
// other docs.
func TestKindFromRunbookShape(t *testing.T) {
	for _, tt := range []struct {
		name, path, content, kind string
	}{
		{"MeaningImpact", "docs/db/DiskFull.md", "# DiskFull\n\n## Meaning\n\nx\n\n## Impact\n\ny\n", wiki.KindRunbook},
		{"NumberedAndColon", "docs/db.md", "# DB\n\n### 1. Diagnosis:\n\nx\n\n### 2. Remediation\n\ny\n", wiki.KindRunbook},
		{"OverviewResolution", "notes/x.md", "## Overview\n\n## Resolution\n", wiki.KindRunbook},
		{"OneSection", "docs/db.md", "# DB\n\n## Impact\n\nx\n\n## Setup\n", wiki.KindPage},
		{"SameGroupTwice", "docs/db.md", "## Mitigation\n\n## Resolution\n", wiki.KindPage},
		{"LevelOneOnly", "docs/db.md", "# Impact\n\n# Diagnosis\n", wiki.KindPage},
		{"Postmortem", "docs/2026-10-01.md", "# Outage\n\n## Impact\n\n## Root cause\n\n## Resolution\n", wiki.KindPage},
		{"KindDeclared", "docs/db.md", "---\nkind: page\n---\n## Meaning\n\n## Impact\n", wiki.KindPage},
		{"ServiceFolder", "services/db.md", "## Meaning\n\n## Impact\n", wiki.KindService},
		{"Template", "templates/runbook.md", "## Meaning\n\n## Impact\n", wiki.KindTemplate},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := wiki.ParseDocument(wiki.Path(tt.path), []byte(tt.content))
			if d.Meta.Kind != tt.kind {
				t.Errorf("kind = %q, want %q", d.Meta.Kind, tt.kind)
			}
		})
	}
}

// Hugo sites write front matter in TOML between +++ lines or as a JSON
// object; both mean what YAML means, with problems at their file lines.
func TestFrontMatterFormats(t *testing.T) {
	toml := `+++
title = "Disk full on database hosts"
date = 2026-10-01
draft = false
weight = 20
tags = ["storage", "db"]
owner = "team-db"
alerts = ["NodeDiskFull"]
aliases = ["/old/disk/"]

[params]
  severity_hint = "page"
+++
# Disk full

Free space first.
`
	json := `{
  "title": "Checkout latency",
  "kind": "runbook",
  "owner": "team-checkout",
  "alerts": ["CheckoutHighLatency"],
  "weight": 3
}
# Checkout latency
`
	for _, tt := range []struct {
		name, path, content string
		check               func(t *testing.T, d *wiki.Document)
	}{
		{"TOML", "runbooks/disk.md", toml, func(t *testing.T, d *wiki.Document) {
			m := d.Meta
			if m.Title != "Disk full on database hosts" || m.Owner != "team-db" || len(m.Tags) != 2 || m.Alerts[0] != "NodeDiskFull" ||
				len(m.Aliases) != 1 || m.Aliases[0] != "old/disk" || m.Kind != wiki.KindRunbook {
				t.Errorf("meta = %+v", m)
			}
			if d.BodyLine != 14 || !strings.HasPrefix(string(d.Body), "# Disk full") {
				t.Errorf("body starts on line %d: %q", d.BodyLine, d.Body)
			}
			if d.KeyLine("owner") != 7 || d.KeyLine("params") != 11 {
				t.Errorf("owner on line %d, params on %d; want 7 and 11", d.KeyLine("owner"), d.KeyLine("params"))
			}
			var kept []string
			for _, f := range m.Extra {
				kept = append(kept, f.Key)
			}
			if !slices.Contains(kept, "weight") || !slices.Contains(kept, "params") || !slices.Contains(kept, "draft") {
				t.Errorf("Hugo's keys are not kept: %v", kept)
			}
		}},
		{"JSON", "docs/checkout.md", json, func(t *testing.T, d *wiki.Document) {
			if d.Meta.Kind != wiki.KindRunbook || d.Meta.Owner != "team-checkout" || d.Meta.Alerts[0] != "CheckoutHighLatency" || d.BodyLine != 8 {
				t.Errorf("meta = %+v, body line %d", d.Meta, d.BodyLine)
			}
			if d.KeyLine("owner") != 4 {
				t.Errorf("owner on line %d, want 4", d.KeyLine("owner"))
			}
		}},
		{"TOMLSyntaxError", "a.md", "+++\ntitle = \"T\"\nowner = \n+++\n", func(t *testing.T, d *wiki.Document) {
			if errs := d.Errors(); len(errs) != 1 || errs[0].Line != 3 || !strings.Contains(errs[0].Message, "not valid TOML") {
				t.Errorf("errors = %+v, want one on line 3", errs)
			}
		}},
		{"TOMLWrongType", "a.md", "+++\ntitle = \"T\"\n\nlast_reviewed = true\n+++\n", func(t *testing.T, d *wiki.Document) {
			if errs := d.Errors(); len(errs) != 1 || errs[0].Line != 4 {
				t.Errorf("errors = %+v, want one on line 4", errs)
			}
		}},
		{"TOMLNotClosed", "a.md", "+++\ntitle = \"T\"\n# Body\n", func(t *testing.T, d *wiki.Document) {
			if errs := d.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Message, "no closing +++") {
				t.Errorf("errors = %+v", errs)
			}
		}},
		{"JSONSyntaxError", "a.md", "{\n  \"title\": \"T\",\n  \"owner\" \"x\"\n}\n", func(t *testing.T, d *wiki.Document) {
			if errs := d.Errors(); len(errs) != 1 || errs[0].Line != 3 || !strings.Contains(errs[0].Message, "not valid JSON") {
				t.Errorf("errors = %+v, want one on line 3", errs)
			}
		}},
		{"ShortcodeIsNotJSON", "a.md", "{{< notice warning >}}\nCareful.\n{{< /notice >}}\n", func(t *testing.T, d *wiki.Document) {
			if d.HasFrontMatter || len(d.Problems) != 0 || d.BodyLine != 1 {
				t.Errorf("a page opening with a shortcode: front matter %v, problems %+v", d.HasFrontMatter, d.Problems)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, wiki.ParseDocument(wiki.Path(tt.path), []byte(tt.content)))
		})
	}
}
