package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// icsOncall is a PagerDuty-shaped export: one on-call shift around now.
func icsOncall(now time.Time, who string) string {
	f := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
	return strings.ReplaceAll(fmt.Sprintf(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//PagerDuty Inc.//PagerDuty Calendar//EN
X-WR-CALNAME:db-primary
BEGIN:VEVENT
UID:Q1ABC%[1]s
DTSTAMP:%[2]s
DTSTART:%[2]s
DTEND:%[3]s
SUMMARY:On Call - %[4]s - db-primary
ATTENDEE;CN=%[4]s:mailto:dana@example.com
END:VEVENT
BEGIN:VEVENT
UID:Q1ABD%[1]s
DTSTAMP:%[2]s
DTSTART:%[3]s
DTEND:%[5]s
SUMMARY:On Call - Erin Vale - db-primary
ATTENDEE;CN=Erin Vale:mailto:erin@example.com
END:VEVENT
END:VCALENDAR
`, f(now), f(now.Add(-2*time.Hour)), f(now.Add(6*time.Hour)), who, f(now.Add(30*time.Hour))), "\n", "\r\n")
}

// TestWhoToCall: teams with a rotation, an iCalendar schedule, a schedule
// that fails and one that is slow; services name them as owners. A runbook
// of two services shows both teams with who is on call now and next; a
// schedule that fails or is slow never makes a page fail; /-/oncall, its
// JSON and /metrics say the same.
func TestWhoToCall(t *testing.T) {
	now := time.Now().UTC()
	ics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/calendar")
		fmt.Fprint(w, icsOncall(now, "Dana Ruiz"))
	}))
	defer ics.Close()
	var failing atomic.Int64
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		failing.Add(1)
		http.Error(w, "schedule service down", http.StatusInternalServerError)
	}))
	defer broken.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)

	// The rotation started three days ago, handing over at this hour (UTC)
	// each week: alice now, bob from four days ahead.
	start := now.AddDate(0, 0, -3)
	rotation := fmt.Sprintf("oncall:\n  members: [alice, bob]\n  handoff: \"%s %s\"\n  timezone: UTC\n  length: 1w\n  start: %s\n",
		strings.ToLower(start.Weekday().String()), start.Format("15:00"), start.Format("2006-01-02"))
	s, _ := MustInitFrom(t, map[string][]byte{
		"teams/sre.md": []byte("---\nkind: team\nname: sre\nchannels: {chat: \"#sre\", email: sre@example.com}\n" + rotation +
			"escalation:\n  - {after: 0m, to: sre, how: page}\n  - {after: 20m, to: db, how: call}\n---\n# SRE\n"),
		"teams/db.md":               []byte("---\nkind: team\nname: db\noncall: " + ics.URL + "/db.ics\n---\n# Databases\n"),
		"teams/broken.md":           []byte("---\nkind: team\nname: broken\noncall: " + broken.URL + "/x.ics\n---\n# Broken\n"),
		"teams/slow.md":             []byte("---\nkind: team\nname: slow\noncall: " + slow.URL + "/x.ics\n---\n# Slow\n"),
		"services/checkout.md":      []byte("---\nkind: service\nname: checkout\nowner: SRE\n---\n# Checkout\n"),
		"services/ledger.md":        []byte("---\nkind: service\nname: ledger\nowner: teams/db\n---\n# Ledger\n"),
		"services/payments.md":      []byte("---\nkind: service\nname: payments\nowner: broken\n---\n# Payments\n"),
		"services/search.md":        []byte("---\nkind: service\nname: search\nowner: slow\n---\n# Search\n"),
		"runbooks/checkout-5xx.md":  []byte("---\nservices: [checkout, ledger]\nalerts: [Checkout5xx]\n---\n# Checkout 5xx\n\n## Mitigation\n\nRoll back.\n"),
		"runbooks/payments-down.md": []byte("---\nservices: [payments, search]\n---\n# Payments down\n"),
	})
	next := start.AddDate(0, 0, 7).Truncate(time.Hour)

	t.Run("runbook card", func(t *testing.T) {
		code, _, html := s.Get(t, "/runbooks/checkout-5xx")
		if code != http.StatusOK {
			t.Fatalf("runbook = %d", code)
		}
		card := between(html, `<section class="who-to-call"`, `</section>`)
		for _, want := range []string{`data-team="sre"`, "for checkout", "<strong>alice</strong>", "Next:</span> bob",
			next.Format("Mon 2 Jan 15:04"), "#sre", "mailto:sre@example.com",
			`data-team="db"`, "for ledger", `<a href="mailto:dana@example.com">Dana Ruiz</a>`, "Next:</span> Erin Vale",
			"after 20m:</span> call <a href=\"/teams/db\">db</a> (Dana Ruiz)"} {
			if !strings.Contains(card, want) {
				t.Errorf("the card lacks %q:\n%s", want, card)
			}
		}
	})

	t.Run("failing and slow schedules", func(t *testing.T) {
		code, _, html := s.Get(t, "/runbooks/payments-down")
		if code != http.StatusOK {
			t.Fatalf("runbook with a failing and a slow schedule = %d", code)
		}
		card := between(html, `<section class="who-to-call"`, `</section>`)
		if !strings.Contains(card, `data-team="broken"`) || !strings.Contains(card, "500") {
			t.Errorf("the failing schedule is not explained:\n%s", card)
		}
		if !strings.Contains(card, `data-team="slow"`) || !strings.Contains(card, "still being fetched") {
			t.Errorf("the slow schedule is not explained:\n%s", card)
		}
		if failing.Load() == 0 {
			t.Error("the failing schedule was never asked for")
		}
	})

	t.Run("service and team pages", func(t *testing.T) {
		_, _, html := s.Get(t, "/services/checkout")
		if !strings.Contains(between(html, `<section class="who-to-call"`, `</section>`), "<strong>alice</strong>") {
			t.Error("the service page has no card naming alice")
		}
		_, _, html = s.Get(t, "/teams/sre")
		if !strings.Contains(between(html, `<section class="who-to-call"`, `</section>`), "<strong>alice</strong>") {
			t.Error("the team page has no card naming alice")
		}
	})

	t.Run("oncall page, API and metrics", func(t *testing.T) {
		code, _, html := s.Get(t, "/-/oncall")
		if code != http.StatusOK || !strings.Contains(html, `data-team="db"`) || !strings.Contains(html, "Dana Ruiz") || !strings.Contains(html, "<strong>alice</strong>") {
			t.Errorf("/-/oncall = %d:\n%s", code, between(html, "<main", "</main>"))
		}
		code, _, body := s.Get(t, "/-/api/oncall")
		var api struct {
			Teams []struct {
				Team, Source string
				Now          []struct{ Name string }
				Until        time.Time
			}
		}
		if err := json.Unmarshal([]byte(body), &api); err != nil || code != http.StatusOK {
			t.Fatalf("/-/api/oncall = %d %v", code, err)
		}
		got := map[string]string{}
		for _, tm := range api.Teams {
			var who []string
			for _, p := range tm.Now {
				who = append(who, p.Name)
			}
			got[tm.Team] = tm.Source + ":" + strings.Join(who, ",")
			if tm.Team == "sre" && !tm.Until.Equal(next) {
				t.Errorf("sre's shift ends %s, want %s", tm.Until, next)
			}
		}
		want := map[string]string{"sre": "rotation:alice", "db": "schedule:Dana Ruiz", "broken": "schedule:", "slow": "schedule:"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("team %s = %q, want %q (all: %v)", k, got[k], v, got)
			}
		}
		if n := metric(t, s.URL, `opswiki_oncall_people{team="sre"}`); n != 1 {
			t.Errorf("opswiki_oncall_people{team=sre} = %v", n)
		}
		if n := metric(t, s.URL, `opswiki_oncall_stale{team="broken"}`); n != 1 {
			t.Errorf("opswiki_oncall_stale{team=broken} = %v", n)
		}
		if end := metric(t, s.URL, `opswiki_oncall_shift_end_timestamp_seconds{team="sre"}`); end != float64(next.Unix()) {
			t.Errorf("shift end = %v, want %d", end, next.Unix())
		}
	})

	t.Run("broken rotation is a problem at its line", func(t *testing.T) {
		page := "---\nkind: team\nname: web\noncall:\n  members: [a]\n  handoff: someday 25:00\n  timezone: Mars/Olympus\n  length: 1w\n---\n# Web\n"
		code, out := s.Put(t, "teams/web", page, "", "add the web team")
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("save of a broken rotation = %d %v", code, out)
		}
		msg := fmt.Sprint(out)
		if !strings.Contains(msg, "Mars/Olympus") || !strings.Contains(msg, "line") {
			t.Errorf("the refusal does not name the zone and line: %s", msg)
		}
	})
}

// On a phone, the runbook an alert links to shows the Who to call card on
// the first screen, within the screen's width; a screenshot of it is the
// card's size and holds text (not a blank box).
func TestBrowserWhoToCallOnPhone(t *testing.T) {
	s := MustServe(t, "")
	ctx := MustBrowser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile),
		chromedp.Navigate(s.URL+"/-/alerts/CheckoutHighErrorRate"), chromedp.WaitVisible(".who-to-call")); err != nil {
		t.Fatal(err)
	}
	box, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(function () {
		var r = document.querySelector('.who-to-call').getBoundingClientRect(), now = document.querySelector('.who-to-call .on-call-now strong');
		var n = now ? now.getBoundingClientRect() : {top: -1, bottom: -1};
		return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, nowTop: n.top, nowBottom: n.bottom};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if box["left"] < 0 || box["right"] > 390 || box["nowTop"] < 0 || box["nowBottom"] > 844 {
		t.Errorf("on a 390×844 phone the card is at %v: who is on call must be on the first screen, within its width", box)
	}
	shot, err := chromedp.Run(ctx, chromedp.Screenshot(".who-to-call"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	wantW, wantH := int((box["right"]-box["left"])*3), int((box["bottom"]-box["top"])*3)
	if abs(b.Dx()-wantW) > 6 || abs(b.Dy()-wantH) > 6 {
		t.Errorf("the screenshot is %dx%d px, the card %dx%d at scale 3", b.Dx(), b.Dy(), wantW, wantH)
	}
	// Text is drawn in a colour far from the card's background: count the
	// pixels that differ from the most common one by a clear margin.
	counts := map[[3]uint32]int{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			counts[[3]uint32{r >> 8, g >> 8, bl >> 8}]++
		}
	}
	var bg [3]uint32
	for c, n := range counts {
		if n > counts[bg] {
			bg = c
		}
	}
	ink, total := 0, 0
	for c, n := range counts {
		total += n
		d := int(c[0]) - int(bg[0]) + int(c[1]) - int(bg[1]) + int(c[2]) - int(bg[2])
		if abs(d) > 200 {
			ink += n
		}
	}
	if ink*100 < total { // under 1 % of the card in text colour: blank or unreadable
		t.Errorf("the card's screenshot has %d of %d pixels in a text colour: it does not show its text", ink, total)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.who-to-call').innerText`))
	if err != nil || !strings.Contains(text, "On call now") || !strings.Contains(text, "team-checkout") {
		t.Errorf("the card reads %q (%v)", text, err)
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
