package main_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"
)

// xssPage tries every way markdown and front matter could smuggle script
// into a page. Each payload, if it ran, would set window.__xss.
const xssPage = `---
title: "<script>window.__xss='title'</script>"
owner: "<img src=x onerror=window.__xss='owner'>"
services: ["<svg onload=window.__xss='svc'>"]
dashboards:
  - {title: evil, url: "javascript:window.__xss='dash'"}
custom: "<script>window.__xss='extra'</script>"
---
# Payloads

<script>window.__xss = 'script';</script>

<img src=x onerror="window.__xss='onerror'">

<svg><script>window.__xss='svg'</script></svg>

<iframe src="javascript:window.__xss='iframe'"></iframe>

<a href="javascript:window.__xss='a'">raw anchor</a>

[inline](javascript:window.__xss='inline') [spaced](  javascript:window.__xss='spaced') [entity](jav&#x09;ascript:window.__xss='entity')

[ref][r]

[r]: javascript:window.__xss='ref'

<javascript:window.__xss='autolink'>

![img](javascript:window.__xss='img')

[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9J2RhdGEnPC9zY3JpcHQ+)

[[javascript:window.__xss='wiki'|wiki link]]

<style>body{display:none}</style>

<div onmouseover="window.__xss='div'">hover</div>

` + "`<script>window.__xss='code'</script>`" + `

` + "```html\n<script>window.__xss='fence'</script>\n```\n"

// MustPush commits files to the server's bare repository through a clone
// and git push, as anyone with access to the server's disk could.
func MustPush(tb testing.TB, s *Server, msg string, files map[string]string) {
	tb.Helper()
	work := filepath.Join(tb.TempDir(), "work")
	Git(tb, "", "clone", "-q", filepath.Join(s.Data, "wiki.git"), work)
	for name, content := range files {
		mustWrite(tb, filepath.Join(work, name), content)
	}
	Git(tb, work, "add", "-A")
	Git(tb, work, "commit", "-q", "-m", msg)
	Git(tb, work, "push", "-q", "origin", "HEAD:main")
}

func TestXSSRendersHarmless(t *testing.T) {
	s := MustServe(t, "")
	MustPush(t, s, "Add payloads", map[string]string{"xss.md": xssPage})
	var body string
	waitFor(t, func() bool {
		var code int
		code, _, body = s.Get(t, "/xss")
		return code == 200
	})
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script":
				src := attr(n, "src")
				if !strings.HasPrefix(src, "/-/static/") {
					t.Errorf("script element %q in page", src)
				}
			case "form":
				if attr(n, "action") != "/-/search" && attr(n, "method") != "dialog" {
					t.Errorf("form posting to %q in page", attr(n, "action"))
				}
			case "iframe", "svg", "style", "object", "embed", "base":
				t.Errorf("<%s> element in page", n.Data)
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("event handler %s=%q on <%s>", a.Key, a.Val, n.Data)
				}
				if a.Key == "href" || a.Key == "src" {
					v := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
					if strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:") || strings.HasPrefix(v, "vbscript:") {
						t.Errorf("dangerous URL %s=%q on <%s>", a.Key, a.Val, n.Data)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if !strings.Contains(body, "&lt;script&gt;window.__xss = &#39;script&#39;;&lt;/script&gt;") {
		t.Errorf("the raw HTML should be shown as text so the author sees what they wrote")
	}

	t.Run("Chromium", func(t *testing.T) {
		ctx := MustBrowser(t)
		dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
		opened := make(chan string, 10)
		go func() {
			for ev, err := range dialogs {
				if err != nil {
					return
				}
				opened <- ev.Message
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}
		}()
		err := chromedp.Do(ctx,
			chromedp.Navigate(s.URL+"/xss"),
			chromedp.WaitVisible(chromedp.CSS("article.page")),
			// Hover, focus and click everything a payload could hang on.
			chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('a, div, img, p').forEach(function (el) {
				['mouseover', 'focus', 'mouseenter'].forEach(function (t) { el.dispatchEvent(new Event(t)); });
				var h = el.getAttribute('href') || '';
				if (el.tagName === 'A' && h.indexOf('/') !== 0 && h.indexOf('#') !== 0) { el.click(); }
			})`),
			chromedp.Sleep(300*time.Millisecond),
		)
		if err != nil {
			t.Fatal(err)
		}
		xss, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String(window.__xss)`))
		if err != nil {
			t.Fatal(err)
		}
		title, err := chromedp.Run(ctx, chromedp.Title())
		if err != nil {
			t.Fatal(err)
		}
		if xss != "undefined" {
			t.Errorf("a payload ran: window.__xss = %q", xss)
		}
		select {
		case m := <-opened:
			t.Errorf("a dialog opened: %q", m)
		default:
		}
		if !strings.Contains(title, "<script>") {
			t.Errorf("title %q should show the front matter title as text", title)
		}
	})
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// MustBrowser starts headless Chromium for a test, or skips the test when
// Chromium is not installed (CI installs it; see .ci/run).
func MustBrowser(tb testing.TB) context.Context {
	tb.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		tb.Skip("chromium is not installed; .ci/run installs it (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(tb.TempDir()),
	)
	if os.Getenv("OPSWIKI_BROWSER_HEADFUL") != "" {
		opts = append(opts, chromedp.Flag("headless", false))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	tb.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start chromium: %v", err)
	}
	return ctx
}
