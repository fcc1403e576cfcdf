package main_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opswiki/opswiki/wiki"
)

// waitJS polls a JavaScript condition in the page until it is true. A poll
// cut short by a navigation (a save leads to the page) is started again.
func waitJS(ctx context.Context, expr string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBrowserEditor opens the editor on a page, types, sees the preview,
// saves and sees the page, as a person would.
func TestBrowserEditor(t *testing.T) {
	s := MustServe(t, "")
	ctx := MustBrowser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/runbooks/checkout-high-error-rate"),
		chromedp.WaitVisible(chromedp.CSS("article.page")),
		chromedp.Click(chromedp.CSS("a[data-edit]")),
		chromedp.WaitVisible(chromedp.CSS("#content")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitJS(ctx, `document.querySelector('#preview h2') !== null`); err != nil {
		t.Fatalf("the preview never rendered: %v", err)
	}
	// Type at the end of the page, then watch the preview follow.
	err = chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`(function () { var t = document.getElementById('content'); t.focus(); t.setSelectionRange(t.value.length, t.value.length); })()`),
		chromedp.SendKeys(chromedp.CSS("#content"), "\n## Typed in the browser\n\nThe **flux capacitor** needs 1.21 GW.\n"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitJS(ctx, `(document.querySelector('#preview') || {}).innerHTML.indexOf('<strong>flux capacitor</strong>') >= 0`); err != nil {
		t.Fatalf("the preview did not show the typed text: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#message"), "Add the flux capacitor note"),
		chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitJS(ctx, `location.pathname === '/runbooks/checkout-high-error-rate' && document.querySelector('article.page') !== null`); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("save did not lead to the page (at %s): %v", loc, err)
	}
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("article.page")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, "<strong>flux capacitor</strong>") {
		t.Fatalf("the saved page does not show the typed text")
	}
	if msg := Git(t, s.Data+"/wiki.git", "log", "-1", "--format=%s", "main"); msg != "Add the flux capacitor note" {
		t.Errorf("commit message %q", msg)
	}
	// The draft is gone once saved.
	draft, err := chromedp.Run(ctx, chromedp.Evaluate[int](`Object.keys(localStorage).filter(function (k) { return k.indexOf('opswiki:draft:') === 0; }).length`))
	if err != nil || draft != 0 {
		t.Errorf("drafts left after saving: %d %v", draft, err)
	}
}

// TestBrowserConflict has a second session's save land while the first is
// editing: the first sees the conflict view with its own text intact.
func TestBrowserConflict(t *testing.T) {
	s := MustServe(t, "")
	ctx := MustBrowser(t)
	name := "services/payments-db"
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/-/edit/"+name),
		chromedp.WaitVisible(chromedp.CSS("#content")),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The other session changes the first body line.
	p := s.Page(t, name)
	lines := strings.Split(p.Content, "\n")
	doc := wiki.ParseDocument("x.md", []byte(p.Content))
	first := -1
	for i := doc.BodyLine - 1; i < len(lines) && first < 0; i++ {
		if l := strings.TrimSpace(lines[i]); l != "" && strings.IndexAny(l[:1], "#|-*>`") < 0 {
			first = i
		}
	}
	if first < 0 {
		t.Fatal("no body line to edit")
	}
	original := lines[first]
	lines[first] = "THEIRS: " + original
	if code, reply := s.Put(t, name, strings.Join(lines, "\n"), p.Blob, "their change"); code != 200 {
		t.Fatalf("other session's save: %d %v", code, reply)
	}
	// This session changes the same line, not knowing.
	js := `(function () { var t = document.getElementById('content'); t.value = t.value.replace(` + jsString(original) + `, ` + jsString("MINE: "+original) + `); t.dispatchEvent(new Event('input', {bubbles: true})); })()`
	err = chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](js),
		chromedp.Click(chromedp.CSS("#save")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitJS(ctx, `document.querySelector('.conflict') !== null && document.getElementById('content').value.indexOf('<<<<<<< your edit') >= 0`); err != nil {
		t.Fatalf("no conflict view: %v", err)
	}
	value, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#content")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(value, "MINE: "+original) || !strings.Contains(value, "THEIRS: "+original) {
		t.Fatalf("the editor lost a side:\n%s", value)
	}
	panel, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".conflict")))
	if !strings.Contains(panel, "MINE: "+original) {
		t.Errorf("the conflict panel does not show the person's text:\n%s", panel)
	}
	// Resolve: keep both lines, drop the markers, save again.
	resolve := `(function () { var t = document.getElementById('content');
		t.value = t.value.split('\n').filter(function (l) { return !/^(<<<<<<< your edit|=======|>>>>>>> current version)$/.test(l); }).join('\n');
		t.dispatchEvent(new Event('input', {bubbles: true})); })()`
	err = chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](resolve), chromedp.Click(chromedp.CSS("#save")))
	if err != nil {
		t.Fatal(err)
	}
	if err := waitJS(ctx, `location.pathname === '/`+name+`'`); err != nil {
		t.Fatalf("resolved save did not reach the page: %v", err)
	}
	final := s.Page(t, name).Content
	if !strings.Contains(final, "MINE: "+original) || !strings.Contains(final, "THEIRS: "+original) || strings.Contains(final, "<<<<<<<") {
		t.Fatalf("final text:\n%s", final)
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}
