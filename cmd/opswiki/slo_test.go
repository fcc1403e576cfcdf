package main_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"path/filepath"
	"strings"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// Error budgets and drills on the real server over the default content: a
// postmortem pushed with git spends 10% of checkout's latency budget (99%
// over 28 days: 0.01 x 40,320 = 403.2 minutes; 40.32 spent, 362.88 left),
// which /-/reliability and the service's page show, with their charts; the
// default drill exercises the worked runbook; with drill_every in the
// settings, the report and `opswiki check` list a tier-1 service's
// runbook that was never drilled.
func TestErrorBudgetsAndDrills(t *testing.T) {
	s := MustServe(t, "")
	work := s.Clone(t)
	started := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Minute)
	mustWrite(t, filepath.Join(work, "postmortems", "e2e-slow.md"), fmt.Sprintf(`---
title: Slow checkouts
services: [checkout]
started: %s
resolved: %s
slo_impact:
  - slo: latency
    minutes: 40.32
---
# Slow checkouts
`, started.Format(time.RFC3339), started.Add(time.Hour).Format(time.RFC3339)))
	mustWrite(t, filepath.Join(work, "runbooks", "payments-db-failover.md"), "---\nowner: team-data-platform\nservices: [payments-db]\n---\n# Fail payments-db over\n")
	mustWrite(t, filepath.Join(work, ".opswiki.yaml"), "drill_every: 30d\n")
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-q", "-m", "An incident, a runbook, drills every 30 days")
	Git(t, work, "push", "-q", "origin", "HEAD:main")
	waitFor(t, func() bool { code, _, _ := s.Get(t, "/postmortems/e2e-slow"); return code == 200 })

	for _, tt := range []struct {
		name, path string
		want       []string
	}{
		{"Reliability", "/-/reliability?service=checkout", []string{`id="budget-checkout-latency"`,
			`<strong>40.3</strong> of 403.2 min spent (10%), <strong>362.9 min</strong> left`,
			`<svg class="chart budget-chart"`, `<title id="budget-checkout-latency-t">Error budget of checkout latency spent per 28d window</title>`,
			`: 40.3 of 403.2 min spent (10%), 362.9 min left;`, `<polyline class="burn"`,
			`<a href="/postmortems/e2e-slow">Slow checkouts</a>`,
			// The availability SLO counts requests: 0.1% of 280 million.
			`of 280,000 events spent`}},
		{"ServicePage", "/services/checkout", []string{`<div class="budget-compact" data-slo="latency">`,
			`40.3 of 403.2 min spent (10%), 362.9 min left`, `<svg class="chart budget-chart"`,
			`<span class="drill-status muted"><a href="/drills/2026-11-18-checkout-pgbouncer-saturation">drilled 2026-11-18</a></span>`}},
		{"Drill", "/drills/2026-11-18-checkout-pgbouncer-saturation", []string{`<span class="badge kind-drill">drill</span>`,
			`<dt>Runbooks exercised</dt><dd><a href="/runbooks/checkout-high-error-rate">Checkout high error rate</a></dd>`,
			`<dt>Participants</dt>`, "Findings"}},
		{"Runbook", "/runbooks/checkout-high-error-rate", []string{`<dt>Last exercised</dt>`,
			`<a href="/drills/2026-11-18-checkout-pgbouncer-saturation">Drill: PgBouncer saturation takes checkout down</a>`}},
		// drill_every of the settings applies to payments-db (tier 1);
		// checkout has its own.
		{"Settings", "/-/settings", []string{`<table class="rules" id="drill-every">`, `<td><code>30d</code></td>`,
			`<span class="count">1</span>`, `href="/services/payments-db"`}},
		{"Report", "/-/report", []string{`runbook &#34;Fail payments-db over&#34; (runbooks/payments-db-failover) of service payments-db was never drilled; drills are due every 30d`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := s.Get(t, tt.path)
			if code != 200 {
				t.Fatalf("GET %s = %d", tt.path, code)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s lacks %q", tt.path, w)
				}
			}
		})
	}
	t.Run("NewDrillFromTemplate", func(t *testing.T) {
		code, _, editor := s.Get(t, "/-/new?template=drill&alert=CheckoutHighErrorRate&service=checkout&title=Failover")
		m := editorText.FindStringSubmatch(editor)
		today := time.Now().UTC().Format(time.DateOnly)
		if code != 200 || m == nil || !strings.Contains(editor, `value="drills/`+today+`-failover.md"`) {
			t.Fatalf("editor = %d", code)
		}
		content := html.UnescapeString(m[1])
		if !strings.Contains(content, `runbooks: ["CheckoutHighErrorRate"]`) || !strings.Contains(content, `date: "`+today+`"`) {
			t.Fatalf("the template's text:\n%s", content)
		}
		if code, resp := s.Put(t, "drills/"+today+"-failover", content, "", "Plan a drill"); code != 200 {
			t.Fatalf("save = %d %v", code, resp)
		}
		_, _, body := s.Get(t, "/drills/"+today+"-failover")
		if !strings.Contains(body, `<dt>Runbooks exercised</dt><dd><a href="/runbooks/checkout-high-error-rate">Checkout high error rate</a></dd>`) {
			t.Errorf("the new drill does not name the runbook")
		}
	})
	t.Run("Check", func(t *testing.T) {
		var out bytes.Buffer
		if err := main.Check(context.Background(), work, "", false, time.Now(), &out); err != nil {
			t.Fatalf("check: %v\n%s", err, out.String())
		}
		want := "services/payments-db.md:6: warning: runbook \"Fail payments-db over\" (runbooks/payments-db-failover) of service payments-db was never drilled"
		if !strings.Contains(out.String(), want) {
			t.Errorf("opswiki check lacks %q:\n%s", want, out.String())
		}
	})
}
