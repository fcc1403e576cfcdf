package wiki_test

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

// What an import recognised, and the plain pages that look as if they
// were meant to be runbooks or postmortems.
func TestRecognise(t *testing.T) {
	s := MustStore(t, map[string]string{
		"README.md":                          "# Home",
		"runbooks/disk.md":                   "---\nalerts: [NodeDiskFull, NodeDiskFilling]\n---\n# Disk full\n",
		"alerts/etcd/etcdMembersDown.md":     "# etcdMembersDown\n\n## Meaning\n",
		"alerts/net/NorthboundStaleAlert.md": "# NorthboundStale\n",
		"alerts/README.md":                   "---\nkind: page\n---\n# Alert runbooks\n",
		"runbooks/howto.md":                  "---\nkind: page\n---\n# How to write one\n",
		"postmortems/2026/inc-7.md": "---\nincidents: [INC-7]\naction_items:\n  - id: AI-1\n    title: Alert on queue age\n    owner: team-a\n    status: open\n" +
			"  - id: AI-2\n    title: Document the failover\n    owner: team-a\n    status: done\n---\n# Queue stalled\n",
		"services/checkout.md":            "---\nowner: team-a\n---\n# Checkout",
		"docs/guide.md":                   "# Guide",
		"docs/alerting/HighLatency.md":    "# High latency\n",
		"docs/KubeNodeNotReady.md":        "# Node not ready\n",
		"ops/incident-reviews/2026-q3.md": "# Q3 review\n",
		"docs/Runbook Style.md":           "# Style\n",
		"docs/alerting/README.md":         "# Alerting overview\n",
		"templates/runbook.md":            "---\nkind: runbook\n---\n# {{alert}}\n",
	})
	cat := wiki.NewCatalog()
	mustSync(t, MustFollow(t, s, cat))
	r := wiki.Recognise(cat, []wiki.Problem{{Severity: wiki.SeverityError}, {Severity: wiki.SeverityWarning}, {Severity: wiki.SeverityWarning}})

	// Alerts: NodeDiskFull and NodeDiskFilling (not "disk", the file name
	// of runbooks/disk.md), etcdMembersDown, NorthboundStaleAlert and
	// NorthboundStale.
	want := wiki.Recognition{Pages: 15, Runbooks: 3, Alerts: 5, Postmortems: 1, ActionItems: 2, Services: 1, Errors: 1, Warnings: 2}
	got := r
	got.Missed = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Recognise = %+v\nwant        %+v", got, want)
	}
	var missed []string
	for _, m := range r.Missed {
		missed = append(missed, string(m.Path)+" "+m.Looks+" ("+m.Why+")")
	}
	wantMissed := []string{
		"docs/KubeNodeNotReady.md runbook (file name looks like an alert name)",
		"docs/alerting/HighLatency.md runbook (in folder alerting)",
		"ops/incident-reviews/2026-q3.md postmortem (in folder incident-reviews)",
	}
	if strings.Join(missed, "\n") != strings.Join(wantMissed, "\n") {
		t.Errorf("missed:\n%s\nwant:\n%s", strings.Join(missed, "\n"), strings.Join(wantMissed, "\n"))
	}

	var out bytes.Buffer
	if err := wiki.WriteRecognition(&out, r); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"Recognised 15 pages: 3 runbooks answering 5 alerts, 1 postmortem with 2 action items, 1 service; 1 error, 2 warnings.",
		"3 pages look like runbooks or postmortems but are plain pages;",
		"  docs/alerting/HighLatency.md: looks like a runbook (in folder alerting)",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("summary lacks %q:\n%s", line, out.String())
		}
	}
}

// Pages of one folder that all look like postmortems (here by the incident
// times other tools write) get one suggested kind rule for the settings.
func TestRecogniseSuggestsFolderRule(t *testing.T) {
	files := map[string]string{"data/README.md": "# Public postmortems\n", "notes/a.md": "# A\n"}
	for i := range 4 {
		files[fmt.Sprintf("data/%d.md", i)] = fmt.Sprintf("---\ntitle: Outage %d\nstart_time: 2017-01-31T23:00:00Z\nend_time: 2017-02-01T18:00:00Z\n---\n", i)
	}
	files["data/odd.md"] = "---\nstart_time: 2017-01-31T23:00:00Z\nkind: page\n---\n"
	s := MustStore(t, files)
	cat := wiki.NewCatalog()
	mustSync(t, MustFollow(t, s, cat))
	var out bytes.Buffer
	if err := wiki.WriteRecognition(&out, wiki.Recognise(cat, nil)); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"  data/0.md: looks like a postmortem (incident times in its front matter)",
		"Or give whole folders a kind in .opswiki.yaml at the root of the repository:\nkinds:\n  \"data/*.md\": postmortem   # 4 pages\n",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("summary lacks %q:\n%s", line, out.String())
		}
	}
}
