package wiki_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

const settingsFile = `# how this repository is laid out
kinds:
  "data/*.md": postmortem
  ops/procedures: runbook
  "docs/**/decisions/*.md": page
services:
  - "docs/{service}/**"
  - "teams/*/svc-{service}/**"
keys:
  product: services
  team: owner
redirects:
  "https://github.com/openshift/runbooks/blob/master/": /
  "https://github.com/openshift/runbooks/blob/master/alerts/": /alerts/
  /old-wiki/: /
`

func TestParseSettings(t *testing.T) {
	s := wiki.ParseSettings([]byte(settingsFile), "b1")
	if len(s.Problems) != 0 {
		t.Fatalf("problems: %+v", s.Problems)
	}
	if len(s.Kinds) != 3 || s.Kinds[1].Glob != "ops/procedures" || s.Kinds[1].Kind != "runbook" || s.Kinds[1].Line != 4 {
		t.Errorf("kinds = %+v", s.Kinds)
	}
	if len(s.Services) != 2 || s.Services[0].Line != 7 {
		t.Errorf("services = %+v", s.Services)
	}
	if len(s.Keys) != 2 || s.Keys[0] != (wiki.KeyAlias{From: "product", To: "services", Line: 10}) {
		t.Errorf("keys = %+v", s.Keys)
	}
	// The longest prefix decides.
	if len(s.Redirects) != 3 || !strings.HasSuffix(s.Redirects[0].Prefix, "/alerts/") {
		t.Errorf("redirects = %+v", s.Redirects)
	}

	kinds := []struct {
		path, kind string
		rule       int
	}{
		{"data/2017-01-31-gitlab.md", "postmortem", 0},
		{"data/sub/x.md", "", -1},
		{"ops/procedures/restart.md", "runbook", 1},
		{"ops/procedures/db/failover.md", "runbook", 1},
		{"ops/procedures.md", "", -1},
		{"docs/payments/decisions/adr-1.md", "page", 2},
		{"docs/a/b/decisions/adr-2.md", "page", 2},
		{"README.md", "", -1},
	}
	for _, tc := range kinds {
		if kind, rule := s.KindFor(wiki.Path(tc.path)); kind != tc.kind || rule != tc.rule {
			t.Errorf("KindFor(%s) = %q, %d; want %q, %d", tc.path, kind, rule, tc.kind, tc.rule)
		}
	}
	services := []struct {
		path, name, folder string
		rule               int
	}{
		{"docs/payments/README.md", "payments", "docs/payments", 0},
		{"docs/payments/alerts/PaymentsDown.md", "payments", "docs/payments", 0},
		{"docs/README.md", "", "", -1}, // the folder of services is no service
		{"teams/core/svc-ledger/runbook.md", "ledger", "teams/core/svc-ledger", 1},
		{"teams/core/ledger/runbook.md", "", "", -1},
		{"teams/core/svc-/x.md", "", "", -1},
		{"src/payments/README.md", "", "", -1},
	}
	for _, tc := range services {
		name, folder, rule := s.ServiceFor(wiki.Path(tc.path))
		if name != tc.name || string(folder) != tc.folder || rule != tc.rule {
			t.Errorf("ServiceFor(%s) = %q, %q, %d; want %q, %q, %d", tc.path, name, folder, rule, tc.name, tc.folder, tc.rule)
		}
	}
	urls := []struct {
		url, name, frag string
		ok              bool
	}{
		{"https://github.com/openshift/runbooks/blob/master/alerts/cluster-monitoring-operator/KubePodNotReady.md", "alerts/cluster-monitoring-operator/KubePodNotReady", "", true},
		{"https://github.com/openshift/runbooks/blob/master/alerts/x/Y.md#diagnosis", "alerts/x/Y", "#diagnosis", true},
		{"HTTPS://GitHub.com/openshift/runbooks/blob/master/README.md", "README", "", true},
		{"https://github.com/openshift/runbooks/blob/master/docs/My%20Page.md?plain=1", "docs/My Page", "", true},
		{"https://github.com/openshift/runbooks/blob/main/README.md", "", "", false},
		{"https://example.com/", "", "", false},
	}
	for _, tc := range urls {
		name, frag, ok := s.OldURL(tc.url)
		if name != tc.name || frag != tc.frag || ok != tc.ok {
			t.Errorf("OldURL(%s) = %q, %q, %v; want %q, %q, %v", tc.url, name, frag, ok, tc.name, tc.frag, tc.ok)
		}
	}
	if name, _, ok := s.RequestRedirect("wiki.example.com", "/old-wiki/runbooks/disk.html"); !ok || name != "runbooks/disk" {
		t.Errorf("RequestRedirect(/old-wiki/…) = %q, %v", name, ok)
	}
	if name, _, ok := s.RequestRedirect("github.com", "/openshift/runbooks/blob/master/alerts/a/B.md"); !ok || name != "alerts/a/B" {
		t.Errorf("RequestRedirect on the old host = %q, %v", name, ok)
	}
	if _, _, ok := s.RequestRedirect("wiki.example.com", "/openshift/runbooks/blob/master/alerts/a/B.md"); ok {
		t.Error("an address of another host redirected")
	}
	var none *wiki.Settings
	if k, i := none.KindFor("data/x.md"); k != "" || i != -1 {
		t.Error("nil settings matched a kind")
	}
}

