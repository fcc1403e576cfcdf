package main_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// phonePages are every kind of page and every page of the wiki's own, as
// an on-call engineer opens them on a phone.
var phonePages = []string{
	"/",
	"/runbooks/checkout-high-error-rate",
	"/services/checkout",
	"/postmortems/2026/2026-10-14-inc-2041-checkout-errors",
	"/runbooks",
	"/postmortems/2026",
	"/templates/postmortem",
	"/runbooks/no-such-runbook",
	"/-/search?q=checkout",
	"/-/search?q=kind:runbook",
	"/-/services",
	"/-/actions",
	"/-/actions?status=all",
	"/-/reliability",
	"/-/oncall",
	"/teams/team-checkout",
	"/-/report",
	"/-/settings",
	"/-/changes",
	"/-/history/runbooks/checkout-high-error-rate",
	"/-/diff/postmortems/2026/2026-10-14-inc-2041-checkout-errors",
	"/-/edit/runbooks/checkout-high-error-rate",
	"/-/new?template=postmortem&incident=INC-7",
	"/-/incidents/INC-404",
	"/-/alerts/NoSuchAlert",
	"/-/account",
	"/wiki.git",
}

// On a phone (390×844), in light and in dark, no page is wider than the
// screen: what is wide (tables, code) scrolls inside its own box.
func TestBrowserPhoneFits(t *testing.T) {
	s := MustServe(t, "")
	ctx := MustBrowser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	// A change makes the history and the diff worth looking at.
	s.Put(t, "postmortems/2026/2026-10-14-inc-2041-checkout-errors", strings.Replace(s.Page(t, "postmortems/2026/2026-10-14-inc-2041-checkout-errors").Content,
		"## Summary", "## Summary\n\nA very-long-identifier-that-does-not-break-anywhere-at-all-in-the-text-of-the-postmortem-summary-line shows how wide text wraps.", 1),
		s.Page(t, "postmortems/2026/2026-10-14-inc-2041-checkout-errors").Blob, "Longer summary")
	pages := append(slices.Clone(phonePages), "/-/revision/runbooks/checkout-high-error-rate?rev="+s.MainCommit(t)[:10])
	for _, scheme := range []string{"light", "dark"} {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, page := range pages {
			if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+page), chromedp.WaitReady("body")); err != nil {
				t.Fatalf("%s %s: %v", scheme, page, err)
			}
			width, err := chromedp.Run(ctx, chromedp.Evaluate[phoneWidth](`(function () {
					// A phone widens its layout to fit a page too wide for
					// it (and zooms out): measure against the screen.
					var screen = window.screen.width, widest = '', most = 0;
					document.querySelectorAll('body *').forEach(function (el) {
						var r = el.getBoundingClientRect();
						if (r.right > screen + 1 && r.right > most && getComputedStyle(el).position !== 'fixed') {
							var box = el.parentElement, clipped = false;
							for (; box; box = box.parentElement) {
								var o = getComputedStyle(box).overflowX;
								if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = true; break; }
							}
							if (!clipped) { most = r.right; widest = el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : ''); }
						}
					});
					return {Screen: screen, Document: Math.max(document.documentElement.scrollWidth, window.innerWidth), Widest: widest,
						Dark: matchMedia('(prefers-color-scheme: dark)').matches};
				})()`))
			if err != nil {
				t.Fatalf("%s %s: %v", scheme, page, err)
			}
			if width.Screen != 390 {
				t.Fatalf("%s: the screen is %d px wide, not the phone's 390", page, width.Screen)
			}
			if width.Dark != (scheme == "dark") {
				t.Fatalf("%s: the page does not see the %s scheme", page, scheme)
			}
			if width.Document > width.Screen {
				t.Errorf("%s %s: the page is %d px wide on a %d px screen (widest: %s)", scheme, page, width.Document, width.Screen, width.Widest)
			}
		}
	}
}

// phoneWidth is what a page measures on the phone.
type phoneWidth struct {
	Screen, Document int
	Widest           string
	Dark             bool
}

