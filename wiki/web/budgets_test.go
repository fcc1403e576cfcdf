package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki/web"
)

// sloFiles: service api's availability SLO, 99.9% over 30 days, is a
// budget of 0.001 x 43,200 = 43.2 minutes; a (20) and b (30) spend 50 of
// it in the window ending at the test server's now, 2026-11-21 12:00 UTC:
// -6.8 left, 115.7% spent. The drill in the window spends nothing, and
// the postmortem without times is not placed.
var sloFiles = map[string]string{
	"services/api.md": "---\nowner: team-api\ntier: \"1\"\ndrill_every: 30d\nslos:\n  - name: availability\n    objective: 99.9%\n    window: 30d\n" +
		"    indicator: requests answered without a 5xx\n---\n# API\n",
	"runbooks/r1.md":         "---\nowner: team-api\nalerts: [ApiDown]\nservices: [api]\n---\n# API down\n",
	"runbooks/r2.md":         "---\nowner: team-api\nservices: [api]\n---\n# API slow\n",
	"postmortems/a.md":       "---\nservices: [api]\nstarted: 2026-11-01T10:00:00Z\nresolved: 2026-11-01T11:00:00Z\nslo_impact:\n  - {slo: availability, minutes: 20}\n---\n# Outage A\n",
	"postmortems/b.md":       "---\nservices: [api]\nstarted: 2026-11-10T08:00:00Z\nresolved: 2026-11-10T09:00:00Z\nslo_impact:\n  - {slo: api/availability, minutes: 30}\n---\n# Outage B\n",
	"postmortems/undated.md": "---\nservices: [api]\nslo_impact:\n  - {slo: availability, minutes: 15}\n---\n# Undated outage\n",
	"drills/game-day.md": "---\nservices: [api]\ndate: 2026-11-05\nrunbooks: [ApiDown]\nparticipants: [ana, bo]\nstarted: 2026-11-05T10:00:00Z\nresolved: 2026-11-05T13:00:00Z\n" +
		"slo_impact:\n  - {slo: availability, minutes: 100}\naction_items:\n  - {id: D-1, title: Give the on-call log access, owner: ana, status: open}\n---\n# Game day\n",
}