// Every mistake in the settings is reported at its line, and the rules
// without one stay in force.
func TestParseSettingsProblems(t *testing.T) {
	cases := []struct {
		name, content string
		line          int
		severity      wiki.Severity
		want          string
	}{
		{"NotYAML", "kinds:\n  \"data/*.md\": postmortem\n  bad: [\n", 3, wiki.SeverityError, "not valid YAML"},
		{"NotMapping", "- kinds\n", 1, wiki.SeverityError, "must be a mapping of sections"},
		{"UnknownSection", "kinds:\n  data: postmortem\nservice:\n  - docs/{service}\n", 3, wiki.SeverityWarning, `unknown section "service"`},
		{"UnknownKind", "kinds:\n  data: playbook\n", 2, wiki.SeverityError, `unknown kind "playbook"`},
		{"TemplateKind", "kinds:\n  data: template\n", 2, wiki.SeverityError, `unknown kind "template"`},
		{"BadGlob", "kinds:\n  \"data/[*.md\": runbook\n", 2, wiki.SeverityError, "not a valid path pattern"},
		{"KindsList", "kinds:\n  - data\n", 2, wiki.SeverityError, "kinds must be a mapping"},
		{"KindNotText", "kinds:\n  data: [runbook]\n", 2, wiki.SeverityError, "must be one text"},
		{"NoServiceSegment", "services:\n  - docs/*/**\n", 2, wiki.SeverityError, "does not say which folder"},
		{"ServiceAfterStars", "services:\n  - \"**/{service}/**\"\n", 2, wiki.SeverityError, "must be written out"},
		{"ServiceTwice", "services:\n  - \"{service}/{service}\"\n", 2, wiki.SeverityError, "more than once"},
		{"ServicesMapping", "\nservices:\n  docs: x\n", 3, wiki.SeverityError, "services must be a list"},
		{"AliasOwnKey", "keys:\n  owner: services\n", 2, wiki.SeverityError, "one of the wiki's own keys"},
		{"AliasUnknownTarget", "keys:\n  product: servicez\n", 2, wiki.SeverityError, `"servicez" is not a key`},
		{"RedirectNotURL", "redirects:\n  github.com/x/: /\n", 2, wiki.SeverityError, "neither an http(s) address"},
		{"RedirectTakesRoutes", "redirects:\n  /-/old/: /\n", 2, wiki.SeverityError, "wiki's own addresses"},
		{"RedirectToNotFolder", "redirects:\n  https://x.example/: runbooks\n", 2, wiki.SeverityError, "must be a folder of this wiki"},
		{"RedirectIntoGit", "redirects:\n  https://x.example/: /.git/\n", 2, wiki.SeverityError, "not a folder of this wiki"},
		{"SectionTwice", "keys:\n  a: title\nkeys:\n  b: title\n", 3, wiki.SeverityError, "appears more than once"},
		{"RuleTwice", "kinds:\n  data: runbook\n  data: postmortem\n", 3, wiki.SeverityError, "appears more than once"},
		{"TooLarge", "# " + strings.Repeat("x", 300<<10) + "\n", 1, wiki.SeverityError, "larger than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := wiki.ParseSettings([]byte(tc.content), "")
			if len(s.Problems) != 1 {
				t.Fatalf("problems = %+v, want one", s.Problems)
			}
			p := s.Problems[0]
			if p.Path != wiki.SettingsPath || p.Line != tc.line || p.Severity != tc.severity || !strings.Contains(p.Message, tc.want) {
				t.Errorf("problem = %+v, want %s at line %d containing %q", p, tc.severity, tc.line, tc.want)
			}
			err := wiki.CheckSettings([]byte(tc.content))
			var verr *wiki.ValidationError
			if got := errors.As(err, &verr); got != (tc.severity == wiki.SeverityError) {
				t.Errorf("CheckSettings blocks = %v for a %s", got, tc.severity)
			}
		})
	}
	// A broken rule leaves the others in force.
	s := wiki.ParseSettings([]byte("kinds:\n  data: playbook\n  ops: runbook\nkeys:\n  product: services\n"), "")
	if len(s.Kinds) != 1 || s.Kinds[0].Glob != "ops" || len(s.Keys) != 1 {
		t.Errorf("rules in force = %+v %+v", s.Kinds, s.Keys)
	}
	for _, empty := range []string{"", "# only comments\n", "---\n", "kinds:\nservices:\n"} {
		if s := wiki.ParseSettings([]byte(empty), ""); len(s.Problems) != 0 || !s.Empty() {
			t.Errorf("%q: %+v", empty, s)
		}
	}
}

