package main_test

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// paint is what one cold page load measured: first contentful paint from
// the start of the navigation (the redirect of an alert link included),
// and the bytes transferred for the page and everything it loaded.
type paint struct {
	FCP   float64
	Bytes float64
}

const paintJS = `new Promise(function (done) {
	function measure() {
		var fcp = performance.getEntriesByName('first-contentful-paint')[0];
		if (!fcp) { setTimeout(measure, 20); return; }
		var nav = performance.getEntriesByType('navigation')[0], bytes = nav ? nav.transferSize : 0;
		performance.getEntriesByType('resource').forEach(function (r) { bytes += r.transferSize; });
		done({FCP: fcp.startTime, Bytes: bytes});
	}
	if (document.readyState === 'complete') measure(); else addEventListener('load', measure);
})`

// coldPaint opens url in a fresh browser context (nothing cached, no
// service worker) on a phone and measures it.
func coldPaint(b *testing.B, browser context.Context, url string) paint {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		chromedp.Navigate(url)); err != nil {
		b.Fatal(err)
	}
	p, err := chromedp.Run(ctx, chromedp.Evaluate[paint](paintJS, chromedp.EvalAwaitPromise))
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkPhoneFirstPaint: an alert link opened on a phone with a cold
// cache, until the runbook's first contentful paint, beside a static 1 KB
// page from a bare net/http server in the same run. Reports medians.
//
//	go test ./cmd/opswiki -run '^$' -bench PhoneFirstPaint -benchtime 20x
func BenchmarkPhoneFirstPaint(b *testing.B) {
	s := MustServe(b, "")
	browser := MustBrowser(b)
	static := `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Static</title></head><body><h1>Static page</h1><p>` +
		strings.Repeat("A kilobyte of text on a page with nothing else to load. ", 16) + `</p></body></html>`
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(static))
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	coldPaint(b, browser, s.URL+"/-/alerts/CheckoutHighErrorRate") // the server's caches warm, as in use
	var alert, alertBytes, ref, refBytes []float64
	b.ResetTimer()
	for range b.N {
		p := coldPaint(b, browser, s.URL+"/-/alerts/CheckoutHighErrorRate")
		alert, alertBytes = append(alert, p.FCP), append(alertBytes, p.Bytes)
		p = coldPaint(b, browser, "http://"+ln.Addr().String()+"/")
		ref, refBytes = append(ref, p.FCP), append(refBytes, p.Bytes)
	}
	b.StopTimer()
	b.ReportMetric(median(alert), "alert-fcp-ms")
	b.ReportMetric(median(alertBytes)/1024, "alert-KB")
	b.ReportMetric(median(ref), "static-fcp-ms")
	b.ReportMetric(median(refBytes)/1024, "static-KB")
	b.ReportMetric(0, "ns/op")
}
