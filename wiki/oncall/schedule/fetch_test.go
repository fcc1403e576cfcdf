package schedule_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki/oncall"
	"github.com/opswiki/opswiki/wiki/oncall/oncalltest"
	"github.com/opswiki/opswiki/wiki/oncall/schedule"
)

// clock is a settable time source that counts how often it is read.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	reads atomic.Int64
}

func newClock(tb testing.TB) *clock { return &clock{now: oncalltest.UTC(tb, readNow)} }

func (c *clock) Now() time.Time {
	c.reads.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// server serves the answers in turn, repeating the last; each answer is
// a function writing the response. It counts requests.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	answers  []http.HandlerFunc
	requests int
	headers  []http.Header
}

func newServer(tb testing.TB, answers ...http.HandlerFunc) *server {
	tb.Helper()
	s := &server{answers: answers}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		i := min(s.requests, len(s.answers)-1)
		s.requests++
		s.headers = append(s.headers, r.Header.Clone())
		answer := s.answers[i]
		s.mu.Unlock()
		answer(w, r)
	}))
	tb.Cleanup(s.Close)
	return s
}

func (s *server) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func (s *server) header(i int) http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.headers[i]
}

func serveFile(tb testing.TB, name string, headers ...string) http.HandlerFunc {
	data := fixture(tb, name)
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		w.Write(data)
	}
}

// slow answers only when the client has given up.
func slow(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", code) }
}

func body(s string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(s)) }
}

func newFetcher(tb testing.TB, c *clock, opts schedule.FetcherOptions) *schedule.Fetcher {
	opts.Now = c.Now
	f := schedule.NewFetcher(opts)
	tb.Cleanup(func() { f.Close() })
	return f
}

// whoAt names who a schedule has on call at the time the tests read at.
func whoAt(tb testing.TB, s *schedule.Schedule) string {
	tb.Helper()
	sh, err := s.Calendar.At(oncalltest.UTC(tb, readNow))
	if err != nil {
		tb.Fatal(err)
	}
	return sh.Names()
}

