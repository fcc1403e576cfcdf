package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestOpsViews(t *testing.T) {
	ts := MustServer(t, map[string]string{
		"services/db.md":       "---\nowner: dba\ntier: \"1\"\ndepends_on: [storage]\n---\n# DB\n",
		"services/api.md":      "---\nowner: web\ndepends_on: [db]\n---\n# API\n",
		"runbooks/a.md":        "---\nowner: sre\nalerts: [DBDown]\nservices: [db]\n---\n# A\n",
		"runbooks/b.md":        "---\nowner: sre\nalerts: [dbdown]\n---\n# B\n",
		"runbooks/DiskFull.md": "---\nowner: sre\n---\n# Disk full\n",
		"postmortems/p1.md": "---\nincident: INC-1\nservices: [db]\nstarted: 2026-11-01T10:00:00Z\nresolved: 2026-11-01T12:00:00Z\n" +
			"action_items:\n  - {id: A1, title: \"=cmd|' /C calc'!A0\", owner: ana, status: open, due: 2026-11-10}\n---\n# P1\n",
	})
	for _, tt := range []struct {
		name, path string
		code       int
		want       []string
		location   string
	}{
		{name: "AlertChooser", path: "/-/alerts/DBDOWN", code: 200, want: []string{`href="/runbooks/a"`, `href="/runbooks/b"`}},
		{name: "AlertByFileName", path: "/-/alerts/diskfull", code: 302, location: "/runbooks/DiskFull"},
		{name: "AlertByKebab", path: "/-/alerts/disk-full", code: 302, location: "/runbooks/DiskFull"},
		{name: "Incident", path: "/-/incidents/inc-1", code: 302, location: "/postmortems/p1"},
		{name: "NoIncident", path: "/-/incidents/INC-404", code: 404, want: []string{"/-/new?incident=INC-404&amp;template=postmortem"}},
		{name: "Services", path: "/-/services", code: 200, want: []string{`<a href="/services/db">db</a>`, "storage <span", `<a href="/services/api">api</a>`}},
		{name: "ServicePanel", path: "/services/db", code: 200, want: []string{"Used by:", `href="/services/api"`, `href="/runbooks/a"`, `href="/postmortems/p1"`, "overdue"}},
		{name: "Backlinks", path: "/runbooks/a", code: 200, want: []string{"Mark reviewed", `href="/-/alerts/DBDown"`}},
		{name: "Actions", path: "/-/actions?overdue=1", code: 200, want: []string{`data-item="A1"`, "overdue"}},
		{name: "ActionsCSV", path: "/-/actions.csv", code: 200, want: []string{"postmortems/p1,A1,'=cmd|' /C calc'!A0,ana,"}},
		{name: "ActionsJSON", path: "/-/api/actions?owner=ANA", code: 200, want: []string{`"total":1`, `"overdue":true`, `"postmortem":"postmortems/p1"`}},
		{name: "Reliability", path: "/-/reliability?window=30d", code: 200, want: []string{"<svg class=\"chart\"", "Time to resolve", "2h 0m"}},
		{name: "BadWindow", path: "/-/reliability?window=7y", code: 400},
		{name: "Report", path: "/-/report", code: 200, want: []string{`service &#34;storage&#34; has no service page`, `action item &#34;A1&#34; was due`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, ts, "GET", tt.path)
			if resp.StatusCode != tt.code {
				t.Fatalf("GET %s = %d, want %d\n%s", tt.path, resp.StatusCode, tt.code, body)
			}
			if tt.location != "" && resp.Header.Get("Location") != tt.location {
				t.Errorf("Location = %q, want %q", resp.Header.Get("Location"), tt.location)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s lacks %q", tt.path, w)
				}
			}
		})
	}
	// The list's form sends every field; only the status changed, and the
	// commit and the notice say so. Done items leave the default list.
	t.Run("ActionForm", func(t *testing.T) {
		form := "status=done&owner=ana&due=2026-11-10&back=" + url.QueryEscape("/-/actions?overdue=1")
		resp, _ := send(t, ts, "POST", "/-/actions/postmortems/p1/A1", "application/x-www-form-urlencoded", strings.NewReader(form), "Origin", ts.URL)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/-/actions?") || !strings.Contains(loc, "overdue=1") {
			t.Fatalf("POST = %d %q", resp.StatusCode, loc)
		}
		_, hist := get(t, ts, "GET", "/-/api/history/postmortems/p1?limit=1")
		if !strings.Contains(hist, `"message":"Set status done of action item A1 in postmortems/p1.md"`) {
			t.Errorf("commit message: %s", hist)
		}
		_, body := get(t, ts, "GET", loc)
		if !strings.Contains(body, "Saved A1 of postmortems/p1: status done.") || strings.Contains(body, `data-item="A1"`) {
			t.Errorf("the list after the change does not confirm it, or still lists the done item:\n%s", body)
		}
		if _, body := get(t, ts, "GET", "/-/actions?status=all"); !strings.Contains(body, `data-item="A1"`) {
			t.Error("status=all does not list the done item")
		}
		// Sending the same values again changes nothing and says so.
		resp, _ = send(t, ts, "POST", "/-/actions/postmortems/p1/A1", "application/x-www-form-urlencoded", strings.NewReader(form), "Origin", ts.URL)
		if loc := resp.Header.Get("Location"); !strings.Contains(loc, "change=nothing+changed") {
			t.Errorf("same values again: %q", loc)
		}
	})
	t.Run("PatchAction", func(t *testing.T) {
		resp, body := send(t, ts, "PATCH", "/-/api/actions/postmortems/p1/A1", "application/json", strings.NewReader(`{"status":"done","due":"2026-12-01"}`))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		_, raw := get(t, ts, "GET", "/postmortems/p1.md")
		if !strings.Contains(raw, "{id: A1, title: \"=cmd|' /C calc'!A0\", owner: ana, status: done, due: 2026-12-01}") {
			t.Fatalf("postmortem after PATCH:\n%s", raw)
		}
		for _, bad := range []string{`{"status":"nope"}`, `{"due":"tomorrow"}`, `{}`} {
			if resp, _ := send(t, ts, "PATCH", "/-/api/actions/postmortems/p1/A1", "application/json", strings.NewReader(bad)); resp.StatusCode != 400 {
				t.Errorf("PATCH %s = %d, want 400", bad, resp.StatusCode)
			}
		}
		if resp, _ := send(t, ts, "PATCH", "/-/api/actions/postmortems/p1/A9", "application/json", strings.NewReader(`{"status":"done"}`)); resp.StatusCode != 404 {
			t.Errorf("unknown item = %d", resp.StatusCode)
		}
	})
	t.Run("MarkReviewed", func(t *testing.T) {
		resp, _ := send(t, ts, "POST", "/-/reviewed/runbooks/a", "application/x-www-form-urlencoded", nil, "Origin", ts.URL)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%d", resp.StatusCode)
		}
		if _, raw := get(t, ts, "GET", "/runbooks/a.md"); !strings.Contains(raw, "services: [db]\nlast_reviewed: 2026-11-21\n---") {
			t.Fatalf("runbook after review:\n%s", raw)
		}
	})
}
