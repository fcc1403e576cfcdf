package rules_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki/rules"
)

// A rule file as Prometheus loads it (rule_files), shaped as the
// node_exporter and kubernetes mixins write theirs.
const groupsFile = `groups:
  - name: node-exporter
    rules:
      - alert: NodeFilesystemSpaceFillingUp
        annotations:
          description: Filesystem on {{ $labels.device }} at {{ $labels.instance }} has only {{ printf "%.2f" $value }}% available space left and is filling up.
          runbook_url: https://runbooks.prometheus-operator.dev/runbooks/node/nodefilesystemspacefillingup
          summary: Filesystem is predicted to run out of space within the next 24 hours.
        expr: |
          (
            node_filesystem_avail_bytes{job="node-exporter",fstype!=""} / node_filesystem_size_bytes{job="node-exporter",fstype!=""} * 100 < 15
          )
        for: 1h
        labels:
          severity: warning
      - record: instance:node_cpus:count
        expr: count without (cpu, mode) (node_cpu_seconds_total{job="node-exporter",mode="idle"})
  - name: checkout
    labels:
      team: payments
    rules:
      - alert: CheckoutHighErrorRate
        expr: sum(rate(http_requests_total{job="checkout",code=~"5.."}[5m])) / sum(rate(http_requests_total{job="checkout"}[5m])) > 0.05
        for: 5m
        labels:
          severity: critical
        annotations:
          runbook_url: https://wiki.example.com/-/alerts/{{ $labels.alertname }}
`

// The same kind of rules as the Prometheus Operator loads them, in a file
// that also holds another Kubernetes object, and a broken document.
const operatorFile = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
spec:
  replicas: 3
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: kube-prometheus-rules
  namespace: monitoring
  labels:
    prometheus: k8s
spec:
  groups:
    - name: kubernetes-apps
      rules:
        - alert: KubePodCrashLooping
          annotations:
            runbook_url: https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping
            summary: Pod is crash looping.
          expr: max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", job="kube-state-metrics"}[5m]) >= 1
          for: 15m
          labels:
            severity: warning
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
spec:
  groups:
    - name: broken
      rules:
        - alert: Broken
          expr: up == 0
          labels: [not, a, mapping]
        - alert: [NotAName]
        - expr: up
---
this: is: not: yaml
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
spec:
  groups:
    - name: after-the-broken-one
      rules:
        - alert: StillRead
          expr: vector(1)
