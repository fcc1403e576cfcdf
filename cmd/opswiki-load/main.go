// Command opswiki-load puts a running wiki under a mixed load of page
// views, searches and saves from many clients, then reports throughput,
// latency percentiles and errors per kind of request, and checks that
// every save the server acknowledged can be read back.
//
//	opswiki-load -url http://127.0.0.1:8080 -duration 30s -clients 64 -mix 90,9,1
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "the wiki to load; only loopback and your own hosts")
	duration := flag.Duration("duration", 30*time.Second, "how long to run")
	clients := flag.Int("clients", 64, "concurrent clients")
	mix := flag.String("mix", "90,9,1", "percent of page views, searches and saves")
	token := flag.String("token", "", "personal access token, when access control is on")
	flag.Parse()
	r, err := run(context.Background(), *base, *duration, *clients, *mix, *token, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "opswiki-load:", err)
		os.Exit(1)
	}
	if r.errors > 0 || r.lost > 0 {
		os.Exit(1)
	}
}

// kinds of request in the mix.
const (
	view = iota
	search
	save
)

var kindNames = []string{"view", "search", "save"}

type result struct {
	latencies [3][]time.Duration
	errs      [3]int
	codes     map[string]int // failures by kind and status ("save 409")
	errors    int
	lost      int
	elapsed   time.Duration
}

// run loads the wiki and prints the report.
func run(ctx context.Context, base string, duration time.Duration, clients int, mix, token string, out io.Writer) (*result, error) {
	weights, err := parseMix(mix)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConnsPerHost: clients * 2, MaxConnsPerHost: clients * 2}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	do := func(req *http.Request) (int, []byte, error) {
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	pages, err := discover(base, do)
	if err != nil {
		return nil, err
	}
	queries := []string{"latency", "connection pool", "kind:runbook", "ERR_CONN_RESET", "pg_stat_activity", "timeout retry", "deploy rollback", "replica lag"}
	r := &result{codes: map[string]int{}}
	var mu sync.Mutex
	acked := map[string]string{}
	deadline := time.Now().Add(duration)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
			var lat [3][]time.Duration
			var errs [3]int
			codes := map[string]int{}
			// Each client edits one page of its own again and again, as
			// people edit existing pages, carrying the version it saved.
			name, blob := fmt.Sprintf("load/client-%d", c), ""
			if req, err := http.NewRequest("GET", base+"/-/api/pages/"+name, nil); err == nil {
				if code, b, err := do(req); err == nil && code == 200 {
					var page struct{ Blob string }
					_ = json.Unmarshal(b, &page)
					blob = page.Blob
				}
			}
			for n := 0; time.Now().Before(deadline); n++ {
				k := pick(rng, weights)
				var req *http.Request
				var content string
				switch k {
				case view:
					req, _ = http.NewRequest("GET", base+pages[rng.IntN(len(pages))], nil)
				case search:
					req, _ = http.NewRequest("GET", base+"/-/api/search?q="+url.QueryEscape(queries[rng.IntN(len(queries))]), nil)
				case save:
					content = fmt.Sprintf("# Load %d\n\nSave %d, written under load at %s.\n", c, n, time.Now().Format(time.RFC3339Nano))
					body, _ := json.Marshal(map[string]string{"content": content, "base": blob, "message": "load test"})
					req, _ = http.NewRequest("PUT", base+"/-/api/pages/"+name, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
				}
				t0 := time.Now()
				code, b, err := do(req)
				if err != nil || code != 200 {
					errs[k]++
					codes[fmt.Sprintf("%s %d", kindNames[k], code)]++
					continue
				}
				lat[k] = append(lat[k], time.Since(t0))
				if k == save {
					var reply struct{ Blob string }
					_ = json.Unmarshal(b, &reply)
					blob = reply.Blob
					mu.Lock()
					acked[name] = content // the last acknowledged text must be what is stored
					mu.Unlock()
				}
			}
			mu.Lock()
			for k := range 3 {
				r.latencies[k] = append(r.latencies[k], lat[k]...)
				r.errs[k] += errs[k]
			}
			for c, n := range codes {
				r.codes[c] += n
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	for name, content := range acked {
		req, _ := http.NewRequest("GET", base+"/"+name+".md", nil)
		if code, b, err := do(req); err != nil || code != 200 || string(b) != content {
			r.lost++
		}
	}
	report(out, r, len(acked))
	return r, nil
}

// discover collects page URLs from search results, so any wiki can be loaded.
func discover(base string, do func(*http.Request) (int, []byte, error)) ([]string, error) {
	seen := map[string]bool{}
	var pages []string
	for _, q := range []string{"kind:runbook", "kind:postmortem", "kind:service", "kind:page"} {
		for off := 0; off < 1000; off += 100 {
			req, _ := http.NewRequest("GET", base+"/-/api/search?limit=100&offset="+strconv.Itoa(off)+"&q="+url.QueryEscape(q), nil)
			code, b, err := do(req)
			if err != nil {
				return nil, fmt.Errorf("reach %s: %w", base, err)
			}
			if code != 200 {
				return nil, fmt.Errorf("search at %s answered %d: %s", base, code, b)
			}
			var res struct {
				Hits []struct{ Path string } `json:"hits"`
			}
			if err := json.Unmarshal(b, &res); err != nil {
				return nil, err
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

func parseMix(s string) ([3]int, error) {
	var w [3]int
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return w, fmt.Errorf("-mix wants three percentages: views,searches,saves")
	}
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 {
			return w, fmt.Errorf("-mix: %q is not a percentage", p)
		}
		w[i] = n
	}
	if w[0]+w[1]+w[2] == 0 {
		return w, fmt.Errorf("-mix adds up to nothing")
	}
	return w, nil
}

func pick(rng *rand.Rand, w [3]int) int {
	n := rng.IntN(w[0] + w[1] + w[2])
	for k := range 3 {
		if n < w[k] {
			return k
		}
		n -= w[k]
	}
	return view
}

func report(out io.Writer, r *result, saves int) {
	total := 0
	fmt.Fprintf(out, "%-8s %10s %10s %9s %9s %9s %7s\n", "kind", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors")
	for k := range 3 {
		l := r.latencies[k]
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		total += len(l)
		r.errors += r.errs[k]
		if len(l) == 0 {
			fmt.Fprintf(out, "%-8s %10d %10s %9s %9s %9s %7d\n", kindNames[k], 0, "-", "-", "-", "-", r.errs[k])
			continue
		}
		ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) }
		fmt.Fprintf(out, "%-8s %10d %10.0f %9s %9s %9s %7d\n", kindNames[k], len(l), float64(len(l))/r.elapsed.Seconds(),
			ms(l[len(l)/2]), ms(l[len(l)*99/100]), ms(l[len(l)-1]), r.errs[k])
	}
	fmt.Fprintf(out, "all      %10d %10.0f in %s; %d errors; %d of %d acknowledged saves lost\n",
		total, float64(total)/r.elapsed.Seconds(), r.elapsed.Round(time.Millisecond), r.errors, r.lost, saves)
	if len(r.codes) > 0 {
		var keys []string
		for k := range r.codes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(out, "errors: %s (status 0: no answer) x%d\n", k, r.codes[k])
		}
	}
}
