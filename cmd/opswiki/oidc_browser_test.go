package main_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opswiki/opswiki/wiki/auth/authtest"
)

// TestBrowserOIDCSignIn signs in with the organisation's identity provider
// as a person would: a runbook link sends the browser to sign in, one
// click goes through the provider and back to the runbook, signed in; a
// save commits as that person. Someone whose group makes them a reader
// signs in the same way and is refused when saving, without losing the
// text typed.
func TestBrowserOIDCSignIn(t *testing.T) {
	p := authtest.MustIdP(t)
	s := MustServeOIDC(t, p, "editor: [\"@engineering\"]\nreader: [\"@contractors\"]\n", nil)
	repo := filepath.Join(s.Data, "wiki.git")
	const page = "/runbooks/checkout-high-error-rate"
	ctx := MustBrowser(t)

	signIn := func(t *testing.T, path string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.Navigate(s.URL+path),
			chromedp.WaitVisible(chromedp.CSS("#signin-provider")),
		)
		if err != nil {
			t.Fatal(err)
		}
		label, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#signin-provider")))
		if err != nil || label != "Sign in with Mock" {
			t.Fatalf("sign-in button %q %v", label, err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#signin-provider"))); err != nil {
			t.Fatal(err)
		}
		if err := waitJS(ctx, `location.pathname + location.search === `+jsString(path)+` && document.readyState === 'complete'`); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("did not come back to %s (at %s): %v", path, loc, err)
		}
	}
	whoAmI := func(t *testing.T) string {
		t.Helper()
		who, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch('/-/account').then(function (r) { return r.text(); }).then(function (h) {
			return new DOMParser().parseFromString(h, 'text/html').querySelector('h1.title').textContent; })`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		return who
	}
	edit := func(t *testing.T, text, message string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("a[data-edit]")),
			chromedp.WaitVisible(chromedp.CSS("#content")),
		)
		if err != nil {
			t.Fatal(err)
		}
		// The preview shows once the editor's script runs; keys sent
		// before that would not reach it.
		if err := waitJS(ctx, `document.querySelector('#preview h2') !== null`); err != nil {
			t.Fatalf("the editor never started: %v", err)
		}
		err = chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`(function () { var t = document.getElementById('content'); t.focus(); t.setSelectionRange(t.value.length, t.value.length); })()`),
			chromedp.SendKeys(chromedp.CSS("#content"), text),
			chromedp.SendKeys(chromedp.CSS("#message"), message),
			chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		)
		if err != nil {
			t.Fatal(err)
		}
	}

	t.Run("EditorSavesAsThemselves", func(t *testing.T) {
		signIn(t, page)
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("article.page"))); err != nil {
			t.Fatal(err)
		}
		if who := whoAmI(t); who != "jane.doe" {
			t.Fatalf("signed in as %q", who)
		}
		edit(t, "\n## Checked by Jane\n", "Note from the identity provider's user")
		if err := waitJS(ctx, `location.pathname === `+jsString(page)+` && document.querySelector('article.page') !== null && document.body.textContent.indexOf('Checked by Jane') >= 0`); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById('status') || {}).textContent || ''`))
			t.Fatalf("the save did not lead to the page (at %s, status %q): %v", loc, status, err)
		}
		if who := Git(t, repo, "log", "-1", "--format=%an <%ae>|%s", "main"); who != "jane.doe <jane.doe@example.com>|Note from the identity provider's user" {
			t.Errorf("commit %q", who)
		}
	})
	t.Run("SignOut", func(t *testing.T) {
		err := chromedp.Do(ctx,
			chromedp.Navigate(s.URL+"/-/account"),
			chromedp.Click(chromedp.CSS(`form[action="/-/signout"]:not(:has(input[name=everywhere])) button`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		if err := waitJS(ctx, `location.pathname === '/-/signin' && document.getElementById('signin-provider') !== null`); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("not signed out (at %s): %v", loc, err)
		}
	})
	t.Run("ReaderIsRefusedOnSave", func(t *testing.T) {
		p.QueueUser(authtest.User("sub-kim", "kim", "kim@example.com", "contractors"))
		before := s.MainCommit(t)
		signIn(t, page)
		if who := whoAmI(t); who != "kim" {
			t.Fatalf("signed in as %q", who)
		}
		edit(t, "\n## Kim was here\n", "A reader's change")
		if err := waitJS(ctx, `((document.getElementById('status') || {}).textContent || '').indexOf('may not do this') >= 0`); err != nil {
			status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById('status') || {}).textContent || ''`))
			t.Fatalf("the refusal was not shown (status %q): %v", status, err)
		}
		text, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#content")))
		if err != nil || !strings.Contains(text, "## Kim was here") {
			t.Errorf("the refused text is gone from the editor: %v", err)
		}
		if after := s.MainCommit(t); after != before {
			t.Errorf("a reader's save moved main: %s -> %s", before, after)
		}
	})
}