func TestFetcherGet(t *testing.T) {
	ctx := context.Background()
	t.Run("Normal", func(t *testing.T) {
		srv := newServer(t, serveFile(t, "pagerduty.ics"))
		c := newClock(t)
		f := newFetcher(t, c, schedule.FetcherOptions{})
		for i := 0; i < 3; i++ {
			s, err := f.Get(ctx, srv.URL+"/feed.ics")
			if err != nil {
				t.Fatal(err)
			}
			if s.Stale() || s.Age != 0 || whoAt(t, s) != "Bob Smith" {
				t.Fatalf("Get %d = stale %v age %s who %q", i, s.Stale(), s.Age, whoAt(t, s))
			}
		}
		if n := srv.count(); n != 1 {
			t.Errorf("%d requests within the TTL, want 1", n)
		}
		c.Advance(schedule.DefaultTTL)
		if _, err := f.Get(ctx, srv.URL+"/feed.ics"); err != nil {
			t.Fatal(err)
		}
		if n := srv.count(); n != 2 {
			t.Errorf("%d requests after the TTL, want 2", n)
		}
		if ua := srv.header(0).Get("User-Agent"); ua != "opswiki" {
			t.Errorf("User-Agent = %q", ua)
		}
	})

	t.Run("Webcal", func(t *testing.T) {
		// webcal:// is fetched over HTTPS.
		srv := httptest.NewTLSServer(serveFile(t, "google.ics"))
		defer srv.Close()
		c := newClock(t)
		f := newFetcher(t, c, schedule.FetcherOptions{Client: srv.Client()})
		s, err := f.Get(ctx, strings.Replace(srv.URL, "https://", "webcal://", 1)+"/basic.ics")
		if err != nil {
			t.Fatal(err)
		}
		if got := whoAt(t, s); got != "Ivan Petrov" {
			t.Errorf("who = %q", got)
		}
	})

	t.Run("Slow", func(t *testing.T) {
		srv := newServer(t, slow, serveFile(t, "pagerduty.ics"), slow)
		c := newClock(t)
		f := newFetcher(t, c, schedule.FetcherOptions{Timeout: 50 * time.Millisecond})
		url := srv.URL + "/feed.ics"

		s, err := f.Get(ctx, url)
		if s != nil {
			t.Fatalf("got a schedule from a server that never answered: %+v", s)
		}
		oncalltest.ErrCode(t, err, oncall.EUNAVAILABLE)
		if !strings.Contains(oncall.ErrorMessage(err), "did not answer within 50ms") {
			t.Errorf("message = %q", oncall.ErrorMessage(err))
		}

		c.Advance(schedule.DefaultRetry)
		s, err = f.Get(ctx, url)
		if err != nil || s.Stale() || whoAt(t, s) != "Bob Smith" {
			t.Fatalf("good fetch: %+v, %v", s, err)
		}

		c.Advance(7 * time.Minute)
		s, err = f.Get(ctx, url)
		if err != nil {
			t.Fatalf("a slow server after a good fetch gave no schedule: %v", err)
		}
		if !s.Stale() || s.Age != 7*time.Minute || whoAt(t, s) != "Bob Smith" {
			t.Errorf("stale answer: stale %v age %s who %q", s.Stale(), s.Age, whoAt(t, s))
		}
		oncalltest.ErrCode(t, s.Err, oncall.EUNAVAILABLE)
	})

	t.Run("Failing", func(t *testing.T) {
		srv := newServer(t,
			status(http.StatusInternalServerError),
			body("<html>maintenance</html>"),
			serveFile(t, "grafana-oncall.ics"),
			status(http.StatusBadGateway),
			body("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"),
		)
		c := newClock(t)
		f := newFetcher(t, c, schedule.FetcherOptions{})
		url := srv.URL + "/s.ics"
		steps := []struct {
			name   string
			code   string // of the error returned, or of Schedule.Err
			stale  bool   // whether a schedule comes back anyway
			advise time.Duration
		}{
			{"500", oncall.EUNAVAILABLE, false, schedule.DefaultRetry},
			{"Malformed", oncall.EINVALID, false, schedule.DefaultRetry},
			{"Good", "", false, schedule.DefaultTTL},
			{"502AfterGood", oncall.EUNAVAILABLE, true, schedule.DefaultRetry},
			{"MalformedAfterGood", oncall.EINVALID, true, schedule.DefaultRetry},
		}
		var age time.Duration
		for _, st := range steps {
			s, err := f.Get(ctx, url)
			switch {
			case st.code == "":
				if err != nil || s.Stale() {
					t.Fatalf("%s: %+v, %v", st.name, s, err)
				}
				age = 0
			case !st.stale:
				if s != nil {
					t.Fatalf("%s: got a schedule %+v", st.name, s)
				}
				oncalltest.ErrCode(t, err, st.code)
			default:
				if err != nil || !s.Stale() {
					t.Fatalf("%s: %+v, %v", st.name, s, err)
				}
				oncalltest.ErrCode(t, s.Err, st.code)
				if s.Age != age || whoAt(t, s) != "eve, finn" {
					t.Errorf("%s: age %s (want %s), who %q", st.name, s.Age, age, whoAt(t, s))
				}
			}
			c.Advance(st.advise)
			age += st.advise
		}
		if n := srv.count(); n != len(steps) {
			t.Errorf("%d requests, want %d", n, len(steps))
		}
	})

	t.Run("RetryWaits", func(t *testing.T) {
		// A failure is remembered for Retry, so pages do not each wait
		// on a server that is down.
		srv := newServer(t, status(http.StatusServiceUnavailable))
		c := newClock(t)
		f := newFetcher(t, c, schedule.FetcherOptions{})
		for i := 0; i < 3; i++ {
			_, err := f.Get(ctx, srv.URL)
			oncalltest.ErrCode(t, err, oncall.EUNAVAILABLE)
		}
		if n := srv.count(); n != 1 {
			t.Errorf("%d requests within Retry, want 1", n)
		}
		c.Advance(schedule.DefaultRetry)
		f.Get(ctx, srv.URL)
		if n := srv.count(); n != 2 {
			t.Errorf("%d requests after Retry, want 2", n)
		}
	})

	t.Run("ETag", func(t *testing.T) {
		full := serveFile(t, "pagerduty.ics", "ETag", `"v1"`, "Last-Modified", "Tue, 24 Mar 2026 10:00:00 GMT")
		notModified := func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("If-None-Match") != `"v1"` || r.Header.Get("If-Modified-Since") != "Tue, 24 Mar 2026 10:00:00 GMT" {
				full(w, r)
				return
			}
			w.WriteHeader(http.StatusNotModified)
		}
		srv := newServer(t, full, notModified)
		c := newClock(t)
		f := newFetcher(t, c, schedule.FetcherOptions{})
		first, err := f.Get(ctx, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if h := srv.header(0); h.Get("If-None-Match") != "" {
			t.Errorf("first request sent If-None-Match %q", h.Get("If-None-Match"))
		}
		c.Advance(schedule.DefaultTTL)
		second, err := f.Get(ctx, srv.URL)
		if err != nil || second.Stale() {
			t.Fatalf("after 304: %+v, %v", second, err)
		}
		if second.Calendar != first.Calendar || second.Age != 0 || !second.Fetched.Equal(oncalltest.UTC(t, readNow).Add(schedule.DefaultTTL)) {
			t.Errorf("after 304: same calendar %v, age %s, fetched %s", second.Calendar == first.Calendar, second.Age, second.Fetched)
		}
		if h := srv.header(1); h.Get("If-None-Match") != `"v1"` {
			t.Errorf("second request If-None-Match = %q", h.Get("If-None-Match"))
		}
		// A copy confirmed unchanged for days is expanded again around
		// the present.
		c.Advance(48 * time.Hour)
		third, err := f.Get(ctx, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if third.Calendar == first.Calendar || !third.Calendar.From.Equal(first.Calendar.From.Add(48*time.Hour+schedule.DefaultTTL)) {
			t.Errorf("not read again: From %s", third.Calendar.From)
		}
		if n := srv.count(); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
	})

	t.Run("ForgetsUnused", func(t *testing.T) {
		// A schedule no one asked for in a day is dropped: fetching it
		// again starts afresh, without the validators of the old copy.
		srv := newServer(t, serveFile(t, "pagerduty.ics", "ETag", `"v1"`))
		c := newClock(t)
		f := newFetcher(t, c, schedule.FetcherOptions{})
		steps := []struct {
			path        string
			advance     time.Duration
			ifNoneMatch string
		}{
			{"/a.ics", 0, ""},
			{"/a.ics", schedule.DefaultTTL, `"v1"`},
			{"/b.ics", 25 * time.Hour, ""},
			{"/a.ics", 0, ""},
		}
		for i, st := range steps {
			c.Advance(st.advance)
			if _, err := f.Get(ctx, srv.URL+st.path); err != nil {
				t.Fatal(err)
			}
			if got := srv.header(i).Get("If-None-Match"); got != st.ifNoneMatch {
				t.Errorf("request %d for %s: If-None-Match %q, want %q", i, st.path, got, st.ifNoneMatch)
			}
		}
	})

	t.Run("Oversize", func(t *testing.T) {
		data := fixture(t, "google.ics")
		tests := []struct {
			name   string
			answer http.HandlerFunc
		}{
			{"ContentLength", func(w http.ResponseWriter, r *http.Request) { w.Write(data) }},
			{"Chunked", func(w http.ResponseWriter, r *http.Request) {
				for i := 0; i < len(data); i += 512 {
					w.Write(data[i:min(i+512, len(data))])
					w.(http.Flusher).Flush()
				}
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				srv := newServer(t, tt.answer)
				f := newFetcher(t, newClock(t), schedule.FetcherOptions{MaxBytes: 1024})
				s, err := f.Get(ctx, srv.URL)
				if s != nil {
					t.Fatalf("got %+v", s)
				}
				oncalltest.ErrCode(t, err, oncall.ETOOLARGE)
			})
		}
	})

	t.Run("BadURL", func(t *testing.T) {
		f := newFetcher(t, newClock(t), schedule.FetcherOptions{})
		for _, u := range []string{"file:///etc/passwd", "ftp://example.com/x.ics", "not a url", "https://"} {
			_, err := f.Get(ctx, u)
			oncalltest.ErrCode(t, err, oncall.EINVALID)
		}
	})
}

func TestFetcherSharesOneFetch(t *testing.T) {
	const callers = 8
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Write(fixture(t, "pagerduty.ics"))
	})
	c := newClock(t)
	f := newFetcher(t, c, schedule.FetcherOptions{})
	results := make(chan *schedule.Schedule, callers)
	for i := 0; i < callers; i++ {
		go func() {
			s, err := f.Get(context.Background(), srv.URL)
			if err != nil {
				t.Error(err)
			}
			results <- s
		}()
	}
	// Each caller reads the clock once, under the lock where it joins the
	// fetch in flight; the fetch itself reads it only after the answer.
	for c.reads.Load() < callers {
		time.Sleep(time.Millisecond)
	}
	close(release)
	var first *schedule.Schedule
	for i := 0; i < callers; i++ {
		s := <-results
		if first == nil {
			first = s
		}
		if s == nil || s.Calendar != first.Calendar {
			t.Fatalf("caller %d got a different calendar", i)
		}
	}
	if n := srv.count(); n != 1 {
		t.Errorf("%d requests for %d concurrent callers, want 1", n, callers)
	}
}

