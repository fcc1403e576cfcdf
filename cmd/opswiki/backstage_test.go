package main_test

import (
	"strings"
	"testing"
)

// backstageRepo is a repository laid out for Backstage: a root
// catalog-info.yaml of several documents (System, Component, API, Group)
// with its TechDocs (mkdocs.yml, docs/), and a second service in a
// monorepo folder with its own descriptor and a docs_dir of its own.
var backstageRepo = map[string]string{
	"catalog-info.yaml": `apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: payments-platform
  description: Taking money from customers.
spec:
  owner: group:default/payments-team
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  title: Payments API
  description: Card and wallet payments for checkout.
  annotations:
    backstage.io/techdocs-ref: dir:.
    pagerduty.com/service-id: PXYZ123
    pagerduty.com/integration-key: 0123456789abcdef0123456789abcdef
    github.com/project-slug: example/payments-api
  links:
    - url: https://grafana.example.com/d/payments
      title: Payments dashboard
  tags: [java, payments]
spec:
  type: service
  lifecycle: production
  owner: payments-team
  system: payments-platform
  providesApis: [payments-api-v1]
  dependsOn:
    - component:default/ledger
    - resource:payments-db
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api-v1
spec:
  type: openapi
  lifecycle: production
  owner: payments-team
  definition: |
    openapi: "3.0.0"
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments-team
  annotations:
    opsgenie.com/team: Payments
spec:
  type: team
  profile:
    displayName: Payments Team
  children: []
`,
	"mkdocs.yml": `site_name: Payments API
site_description: How the payments API works and how to run it
nav:
  - Home: index.md
  - Runbooks:
      - Queue backlog: runbooks/PaymentsQueueBacklog.md
      - High error rate: runbooks/PaymentsAPIHighErrorRate.md
  - Architecture: architecture.md
plugins:
  - techdocs-core
markdown_extensions:
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
  - admonition
`,
	"docs/index.md":                             "# Payments API\n\nThe payments API takes card and wallet payments for checkout.\n",
	"docs/architecture.md":                      "# Architecture\n\nRequests come from checkout through the gateway.\n",
	"docs/runbooks/PaymentsAPIHighErrorRate.md": "# PaymentsAPIHighErrorRate\n\n## Meaning\n\nMore than 5% of requests fail.\n\n## Impact\n\nCustomers cannot pay.\n\n## Diagnosis\n\nCheck the ledger.\n\n## Mitigation\n\nRoll back the last deploy.\n",
	"docs/runbooks/PaymentsQueueBacklog.md":     "# PaymentsQueueBacklog\n\n## Meaning\n\nThe settlement queue grows.\n\n## Mitigation\n\nScale the workers.\n",
	"services/ledger/catalog-info.yaml": `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ledger
  annotations:
    backstage.io/techdocs-ref: dir:.
    splunk.com/on-call-team: ledger-oncall
spec:
  type: service
  lifecycle: production
  owner: group:ledger-team
`,
	"services/ledger/mkdocs.yml":                                   "site_name: Ledger\ndocs_dir: documentation\nnav:\n  - index: README.md\n  - Alerts: alerts/LedgerReplicationLag.md\n",
	"services/ledger/documentation/README.md":                      "# Ledger\n\nDouble-entry bookkeeping for every payment.\n",
	"services/ledger/documentation/alerts/LedgerReplicationLag.md": "# LedgerReplicationLag\n\nThe replica is behind.\n",
}