// Pages read under the settings: kinds by glob (front matter still wins),
// services by folder, key aliases.
func TestParseDocumentWithSettings(t *testing.T) {
	s := wiki.ParseSettings([]byte(settingsFile), "b1")
	cases := []struct {
		path, content string
		kind          string
		services      []string
		name, owner   string
	}{
		{"data/2017-01-31-gitlab.md", "---\ntitle: GitLab database\nproduct: gitlab\n---\nbody\n", "postmortem", []string{"gitlab"}, "", ""},
		{"data/x.md", "---\nkind: page\n---\n# x\n", "page", nil, "", ""},
		{"ops/procedures/restart.md", "# Restart\n", "runbook", nil, "", ""},
		{"docs/payments/README.md", "# Payments\n\nThe payments API.\n", "service", nil, "payments", ""},
		{"docs/payments/index.md", "---\nteam: payments-team\n---\n# Payments\n", "service", nil, "payments", "payments-team"},
		{"docs/payments/runbooks/PaymentsDown.md", "# PaymentsDown\n", "runbook", []string{"payments"}, "", ""},
		{"docs/payments/howto/deploy.md", "---\nservices: [ledger]\n---\n# Deploy\n", "page", []string{"ledger"}, "", ""},
		{"docs/payments/guide/README.md", "# Guide\n", "page", []string{"payments"}, "", ""},
		{"docs/payments/decisions/adr-1.md", "# ADR 1\n\n## Impact\n\n## Mitigation\n", "page", []string{"payments"}, "", ""},
		// The wiki's own key wins over an alias; the alias stays an extra key.
		{"notes/a.md", "---\nproduct: a\nservices: [b]\n---\n", "page", []string{"b"}, "", ""},
		{"templates/runbook.md", "---\nkind: runbook\n---\n", "template", nil, "", ""},
	}
	for _, tc := range cases {
		d := wiki.ParseDocumentWith(wiki.Path(tc.path), []byte(tc.content), s)
		if len(d.Errors()) > 0 {
			t.Errorf("%s: errors %+v", tc.path, d.Errors())
		}
		if d.Meta.Kind != tc.kind || !slices.Equal(d.Meta.Services, tc.services) || d.Meta.Name != tc.name || d.Meta.Owner != tc.owner {
			t.Errorf("%s: kind %q services %q name %q owner %q; want %q %q %q %q", tc.path, d.Meta.Kind, d.Meta.Services, d.Meta.Name, d.Meta.Owner,
				tc.kind, tc.services, tc.name, tc.owner)
		}
	}
	// An aliased key of the wrong type is an error at its line, as the key
	// it stands for would be.
	d := wiki.ParseDocumentWith("notes/b.md", []byte("---\ntitle: B\nteam: {a: 1}\n---\n"), s)
	if errs := d.Errors(); len(errs) != 1 || errs[0].Line != 3 {
		t.Errorf("errors = %+v, want one at line 3", errs)
	}
	// Without settings nothing of the above applies.
	d = wiki.ParseDocument("data/2017-01-31-gitlab.md", []byte("---\nproduct: gitlab\n---\n"))
	if d.Meta.Kind != wiki.KindPage {
		t.Errorf("kind without settings = %q", d.Meta.Kind)
	}
}

