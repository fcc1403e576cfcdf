package main_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// gitAt runs git in dir like Git, with its author and committer times set
// to when, as the commits of a history written over weeks have them.
func gitAt(tb testing.TB, dir string, when time.Time, args ...string) string {
	tb.Helper()
	date := when.UTC().Format(time.RFC3339)
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+tb.TempDir(),
		"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// postForm saves a page with the editor's form, as a browser does.
func postForm(tb testing.TB, s *Server, name, content, base string) (int, string) {
	tb.Helper()
	form := url.Values{"path": {name + ".md"}, "content": {content}, "base": {base}, "message": {"form save"}}
	req, _ := http.NewRequest("POST", s.URL+"/-/edit/"+name, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.URL)
	code, _, body := do(tb, req)
	return code, body
}

// commitAt writes files into the clone and commits them at when.
func commitAt(tb testing.TB, work string, when time.Time, files map[string]string) string {
	tb.Helper()
	for p, content := range files {
		mustWrite(tb, filepath.Join(work, p), content)
	}
	gitAt(tb, work, when, "add", "-A")
	gitAt(tb, work, when, "commit", "-qm", "change at "+when.Format(time.RFC3339))
	return Git(tb, work, "rev-parse", "HEAD")
}

const learningPostmortem = `---
title: "INC-7: Orders stuck in the queue"
incident: INC-7
status: %s
services: [checkout]
runbooks: [QueueBacklog, runbooks/disk, runbooks/dlq]
started: 2026-10-14T13:44:00Z
resolved: 2026-10-14T16:05:00Z
action_items:
  - {id: AI-1, title: Alert on the queue's age, type: detect, status: %s}
---
## Summary

The order queue backed up for two hours.
`

var (
	thenLink  = regexp.MustCompile(`<a class="then" href="(/-/revision/runbooks/queue\?rev=[0-9a-f]{40})">`)
	sinceDiff = regexp.MustCompile(`<a class="since-diff" href="(/-/diff/runbooks/queue\?[^"]+)">`)
)

// A postmortem shows the runbooks its incident used as they were when it
// started, with working links to that version and to what changed since,
// and what the incident should have changed and did not; the settings can
// make that block closing it, in the browser and over git, until it is done.
func TestAsItWasThenAndReadiness(t *testing.T) {
	s := MustServe(t, "")
	s.WaitReady(t)
	// The worked example names its runbook by the alert it answers; in a
	// wiki started today, that page was written after the incident.
	_, _, example := s.Get(t, "/postmortems/2026/2026-10-14-inc-2041-checkout-errors")
	if then := between(example, `id="as-it-was-then"`, "</section>"); !strings.Contains(then,
		`href="/runbooks/checkout-high-error-rate">Checkout high error rate</a> <span class="muted">(runbook, runbooks: CheckoutHighErrorRate)</span> · did not exist then`) {
		t.Errorf("the example's As it was then:\n%s", then)
	}
	work := s.Clone(t)
	queue := func(step string) string {
		return "---\nalerts: [QueueBacklog]\nowner: team-orders\n---\n# Queue backlog\n\n## Mitigation\n\n" + step + "\n"
	}
	commitAt(t, work, time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC), map[string]string{
		"runbooks/queue.md": queue("Restart the consumer."),
		"runbooks/disk.md":  "---\nowner: team-orders\n---\n# Disk full\n\nFree some space.\n",
	})
	thenCommit := commitAt(t, work, time.Date(2026, 10, 14, 13, 0, 0, 0, time.UTC), map[string]string{"runbooks/queue.md": queue("Scale the consumers.")})
	nowCommit := commitAt(t, work, time.Date(2026, 10, 14, 17, 0, 0, 0, time.UTC), map[string]string{"runbooks/queue.md": queue("Check the dead-letter queue first.")})
	commitAt(t, work, time.Date(2026, 10, 15, 9, 0, 0, 0, time.UTC), map[string]string{
		"runbooks/dlq.md":           "---\nowner: team-orders\n---\n# Dead letters\n",
		"postmortems/2026/inc-7.md": fmt.Sprintf(learningPostmortem, "published", "open"),
	})
	if out, err := GitErr(t, work, "push", "origin", "main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	// What git says: the revision in force at 13:44 is the 13:00 one, one
	// commit changed the runbook since.
	if log := strings.Fields(Git(t, work, "log", "--format=%H", "--", "runbooks/queue.md")); len(log) != 3 || log[0] != nowCommit || log[1] != thenCommit {
		t.Fatalf("git log of the runbook: %q", log)
	}

	code, _, page := s.Get(t, "/postmortems/2026/inc-7")
	if code != 200 {
		t.Fatalf("postmortem: %d", code)
	}
	then := between(page, `id="as-it-was-then"`, "</section>")
	for _, want := range []string{"2026-10-14 13:44 UTC", "changed since: 1 commit, last on 2026-10-14",
		`href="/runbooks/dlq">Dead letters</a> <span class="muted">(runbook, runbooks: runbooks/dlq)</span> · did not exist then`,
		// The service's page was written when the wiki started, long after.
		`href="/services/checkout"`} {
		if !strings.Contains(then, html.EscapeString(want)) && !strings.Contains(then, want) {
			t.Errorf("As it was then lacks %q:\n%s", want, then)
		}
	}
	rev := thenLink.FindStringSubmatch(then)
	diff := sinceDiff.FindStringSubmatch(then)
	if rev == nil || diff == nil {
		t.Fatalf("no revision or diff link for the runbook:\n%s", then)
	}
	if !strings.HasSuffix(rev[1], thenCommit) {
		t.Errorf("revision link %s, want the commit %s", rev[1], thenCommit)
	}
	want := "/-/diff/runbooks/queue?" + url.Values{"from": {thenCommit}, "to": {nowCommit}}.Encode()
	if html.UnescapeString(diff[1]) != want {
		t.Errorf("diff link %s, want %s (git diff %.7s %.7s)", html.UnescapeString(diff[1]), want, thenCommit, nowCommit)
	}
	code, _, old := s.Get(t, html.UnescapeString(rev[1]))
	if code != 200 || !strings.Contains(old, "Scale the consumers.") || strings.Contains(old, "dead-letter") {
		t.Errorf("the runbook as it was then: %d\n%s", code, between(old, `class="markdown"`, "</div>"))
	}
	code, _, changes := s.Get(t, html.UnescapeString(diff[1]))
	if code != 200 || !strings.Contains(changes, "Scale the consumers.") || !strings.Contains(changes, "Check the dead-letter queue first.") {
		t.Errorf("the diff since: %d", code)
	}
	if gitDiff := Git(t, work, "diff", thenCommit, nowCommit, "--", "runbooks/queue.md"); !strings.Contains(gitDiff, "-Scale the consumers.\n+Check the dead-letter queue first.") {
		t.Errorf("git diff: %s", gitDiff)
	}

	// Readiness: disk was not touched since the incident; queue and dlq
	// were. The detect item has neither owner nor ticket.
	ready := between(page, `id="readiness"`, "</section>")
	for _, want := range []string{"runbook runbooks/disk has not changed since the incident was resolved (2026-10-14 16:05 UTC); last changed 2026-10-01",
		`href="/-/edit/runbooks/disk"`, "(detect) has neither an owner nor a ticket", "3 runbooks checked for changes since the incident was resolved (2026-10-14 16:05 UTC)."} {
		if !strings.Contains(html.UnescapeString(ready), want) {
			t.Errorf("Readiness lacks %q:\n%s", want, ready)
		}
	}
	if strings.Contains(ready, "runbooks/queue has not") || strings.Contains(ready, "runbooks/dlq has not") {
		t.Errorf("runbooks updated since are listed:\n%s", ready)
	}
	if _, _, report := s.Get(t, "/-/report"); !strings.Contains(html.UnescapeString(report), "runbook runbooks/disk has not changed since the incident") {
		t.Error("the content report does not list the runbook")
	}

	// The settings make the runbook and the open item block closing.
	mustWrite(t, filepath.Join(work, ".opswiki.yaml"), "readiness:\n  block_close: [runbooks_not_updated, open_items]\n")
	commitAll(t, work, "Block closing postmortems with work left")
	if out, err := GitErr(t, work, "push", "origin", "main"); err != nil {
		t.Fatalf("push settings: %v\n%s", err, out)
	}

	blob := s.Page(t, "postmortems/2026/inc-7").Blob
	code, body := postForm(t, s, "postmortems/2026/inc-7", fmt.Sprintf(learningPostmortem, "closed", "open"), blob)
	body = html.UnescapeString(body)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "runbook runbooks/disk has not changed since the incident was resolved") ||
		!strings.Contains(body, `the postmortem is closed, but action item "AI-1" is still open`) || !strings.Contains(body, "line 6") || !strings.Contains(body, "line 10") {
		t.Errorf("closing in the browser: %d\n%s", code, between(body, "<main", "</form>"))
	}

	head := s.MainCommit(t)
	mustWrite(t, filepath.Join(work, "postmortems/2026/inc-7.md"), fmt.Sprintf(learningPostmortem, "closed", "done"))
	commitAll(t, work, "Close INC-7")
	out, err := GitErr(t, work, "push", "origin", "main")
	if err == nil || !strings.Contains(out, "remote: error: postmortems/2026/inc-7.md:6: runbook runbooks/disk has not changed since the incident was resolved") {
		t.Fatalf("push closing the postmortem: %v\n%s", err, out)
	}
	if strings.Contains(out, "is still open") {
		t.Errorf("the done item is reported:\n%s", out)
	}
	if s.MainCommit(t) != head {
		t.Fatal("main moved")
	}
	// Updating the runbook in the same push lets it through.
	mustWrite(t, filepath.Join(work, "runbooks/disk.md"), "---\nowner: team-orders\n---\n# Disk full\n\nFree some space. Then find what filled it: INC-7.\n")
	commitAll(t, work, "Disk runbook after INC-7")
	if out, err := GitErr(t, work, "push", "origin", "main"); err != nil {
		t.Fatalf("push closing with the runbook updated: %v\n%s", err, out)
	}
	_, h, page := s.Get(t, "/postmortems/2026/inc-7")
	if !strings.Contains(page, "Nothing outstanding") {
		t.Errorf("Readiness after closing:\n%s", between(page, `id="readiness"`, "</section>"))
	}
	// A change to a runbook alone shows on the postmortem, whose own text
	// did not change: its cached view is not served again.
	commitAt(t, work, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), map[string]string{"runbooks/queue.md": queue("Check the dead-letter queue, then scale.")})
	if out, err := GitErr(t, work, "push", "origin", "main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	_, h2, page := s.Get(t, "/postmortems/2026/inc-7")
	if !strings.Contains(page, "changed since: 2 commits, last on 2026-11-02") || h2.Get("ETag") == h.Get("ETag") {
		t.Errorf("the postmortem after its runbook changed (ETag %s, was %s):\n%s", h2.Get("ETag"), h.Get("ETag"), between(page, `id="as-it-was-then"`, "</section>"))
	}
}

