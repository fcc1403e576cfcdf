package main_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

const amToken = "0f5c2b7e9a1d4c3b8e6f0a2d4c6e8b1a"

// amPayload is a notification as Alertmanager's webhook_configs sends it
// (version 4), for one group of alerts.
func amPayload(status string, alerts ...string) string {
	return `{
  "receiver": "opswiki",
  "status": "` + status + `",
  "alerts": [` + strings.Join(alerts, ",") + `],
  "groupLabels": {"alertname": "CheckoutHighErrorRate"},
  "commonLabels": {"alertname": "CheckoutHighErrorRate", "severity": "critical"},
  "commonAnnotations": {"summary": "More than 5% of checkout requests fail"},
  "externalURL": "http://alertmanager.example.com:9093",
  "version": "4",
  "groupKey": "{}:{alertname=\"CheckoutHighErrorRate\"}",
  "truncatedAlerts": 0
}`
}

func amAlert(status, fingerprint, namespace, pod, generator string) string {
	return `{
      "status": "` + status + `",
      "labels": {"alertname": "CheckoutHighErrorRate", "severity": "critical", "service": "checkout", "namespace": "` + namespace + `", "pod": "` + pod + `"},
      "annotations": {"summary": "More than 5% of checkout requests fail", "description": "<b>bold</b> <script>alert(1)</script>"},
      "startsAt": "2026-11-28T03:04:05.123Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "` + generator + `",
      "fingerprint": "` + fingerprint + `"
    }`
}

func (s *Server) postAlertmanager(t *testing.T, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/-/api/alertmanager", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	code, _, out := do(t, req)
	return code, out
}

