package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// Rule files given with --rules, and rule files committed in the wiki
// where its settings say: /-/alerts lists every alert with its runbook or
// a link that writes one, a runbook shows the rules it answers, and a
// changed rule file shows without a restart.
func TestRulesInTheWiki(t *testing.T) {
	rulesDir := t.TempDir()
	file := filepath.Join(rulesDir, "checkout.rules.yml")
	write := func(expr string) {
		mustWrite(t, file, `groups:
  - name: checkout
    rules:
      - alert: CheckoutHighErrorRate
        expr: `+expr+`
        for: 5m
        labels: {severity: critical, team: payments}
        annotations: {summary: More than 5% of checkout requests fail}
      - alert: CheckoutQueueBacklog
        expr: checkout_queue_depth > 1000
        labels: {severity: warning, service: checkout}
`)
	}
	write("sum(rate(http_requests_total{code=~\"5..\"}[5m])) > 0.05")
	s := MustServeWith(t, "", func(c *main.Config) { c.Rules = []string{rulesDir} })

	_, _, alerts := s.Get(t, "/-/alerts")
	for _, want := range []string{
		`data-alert="CheckoutHighErrorRate"`, `<a href="/runbooks/checkout-high-error-rate">`, `<code class="expr">sum(rate(http_requests_total{code=~&#34;5..&#34;}[5m])) &gt; 0.05</code>`,
		`data-alert="CheckoutQueueBacklog"`, `href="/-/new?alert=CheckoutQueueBacklog&amp;expr=checkout_queue_depth&#43;%3E&#43;1000&amp;service=checkout&amp;template=runbook&amp;title=CheckoutQueueBacklog"`,
		"1 have no runbook yet", "checkout.rules.yml:4",
	} {
		if !strings.Contains(alerts, want) {
			t.Errorf("/-/alerts lacks %s", want)
		}
	}
	// Writing one from the list: the rule's expression is in it.
	_, _, editor := s.Get(t, "/-/new?alert=CheckoutQueueBacklog&expr=checkout_queue_depth+%3E+1000&summary=The+queue+grows&service=checkout&template=runbook&title=CheckoutQueueBacklog")
	if !strings.Contains(editor, "```promql\ncheckout_queue_depth &gt; 1000\n```") || !strings.Contains(editor, "The queue grows") {
		t.Errorf("the new runbook lacks the rule's expression and summary:\n%s", between(editor, "<textarea", "</textarea>"))
	}
	_, _, runbook := s.Get(t, "/runbooks/checkout-high-error-rate")
	if !strings.Contains(runbook, `<section class="rules-panel"`) || !strings.Contains(runbook, `data-rule="CheckoutHighErrorRate"`) || strings.Contains(runbook, `data-rule="CheckoutQueueBacklog"`) {
		t.Errorf("the runbook does not show the rule it answers:\n%s", between(runbook, `<section class="rules-panel"`, "</section>"))
	}

	// Changed on disk: shown without a restart.
	write("sum(rate(http_requests_total{code=~\"5..\"}[1m])) > 0.10")
	future := time.Now().Add(2 * time.Second)
	os.Chtimes(file, future, future)
	eventually(t, "the changed rule file shows on the runbook", func() bool {
		_, _, runbook = s.Get(t, "/runbooks/checkout-high-error-rate")
		return strings.Contains(runbook, "[1m])) &gt; 0.10")
	})

	// Rule files committed in the wiki, under the folder its settings name.
	work := s.Clone(t)
	mustWrite(t, filepath.Join(work, ".opswiki.yaml"), "rules:\n  - prometheus/\n")
	mustWrite(t, filepath.Join(work, "prometheus", "payments.yaml"), `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: payments}
spec:
  groups:
    - name: payments-db
      rules:
        - alert: PaymentsDBReplicationLag
          expr: pg_replication_lag_seconds > 30
          labels: {severity: warning}
`)
	commitAll(t, work, "Rules in the wiki")
	if out, err := GitErr(t, work, "push", "origin", "main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	_, _, alerts = s.Get(t, "/-/alerts")
	if !strings.Contains(alerts, `data-alert="PaymentsDBReplicationLag"`) || !strings.Contains(alerts, "prometheus/payments.yaml:8") || !strings.Contains(alerts, `data-alert="CheckoutHighErrorRate"`) {
		t.Errorf("/-/alerts does not list the committed rules beside the others:\n%s", between(alerts, "<table", "</table>"))
	}
	if _, _, settings := s.Get(t, "/-/settings"); ruleCount(settings, "rule-files") != "1" || !strings.Contains(settings, "prometheus/payments.yaml") {
		t.Errorf("/-/settings does not show the rule file its pattern matched")
	}
}