// A Backstage repository imported as it is: the services its descriptors
// declare are in the catalog with their owners, dependencies both ways,
// links and on-call (never the integration key); each service's TechDocs
// home is its page; the MkDocs nav orders the page tree; alert links land;
// search finds pages by file name.
func TestImportBackstageRepo(t *testing.T) {
	files := asFiles(backstageRepo)
	s, out := MustInitFrom(t, files)
	// payments-platform, payments-api, ledger, and payments-db which
	// payments-api depends on.
	if !strings.Contains(out, "4 services; 0 errors") {
		t.Errorf("init --from: %s", out)
	}

	_, _, services := s.Get(t, "/-/services")
	for _, want := range []string{
		`<a href="/docs">payments-api</a>`, `<a href="/services/ledger/documentation">ledger</a>`,
		`<a href="/-/services#service-payments-platform">payments-platform</a>`,
		`payments-db <span class="muted"`, "PagerDuty service PXYZ123", "Splunk On-Call team ledger-oncall",
		"payments-team", "ledger-team",
	} {
		if !strings.Contains(services, want) {
			t.Errorf("/-/services lacks %s", want)
		}
	}
	for _, secret := range []string{"0123456789abcdef", "integration key"} {
		if strings.Contains(services, secret) {
			t.Errorf("/-/services shows %q", secret)
		}
	}

	_, _, home := s.Get(t, "/docs")
	for _, want := range []string{
		"Card and wallet payments for checkout.", "Payments Team (payments-team)",
		`<a href="https://app.pagerduty.com/service-directory/PXYZ123" rel="noopener noreferrer">PagerDuty service PXYZ123</a>`,
		`<a href="https://grafana.example.com/d/payments" rel="noopener noreferrer">Payments dashboard</a>`,
		`<a href="/services/ledger/documentation">ledger</a>`, "payments-api-v1", `<code>catalog-info.yaml:9</code>`,
	} {
		if !strings.Contains(home, want) {
			t.Errorf("the TechDocs home of payments-api lacks %s\n%s", want, between(home, `<div class="backstage"`, "</section>"))
		}
	}
	if strings.Contains(home, "0123456789abcdef") {
		t.Error("the integration key is shown")
	}
	_, _, ledger := s.Get(t, "/services/ledger/documentation")
	if !strings.Contains(ledger, `<a href="/docs">payments-api</a>`) || !strings.Contains(ledger, "ledger-oncall") {
		t.Errorf("the ledger's page does not show payments-api using it:\n%s", between(ledger, `<section class="service-panel"`, "</section>"))
	}

	// The nav puts the queue backlog before the error rate.
	_, _, listing := s.Get(t, "/docs/runbooks")
	first, second := strings.Index(listing, "PaymentsQueueBacklog"), strings.Index(listing, "PaymentsAPIHighErrorRate")
	if first < 0 || second < 0 || first > second {
		t.Errorf("/docs/runbooks does not list in the nav's order (%d, %d)", first, second)
	}

	mustLandInAnyCase(t, s, map[string]string{
		"PaymentsAPIHighErrorRate": "/docs/runbooks/PaymentsAPIHighErrorRate",
		"PaymentsQueueBacklog":     "/docs/runbooks/PaymentsQueueBacklog",
		"LedgerReplicationLag":     "/services/ledger/documentation/alerts/LedgerReplicationLag",
	})
	mustFindEveryPageByFileName(t, s, files)
	for q, want := range map[string]string{
		"architecture":             "docs/architecture",
		"queue backlog":            "docs/runbooks/PaymentsQueueBacklog",
		"ledger replication":       "services/ledger/documentation/alerts/LedgerReplicationLag",
		"PaymentsAPIHighErrorRate": "docs/runbooks/PaymentsAPIHighErrorRate",
	} {
		if r := s.Search(t, q, 3); len(r.Hits) == 0 || r.Hits[0].Path != want {
			t.Errorf("search %q = %+v, want %s first", q, r.Hits, want)
		}
	}
}

// A descriptor with a mistake is reported with its file and line, in the
// content report and by opswiki check, and the documents around it still
// count.
func TestBackstageDescriptorProblems(t *testing.T) {
	files := map[string][]byte{
		"README.md": []byte("# Services\n"),
		"catalog-info.yaml": []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: search\nspec:\n  owner: search-team\n  dependsOn: component:index\n" +
			"---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: index\nspec:\n  owner: search-team\n"),
	}
	s, out := MustInitFrom(t, files)
	if !strings.Contains(out, "1 error") {
		t.Errorf("init --from does not count the descriptor's error:\n%s", out)
	}
	_, _, report := s.Get(t, "/-/report")
	if !strings.Contains(report, "catalog-info.yaml") || !strings.Contains(report, "line 7") {
		t.Errorf("the report lacks the descriptor's error at line 7:\n%s", between(report, `<section class="report"`, "</section>"))
	}
	_, _, services := s.Get(t, "/-/services")
	if !strings.Contains(services, ">index<") || !strings.Contains(services, ">search<") {
		t.Error("the descriptor's services are not in the catalog")
	}
}