// Alertmanager's notifications as it sends them: firing alerts show on
// their runbook, their service's page, /-/firing and in the header;
// repeats change nothing; resolved ones leave; hostile label values stay
// text and links stay http(s); bad requests get clear errors; the state
// survives a restart.
func TestAlertmanagerWebhook(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	tokenFile := filepath.Join(t.TempDir(), "am-token")
	if err := os.WriteFile(tokenFile, []byte(amToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	configure := func(c *main.Config) { c.AlertmanagerTokenFile = tokenFile }
	s := MustServeWith(t, data, configure)

	hostile := amAlert("firing", "b8d1e2f3a4c5d6e7", `payments\"; rm -rf / #`, `<script>alert(1)</script>`, "javascript:alert(1)")
	firing := amPayload("firing",
		amAlert("firing", "a1b2c3d4e5f60718", "checkout", "api-7f9", "http://prometheus.example.com:9090/graph?g0.expr=up"),
		hostile)
	for _, tc := range []struct {
		name, token, body string
		code              int
		want              string
	}{
		{"NoToken", "", firing, 401, "Bearer"},
		{"WrongToken", "not-the-token-at-all-0000000000", firing, 401, "Bearer"},
		{"NotJSON", amToken, "{", 400, "not an Alertmanager notification"},
		{"OtherVersion", amToken, strings.Replace(firing, `"version": "4"`, `"version": "3"`, 1), 400, `version \"3\"`},
		{"NoAlertname", amToken, amPayload("firing", `{"status": "firing", "labels": {"job": "x"}}`), 400, "no alertname"},
		{"BadStatus", amToken, amPayload("firing", `{"status": "pending", "labels": {"alertname": "X"}}`), 400, `status \"pending\"`},
		{"TooLarge", amToken, amPayload("firing", `{"status": "firing", "labels": {"alertname": "X", "big": "`+strings.Repeat("x", 1<<20)+`"}}`), 413, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, out := s.postAlertmanager(t, tc.token, tc.body); code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("= %d %s, want %d with %q", code, out, tc.code, tc.want)
			}
		})
	}
	if code, _, _ := s.Get(t, "/-/firing"); code != 200 {
		t.Fatalf("/-/firing = %d", code)
	}

	if code, out := s.postAlertmanager(t, amToken, firing); code != 200 || !strings.Contains(out, `"changed":2`) || !strings.Contains(out, `"firing":2`) {
		t.Fatalf("firing notification = %d %s", code, out)
	}
	// Alertmanager repeats a notification every repeat_interval: nothing changes.
	if code, out := s.postAlertmanager(t, amToken, firing); code != 200 || !strings.Contains(out, `"changed":0`) {
		t.Errorf("repeat = %d %s", code, out)
	}
	check := func(t *testing.T, want int) {
		t.Helper()
		_, _, list := s.Get(t, "/-/firing")
		_, _, runbook := s.Get(t, "/runbooks/checkout-high-error-rate")
		_, _, service := s.Get(t, "/services/checkout")
		_, _, other := s.Get(t, "/services/payments-db")
		if want == 0 {
			for name, page := range map[string]string{"firing": list, "runbook": runbook, "service": service} {
				if strings.Contains(page, `class="firing-count"`) || strings.Contains(page, `class="firing-banner"`) {
					t.Errorf("%s still shows a firing alert", name)
				}
			}
			return
		}
		for name, page := range map[string]string{"firing": list, "runbook": runbook, "service": service} {
			if !strings.Contains(page, `<a class="firing-count" href="/-/firing" title="Alerts firing now">`+string(rune('0'+want))+` firing</a>`) {
				t.Errorf("%s: no count of %d in the header", name, want)
			}
			if strings.Count(page, `data-alert="CheckoutHighErrorRate"`) != want {
				t.Errorf("%s shows %d alerts, want %d", name, strings.Count(page, `data-alert="CheckoutHighErrorRate"`), want)
			}
			for _, bad := range []string{"<script>alert(1)</script>", `href="javascript:`, "<b>bold</b>"} {
				if strings.Contains(page, bad) {
					t.Errorf("%s carries %q from the payload unescaped", name, bad)
				}
			}
		}
		if want == 2 && !strings.Contains(list, `<code>pod="&lt;script&gt;alert(1)&lt;/script&gt;"</code>`) {
			t.Error("/-/firing does not show the hostile label as text")
		}
		for _, w := range []string{`href="http://prometheus.example.com:9090/graph?g0.expr=up"`,
			`href="http://alertmanager.example.com:9093/#/silences/new?filter=`, "Start incident", "firing since", `href="/runbooks/checkout-high-error-rate?`} {
			if !strings.Contains(list, w) {
				t.Errorf("/-/firing lacks %s", w)
			}
		}
		if !strings.Contains(runbook, `class="firing-banner"`) || !strings.Contains(service, `class="firing-banner"`) || strings.Contains(other, `class="firing-banner"`) {
			t.Error("the banner is not on the runbook and the service's page only")
		}
	}
	t.Run("Firing", func(t *testing.T) { check(t, 2) })

	// A restart keeps what is firing.
	s.Stop(t)
	s = MustServeWith(t, data, configure)
	t.Run("AfterRestart", func(t *testing.T) { check(t, 2) })

	// Resolved: one leaves, then the other.
	resolved := amPayload("resolved", strings.Replace(hostile, `"status": "firing"`, `"status": "resolved"`, 1))
	if code, out := s.postAlertmanager(t, amToken, resolved); code != 200 || !strings.Contains(out, `"changed":1`) || !strings.Contains(out, `"firing":1`) {
		t.Fatalf("resolved = %d %s", code, out)
	}
	t.Run("OneResolved", func(t *testing.T) { check(t, 1) })
	all := amPayload("resolved", amAlert("resolved", "a1b2c3d4e5f60718", "checkout", "api-7f9", ""))
	if code, out := s.postAlertmanager(t, amToken, all); code != 200 || !strings.Contains(out, `"firing":0`) {
		t.Fatalf("all resolved = %d %s", code, out)
	}
	t.Run("AllResolved", func(t *testing.T) { check(t, 0) })

	// Start incident: a postmortem from the template with the alert's times.
	code, _, editor := s.Get(t, "/-/new?template=postmortem&alert=CheckoutHighErrorRate&title=CheckoutHighErrorRate&service=checkout&started=2026-11-28T03:04:05Z&detected="+time.Date(2026, 11, 28, 3, 10, 0, 0, time.UTC).Format(time.RFC3339))
	for _, w := range []string{"started: 2026-11-28T03:04:05Z", "detected: 2026-11-28T03:10:00Z", "alerts: CheckoutHighErrorRate", "services: [&#34;checkout&#34;]"} {
		if code != 200 || !strings.Contains(editor, w) {
			t.Errorf("the new postmortem lacks %s:\n%s", w, between(editor, "<textarea", "</textarea>"))
		}
	}
}
