package wiki_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

// readConfigFixture returns the bytes of a file under testdata/.
func readConfigFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// configLines joins lines into a file, so a test reads line numbers off its
// own source: the first argument is line 1.
func configLines(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

func TestIsBackstageDescriptor(t *testing.T) {
	for _, tc := range []struct {
		path wiki.Path
		want bool
	}{
		{"catalog-info.yaml", true},
		{"catalog-info.yml", true},
		{"services/payments/catalog-info.yaml", true},
		{"services/payments/Catalog-Info.YAML", true},
		{"catalog-info.yaml.bak", false},
		{"catalog.yaml", false},
		{"services/catalog-info.json", false},
		{"catalog-info.yaml/README.md", false},
		{"mkdocs.yml", false},
	} {
		t.Run(string(tc.path), func(t *testing.T) {
			if got := wiki.IsBackstageDescriptor(tc.path); got != tc.want {
				t.Fatalf("IsBackstageDescriptor(%q) = %v, want %v", tc.path, got, tc.want)
			}
		})
	}
}

func TestParseEntityRef(t *testing.T) {
	for _, tc := range []struct {
		ref, defaultKind string
		kind, ns, name   string
	}{
		{ref: "payments-team", defaultKind: "group", kind: "group", name: "payments-team"},
		{ref: "group:payments-team", defaultKind: "user", kind: "group", name: "payments-team"},
		{ref: "Group:default/payments-team", defaultKind: "user", kind: "group", ns: "default", name: "payments-team"},
		{ref: "default/payments-team", defaultKind: "Group", kind: "group", ns: "default", name: "payments-team"},
		{ref: "user:jdoe", defaultKind: "group", kind: "user", name: "jdoe"},
		{ref: "component:ops/a:b", defaultKind: "", kind: "component", ns: "ops", name: "a:b"},
		{ref: "ops/a:b", defaultKind: "component", kind: "component", ns: "ops", name: "a:b"},
		{ref: "ledger", defaultKind: "", kind: "", name: "ledger"},
		{ref: "  api:ledger ", defaultKind: "component", kind: "api", name: "ledger"},
		{ref: "RESOURCE:Payments-DB", defaultKind: "component", kind: "resource", name: "Payments-DB"},
		{ref: "group:a/b/c", defaultKind: "", kind: "group", ns: "a", name: "b/c"},
		{ref: ""},
		{ref: ":ledger", defaultKind: "component"},
		{ref: "group:", defaultKind: "group"},
		{ref: "group:/x", defaultKind: "group"},
		{ref: "ops/", defaultKind: "group"},
		{ref: "/x", defaultKind: "group"},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			kind, ns, name := wiki.ParseEntityRef(tc.ref, tc.defaultKind)
			if kind != tc.kind || ns != tc.ns || name != tc.name {
				t.Fatalf("ParseEntityRef(%q, %q) = %q, %q, %q; want %q, %q, %q",
					tc.ref, tc.defaultKind, kind, ns, name, tc.kind, tc.ns, tc.name)
			}
		})
	}
}

func TestEntityRef(t *testing.T) {
	for _, tc := range []struct {
		e    wiki.Entity
		want string
	}{
		{wiki.Entity{Kind: "Component", Name: "checkout-api"}, "component:default/checkout-api"},
		{wiki.Entity{Kind: "Group", Namespace: "Ops", Name: "SRE"}, "group:ops/sre"},
	} {
		if got := tc.e.Ref(); got != tc.want {
			t.Errorf("%+v.Ref() = %q, want %q", tc.e, got, tc.want)
		}
	}
}