// On a phone the runbook's own text is on the first screen, with a link
// straight to its mitigation; search results come before the filters;
// the header's links are in a menu.
func TestBrowserPhoneFirstScreen(t *testing.T) {
	s := MustServe(t, "")
	ctx := MustBrowser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		chromedp.Navigate(s.URL+"/-/alerts/CheckoutHighErrorRate"), chromedp.WaitReady("body")); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(function () {
		var h2 = document.querySelector('.markdown h2'), jump = document.querySelector('.jump a'), menu = document.querySelector('.menu > summary');
		return {firstSection: h2 ? h2.getBoundingClientRect().top : -1, jump: jump ? jump.getAttribute('href') : '',
			jumpVisible: jump ? jump.getBoundingClientRect().height > 0 : false,
			menu: menu ? menu.getBoundingClientRect().width > 0 : false,
			factsOpen: document.querySelector('details.facts-fold') ? document.querySelector('details.facts-fold').open : true};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if top, _ := got["firstSection"].(float64); top < 0 || top > 844 {
		t.Errorf("the runbook's first section starts %v px down, below the first screen", got["firstSection"])
	}
	if got["jump"] != "#mitigation" || got["jumpVisible"] != true {
		t.Errorf("no visible jump to the mitigation: %v", got)
	}
	if got["menu"] != true || got["factsOpen"] != false {
		t.Errorf("menu shown %v, facts folded %v", got["menu"], got["factsOpen"] == false)
	}
	// Copy buttons sit above the code, not on it.
	overlaps, err := chromedp.Run(ctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll('.code-block')).filter(function (b) {
		var btn = b.querySelector('.copy'), pre = b.querySelector('pre');
		if (!btn || !pre) return false;
		var r = btn.getBoundingClientRect(), p = pre.getBoundingClientRect();
		return r.bottom > p.top && r.top < p.bottom && r.right > p.left && r.left < p.right;
	}).length`))
	if err != nil || overlaps > 0 {
		t.Errorf("%d copy buttons cover their code (%v)", overlaps, err)
	}
	// The menu opens and leads to the catalog.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".menu > summary")), chromedp.Click(chromedp.CSS(`.menu nav a[href="/-/services"]`))); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(ctx, `location.pathname === '/-/services'`); err != nil {
		t.Errorf("the menu does not lead to the services: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/-/search?q=checkout"), chromedp.WaitReady("body")); err != nil {
		t.Fatal(err)
	}
	order, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[document.querySelector('.hits li').getBoundingClientRect().top, document.querySelector('.facets').getBoundingClientRect().top]`))
	if err != nil {
		t.Fatal(err)
	}
	if order[0] > order[1] || order[0] > 844 {
		t.Errorf("the first result is at %v px, the filters at %v px: results first, on the first screen", order[0], order[1])
	}
}

// contrastJS measures, in the page, the WCAG contrast of every element
// matched by the selectors it is given against the background it is drawn
// on, and returns the ones under 4.5 with their colours.
const contrastJS = `(function (classes) {
	function rgb(s) { var m = s.match(/[\d.]+/g); return m ? m.map(Number) : [0, 0, 0, 0]; }
	function lum(c) {
		var a = c.slice(0, 3).map(function (v) { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
		return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2];
	}
	function background(el) {
		for (; el; el = el.parentElement) {
			var c = rgb(getComputedStyle(el).backgroundColor);
			if (c.length < 4 || c[3] > 0) return c;
		}
		return [255, 255, 255];
	}
	function ratio(el) {
		var a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
		return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
	}
	var pre = document.createElement('pre'), block = document.createElement('div');
	block.className = 'code-block markdown';
	pre.className = 'chroma';
	classes.forEach(function (c) { var s = document.createElement('span'); s.className = c; s.textContent = c + ' '; pre.appendChild(s); });
	block.appendChild(pre);
	document.querySelector('main').appendChild(block);
	var low = [];
	Array.from(pre.children).forEach(function (s) {
		var r = ratio(s);
		if (r < 4.5) low.push('.' + s.className + ' ' + getComputedStyle(s).color + ' on ' + String(background(s)) + ': ' + r.toFixed(2));
	});
	['main p', 'main li', '.crumbs a', '.fact dt', '.fact dd', '.markdown a', 'h1.title', '.badge', '.page-foot', '.markdown code'].forEach(function (sel) {
		var el = document.querySelector(sel);
		if (el && ratio(el) < 4.5) low.push(sel + ' ' + getComputedStyle(el).color + ' on ' + String(background(el)) + ': ' + ratio(el).toFixed(2));
	});
	return low;
})`

// Every highlighting class and the page's text read at WCAG AA (4.5:1) in
// the light and the dark scheme, as Chromium computes their colours.
func TestBrowserContrast(t *testing.T) {
	s := MustServe(t, "")
	ctx := MustBrowser(t)
	var classes []string
	for tt, class := range chroma.StandardTypes {
		if class != "" && (tt >= chroma.Keyword || tt == chroma.Error || tt == chroma.Other) {
			classes = append(classes, class)
		}
	}
	slices.Sort(classes)
	list, _ := json.Marshal(classes)
	for _, scheme := range []string{"light", "dark"} {
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
			t.Fatal(err)
		}
		for _, page := range []string{"/runbooks/checkout-high-error-rate", "/services/checkout"} {
			if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+page), chromedp.WaitReady("main")); err != nil {
				t.Fatal(err)
			}
			low, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](contrastJS+"("+string(list)+")"))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range low {
				t.Errorf("%s %s: %s", scheme, page, l)
			}
		}
	}
}
