// Package load puts a running wiki under load from many concurrent
// clients, each a goroutine that sends one request after another over
// keep-alive connections: page views, searches and saves in a given mix.
// It reports throughput, latency percentiles and failures per kind of
// request, and checks that every save the server acknowledged reads back.
// opswiki-load and opswiki-bench both drive it.
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is a kind of request in the mix.
type Kind int

// The kinds of request, in the order of a Mix.
const (
	View Kind = iota
	Search
	Save
	numKinds
)

var kindNames = [numKinds]string{"view", "search", "save"}

// String names the kind as the report does.
func (k Kind) String() string { return kindNames[k] }

// Mix is the share of page views, searches and saves, in any unit
// (percentages, usually).
type Mix [numKinds]int

// ParseMix reads "views,searches,saves", such as "90,9,1".
func ParseMix(s string) (Mix, error) {
	var m Mix
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return m, fmt.Errorf("mix %q: want three percentages: views,searches,saves", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 {
			return m, fmt.Errorf("mix %q: %q is not a percentage", s, p)
		}
		m[i] = n
	}
	if m[0]+m[1]+m[2] == 0 {
		return m, fmt.Errorf("mix %q adds up to nothing", s)
	}
	return m, nil
}

func (m Mix) pick(rng *rand.Rand) Kind {
	n := rng.IntN(m[0] + m[1] + m[2])
	for k := range numKinds {
		if n < m[k] {
			return k
		}
		n -= m[k]
	}
	return View
}

// DefaultQueries are the searches asked when Options.Queries is empty:
// a few that people ask again and again.
var DefaultQueries = []string{"latency", "connection pool", "kind:runbook", "ERR_CONN_RESET", "pg_stat_activity", "timeout retry", "deploy rollback", "replica lag"}

// Options say what to load, how hard and for how long.
type Options struct {
	// URL is the wiki, such as http://127.0.0.1:8080.
	URL string
	// Duration is how long the clients send requests.
	Duration time.Duration
	// Clients is the number of concurrent clients.
	Clients int
	// Mix is the share of views, searches and saves.
	Mix Mix
	// Token is a personal access token, sent when not empty.
	Token string
	// Pages are the paths viewed, such as /runbooks/disk-full; when
	// empty, they are found with searches.
	Pages []string
	// Queries are asked in turn, each client taking the next, so a list
	// longer than the wiki's cache of recent results is never answered
	// from it; DefaultQueries when empty.
	Queries []string
	// ViewHeader is added to every page view (If-None-Match, say).
	ViewHeader http.Header
	// ViewStatus is the status a page view must get; 0 means 200.
	ViewStatus int
	// SavePage names the page client c saves again and again; when nil,
	// load/client-<c>.
	SavePage func(c int) string
}

// KindResult is what one kind of request did.
type KindResult struct {
	// Requests answered as expected, and per second of the run.
	Requests  int     `json:"requests"`
	PerSecond float64 `json:"per_second"`
	// Latency percentiles of the requests answered as expected, in ms.
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
	// Errors are requests not answered or answered otherwise.
	Errors int `json:"errors"`
}

// Result is what a run did.
type Result struct {
	Seconds   float64    `json:"seconds"`
	View      KindResult `json:"view"`
	Search    KindResult `json:"search"`
	Save      KindResult `json:"save"`
	Requests  int        `json:"requests"`
	PerSecond float64    `json:"per_second"`
	Errors    int        `json:"errors"`
	// Failures counts failed requests by kind and status ("save 409";
	// status 0 is no answer), with the first error of each.
	Failures map[string]int    `json:"failures,omitempty"`
	Examples map[string]string `json:"failure_examples,omitempty"`
	// Saved is the number of pages with an acknowledged save; Lost, of
	// those, the ones whose stored text is not the last save's.
	Saved int `json:"saved_pages"`
	Lost  int `json:"lost_saves"`
	// Queries is the number of different queries asked; Repeated says
	// the list ran out and queries were asked again.
	Queries  int  `json:"distinct_queries"`
	Repeated bool `json:"queries_repeated"`
}

// Kind returns the result of one kind of request.
func (r *Result) Kind(k Kind) *KindResult {
	return [numKinds]*KindResult{&r.View, &r.Search, &r.Save}[k]
}

// OK says the run had no failed request and lost no save.
func (r *Result) OK() bool { return r.Errors == 0 && r.Lost == 0 }