// A commit changing the settings derives the catalog again from the whole
// tree, once; other commits stay incremental.
func TestFollowerSettingsChange(t *testing.T) {
	s := MustStore(t, map[string]string{
		"data/2017-01-31-gitlab.md": "---\ntitle: GitLab database\nproduct: gitlab\n---\n# GitLab\n",
		"docs/payments/README.md":   "# Payments\n",
		"docs/payments/Down.md":     "# PaymentsDown\n\n## Impact\n\n## Mitigation\n",
	})
	rec := &settingsRecorder{}
	cat := wiki.NewCatalog()
	f := MustFollow(t, s, rec, cat)
	mustSync(t, f)
	pi, _ := cat.Page("data/2017-01-31-gitlab.md")
	if pi.Meta.Kind != wiki.KindPage || cat.Settings() != nil {
		t.Fatalf("before settings: kind %q, settings %+v", pi.Meta.Kind, cat.Settings())
	}
	MustCommitFiles(t, s, map[string]string{".opswiki.yaml": settingsFile})
	mustSync(t, f)
	if cat.Settings() == nil || len(cat.Settings().Kinds) != 3 {
		t.Fatalf("settings = %+v", cat.Settings())
	}
	pi, _ = cat.Page("data/2017-01-31-gitlab.md")
	if pi.Meta.Kind != wiki.KindPostmortem || !slices.Equal(pi.Meta.Services, []string{"gitlab"}) {
		t.Errorf("after settings: %+v", pi.Meta)
	}
	g := cat.Graph()
	n, ok := g.Service("payments")
	if !ok || n.Page == nil || n.Page.Path != "docs/payments/README.md" || !slices.Equal(n.Runbooks, []wiki.Path{"docs/payments/Down.md"}) {
		t.Errorf("service payments = %+v", n)
	}
	if _, ok := g.Service("gitlab"); !ok {
		t.Error("the aliased product is no service of the graph")
	}
	last := rec.last()
	if last.From != "" || len(last.Changes) != 4 || last.Settings == nil {
		t.Errorf("settings commit: update from %q with %d changes, settings %v; want a rebuild of 4 files", last.From, len(last.Changes), last.Settings)
	}
	MustCommitFiles(t, s, map[string]string{"docs/payments/Up.md": "# PaymentsUp\n"})
	mustSync(t, f)
	if last := rec.last(); last.From == "" || len(last.Changes) != 1 {
		t.Errorf("an ordinary commit after the settings: from %q, %d changes", last.From, len(last.Changes))
	}
	// Removing the settings takes their rules back.
	MustCommitFiles(t, s, map[string]string{".opswiki.yaml": ""})
	mustSync(t, f)
	pi, _ = cat.Page("data/2017-01-31-gitlab.md")
	if pi.Meta.Kind != wiki.KindPage || cat.Settings() != nil {
		t.Errorf("settings removed: kind %q settings %+v", pi.Meta.Kind, cat.Settings())
	}
	if _, ok := cat.Graph().Service("payments"); ok {
		t.Error("payments still a service without the settings")
	}
}

