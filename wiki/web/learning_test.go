package web_test

import (
	"html"
	"strings"
	"testing"
)

// The postmortem's panels in the cases the history cannot answer: no
// timestamp at all, only detected, runbooks the wiki does not have; and
// no panels on other pages. Every file here was written today, long after
// the incidents of October.
func TestLearningPanels(t *testing.T) {
	ts := MustServer(t, map[string]string{
		"runbooks/queue.md": "---\nalerts: [QueueBacklog]\nowner: sre\n---\n# Queue backlog\n",
		"postmortems/untimed.md": "---\nkind: postmortem\nrunbooks: [QueueBacklog]\n" +
			"action_items:\n  - {id: A1, title: Page on queue age, type: prevent}\n---\n# Untimed\n",
		"postmortems/detected.md": "---\nkind: postmortem\nrunbooks: [runbooks/queue, NoSuchAlert]\ndetected: 2026-10-14T13:52:00Z\n---\n# Detected\n",
		"postmortems/none.md":     "---\nkind: postmortem\nstatus: draft\n---\n# Nothing named\n",
	})
	for _, tt := range []struct {
		name, path string
		want, not  []string
	}{
		{"CannotTell", "/postmortems/untimed", []string{
			"gives no started, detected or resolved time, so it cannot tell",
			`<a href="/runbooks/queue">Queue backlog</a> <span class="muted">(runbook, runbooks: QueueBacklog)</span></li>`,
			`id="readiness"`, "Runbooks not checked: the postmortem has no resolved or started time",
			`action item "A1" (prevent) has neither an owner nor a ticket: nobody is tracking it · <a href="/-/edit/postmortems/untimed">edit A1</a>`,
		}, []string{`class="then"`, "did not exist then"}},
		{"DetectedOnly", "/postmortems/detected", []string{
			"(as of detected: started is not given): <time datetime=\"2026-10-14T13:52:00Z\">2026-10-14 13:52 UTC</time>",
			`(runbook, runbooks: runbooks/queue)</span> · did not exist then; 1 commit since`,
			`Named in <code>runbooks</code> but not in the wiki: <a href="/-/alerts/NoSuchAlert">NoSuchAlert</a>`,
			`runbooks: "NoSuchAlert" names no page and no alert a runbook answers · <a href="/-/alerts/NoSuchAlert">write it</a>`,
			"1 runbook checked for changes since the incident was detected, and it is not resolved (2026-10-14 13:52 UTC).",
		}, []string{"has not changed since"}},
		{"NothingNamed", "/postmortems/none", []string{"Nothing outstanding", "The postmortem names and links no runbook."}, []string{`id="as-it-was-then"`}},
		{"Runbook", "/runbooks/queue", nil, []string{`id="as-it-was-then"`, `id="readiness"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, ts, "GET", tt.path)
			body = html.UnescapeString(body)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s = %d", tt.path, resp.StatusCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, html.UnescapeString(w)) {
					t.Errorf("lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(body, n) {
					t.Errorf("has %q", n)
				}
			}
			if t.Failed() {
				t.Logf("%s", body[strings.Index(body, "<article"):])
			}
		})
	}

	t.Run("Report", func(t *testing.T) {
		_, body := get(t, ts, "GET", "/-/report")
		body = html.UnescapeString(body)
		for _, w := range []string{`action item "A1" (prevent) has neither an owner nor a ticket`, `runbooks: "NoSuchAlert" names no page`} {
			if !strings.Contains(body, w) {
				t.Errorf("the report lacks %q", w)
			}
		}
	})
}