// opswiki check reports readiness from the text of the postmortems: a
// closed one with open items fails the check when the settings block it,
// and passes once the items are done. Whether runbooks changed since the
// incident needs the wiki's history and is left to the wiki.
func TestCheckReadiness(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, ".opswiki.yaml"), "readiness:\n  block_close: [open_items, runbooks_not_updated]\n")
	mustWrite(t, filepath.Join(dir, "runbooks", "queue.md"), "---\nowner: sre\nalerts: [QueueBacklog]\n---\n# Queue\n")
	pm := filepath.Join(dir, "postmortems", "inc-7.md")
	mustWrite(t, pm, fmt.Sprintf(learningPostmortem, "closed", "open"))
	var out bytes.Buffer
	err := main.Check(context.Background(), dir, "text", false, time.Now(), &out)
	if err == nil || !strings.Contains(out.String(), `postmortems/inc-7.md:10: error: the postmortem is closed, but action item "AI-1" is still open`) ||
		!strings.Contains(out.String(), `postmortems/inc-7.md:10: warning: action item "AI-1" (detect) has neither an owner nor a ticket`) {
		t.Fatalf("check of a closed postmortem with an open item: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "has not changed since") {
		t.Errorf("check judged the runbooks without history:\n%s", out.String())
	}
	mustWrite(t, pm, fmt.Sprintf(learningPostmortem, "closed", "done"))
	out.Reset()
	if err := main.Check(context.Background(), dir, "text", false, time.Now(), &out); err != nil {
		t.Fatalf("check once the item is done: %v\n%s", err, out.String())
	}
}
