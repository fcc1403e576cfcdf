package main_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

const crashLoopRunbook = "---\nalerts: [KubePodCrashLooping]\nowner: sre\nparams: [NAMESPACE, POD]\n---\n# KubePodCrashLooping\n\n" +
	"Pod {{ $labels.pod }} in namespace {{ $labels.namespace }} keeps restarting.\n\n## Diagnosis\n\n" +
	"```shell\nkubectl -n {{ $labels.namespace }} describe pod {{ $labels.pod }}\nkubectl -n $NAMESPACE logs ${POD} --previous\n```\n"

// A runbook opened from an alert with hostile label values, in Chromium:
// the commands show the values marked and quoted for a shell, what a copy
// takes is the quoted command, and nothing the labels say runs.
func TestBrowserFilledRunbook(t *testing.T) {
	s := MustServe(t, "")
	if code, out := s.Put(t, "runbooks/pod-crashlooping", crashLoopRunbook, "", "Runbook with placeholders"); code != 200 {
		t.Fatalf("save = %d %v", code, out)
	}
	ctx := MustBrowser(t)
	q := url.Values{"namespace": {`payments"; touch /tmp/pwned; #`}, "pod": {`<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>`}}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/runbooks/pod-crashlooping?"+q.Encode()), chromedp.WaitReady(".code-block")); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`({
		code: document.querySelector('.code-block code, .code-block pre').textContent,
		marks: document.querySelectorAll('mark.filled').length,
		notice: !!document.querySelector('.filled-notice'),
		pwned: window.pwned || 0,
		text: document.querySelector('.markdown p').innerText
	})`))
	if err != nil {
		t.Fatal(err)
	}
	wantCode := `kubectl -n 'payments"; touch /tmp/pwned; #' describe pod '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'` + "\n" +
		`kubectl -n 'payments"; touch /tmp/pwned; #' logs '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>' --previous`
	if code, _ := got["code"].(string); strings.TrimSpace(code) != wantCode {
		t.Errorf("the command reads\n%s\nwant\n%s", code, wantCode)
	}
	// What the copy button copies is the command as shown.
	copied, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new Promise(function (done) {
		navigator.clipboard.writeText = function (t) { done(t); return Promise.resolve(); };
		document.querySelector('.code-block .copy').click();
	})`, chromedp.EvalAwaitPromise))
	if err != nil || copied != wantCode {
		t.Errorf("the copy button copies\n%s\nwant\n%s (%v)", copied, wantCode, err)
	}
	if n, _ := got["marks"].(float64); n < 6 || got["notice"] != true || got["pwned"] != float64(0) {
		t.Errorf("marks %v, notice %v, script ran %v", got["marks"], got["notice"], got["pwned"])
	}
	if text, _ := got["text"].(string); !strings.Contains(text, `in namespace 'payments"; touch /tmp/pwned; #' keeps`) {
		t.Errorf("the text reads %q", text)
	}
	// Without values the placeholders stay as written.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/runbooks/pod-crashlooping"), chromedp.WaitReady(".code-block")); err != nil {
		t.Fatal(err)
	}
	plain, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.code-block code, .code-block pre').textContent`))
	if err != nil || !strings.Contains(plain, "kubectl -n {{ $labels.namespace }} describe pod {{ $labels.pod }}") || !strings.Contains(plain, "logs ${POD}") {
		t.Errorf("unfilled runbook reads %q (%v)", plain, err)
	}
}

// An alert fires with hostile label values: in Chromium the header counts
// it, /-/firing lists it as text, and its runbook link opens the runbook
// with the commands filled in from its labels, quoted, with no script run.
func TestBrowserFiringAlert(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(amToken), 0o600); err != nil {
		t.Fatal(err)
	}
	s := MustServeWith(t, "", func(c *main.Config) { c.AlertmanagerTokenFile = tokenFile })
	if code, out := s.Put(t, "runbooks/pod-crashlooping", crashLoopRunbook, "", "Runbook with placeholders"); code != 200 {
		t.Fatalf("save = %d %v", code, out)
	}
	alert := `{"status": "firing", "labels": {"alertname": "KubePodCrashLooping", "severity": "warning",
	  "namespace": "payments\"; touch /tmp/pwned; #", "pod": "<img src=x onerror=\"window.pwned=1\">"},
	  "annotations": {"summary": "<script>window.pwned=2</script>"}, "startsAt": "2026-11-28T03:04:05Z",
	  "generatorURL": "javascript:window.pwned=3", "fingerprint": "c0ffee"}`
	body := strings.Replace(amPayload("firing", alert), `"groupLabels": {"alertname": "CheckoutHighErrorRate"}`, `"groupLabels": {"alertname": "KubePodCrashLooping"}`, 1)
	if code, out := s.postAlertmanager(t, amToken, body); code != 200 {
		t.Fatalf("webhook = %d %s", code, out)
	}
	ctx := MustBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/-/firing"), chromedp.WaitReady(".firing-alert")); err != nil {
		t.Fatal(err)
	}
	page, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`({
		count: (document.querySelector('.firing-count') || {}).textContent,
		summary: document.querySelector('.firing-alert .summary').textContent,
		links: Array.from(document.querySelectorAll('.firing-alert a')).map(function (a) { return a.protocol; }),
		pwned: window.pwned || 0})`))
	if err != nil {
		t.Fatal(err)
	}
	if page["count"] != "1 firing" || page["summary"] != "<script>window.pwned=2</script>" || page["pwned"] != float64(0) {
		t.Errorf("/-/firing: %v", page)
	}
	for _, p := range page["links"].([]any) {
		if p != "http:" && p != "https:" {
			t.Errorf("a link of protocol %v", p)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".firing-alert .firing-links a"))); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(ctx, `location.pathname === '/runbooks/pod-crashlooping' && document.querySelector('mark.filled') !== null`); err != nil {
		t.Fatalf("the runbook link did not open the runbook filled in: %v", err)
	}
	filled, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`({code: document.querySelector('.code-block code, .code-block pre').textContent, pwned: window.pwned || 0})`))
	want := `kubectl -n 'payments"; touch /tmp/pwned; #' describe pod '<img src=x onerror="window.pwned=1">'`
	if code, _ := filled["code"].(string); err != nil || !strings.HasPrefix(code, want) || filled["pwned"] != float64(0) {
		t.Errorf("the runbook reads %v, want its command to start %q and no script run", filled, want)
	}
}
