package main_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// waitKept waits until the browser's offline copies hold the page path.
func waitKept(t *testing.T, ctx context.Context, origin, path string) {
	t.Helper()
	check := `caches.open('opswiki-pages-v1').then(function (c) { return c.match(` + jsString(origin+path) + `); }).then(function (r) { return !!r; })`
	deadline := time.Now().Add(30 * time.Second)
	for {
		kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool](check, chromedp.EvalAwaitPromise))
		if err == nil && kept {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was never kept for offline reading (last error %v)", path, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A page read once, and the runbooks of a service kept on request, are
// readable with the wiki gone, saying how old the copy is; a page never
// saved says what is readable instead; the manifest makes the wiki
// installable.
func TestBrowserOffline(t *testing.T) {
	s := MustServe(t, "")
	ctx := MustBrowser(t)
	origin := s.URL

	if code, h, body := s.Get(t, "/-/manifest.webmanifest"); code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/manifest+json") ||
		!strings.Contains(body, `"start_url":"/"`) || !strings.Contains(body, `"display":"standalone"`) {
		t.Errorf("manifest = %d %s %s", code, h.Get("Content-Type"), body)
	}
	if code, h, _ := s.Get(t, "/-/sw.js"); code != 200 || h.Get("Service-Worker-Allowed") != "/" {
		t.Errorf("service worker = %d, Service-Worker-Allowed %q", code, h.Get("Service-Worker-Allowed"))
	}

	// The service's runbooks, kept from its page.
	if err := chromedp.Do(ctx, chromedp.Navigate(origin+"/services/checkout"), chromedp.WaitReady("main")); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(ctx, `document.querySelector('button[data-keep-offline]') !== null && !document.querySelector('button[data-keep-offline]').hidden`); err != nil {
		t.Fatalf("no button to keep the service's runbooks: %v", err)
	}
	runbooks, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('button[data-keep-offline]').getAttribute('data-keep-offline')`))
	if err != nil || runbooks == "" {
		t.Fatalf("runbooks to keep: %q %v", runbooks, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("button[data-keep-offline]"))); err != nil {
		t.Fatal(err)
	}
	kept := strings.Fields(runbooks)[0]
	waitKept(t, ctx, origin, kept)

	// A page read once.
	read := "/postmortems/2026/2026-10-14-inc-2041-checkout-errors"
	if err := chromedp.Do(ctx, chromedp.Navigate(origin+read), chromedp.WaitReady("main")); err != nil {
		t.Fatal(err)
	}
	waitKept(t, ctx, origin, read)

	s.Stop(t)
	for _, page := range []string{read, kept} {
		if err := chromedp.Do(ctx, chromedp.Navigate(origin+page), chromedp.WaitReady("main")); err != nil {
			t.Fatalf("%s offline: %v", page, err)
		}
		notice, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById('offline-notice') || {}).textContent || ''`))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(notice, "Offline") || !strings.Contains(notice, "saved less than a minute ago") || !strings.Contains(notice, "UTC") {
			t.Errorf("%s offline says %q, want how old the copy is", page, notice)
		}
		if title, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('h1.title') ? document.querySelector('h1.title').textContent : ''`)); title == "" {
			t.Errorf("%s offline shows no page", page)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(origin+"/runbooks/never-opened"), chromedp.WaitReady("main")); err != nil {
		t.Fatal(err)
	}
	list, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil || !strings.Contains(list, "was never saved on this device") || !strings.Contains(list, read) {
		t.Errorf("a page never saved, offline: %q %v", list, err)
	}
}
