package schedule

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/opswiki/opswiki/wiki/oncall"
)

// Fetcher defaults.
const (
	DefaultTimeout  = 5 * time.Second
	DefaultTTL      = 5 * time.Minute
	DefaultRetry    = 30 * time.Second
	DefaultMaxBytes = 4 << 20
)

// FetcherOptions configures a Fetcher; zero fields take the defaults.
type FetcherOptions struct {
	// Client makes the requests; its Timeout is replaced by Timeout when
	// it has none. Nil means a client of the Fetcher's own.
	Client *http.Client
	// Timeout bounds one fetch, headers and body together (5s).
	Timeout time.Duration
	// TTL is how long a fetched schedule is used before it is asked for
	// again (5 minutes).
	TTL time.Duration
	// Retry is how long after a failed fetch the next one is tried, so a
	// schedule server that is down does not slow every page (30s, at
	// most TTL).
	Retry time.Duration
	// MaxBytes caps a schedule's size (4 MiB).
	MaxBytes int64
	// Location is the zone of all-day events in calendars that name none.
	Location *time.Location
	// Now tells the time; nil means time.Now.
	Now func() time.Time
	// UserAgent is sent with each request.
	UserAgent string
}

// Fetcher fetches iCalendar schedules and keeps them for a while. Callers
// asking for the same URL at once share one request; when a fetch fails,
// the last schedule that was fetched is still given, with its age and the
// error. Close ends fetches in flight and waits for them.
type Fetcher struct {
	client  *http.Client
	opts    FetcherOptions
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	entries map[string]*entry
	swept   time.Time // when forget last looked
	closed  bool
}

// entry is what is known of one URL.
type entry struct {
	cal          *Calendar
	body         []byte    // what cal was read from, to read again as time passes
	parsed       time.Time // when cal was read
	fetched      time.Time // when cal was last confirmed (200 or 304)
	etag         string
	lastModified string
	err          error     // of the latest attempt, nil when it succeeded
	tried        time.Time // when the latest attempt ended
	flight       *flight   // the fetch in progress, if any
	used         time.Time // when Get last asked for it
}

// flight is one fetch that callers wait for.
type flight struct{ done chan struct{} }

// Schedule is a fetched calendar as of one Get.
type Schedule struct {
	URL      string    `json:"url"`
	Calendar *Calendar `json:"calendar"`
	// Fetched is when the server last confirmed this copy.
	Fetched time.Time `json:"fetched"`
	// Age is how old the copy was when Get returned it.
	Age time.Duration `json:"age"`
	// Err is why the copy could not be refreshed; nil when it is fresh.
	Err error `json:"-"`
}

// Stale reports whether the schedule is an older copy kept after a failure.
func (s *Schedule) Stale() bool { return s != nil && s.Err != nil }

// NewFetcher returns a Fetcher with the given options.
func NewFetcher(opts FetcherOptions) *Fetcher {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Retry <= 0 {
		opts.Retry = DefaultRetry
	}
	opts.Retry = min(opts.Retry, opts.TTL)
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "opswiki"
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{}
	}
	if client.Timeout == 0 {
		c := *client
		c.Timeout = opts.Timeout
		client = &c
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Fetcher{client: client, opts: opts, ctx: ctx, cancel: cancel, entries: map[string]*entry{}}
}

// Close cancels fetches in flight and waits for them to end. Get fails
// with EUNAVAILABLE afterwards.
func (f *Fetcher) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.cancel()
	f.wg.Wait()
	return nil
}

// Get returns the schedule at rawURL, fetching it when the kept copy is
// older than the TTL. When the fetch fails and a copy was fetched before,
// Get returns that copy with Err set and a nil error; the error is
// returned only when there is nothing to show. Errors: EINVALID for a
// URL that is not http, https or webcal, or a body that is not a
// calendar; ETOOLARGE for a body over the size cap; EUNAVAILABLE when the
// server cannot be reached, times out, or answers with an error.
func (f *Fetcher) Get(ctx context.Context, rawURL string) (*Schedule, error) {
	target, err := fetchURL(rawURL)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, oncall.Errorf(oncall.EUNAVAILABLE, "The schedule fetcher is shut down.")
	}
	now := f.opts.Now()
	f.forget(now)
	e := f.entries[rawURL]
	if e == nil {
		e = &entry{}
		f.entries[rawURL] = e
	}
	e.used = now
	fresh := e.cal != nil && e.err == nil && now.Sub(e.fetched) < f.opts.TTL
	resting := e.err != nil && now.Sub(e.tried) < f.opts.Retry
	if fresh || resting {
		s, err := f.answer(rawURL, e, now)
		f.mu.Unlock()
		return s, err
	}
	fl := e.flight
	if fl == nil {
		fl = &flight{done: make(chan struct{})}
		e.flight = fl
		etag, lastModified := e.etag, e.lastModified
		if e.cal == nil {
			etag, lastModified = "", "" // a 304 would leave nothing to show
		}
		f.wg.Add(1)
		go f.fetch(rawURL, target, etag, lastModified, e, fl)
	}
	f.mu.Unlock()

	select {
	case <-fl.done:
	case <-ctx.Done():
		f.mu.Lock()
		defer f.mu.Unlock()
		if e.cal != nil {
			s, _ := f.answer(rawURL, e, f.opts.Now())
			if s.Err == nil {
				s.Err = gaveUp(ctx)
			}
			return s, nil
		}
		return nil, gaveUp(ctx)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.answer(rawURL, e, f.opts.Now())
}

// gaveUp is the error of a caller that stopped waiting for a fetch.
func gaveUp(ctx context.Context) error {
	return &oncall.Error{Code: oncall.EUNAVAILABLE, Message: "The schedule was still being fetched when the request ended.", Err: ctx.Err()}
}