`

func TestParseGroups(t *testing.T) {
	rs, problems := rules.Parse("node.rules.yml", []byte(groupsFile))
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(rs) != 2 {
		t.Fatalf("rules = %+v, want the two alerts (the recording rule left out)", rs)
	}
	r := rs[0]
	if r.Alert != "NodeFilesystemSpaceFillingUp" || r.Line != 4 || r.Group != "node-exporter" || r.For != "1h" || r.Severity() != "warning" ||
		!strings.HasPrefix(r.Expr, "(") || r.RunbookLine != 7 ||
		r.RunbookURL() != "https://runbooks.prometheus-operator.dev/runbooks/node/nodefilesystemspacefillingup" {
		t.Errorf("first rule = %+v", r)
	}
	c := rs[1]
	if c.Labels["team"] != "payments" || c.Labels["severity"] != "critical" || c.Line != 22 {
		t.Errorf("group labels are not the rule's: %+v", c)
	}
	u, left := c.Expand(c.RunbookURL())
	if u != "https://wiki.example.com/-/alerts/CheckoutHighErrorRate" || len(left) != 0 {
		t.Errorf("Expand = %q, %v", u, left)
	}
	u, left = c.Expand("https://wiki.example.com/{{ $labels.team }}/{{ .Labels.severity }}/{{ $labels.namespace }}/{{ index $labels \"alertname\" }}")
	if u != "https://wiki.example.com/payments/critical/{{ $labels.namespace }}/CheckoutHighErrorRate" || !reflect.DeepEqual(left, []string{"{{ $labels.namespace }}"}) {
		t.Errorf("Expand = %q, %v", u, left)
	}
}

func TestParsePrometheusRule(t *testing.T) {
	rs, problems := rules.Parse("k8s.yaml", []byte(operatorFile))
	var alerts []string
	for _, r := range rs {
		alerts = append(alerts, r.Alert)
	}
	if strings.Join(alerts, " ") != "KubePodCrashLooping Broken StillRead" {
		t.Errorf("alerts = %v", alerts)
	}
	if rs[0].Line != 19 || rs[0].RunbookLine != 21 || rs[0].Group != "kubernetes-apps" {
		t.Errorf("KubePodCrashLooping = %+v", rs[0])
	}
	want := []string{
		"k8s.yaml:36: labels of alert Broken must be a mapping of names to texts",
		"k8s.yaml:37: the alert's name must be a text",
		"k8s.yaml:38: a rule in group \"broken\" has neither alert nor record",
		"k8s.yaml:40: not valid YAML",
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want %q…", i, got[i], want[i])
		}
	}
}

func TestParseLimits(t *testing.T) {
	for name, content := range map[string]string{
		"Empty":       "",
		"Comments":    "# nothing here\n",
		"NullGroups":  "groups:\n",
		"OtherObject": "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: b\n",
	} {
		if rs, ps := rules.Parse(name, []byte(content)); len(rs) != 0 || len(ps) != 0 {
			t.Errorf("%s: %v %v", name, rs, ps)
		}
	}
	if _, ps := rules.Parse("big", make([]byte, 9<<20)); len(ps) != 1 || !strings.Contains(ps[0].Message, "larger than") {
		t.Errorf("a 9 MB file: %v", ps)
	}
	if _, ps := rules.Parse("g", []byte("groups: {a: b}\n")); len(ps) != 1 || ps[0].Line != 1 {
		t.Errorf("groups not a list: %v", ps)
	}
}

// FuzzParse: no rule file makes the parser panic, and every problem and
// rule points at a line of the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte(groupsFile))
	f.Add([]byte(operatorFile))
	f.Add([]byte("groups:\n- name: a\n  rules: &r\n  - alert: *r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, ps := rules.Parse("f.yaml", b)
		lines := strings.Count(string(b), "\n") + strings.Count(string(b), "\r") + 2
		for _, p := range ps {
			if p.Line < 0 || p.Line > lines {
				t.Fatalf("problem at line %d of %d: %v", p.Line, lines, p)
			}
		}
		for _, r := range rs {
			if r.Line < 1 || r.Line > lines || r.Alert == "" {
				t.Fatalf("rule %+v", r)
			}
		}
	})
}

// The rule files of Prometheus' own rule format tests (model/rulefmt
// testdata): what Prometheus loads, this parser reads with the same
// alerts, anchors, aliases and merge keys followed; what Prometheus
// refuses for a rule's kind, it reports.
func TestPrometheusRuleFormatFixtures(t *testing.T) {
	for _, tc := range []struct {
		file   string
		alerts string
		bad    string
	}{
		{"test.yaml", "HighErrors@5 HighErrors@26 HighErrors@41 HighErrors@56", ""},
		{"test_aliases.yaml", "HighAlert@6 HighAlert@24 HighAlert2@33 HighAlert@38 HighAlert@49 HighAlert2@57", ""},
		{"record_and_alert.bad.yaml", "", "both alert and record"},
		{"no_rec_alert.bad.yaml", "", "neither alert nor record"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			rs, ps := rules.Parse(tc.file, b)
			var got []string
			for _, r := range rs {
				got = append(got, fmt.Sprintf("%s@%d", r.Alert, r.Line))
				if r.Expr == "" || r.Severity() != "critical" && tc.bad == "" {
					t.Errorf("%s: expr %q severity %q", r.Alert, r.Expr, r.Severity())
				}
			}
			if strings.Join(got, " ") != tc.alerts {
				t.Errorf("alerts %v, want %s", got, tc.alerts)
			}
			if tc.bad == "" && len(ps) > 0 || tc.bad != "" && (len(ps) != 1 || !strings.Contains(ps[0].Message, tc.bad)) {
				t.Errorf("problems %v, want %q", ps, tc.bad)
			}
		})
	}
}
