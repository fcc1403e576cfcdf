package main_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserActionItems filters the action item list, changes an item's
// status from it and sees the commit that changed only that item.
func TestBrowserActionItems(t *testing.T) {
	s := MustServe(t, "")
	ctx := MustBrowser(t)
	pmName := "postmortems/2026/2026-10-14-inc-2041-checkout-errors"
	before := s.Page(t, pmName).Content
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/-/actions"),
		chromedp.WaitVisible(chromedp.CSS("table.action-list")),
		chromedp.SetValue(chromedp.CSS(`select[name="status"]`), "open"),
		chromedp.Click(chromedp.CSS(`.filters button`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	// AI-2 is on the unfiltered list too: wait for the filtered page itself.
	if err := waitJS(ctx, `location.search.indexOf('status=open') >= 0 && document.readyState === 'complete' && document.querySelector('tr[data-item="AI-2"]') !== null`); err != nil {
		t.Fatalf("the open filter never showed AI-2: %v", err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('tr[data-item]')).map(function (r) { return r.dataset.item + ':' + r.className; })`))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if strings.Contains(r, "status-done") {
			t.Errorf("the open filter shows a done item: %v", rows)
		}
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`tr[data-item="AI-2"] select[name="status"]`), "done"),
		chromedp.Click(chromedp.CSS(`tr[data-item="AI-2"] button`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitJS(ctx, `location.pathname === '/-/actions' && document.querySelector('tr[data-item="AI-2"]') === null`); err != nil {
		t.Fatalf("AI-2 is still listed as open: %v", err)
	}
	msg := Git(t, s.Data+"/wiki.git", "log", "-1", "--format=%s", "main")
	if !strings.Contains(msg, "action item AI-2") || !strings.Contains(msg, "status done") {
		t.Errorf("commit message %q", msg)
	}
	stat := Git(t, s.Data+"/wiki.git", "diff", "--numstat", "main~1", "main")
	if !strings.HasPrefix(stat, "1\t1\t") {
		t.Errorf("the commit should change exactly one line: %q", stat)
	}
	after := s.Page(t, pmName).Content
	if strings.Count(before, "\n") != strings.Count(after, "\n") || !strings.Contains(after, "status: done") {
		t.Errorf("postmortem after the change:\n%s", after)
	}
}
