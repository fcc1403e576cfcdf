package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// rulesWiki is a checkout of a wiki's repository, as a rules repository's
// CI would check against.
var rulesWiki = map[string]string{
	".opswiki.yaml":                   "redirects:\n  \"https://github.com/openshift/runbooks/blob/master/\": /\n",
	"runbooks/disk-full.md":           "---\nalerts: [NodeDiskFull]\nowner: sre\n---\n# Disk full\n",
	"alerts/etcd/etcdMembersDown.md":  "# etcdMembersDown\n\n## Meaning\n\n## Mitigation\n",
	"runbooks/CheckoutHighLatency.md": "# CheckoutHighLatency\n\n## Impact\n\n## Mitigation\n",
	"runbooks/old-alert.md":           "---\nalerts: [RetiredAlert]\nowner: sre\n---\n# Retired\n",
}

const nodeRules = `groups:
  - name: node
    rules:
      - alert: NodeDiskFull
        expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.05
        for: 10m
        labels:
          severity: critical
        annotations:
          runbook_url: https://wiki.example.com/-/alerts/{{ $labels.alertname }}
      - alert: CheckoutHighLatency
        expr: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 1
        labels:
          severity: warning
      - alert: NoRunbookCritical
        expr: up == 0
        labels:
          severity: critical
      - alert: NoRunbookInfo
        expr: up == 0
        labels:
          severity: info
      - alert: BrokenRunbookURL
        expr: up == 0
        labels:
          severity: warning
        annotations:
          runbook_url: https://wiki.example.com/runbooks/nowhere
      - alert: PerNamespace
        expr: up == 0
        labels:
          severity: warning
        annotations:
          runbook_url: https://wiki.example.com/runbooks/{{ $labels.namespace }}
      - alert: Elsewhere
        expr: up == 0
        labels:
          severity: warning
        annotations:
          runbook_url: https://confluence.example.com/display/OPS/Elsewhere
`

const operatorRules = `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: etcd
spec:
  groups:
    - name: etcd
      rules:
        - alert: etcdMembersDown
          expr: max without (endpoint) (sum without (instance) (up{job=~".*etcd.*"} == bool 0)) > 0
          for: 10m
          labels:
            severity: critical
          annotations:
            runbook_url: https://github.com/openshift/runbooks/blob/master/alerts/etcd/etcdMembersDown.md
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
spec:
  groups:
    - name: broken
      rules:
        - alert: [oops]
`

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		mustWrite(t, filepath.Join(dir, filepath.FromSlash(p)), c)
	}
	return dir
}

// Rule files in both shapes checked against a wiki folder: each alert
// reaches its runbook by name, by the wiki's /-/alerts address (templated),
// by an old address the wiki's settings redirect; what does not is
// reported at its file and line, and only alerts of the failing
// severities fail the check.
func TestCheckRulesAgainstFolder(t *testing.T) {
	wikiDir := writeTree(t, rulesWiki)
	rulesDir := writeTree(t, map[string]string{"node.rules.yml": nodeRules, "k8s/etcd.yaml": operatorRules, "README.md": "not a rule file"})
	var out bytes.Buffer
	err := main.Run(context.Background(), []string{"check", "--rules", filepath.Join(rulesDir, "node.rules.yml"), "--wiki", wikiDir,
		"--runbook-base", "https://wiki.example.com/", filepath.Join(rulesDir, "k8s")}, &out, io.Discard)
	if !errors.Is(err, main.ErrCheckFailed) {
		t.Fatalf("check = %v, want it to fail\n%s", err, out.String())
	}
	node, etcd := filepath.Join(rulesDir, "node.rules.yml"), filepath.Join(rulesDir, "k8s", "etcd.yaml")
	for _, want := range []string{
		node + ":15: error: alert NoRunbookCritical has no runbook",
		node + ":19: warning: alert NoRunbookInfo has no runbook",
		node + ":28: error: runbook_url of BrokenRunbookURL leads to no page here: https://wiki.example.com/runbooks/nowhere",
		node + ":34: warning: runbook_url of PerNamespace depends on labels only the firing alert has ({{ $labels.namespace }}); not checked",
		node + ":40: warning: runbook_url of Elsewhere is not an address of this wiki",
		etcd + ":23: error: the alert's name must be a text",
		"runbooks/old-alert.md: warning: runbook runbooks/old-alert.md answers RetiredAlert, which no rule defines",
		"8 alerts in 2 rule files: 2 without a runbook, 1 runbook_urls leading nowhere, 2 not checked, 1 runbooks answering no alert; 2 failing (severity critical, warning)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	for _, fine := range []string{"NodeDiskFull", "CheckoutHighLatency", "etcdMembersDown"} {
		if strings.Contains(out.String(), " "+fine+" ") {
			t.Errorf("%s reaches its runbook, yet is reported:\n%s", fine, out.String())
		}
	}

	// JSON for machines; --fail-on none never fails.
	out.Reset()
	err = main.Run(context.Background(), []string{"check", "--format", "json", "--fail-on", "none", "--wiki", wikiDir, "--runbook-base", "https://wiki.example.com/",
		"--rules", rulesDir}, &out, io.Discard)
	if err != nil {
		t.Fatalf("--fail-on none: %v", err)
	}
	var report struct {
		Alerts, Failing int
		Counts          map[string]int
		Findings        []struct {
			File, Alert, Kind string
			Line              int
			Fails             bool
		}
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out.String())
	}
	if report.Alerts != 8 || report.Failing != 0 || report.Counts["no-runbook"] != 2 || report.Counts["rule-file"] != 1 {
		t.Errorf("JSON report = %+v", report)
	}
}