// paymentsEntities is what testdata/backstage/catalog-info.yaml holds.
var paymentsEntities = []wiki.Entity{
	{Kind: "System", Name: "payments", Title: "Payments Platform", Description: "Everything that moves money",
		Type: "feature-set", Owner: "payments-team", Domain: "commerce", Line: 3},
	{Kind: "Component", Name: "checkout-api", Description: "Takes orders and charges cards.",
		Type: "service", Lifecycle: "production", Owner: "payments-team", System: "payments",
		DependsOn:    []string{"payments-db", "ledger", "fraud-scorer"},
		ProvidesAPIs: []string{"checkout"}, ConsumesAPIs: []string{"ledger", "fraud-score"},
		Tags: []string{"java", "payments"},
		Links: []wiki.Link{
			{Title: "Checkout dashboard", URL: "https://grafana.example.com/d/checkout"},
			{Title: "https://runbooks.example.com/checkout", URL: "https://runbooks.example.com/checkout"},
		},
		Annotations: map[string]string{
			"github.com/project-slug":   "acme/checkout-api",
			"backstage.io/techdocs-ref": "dir:.",
			"pagerduty.com/service-id":  "PABC123",
			"opsgenie.com/team":         "Payments Team",
		},
		OnCall: []wiki.OnCall{
			{Provider: "PagerDuty", Label: "service", Value: "PABC123", URL: "https://app.pagerduty.com/service-directory/PABC123"},
			{Provider: "Opsgenie", Label: "team", Value: "Payments Team"},
		},
		Line: 14},
	{Kind: "API", Name: "checkout", Description: "Checkout API", Type: "openapi", Lifecycle: "production",
		Owner: "payments-team", System: "payments", Line: 47},
	{Kind: "Resource", Name: "payments-db", Description: "Stores orders and charges", Type: "database",
		Owner: "team-a", System: "payments", Line: 60},
	{Kind: "Group", Name: "payments-team", Title: "Payments Team", Description: "Payments Team", Type: "team",
		Parent: "engineering", Members: []string{"jdoe", "asmith"}, Line: 70},
	{Kind: "User", Name: "jdoe", Title: "Jane Doe", MemberOf: []string{"payments-team"}, Line: 85},
}

