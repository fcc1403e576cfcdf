package main_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// requestSeries scrapes /metrics and returns the request metric's series
// and the label values they carry.
func requestSeries(tb testing.TB, s *Server) (int, map[string]map[string]bool) {
	tb.Helper()
	code, _, body := s.Get(tb, "/metrics")
	if code != 200 {
		tb.Fatalf("/metrics = %d", code)
	}
	labels := map[string]map[string]bool{}
	n := 0
	label := regexp.MustCompile(`(\w+)="([^"]*)"`)
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, "opswiki_http_request_duration_seconds_count{") {
			continue
		}
		n++
		for _, m := range label.FindAllStringSubmatch(line, -1) {
			if labels[m[1]] == nil {
				labels[m[1]] = map[string]bool{}
			}
			labels[m[1]][m[2]] = true
		}
	}
	return n, labels
}

// TestMetricsLabelsBounded sends requests with made-up methods and paths:
// the request metric must not gain a series for each.
func TestMetricsLabelsBounded(t *testing.T) {
	s := MustServe(t, "")
	burst := func(tag string) {
		for i := range 60 {
			for _, path := range []string{fmt.Sprintf("/%s-%d", tag, i), fmt.Sprintf("/-/%s-%d", tag, i), fmt.Sprintf("/-/api/%s/%d", tag, i)} {
				req, err := http.NewRequest(fmt.Sprintf("%s%d", strings.ToUpper(tag), i), s.URL+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				do(t, req)
				if i%3 == 0 {
					s.Get(t, path)
				}
			}
		}
	}
	requestSeries(t, s)
	burst("a")
	before, _ := requestSeries(t, s)
	burst("b")
	after, labels := requestSeries(t, s)
	if after != before {
		t.Fatalf("request series grew from %d to %d with made-up methods and paths; labels %v", before, after, labels)
	}
	standard := map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true,
		"OPTIONS": true, "CONNECT": true, "TRACE": true, "other": true}
	for m := range labels["method"] {
		if !standard[m] {
			t.Errorf("method label %q", m)
		}
	}
	for r := range labels["route"] {
		if r != "unmatched" && !strings.HasPrefix(r, "/") {
			t.Errorf("route label %q", r)
		}
	}
	for c := range labels["code"] {
		if !regexp.MustCompile(`^[1-5][0-9][0-9]$`).MatchString(c) {
			t.Errorf("code label %q", c)
		}
	}
	if !labels["method"]["other"] {
		t.Error("made-up methods are not counted as other")
	}
}

// location sends a request without following or even parsing a redirect,
// as a browser's first step would see it.
func location(tb testing.TB, req *http.Request) (int, string) {
	tb.Helper()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Location")
}

// TestSigninNextStaysOnSite signs in with next set to every spelling of
// another site browsers are known to follow: the redirect must stay here.
func TestSigninNextStaysOnSite(t *testing.T) {
	offsite := []string{
		"%2F%09%2Fevil.example%2Fphish", // /<TAB>/evil.example/phish
		"%2F%0A%2Fevil.example",         // /<LF>/evil.example
		"%2F%0D%2Fevil.example",         // /<CR>/evil.example
		"%09%2Fevil.example",            // <TAB>/evil.example
		"%2F%5Cevil.example",            // /\evil.example
		"%5C%5Cevil.example",            // \\evil.example
		"%2F%5C%2Fevil.example",         // /\/evil.example
		"%2F%2Fevil.example",            // //evil.example
		"%2F%2F%2Fevil.example",         // ///evil.example
		"%2F%252F%2Fevil.example",       // /%2F/evil.example
		"%2F%255C%2Fevil.example",       // /%5C/evil.example
		"%2F%2509%2Fevil.example",       // /%09/evil.example
		"%2F.%2F%2Fevil.example",        // /.//evil.example
		"%2F%C2%85%2Fevil.example",      // /<NEL>/evil.example
		"%20%2F%2Fevil.example",         // <SP>//evil.example
		"https%3Aevil.example",          // https:evil.example
		"https%3A%2F%2Fevil.example",    // https://evil.example
		"javascript%3Aalert(1)",
		"evil.example",
		"%2F%FF%2Fevil.example", // not UTF-8
		"",
	}
	onsite := map[string]string{
		"%2Fservices%2Fcheckout":                       "/services/checkout",
		"%2F-%2Fsearch%3Fq%3Dcheckout%2Berror":         "/-/search?q=checkout+error",
		"%2Frunbooks%2Fcheckout-high-error-rate%23fix": "/runbooks/checkout-high-error-rate#fix",
		"%2Fpage%3Fnext%3D%2F%2Fevil.example":          "/page?next=//evil.example",
	}
	users, roles := writeAccounts(t)
	open := MustServe(t, "")
	closed := MustServeWith(t, "", func(c *main.Config) { c.Auth, c.UsersFile, c.RolesFile = "users", users, roles })
	check := func(t *testing.T, query, want string) {
		t.Helper()
		req, _ := http.NewRequest("GET", open.URL+"/-/signin?next="+query, nil)
		if code, loc := location(t, req); code != http.StatusSeeOther || loc != want {
			t.Errorf("--auth none: %d Location %q, want %q", code, loc, want)
		}
		req, _ = http.NewRequest("POST", closed.URL+"/-/signin", strings.NewReader("user=cy&password=cy-pw&next="+query))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if code, loc := location(t, req); code != http.StatusSeeOther || loc != want {
			t.Errorf("sign-in: %d Location %q, want %q", code, loc, want)
		}
	}
	for _, q := range offsite {
		t.Run("Offsite/"+q, func(t *testing.T) { check(t, q, "/") })
	}
	for q, want := range onsite {
		t.Run("Onsite/"+q, func(t *testing.T) { check(t, q, want) })
	}
}