// The same check against a running wiki, by its URL.
func TestCheckRulesAgainstRunningWiki(t *testing.T) {
	s := MustServe(t, "")
	rules := fmt.Sprintf(`groups:
  - name: checkout
    rules:
      - alert: CheckoutHighErrorRate
        expr: rate(errors[5m]) > 1
        labels: {severity: critical}
        annotations:
          runbook_url: %s/-/alerts/{{ $labels.alertname }}
      - alert: CheckoutHighErrorRateByName
        expr: rate(errors[5m]) > 1
        labels: {severity: critical}
        annotations:
          runbook_url: %s/runbooks/CHECKOUT-high-error-rate
      - alert: CheckoutDown
        expr: up == 0
        labels: {severity: critical}
`, s.URL, s.URL)
	dir := writeTree(t, map[string]string{"checkout.yaml": rules})
	var out bytes.Buffer
	err := main.Run(context.Background(), []string{"check", "--rules", filepath.Join(dir, "checkout.yaml"), "--wiki", s.URL}, &out, io.Discard)
	if !errors.Is(err, main.ErrCheckFailed) || !strings.Contains(out.String(), "alert CheckoutDown has no runbook") ||
		strings.Contains(out.String(), "CheckoutHighErrorRate ") || strings.Contains(out.String(), "leads to no page") ||
		!strings.Contains(out.String(), "3 alerts in 1 rule files: 1 without a runbook, 0 runbook_urls leading nowhere") {
		t.Errorf("check against %s = %v:\n%s", s.URL, err, out.String())
	}
}

// The prometheus-operator runbooks, as they are, checked against rule
// files written the way kube-prometheus writes its alerts' runbook_urls
// (the alert name lower-cased, under runbooks.prometheus-operator.dev):
// every alert reaches its runbook.
func TestCheckRulesPrometheusOperatorCorpus(t *testing.T) {
	files := readCorpus(t, "prometheus-operator-runbooks", "content")
	wikiDir := t.TempDir()
	var alerts []string
	byComponent := map[string][]string{}
	for name, b := range files {
		mustWrite(t, filepath.Join(wikiDir, filepath.FromSlash(name)), string(b))
		if strings.HasPrefix(name, "content/runbooks/") && filepath.Base(name) != "_index.md" {
			component := filepath.Base(filepath.Dir(name))
			alert := strings.TrimSuffix(filepath.Base(name), ".md")
			alerts = append(alerts, alert)
			byComponent[component] = append(byComponent[component], alert)
		}
	}
	sort.Strings(alerts)
	var rules strings.Builder
	rules.WriteString("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: kube-prometheus-rules\nspec:\n  groups:\n")
	components := make([]string, 0, len(byComponent))
	for c := range byComponent {
		components = append(components, c)
	}
	sort.Strings(components)
	for _, c := range components {
		fmt.Fprintf(&rules, "    - name: %s\n      rules:\n", c)
		for _, a := range byComponent[c] {
			fmt.Fprintf(&rules, "        - alert: %s\n          expr: vector(1)\n          labels:\n            severity: warning\n          annotations:\n            runbook_url: https://runbooks.prometheus-operator.dev/runbooks/%s/%s\n",
				a, c, strings.ToLower(a))
		}
	}
	rulesFile := filepath.Join(t.TempDir(), "kube-prometheus.yaml")
	if err := os.WriteFile(rulesFile, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := main.Run(context.Background(), []string{"check", "--rules", rulesFile, "--wiki", wikiDir,
		"--runbook-base", "https://runbooks.prometheus-operator.dev/runbooks/=/content/runbooks/"}, &out, io.Discard)
	want := fmt.Sprintf("%d alerts in 1 rule files: 0 without a runbook, 0 runbook_urls leading nowhere, 0 not checked, 0 runbooks answering no alert; 0 failing", len(alerts))
	if err != nil || !strings.Contains(out.String(), want) || len(alerts) < 100 {
		t.Errorf("check = %v, want %q:\n%s", err, want, out.String())
	}
}