// Run loads the wiki for o.Duration and returns what happened. It fails
// only when it cannot start (a bad option, the wiki unreachable) or ctx
// ends; failed requests are counted in the result.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Clients < 1 {
		return nil, fmt.Errorf("load with %d clients: want at least 1", o.Clients)
	}
	if o.Mix[0]+o.Mix[1]+o.Mix[2] <= 0 {
		return nil, errors.New("the mix of views, searches and saves adds up to nothing")
	}
	base := strings.TrimSuffix(o.URL, "/")
	if _, err := url.Parse(base); err != nil || base == "" {
		return nil, fmt.Errorf("load %q: not a URL", o.URL)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: o.Clients * 2, MaxConnsPerHost: o.Clients * 2, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// do sends req and returns the status and, when keep is set, the body.
	do := func(req *http.Request, keep bool) (int, []byte, error) {
		if o.Token != "" {
			req.Header.Set("Authorization", "Bearer "+o.Token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		if !keep {
			_, err = io.Copy(io.Discard, resp.Body)
			return resp.StatusCode, nil, err
		}
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	pages := o.Pages
	if len(pages) == 0 && o.Mix[View] > 0 {
		var err error
		if pages, err = Discover(ctx, base, func(req *http.Request) (int, []byte, error) { return do(req, true) }); err != nil {
			return nil, err
		}
	}
	queries := o.Queries
	if len(queries) == 0 {
		queries = DefaultQueries
	}
	viewStatus := o.ViewStatus
	if viewStatus == 0 {
		viewStatus = http.StatusOK
	}
	savePage := o.SavePage
	if savePage == nil {
		savePage = func(c int) string { return fmt.Sprintf("load/client-%d", c) }
	}

	var (
		mu       sync.Mutex
		lat      [numKinds][]time.Duration
		errs     [numKinds]int
		failures = map[string]int{}
		examples = map[string]string{}
		acked    = map[string][]string{}
		asked    atomic.Int64
	)
	// Requests in flight when the time is up are let finish: a save cut
	// off could be written without the client knowing which text won.
	start := time.Now()
	deadline := start.Add(o.Duration)
	var wg sync.WaitGroup
	for c := range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
			var myLat [numKinds][]time.Duration
			var myErrs [numKinds]int
			myFailures := map[string]int{}
			myExamples := map[string]string{}
			// Each client edits one page of its own again and again, as
			// people edit existing pages, carrying the version it saved.
			name, blob, lastSaved := savePage(c), "", ""
			var unanswered []string // saves that may or may not have been written
			if o.Mix[Save] > 0 {
				if req, err := http.NewRequestWithContext(ctx, "GET", base+"/-/api/pages/"+name, nil); err == nil {
					if code, b, err := do(req, true); err == nil && code == 200 {
						var page struct{ Blob string }
						_ = json.Unmarshal(b, &page)
						blob = page.Blob
					}
				}
			}
			for n := 0; ctx.Err() == nil && time.Now().Before(deadline); n++ {
				k := o.Mix.pick(rng)
				var req *http.Request
				var content string
				want := http.StatusOK
				switch k {
				case View:
					req, _ = http.NewRequestWithContext(ctx, "GET", base+pages[rng.IntN(len(pages))], nil)
					for h, v := range o.ViewHeader {
						req.Header[h] = v
					}
					want = viewStatus
				case Search:
					q := queries[int(asked.Add(1)-1)%len(queries)]
					req, _ = http.NewRequestWithContext(ctx, "GET", base+"/-/api/search?q="+url.QueryEscape(q), nil)
				case Save:
					content = fmt.Sprintf("# Load %d\n\nSave %d, written under load at %s.\n", c, n, time.Now().Format(time.RFC3339Nano))
					body, _ := json.Marshal(map[string]string{"content": content, "base": blob, "message": "load test"})
					req, _ = http.NewRequestWithContext(ctx, "PUT", base+"/-/api/pages/"+name, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
				}
				t0 := time.Now()
				code, b, err := do(req, k == Save)
				took := time.Since(t0)
				if ctx.Err() != nil {
					break
				}
				if err != nil || code != want {
					myErrs[k]++
					key := fmt.Sprintf("%s %d", k, code)
					if myFailures[key] == 0 {
						myExamples[key] = failure(req, code, b, err)
					}
					myFailures[key]++
					if k == Save && code == 0 {
						unanswered = append(unanswered, content)
					}
					continue
				}
				myLat[k] = append(myLat[k], took)
				if k == Save {
					var reply struct{ Blob string }
					_ = json.Unmarshal(b, &reply)
					blob, lastSaved, unanswered = reply.Blob, content, nil
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for k := range numKinds {
				lat[k] = append(lat[k], myLat[k]...)
				errs[k] += myErrs[k]
			}
			for key, n := range myFailures {
				if failures[key] == 0 {
					examples[key] = myExamples[key]
				}
				failures[key] += n
			}
			if lastSaved != "" {
				// The last acknowledged text must be what is stored, unless
				// a later save went unanswered.
				acked[name] = append(unanswered, lastSaved)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &Result{Seconds: elapsed.Seconds(), Failures: failures, Examples: examples, Saved: len(acked)}
	for k := range numKinds {
		kr := r.Kind(k)
		l := lat[k]
		slices.Sort(l)
		kr.Requests, kr.Errors = len(l), errs[k]
		kr.PerSecond = float64(len(l)) / elapsed.Seconds()
		if len(l) > 0 {
			kr.P50, kr.P99, kr.Max = ms(l[len(l)/2]), ms(l[len(l)*99/100]), ms(l[len(l)-1])
		}
		r.Requests += kr.Requests
		r.Errors += kr.Errors
	}
	r.PerSecond = float64(r.Requests) / elapsed.Seconds()
	n := int(asked.Load())
	r.Queries, r.Repeated = min(n, len(queries)), n > len(queries)
	for name, texts := range acked {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/"+name+".md", nil)
		if code, b, err := do(req, true); err != nil || code != 200 || !slices.Contains(texts, string(b)) {
			r.Lost++
		}
	}
	return r, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// failure describes a failed request for the report: what was asked and
// the start of the answer.
func failure(req *http.Request, code int, body []byte, err error) string {
	what := req.Method + " " + req.URL.RequestURI()
	if err != nil {
		return what + ": " + err.Error()
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return fmt.Sprintf("%s: %d %s", what, code, strings.TrimSpace(string(body)))
}

// Discover collects page paths from search results, so any wiki can be
// loaded.
func Discover(ctx context.Context, base string, do func(*http.Request) (int, []byte, error)) ([]string, error) {
	seen := map[string]bool{}
	var pages []string
	for _, q := range []string{"kind:runbook", "kind:postmortem", "kind:service", "kind:page"} {
		for off := 0; off < 1000; off += 100 {
			req, err := http.NewRequestWithContext(ctx, "GET", base+"/-/api/search?limit=100&offset="+strconv.Itoa(off)+"&q="+url.QueryEscape(q), nil)
			if err != nil {
				return nil, err
			}
			code, b, err := do(req)
			if err != nil {
				return nil, fmt.Errorf("reach %s: %w", base, err)
			}
			if code != 200 {
				return nil, fmt.Errorf("search at %s answered %d: %.200s", base, code, b)
			}
			var res struct {
				Hits []struct{ Path string } `json:"hits"`
			}
			if err := json.Unmarshal(b, &res); err != nil {
				return nil, fmt.Errorf("search at %s: %w", base, err)
			}
			for _, h := range res.Hits {
				if p := "/" + h.Path; !seen[p] {
					seen[p] = true
					pages = append(pages, p)
				}
			}
			if len(res.Hits) < 100 {
				break
			}
		}
	}
	if len(pages) == 0 {
		pages = []string{"/"}
	}
	return pages, nil
}

// WriteText writes the report: a line per kind with requests, their rate,
// latency percentiles and errors, the total, and the failures by status.
func (r *Result) WriteText(out io.Writer) {
	fmt.Fprintf(out, "%-8s %10s %10s %9s %9s %9s %7s\n", "kind", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors")
	for k := range numKinds {
		kr := r.Kind(k)
		if kr.Requests == 0 {
			fmt.Fprintf(out, "%-8s %10d %10s %9s %9s %9s %7d\n", k, 0, "-", "-", "-", "-", kr.Errors)
			continue
		}
		fmt.Fprintf(out, "%-8s %10d %10.0f %9.2f %9.2f %9.2f %7d\n", k, kr.Requests, kr.PerSecond, kr.P50, kr.P99, kr.Max, kr.Errors)
	}
	fmt.Fprintf(out, "all      %10d %10.0f in %.3fs; %d errors; %d of %d acknowledged saves lost\n",
		r.Requests, r.PerSecond, r.Seconds, r.Errors, r.Lost, r.Saved)
	keys := make([]string, 0, len(r.Failures))
	for k := range r.Failures {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(out, "errors: %s (status 0: no answer) x%d, first: %s\n", k, r.Failures[k], r.Examples[k])
	}
}