func TestBudgetViews(t *testing.T) {
	ts := MustServer(t, sloFiles)
	for _, tt := range []struct {
		name, path string
		want       []string
		not        []string
	}{
		{name: "Reliability", path: "/-/reliability",
			want: []string{`id="budget-api-availability"`, `<strong>50</strong> of 43.2 min spent (115.7%), <strong>−6.8 min</strong> left <span class="late">over budget</span>`,
				`<title id="budget-api-availability-t">Error budget of api availability spent per 30d window</title>`,
				`2026-10-22 to 2026-11-21: 50 of 43.2 min spent (115.7%), −6.8 min left; 2026-09-22 to 2026-10-22: 0 of 43.2 min spent (0%), 43.2 min left`,
				`<rect class="bar over"`, `<polyline class="burn"`, `2026-11-01 10:00 UTC: 20 min spent by Outage A, 53.7% of the budget left; 2026-11-10 08:00 UTC: 30 min spent by Outage B, −15.7% of the budget left`,
				`<a href="/postmortems/a">Outage A</a> <span class="muted">2026-11-01 10:00 UTC, 20 min</span>`,
				`Not placed in any window (1)`, `<a href="/postmortems/undated">Undated outage</a> <span class="muted">15 min</span>: no started, detected or resolved time`,
				// The incident figures leave the drill out too.
				`2 incidents`},
			not: []string{"Game day", "3 incidents"}},
		{name: "ServicePage", path: "/services/api",
			want: []string{`<div class="budget-compact" data-slo="availability">`, `50 of 43.2 min spent (115.7%), −6.8 min left`,
				`href="/-/reliability?service=api#budget-api-availability"`, `<svg class="chart budget-chart"`,
				`<a href="/runbooks/r1">API down</a> <span class="drill-status muted"><a href="/drills/game-day">drilled 2026-11-05</a></span>`,
				`<a href="/runbooks/r2">API slow</a> <span class="drill-status late"><a href="/-/new?alert=runbooks%2Fr2&amp;service=api&amp;template=drill&amp;title=API&#43;slow">never drilled</a>`,
				`Runbooks are to be drilled every 30d.`}},
		{name: "Runbook", path: "/runbooks/r1",
			want: []string{`<dt>Last exercised</dt><dd><time datetime="2026-11-05T00:00:00Z" title="2026-11-05T00:00:00Z">2026-11-05</time>, <a href="/drills/game-day">Game day</a>`}},
		{name: "Drill", path: "/drills/game-day",
			want: []string{`<span class="badge kind-drill">drill</span>`, `<dt>Date</dt>`, `<dt>Runbooks exercised</dt><dd><a href="/runbooks/r1">API down</a></dd>`,
				`<dt>Participants</dt><dd>ana, bo</dd>`, `drills spend no error budget`, "D-1"},
			not: []string{`<dt>date</dt>`}},
		{name: "Actions", path: "/-/actions",
			want: []string{`<a href="/drills/game-day">Game day</a> <span class="badge kind-drill" title="From a drill, not an incident">drill</span>`}},
		{name: "ActionsJSON", path: "/-/api/actions", want: []string{`"postmortem":"drills/game-day","postmortem_title":"Game day","services":["api"],"from":"drill"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, ts, "GET", tt.path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d", tt.path, resp.StatusCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s lacks %q", tt.path, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(body, w) {
					t.Errorf("GET %s has %q", tt.path, w)
				}
			}
		})
	}
}

func TestAPISLOs(t *testing.T) {
	ts := MustServer(t, sloFiles)
	resp, body := get(t, ts, "GET", "/-/api/slos?service=API")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var out struct {
		SLOs []struct {
			Service, Name, Unit, Window string
			Target, Budget              float64
			Windows                     []struct {
				Budget, Spent, Remaining float64
				PercentSpent             float64 `json:"percent_spent"`
				Incidents                []struct{ Postmortem string }
			}
			NotPlaced []struct {
				Postmortem, Reason string
				Amount             float64
			} `json:"not_placed"`
		}
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.SLOs) != 1 {
		t.Fatalf("%s", body)
	}
	s := out.SLOs[0]
	if s.Service != "api" || s.Name != "availability" || s.Unit != "minutes" || s.Target != 0.999 || s.Budget != 43.2 || len(s.Windows) != 4 {
		t.Errorf("slo %+v", s)
	}
	w := s.Windows[0]
	if w.Budget != 43.2 || w.Spent != 50 || w.Remaining != -6.8 || w.PercentSpent != 115.74 || len(w.Incidents) != 2 || w.Incidents[0].Postmortem != "postmortems/a" {
		t.Errorf("current window %+v", w)
	}
	if len(s.NotPlaced) != 1 || s.NotPlaced[0].Postmortem != "postmortems/undated" || s.NotPlaced[0].Amount != 15 || s.NotPlaced[0].Reason == "" {
		t.Errorf("not placed %+v", s.NotPlaced)
	}
	if resp, _ := get(t, ts, "GET", "/-/api/slos?service=nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown service: %d", resp.StatusCode)
	}
	if _, body := get(t, ts, "GET", "/-/api/slos"); !strings.Contains(body, `"service":"api"`) {
		t.Errorf("every service: %s", body)
	}
}

// A new postmortem spending the budget changes the service's page, which
// the page cache must not keep.
func TestBudgetPageFollowsPostmortems(t *testing.T) {
	ts := MustServer(t, sloFiles)
	resp, body := get(t, ts, "GET", "/services/api")
	etag := resp.Header.Get("ETag")
	if !strings.Contains(body, "50 of 43.2 min spent") || etag == "" {
		t.Fatalf("before: etag %q", etag)
	}
	pm := `{"content": "---\nservices: [api]\nstarted: 2026-11-20T10:00:00Z\nslo_impact:\n  - {slo: availability, minutes: 15.5}\n---\n# Outage C\n"}`
	if resp, body := send(t, ts, "PUT", "/-/api/pages/postmortems/c", "application/json", strings.NewReader(pm)); resp.StatusCode != http.StatusOK {
		t.Fatalf("save = %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, ts, "GET", "/services/api", "If-None-Match", etag)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "65.5 of 43.2 min spent (151.6%), −22.3 min left") {
		t.Errorf("after a new postmortem: %d, %q", resp.StatusCode, body[strings.Index(body, "budget-compact"):][:300])
	}
}

// The windows end now: an incident leaves the current window when the
// clock passes its start plus the window, within the day, and the cached
// page follows.
func TestBudgetPageFollowsTheClock(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	ts, _ := MustServerWith(t, map[string]string{
		"services/api.md":  "---\nowner: a\nslos:\n  - {name: availability, objective: 99.9%, window: 30d}\n---\n",
		"postmortems/a.md": "---\nservices: [api]\nstarted: 2026-10-22T13:00:00Z\nslo_impact:\n  - {slo: availability, minutes: 20}\n---\n",
	}, func(cfg *web.Config, _ *web.Deps) {
		cfg.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	_, body := get(t, ts, "GET", "/services/api")
	if !strings.Contains(body, ">20 of 43.2 min spent") {
		t.Fatal("the incident is not in the current window")
	}
	mu.Lock()
	now = now.Add(2 * time.Hour) // the window now starts at 2026-10-22 14:00
	mu.Unlock()
	if _, body := get(t, ts, "GET", "/services/api"); !strings.Contains(body, ">0 of 43.2 min spent") {
		t.Error("two hours later the incident still spends the current window")
	}
}