// settingsRecorder is a recorder that follows the settings.
type settingsRecorder struct{ recorder }

func (r *settingsRecorder) FollowsSettings() bool { return true }

func (r *settingsRecorder) last() wiki.Update {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.updates[len(r.updates)-1]
}

// Saving the settings is checked like a page: errors refuse it with their
// lines, and a good file is in force once the save returns.
func TestSaveSettings(t *testing.T) {
	e, _, cat := MustEditor(t, map[string]string{"data/a.md": "# A\n"})
	ctx := context.Background()
	_, err := e.Save(ctx, wiki.SaveRequest{Path: wiki.SettingsPath, Content: []byte("kinds:\n  data: playbook\n"), Author: author})
	var verr *wiki.ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) != 1 || verr.Problems[0].Line != 2 {
		t.Fatalf("bad settings saved: %v", err)
	}
	res, err := e.Save(ctx, wiki.SaveRequest{Path: wiki.SettingsPath, Content: []byte("kinds:\n  data: postmortem\n"), Author: author})
	if err != nil {
		t.Fatal(err)
	}
	if st := cat.Settings(); st == nil || st.Blob != res.Blob {
		t.Fatalf("settings in force = %+v, saved %s", st, res.Blob)
	}
	if pi, _ := cat.Page("data/a.md"); pi.Meta.Kind != wiki.KindPostmortem {
		t.Errorf("kind after saving the settings = %q", pi.Meta.Kind)
	}
	// Other files than pages and the settings are still refused.
	if _, err := e.Save(ctx, wiki.SaveRequest{Path: "notes.yaml", Content: []byte("a: 1\n"), Author: author}); wiki.ErrorCode(err) != wiki.EINVALID {
		t.Errorf("save of notes.yaml: %v", err)
	}
}

func ExampleSettings_OldURL() {
	s := wiki.ParseSettings([]byte("redirects:\n  \"https://github.com/openshift/runbooks/blob/master/\": /\n"), "")
	name, frag, _ := s.OldURL("https://github.com/openshift/runbooks/blob/master/alerts/etcd/etcdMembersDown.md#diagnosis")
	fmt.Println(name, frag)
	// Output: alerts/etcd/etcdMembersDown #diagnosis
}

// FuzzParseSettings: any settings file parses without panicking, every
// problem has a line in the file, and the rules it keeps answer lookups.
func FuzzParseSettings(f *testing.F) {
	f.Add([]byte(settingsFile))
	f.Add([]byte("kinds:\n  data: playbook\nservices:\n  - \"**/{service}\"\n"))
	f.Add([]byte("redirects:\n  /old/: /\n  https://x.example/a/: /b/\n"))
	f.Add([]byte("keys: &a\n  product: services\nkinds: *a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := wiki.ParseSettings(b, "")
		lines := yamlFileLines(b)
		for _, p := range s.Problems {
			if p.Line < 1 || p.Line > lines {
				t.Fatalf("problem at line %d of a %d-line file: %+v", p.Line, lines, p)
			}
		}
		s.KindFor("docs/payments/runbooks/x.md")
		s.ServiceFor("docs/payments/runbooks/x.md")
		s.OldURL("https://github.com/openshift/runbooks/blob/master/alerts/x/Y.md#a")
		s.RequestRedirect("wiki.example.com", "/old/x")
	})
}
