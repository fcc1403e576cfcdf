package firing_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki/firing"
)

func payload(t *testing.T, body string) *firing.Payload {
	t.Helper()
	p, err := firing.Decode(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const notification = `{"version": "4", "status": "firing", "receiver": "wiki", "externalURL": "http://am.example.com:9093/",
 "groupKey": "{}:{alertname=\"DiskFull\"}", "alerts": [
  {"status": "firing", "labels": {"alertname": "DiskFull", "instance": "db-1"}, "startsAt": "2026-11-28T03:00:00Z",
   "generatorURL": "javascript:alert(1)"},
  {"status": "firing", "labels": {"alertname": "DiskFull", "instance": "db-2"}, "startsAt": "2026-11-28T02:00:00Z",
   "generatorURL": "https://prometheus.example.com/graph?g0.expr=x", "fingerprint": "f2"}]}`

func TestStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "firing.json")
	s, err := firing.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 28, 3, 5, 0, 0, time.UTC)
	if n, err := s.Apply(payload(t, notification), now); n != 2 || err != nil {
		t.Fatalf("Apply = %d, %v", n, err)
	}
	v := s.Version()
	// Alertmanager repeats: nothing changes, not even the version.
	if n, err := s.Apply(payload(t, notification), now.Add(time.Hour)); n != 0 || err != nil || s.Version() != v {
		t.Fatalf("repeat = %d, %v, version moved %v", n, err, s.Version() != v)
	}
	list := s.List()
	if len(list) != 2 || list[0].Labels["instance"] != "db-2" || list[1].Fingerprint == "" {
		t.Fatalf("list = %+v", list)
	}
	if list[1].GeneratorURL != "" || list[0].GeneratorURL != "https://prometheus.example.com/graph?g0.expr=x" {
		t.Errorf("generator URLs %q %q: only http(s) is kept", list[1].GeneratorURL, list[0].GeneratorURL)
	}
	if u := list[0].SilenceURL(); !strings.HasPrefix(u, "http://am.example.com:9093/#/silences/new?filter=") || !strings.Contains(u, "instance%3D%22db-2%22") {
		t.Errorf("silence URL %q", u)
	}
	if got := s.Named("diskfull"); len(got) != 2 {
		t.Errorf("Named = %d", len(got))
	}
	// A restart reads the same state, with the same version.
	again, err := firing.Open(path)
	if err != nil || again.Count() != 2 || again.Version() != v {
		t.Fatalf("after a restart: %v, %d alerts, version kept %v", err, again.Count(), again.Version() == v)
	}
	resolved := strings.Replace(notification, `"status": "firing", "labels": {"alertname": "DiskFull", "instance": "db-2"}`, `"status": "resolved", "labels": {"alertname": "DiskFull", "instance": "db-2"}`, 1)
	if n, err := again.Apply(payload(t, resolved), now); n != 1 || err != nil || again.Count() != 1 || again.List()[0].Labels["instance"] != "db-1" {
		t.Fatalf("after resolving db-2: changed %d (%v), firing %+v", n, err, again.List())
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	for name, body := range map[string]string{
		"NotJSON":     "nope",
		"Version":     `{"version": "2", "alerts": []}`,
		"NoAlertname": `{"version": "4", "alerts": [{"status": "firing", "labels": {}}]}`,
		"Status":      `{"version": "4", "alerts": [{"status": "active", "labels": {"alertname": "A"}}]}`,
		"LongLabel":   `{"version": "4", "alerts": [{"status": "firing", "labels": {"alertname": "A", "x": "` + strings.Repeat("y", 5000) + `"}}]}`,
	} {
		if _, err := firing.Decode(strings.NewReader(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := firing.Open(writeFile(t, "{not json")); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("a damaged state file: %v", err)
	}
}

func writeFile(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "firing.json")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