func TestParseBackstage(t *testing.T) {
	ledger := wiki.Entity{Kind: "Component", Name: "ledger", Type: "service", Lifecycle: "production", Owner: "jdoe",
		Annotations: map[string]string{
			"pagerduty.com/integration-key":   "e93facc04764012d7bfb002500d5d1a6",
			"splunk.com/on-call-team":         "ledger-oncall",
			"splunk.com/on-call-routing-key":  "ledger",
			"firehydrant.com/service-name":    "ledger",
			"opsgenie.com/component-selector": `tag:"service:ledger"`,
		},
		OnCall: []wiki.OnCall{
			{Provider: "PagerDuty", Label: "integration key", Value: "e93facc04764012d7bfb002500d5d1a6"},
			{Provider: "Opsgenie", Label: "alert selector", Value: `tag:"service:ledger"`},
			{Provider: "Splunk On-Call", Label: "team", Value: "ledger-oncall"},
			{Provider: "Splunk On-Call", Label: "routing key", Value: "ledger"},
			{Provider: "FireHydrant", Label: "service", Value: "ledger"},
		},
		Line: 1}
	payments := readConfigFixture(t, "backstage/catalog-info.yaml")
	for _, tc := range []struct {
		name    string
		content []byte
		want    []wiki.Entity
	}{
		{"MultiDocument", payments, paymentsEntities},
		{"CRLF", bytes.ReplaceAll(payments, []byte("\n"), []byte("\r\n")), paymentsEntities},
		{"KubernetesManifests", readConfigFixture(t, "backstage/with-deployment.yaml"), []wiki.Entity{ledger}},
		{"OnlyComments", configLines(
			"# Catalog of the ledger team",
			"---",
			"# nothing here yet",
			"---",
			"apiVersion: backstage.io/v1beta1",
			"kind: Domain",
			"metadata:",
			"  name: commerce",
			"spec:",
			"  owner: group:ops/commerce-leads",
			"---",
			"---",
			"...",
		), []wiki.Entity{{Kind: "Domain", Name: "commerce", Owner: "commerce-leads", Line: 5}}},
		{"Empty", nil, nil},
		{"LeadingMarker", configLines(
			"--- # the payments system",
			"apiVersion: backstage.io/v1alpha1",
			"kind: System",
			"metadata: {name: payments, title: Payments}",
		), []wiki.Entity{{Kind: "System", Name: "payments", Title: "Payments", Line: 2}}},
		{"MergeKeys", configLines(
			"apiVersion: backstage.io/v1alpha1",
			"kind: Component",
			"metadata:",
			"  name: refunds",
			"spec: &defaults",
			"  type: service",
			"  owner: payments-team",
			"---",
			"apiVersion: backstage.io/v1alpha1",
			"kind: Component",
			"metadata:",
			"  name: payouts",
			"spec:",
			"  <<: {type: service, owner: payments-team}",
			"  owner: treasury",
		), []wiki.Entity{
			{Kind: "Component", Name: "refunds", Type: "service", Owner: "payments-team", Line: 1},
			{Kind: "Component", Name: "payouts", Type: "service", Owner: "treasury", Line: 9},
		}},
		{"CompoundOwnerAndTemplate", configLines(
			"apiVersion: scaffolder.backstage.io/v1beta3",
			"kind: Template",
			"metadata:",
			"  name: new-service",
			"  title: New service",
			"spec:",
			"  type: service",
			"  owner:",
			"    kind: Group",
			"    name: platform",
		), []wiki.Entity{{Kind: "Template", Name: "new-service", Title: "New service", Type: "service", Owner: "platform", Line: 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := wiki.ParseBackstage("catalog-info.yaml", tc.content)
			if len(problems) != 0 {
				t.Fatalf("problems: %+v", problems)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("entities:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseBackstageProblems(t *testing.T) {
	const header = "apiVersion: backstage.io/v1alpha1"
	for _, tc := range []struct {
		name     string
		content  []byte
		want     []wiki.Problem // Path is filled in
		entities []string       // names of the entities still read
	}{
		{"NotYAML", configLines(
			header, "kind: Component", "metadata: {name: a}",
			"---",
			header, "kind: Component", "metadata:", "  name: [b", "spec: {}",
			"---",
			header, "kind: Component", "metadata: {name: c}",
		), []wiki.Problem{{Line: 8, Severity: wiki.SeverityError, Message: "the document is not valid YAML: did not find expected ',' or ']'"}},
			[]string{"a", "c"}},
		{"TabIndent", configLines(
			header, "kind: Component", "metadata:", "\tname: a",
		), []wiki.Problem{{Line: 4, Severity: wiki.SeverityError, Message: "the document is not valid YAML: found character that cannot start any token"}},
			nil},
		{"UnclosedFlowAtStart", configLines(
			"{apiVersion: backstage.io/v1alpha1,", "kind: Component",
		), []wiki.Problem{{Line: 2, Severity: wiki.SeverityError, Message: "the document is not valid YAML: did not find expected ',' or '}'"}},
			nil},
		{"UnknownAnchor", configLines(
			header, "kind: Component", "metadata:", "  name: a", "spec:", "  owner: *team",
		), []wiki.Problem{{Line: 6, Severity: wiki.SeverityError, Message: "the document is not valid YAML: unknown anchor 'team' referenced"}},
			nil},
		{"NotMapping", configLines(
			"---", "- component:a", "- component:b",
		), []wiki.Problem{{Line: 2, Severity: wiki.SeverityError, Message: "the document is not a mapping of keys to values"}},
			nil},
		{"MissingKind", configLines(
			"# no kind", header, "metadata:", "  name: a",
		), []wiki.Problem{{Line: 2, Severity: wiki.SeverityError, Field: "kind", Message: "the entity has no kind"}},
			nil},
		{"MissingName", configLines(
			header, "kind: Component", "metadata:", "  title: A", "spec: {owner: x}",
		), []wiki.Problem{{Line: 3, Severity: wiki.SeverityError, Field: "metadata.name", Message: "the entity has no metadata.name"}},
			nil},
		{"MissingMetadata", configLines(
			"", header, "kind: Component",
		), []wiki.Problem{{Line: 2, Severity: wiki.SeverityError, Field: "metadata.name", Message: "the entity has no metadata.name"}},
			nil},
		{"DependsOnNotList", configLines(
			header, "kind: Component", "metadata: {name: a}", "spec:", "  owner: x", "  dependsOn: component:b",
		), []wiki.Problem{{Line: 6, Severity: wiki.SeverityError, Field: "spec.dependsOn", Message: "spec.dependsOn must be a list"}},
			[]string{"a"}},
		{"DependsOnNotStrings", configLines(
			header, "kind: Component", "metadata: {name: a}", "spec:", "  dependsOn:",
			"    - component:b", "    - {kind: Component, name: c}", "    - [d]",
		), []wiki.Problem{
			{Line: 7, Severity: wiki.SeverityError, Field: "spec.dependsOn", Message: "spec.dependsOn must be a list of entity references (text)"},
			{Line: 8, Severity: wiki.SeverityError, Field: "spec.dependsOn", Message: "spec.dependsOn must be a list of entity references (text)"},
		}, []string{"a"}},
		{"BadReference", configLines(
			header, "kind: Component", "metadata: {name: a}", "spec:", "  owner: 'group:'", "  dependsOn: [':b', c]",
		), []wiki.Problem{
			{Line: 5, Severity: wiki.SeverityError, Field: "spec.owner", Message: `spec.owner: "group:" is not an entity reference of the form [<kind>:][<namespace>/]<name>`},
			{Line: 6, Severity: wiki.SeverityError, Field: "spec.dependsOn", Message: `spec.dependsOn: ":b" is not an entity reference of the form [<kind>:][<namespace>/]<name>`},
		}, []string{"a"}},
		{"UnknownAPIVersion", configLines(
			header, "kind: Component", "metadata: {name: a}",
			"---",
			"apiVersion: backstage.io/v2", "kind: Component", "metadata: {name: b}",
		), []wiki.Problem{{Line: 5, Severity: wiki.SeverityWarning, Field: "apiVersion",
			Message: `apiVersion "backstage.io/v2" is not one the wiki reads (backstage.io/v1alpha1, v1beta1, v1beta2, scaffolder.backstage.io/v1beta3); the entity is skipped`}},
			[]string{"a"}},
		{"NoAPIVersion", configLines(
			"kind: Component", "metadata: {name: a}",
		), []wiki.Problem{{Line: 1, Severity: wiki.SeverityWarning, Field: "apiVersion",
			Message: "the document has a kind but no apiVersion; it is not read as a Backstage entity"}},
			nil},
		{"DuplicateKey", configLines(
			header, "kind: Component", "metadata:", "  name: a", "  name: b",
		), []wiki.Problem{{Line: 5, Severity: wiki.SeverityError, Field: "metadata.name", Message: `key "metadata.name" appears more than once`}},
			[]string{"a"}},
		{"DefinedTwice", configLines(
			header, "kind: Component", "metadata: {name: ledger}",
			"---",
			header, "kind: component", "metadata: {name: Ledger, namespace: default}",
		), []wiki.Problem{{Line: 5, Severity: wiki.SeverityWarning, Field: "metadata.name",
			Message: "component:default/ledger is defined twice in this file (first at line 1); Backstage keeps only one"}},
			[]string{"ledger", "Ledger"}},
		{"WrongTypes", configLines(
			header, "kind: Component", "metadata:", "  name: a", "  title: [x]", "  tags: java",
			"  links:", "    - title: no url", "    - https://example.com",
			"  annotations:", "    pagerduty.com/service-id: {id: P1}",
			"spec: [x]",
		), []wiki.Problem{
			{Line: 5, Severity: wiki.SeverityError, Field: "metadata.title", Message: "metadata.title must be a text value"},
			{Line: 6, Severity: wiki.SeverityError, Field: "metadata.tags", Message: "metadata.tags must be a list"},
			{Line: 8, Severity: wiki.SeverityError, Field: "metadata.links", Message: "a link in metadata.links has no url"},
			{Line: 9, Severity: wiki.SeverityError, Field: "metadata.links", Message: "each of metadata.links must be a mapping with url and title"},
			{Line: 11, Severity: wiki.SeverityError, Field: "metadata.annotations.pagerduty.com/service-id", Message: `annotation "pagerduty.com/service-id" must be a text value`},
			{Line: 12, Severity: wiki.SeverityError, Field: "spec", Message: "spec must be a mapping of keys to values"},
		}, []string{"a"}},
		{"NameRules", configLines(
			header, "kind: Component", "metadata:", "  name: checkout api", "  namespace: Payments",
		), []wiki.Problem{
			{Line: 4, Severity: wiki.SeverityWarning, Field: "metadata.name", Message: `name "checkout api" breaks Backstage's rule: letters and digits separated by - _ or ., at most 63 characters`},
			{Line: 5, Severity: wiki.SeverityWarning, Field: "metadata.namespace", Message: `namespace "Payments" breaks Backstage's rule: lower-case letters and digits separated by -, at most 63 characters`},
		}, []string{"checkout api"}},
		{"TooLarge", append(configLines(header, "kind: Component", "metadata: {name: a}", "# "), bytes.Repeat([]byte("x"), 1<<20)...),
			[]wiki.Problem{{Line: 0, Severity: wiki.SeverityError, Message: "the file is larger than 1 MiB; it is not read"}},
			nil},
		{"TooManyDocuments", bytes.Repeat([]byte("---\nx: 1\n"), 1001),
			[]wiki.Problem{{Line: 2001, Severity: wiki.SeverityError, Message: "the file has more than 1000 documents; the rest is not read"}},
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const p = "services/payments/catalog-info.yaml"
			entities, problems := wiki.ParseBackstage(p, tc.content)
			for i := range tc.want {
				tc.want[i].Path = p
			}
			if !reflect.DeepEqual(problems, tc.want) {
				t.Errorf("problems:\n got %+v\nwant %+v", problems, tc.want)
			}
			var names []string
			for _, e := range entities {
				names = append(names, e.Name)
			}
			if !reflect.DeepEqual(names, tc.entities) {
				t.Errorf("entities read: %q, want %q", names, tc.entities)
			}
		})
	}
}

// TestParseBackstageProblemCap checks that a file full of mistakes yields a
// bounded list of problems that says so.
func TestParseBackstageProblemCap(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a}\nspec:\n  dependsOn:\n")
	for range 3000 {
		b.WriteString("    - [x]\n")
	}
	_, problems := wiki.ParseBackstage("catalog-info.yaml", b.Bytes())
	if len(problems) != 1001 {
		t.Fatalf("%d problems, want 1001", len(problems))
	}
	if last := problems[1000]; last.Message != "more than 1000 problems; the rest are not shown" {
		t.Fatalf("last problem: %+v", last)
	}
}

// FuzzParseBackstage checks that no input makes parsing panic, that every
// problem and entity points at a line of the file, and that every entity
// has a kind and a name.
func FuzzParseBackstage(f *testing.F) {
	f.Add(readConfigFixture(f, "backstage/catalog-info.yaml"))
	f.Add(readConfigFixture(f, "backstage/with-deployment.yaml"))
	for _, s := range []string{
		"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: [a\n---\nkind: x\n",
		"--- # c\n---\n...\n%YAML 1.1\n---\na: 1\n",
		"apiVersion: backstage.io/v1alpha1\nkind: C\nmetadata: &m {name: a, tags: [*m]}\nspec: {<<: *m, dependsOn: [*m, 'a:']}\n",
		"a: &a [x, x]\nb: &b [*a, *a]\napiVersion: backstage.io/v1alpha1\nkind: G\nmetadata: {name: g}\nspec: {members: *b}\n",
		"\r\n---\r\n- x\r\n--- |\n  text\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		entities, problems := wiki.ParseBackstage("catalog-info.yaml", b)
		lines := yamlFileLines(b)
		for _, p := range problems {
			if p.Line < 0 || p.Line > lines || p.Message == "" || p.Path != "catalog-info.yaml" {
				t.Fatalf("problem %+v in a %d-line file", p, lines)
			}
		}
		for _, e := range entities {
			if e.Kind == "" || e.Name == "" || e.Line < 1 || e.Line > lines {
				t.Fatalf("entity %+v in a %d-line file", e, lines)
			}
		}
	})
}

// yamlFileLines counts lines the way YAML does, which also breaks lines at a
// lone CR and at Unicode's NEL, LS and PS.
func yamlFileLines(b []byte) int {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	return 1 + strings.Count(s, "\n") + strings.Count(s, "\r") + strings.Count(s, "\u0085") +
		strings.Count(s, "\u2028") + strings.Count(s, "\u2029")
}

// BenchmarkParseBackstage parses a file of 1,000 entities near the size
// limit, the most a descriptor may cost.
func BenchmarkParseBackstage(b *testing.B) {
	one := readConfigFixture(b, "backstage/catalog-info.yaml")
	var buf bytes.Buffer
	for buf.Len()+len(one) < 1<<20 && bytes.Count(buf.Bytes(), []byte("\n---")) < 990 {
		buf.Write(one)
		buf.WriteString("---\n")
	}
	content := buf.Bytes()
	b.SetBytes(int64(len(content)))
	b.ResetTimer()
	for b.Loop() {
		if _, problems := wiki.ParseBackstage("catalog-info.yaml", content); len(problems) == 0 {
			b.Fatal("no duplicate-entity warnings from a repeated file")
		}
	}
}