func TestFetcherClose(t *testing.T) {
	srv := newServer(t, slow)
	c := newClock(t)
	f := schedule.NewFetcher(schedule.FetcherOptions{Now: c.Now, Timeout: time.Hour})
	done := make(chan error)
	go func() {
		_, err := f.Get(context.Background(), srv.URL)
		done <- err
	}()
	for srv.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	oncalltest.ErrCode(t, <-done, oncall.EUNAVAILABLE)
	_, err := f.Get(context.Background(), srv.URL)
	oncalltest.ErrCode(t, err, oncall.EUNAVAILABLE)
}

func TestFetcherCallerGivesUp(t *testing.T) {
	srv := newServer(t, slow)
	f := newFetcher(t, newClock(t), schedule.FetcherOptions{Timeout: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := f.Get(ctx, srv.URL)
		done <- err
	}()
	for srv.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	oncalltest.ErrCode(t, <-done, oncall.EUNAVAILABLE)
}

func TestFetcherStatus(t *testing.T) {
	srv := newServer(t, serveFile(t, "pagerduty.ics"))
	f := newFetcher(t, newClock(t), schedule.FetcherOptions{})
	ctx := context.Background()
	tests := []struct {
		name      string
		oncall    *oncall.Oncall
		now, next string
		fetched   bool
	}{
		{"Schedule", &oncall.Oncall{Schedule: srv.URL + "/feed.ics"}, "Bob Smith", "Carol White", true},
		{"Rotation", oncalltest.MustOncall(t, berlinWeekly), "carol", "alice", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := f.Status(ctx, tt.oncall, oncalltest.UTC(t, readNow))
			if err != nil {
				t.Fatal(err)
			}
			if st.Now.Names() != tt.now || st.Next.Names() != tt.next || (st.Schedule != nil) != tt.fetched {
				t.Errorf("Status = now %q next %q schedule %v", st.Now.Names(), st.Next.Names(), st.Schedule != nil)
			}
		})
	}
	_, err := f.Status(ctx, &oncall.Oncall{Text: "ask in #ops"}, oncalltest.UTC(t, readNow))
	oncalltest.ErrCode(t, err, oncall.EINVALID)
}