// forget drops the schedules no one has asked for in a day, so URLs that
// pages no longer name do not keep their copies; f.mu is held.
func (f *Fetcher) forget(now time.Time) {
	if now.Sub(f.swept) < f.opts.TTL {
		return
	}
	f.swept = now
	for u, e := range f.entries {
		if e.flight == nil && now.Sub(e.used) > unusedFor {
			delete(f.entries, u)
		}
	}
}

// unusedFor is how long a schedule nobody asks for is kept.
const unusedFor = 24 * time.Hour

// answer reports what e holds; f.mu is held.
func (f *Fetcher) answer(rawURL string, e *entry, now time.Time) (*Schedule, error) {
	if e.cal == nil {
		if e.err == nil {
			return nil, oncall.Errorf(oncall.EUNAVAILABLE, "The schedule at %s has not been fetched yet.", redact(rawURL))
		}
		return nil, e.err
	}
	return &Schedule{URL: rawURL, Calendar: e.cal, Fetched: e.fetched, Age: now.Sub(e.fetched), Err: e.err}, nil
}

// fetch runs one request and records its outcome in e.
func (f *Fetcher) fetch(rawURL, target, etag, lastModified string, e *entry, fl *flight) {
	defer f.wg.Done()
	cal, body, res, err := f.request(rawURL, target, etag, lastModified)
	f.mu.Lock()
	now := f.opts.Now()
	var old []byte
	if err == nil && cal == nil && now.Sub(e.parsed) > reparseAfter {
		old = e.body
	}
	f.mu.Unlock()
	// A copy confirmed by 304 for days is read again so the expanded
	// window stays around the present.
	if old != nil {
		if cal, err = ParseCalendar(old, CalendarOptions{Now: now, Location: f.opts.Location}); err == nil {
			body = old
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e.tried, e.err, e.flight = now, err, nil
	if err == nil {
		if cal != nil {
			e.cal, e.body, e.parsed = cal, body, now
		}
		if res != nil && res.StatusCode == http.StatusOK {
			e.etag, e.lastModified = res.Header.Get("ETag"), res.Header.Get("Last-Modified")
		}
		e.fetched = now
	}
	close(fl.done)
}

// reparseAfter is how long a calendar confirmed unchanged is used before
// it is expanded again around the present.
const reparseAfter = 24 * time.Hour

// request fetches and parses target; a nil calendar with a nil error is a
// 304 confirming the copy held.
func (f *Fetcher) request(rawURL, target, etag, lastModified string) (*Calendar, []byte, *http.Response, error) {
	unavailable := func(err error, format string, args ...any) error {
		return &oncall.Error{Code: oncall.EUNAVAILABLE, Message: fmt.Sprintf(format, args...), Err: err}
	}
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, nil, nil, &oncall.Error{Code: oncall.EINVALID, Message: fmt.Sprintf("%q is not a schedule URL.", rawURL), Err: err}
	}
	req.Header.Set("Accept", "text/calendar, */*;q=0.5")
	req.Header.Set("User-Agent", f.opts.UserAgent)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	res, err := f.client.Do(req)
	if err != nil {
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, nil, nil, unavailable(err, "The schedule at %s did not answer within %s.", redact(rawURL), f.client.Timeout)
		}
		if f.ctx.Err() != nil {
			return nil, nil, nil, unavailable(err, "The schedule fetcher is shut down.")
		}
		return nil, nil, nil, unavailable(err, "The schedule at %s could not be reached.", redact(rawURL))
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusNotModified && (etag != "" || lastModified != ""):
		return nil, nil, res, nil
	case res.StatusCode != http.StatusOK:
		return nil, nil, nil, unavailable(nil, "The schedule at %s answered %s.", redact(rawURL), res.Status)
	case res.ContentLength > f.opts.MaxBytes:
		return nil, nil, nil, oncall.Errorf(oncall.ETOOLARGE, "The schedule at %s is %d bytes, more than the %d read.", redact(rawURL), res.ContentLength, f.opts.MaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, f.opts.MaxBytes+1))
	if err != nil {
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, nil, nil, unavailable(err, "The schedule at %s did not arrive within %s.", redact(rawURL), f.client.Timeout)
		}
		return nil, nil, nil, unavailable(err, "The schedule at %s could not be read.", redact(rawURL))
	}
	if int64(len(body)) > f.opts.MaxBytes {
		return nil, nil, nil, oncall.Errorf(oncall.ETOOLARGE, "The schedule at %s is more than the %d bytes read.", redact(rawURL), f.opts.MaxBytes)
	}
	cal, err := ParseCalendar(body, CalendarOptions{Now: f.opts.Now(), Location: f.opts.Location})
	if err != nil {
		return nil, nil, nil, err
	}
	return cal, body, res, nil
}

// fetchURL returns the URL to request: webcal is HTTP(S) by another name.
func fetchURL(raw string) (string, error) {
	if err := oncall.CheckScheduleURL(raw); err != nil {
		return "", oncall.Errorf(oncall.EINVALID, "%s.", strings.TrimSuffix(err.Error(), "."))
	}
	u, _ := url.Parse(raw)
	switch strings.ToLower(u.Scheme) {
	case "webcal", "webcals":
		u.Scheme = "https"
	default:
		u.Scheme = strings.ToLower(u.Scheme)
	}
	return u.String(), nil
}

// redact shortens a schedule URL for messages: feeds are secret URLs
// (PagerDuty's and Grafana OnCall's carry the token in the path, Google's
// in the file name), so only the host is shown.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the configured URL"
	}
	return u.Host
}
