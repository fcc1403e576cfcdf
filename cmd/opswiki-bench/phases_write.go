package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opswiki/opswiki/wiki/wikitest"
)

// percentile returns the p-th percentile (0 to 100) of d, sorted in place.
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*p/100)]
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// phaseSave measures a save as the browser's editor makes it, one after
// another on an idle server: until the PUT is answered (the commit is
// written and the page served), and until search finds the new text.
func (b *bench) phaseSave(ctx context.Context) error {
	n := pick(b.quick, 20, 200)
	names := uniq(wikitest.Paths(2*n, b.pages))
	var saved, searchable []time.Duration
	b.logf("%d saves, each until searchable", n)
	for i := range n {
		name := strings.TrimPrefix(names[i%len(names)], "/")
		p, err := b.page(ctx, name)
		if err != nil {
			return err
		}
		word := fmt.Sprintf("savemarker%dx", i)
		start := time.Now()
		code, reply, err := b.put(ctx, name, p.Content+"\nNoted: "+word+".\n", p.Blob, "Note from the bench")
		if err != nil || code != http.StatusOK {
			return fmt.Errorf("save %s: %d %v %.200s", name, code, err, reply)
		}
		saved = append(saved, time.Since(start))
		found, err := b.waitFound(ctx, word, 1, 10*time.Second)
		if err != nil {
			return fmt.Errorf("after saving %s: %w", name, err)
		}
		searchable = append(searchable, found.Sub(start))
	}
	s50, s99, f50, f99 := percentile(saved, 50), percentile(saved, 99), percentile(searchable, 50), percentile(searchable, 99)
	b.add(Row{What: fmt.Sprintf("save → commit → searchable, idle (%d saves one after another)", n),
		Figure: fmt.Sprintf("saved (PUT answered) p50 %s, p99 %s; found by search p50 %s, p99 %s", msec(msOf(s50)), msec(msOf(s99)), msec(msOf(f50)), msec(msOf(f99))),
		Target: "searchable p50 < 30 ms", Met: met(msOf(f50) < 30), Reproduce: repro("save")})
	b.results["save"] = map[string]float64{"saved_p50_ms": msOf(s50), "saved_p99_ms": msOf(s99), "searchable_p50_ms": msOf(f50), "searchable_p99_ms": msOf(f99)}
	return nil
}

// writersPerRound is how many people save one page at once in the writers
// phase (SPEC §9).
const writersPerRound = 30

// phaseWriters has 30 writers save different lines of one page, all from
// the same version and at the same moment: each must be merged (200) or
// refused as a conflict (409), never fail otherwise, and every merged
// line must be in the page afterwards.
func (b *bench) phaseWriters(ctx context.Context) error {
	rounds := pick(b.quick, 1, 3)
	codes := map[int]int{}
	lost := 0
	var worst time.Duration
	for round := range rounds {
		name := fmt.Sprintf("bench/writers-%d", round)
		// Unchanged lines between the writers' lines keep every change a
		// hunk of its own, as different paragraphs are.
		var base strings.Builder
		base.WriteString("# Thirty writers\n\n")
		for i := range writersPerRound {
			fmt.Fprintf(&base, "line %02d: as it was\nbetween %02d and %02d\n", i, i, i+1)
		}
		code, reply, err := b.put(ctx, name, base.String(), "", "Page for thirty writers")
		if err != nil || code != http.StatusOK {
			return fmt.Errorf("create %s: %d %v %.200s", name, code, err, reply)
		}
		var created struct{ Blob string }
		if err := json.Unmarshal(reply, &created); err != nil || created.Blob == "" {
			return fmt.Errorf("create %s: no blob in %.200s", name, reply)
		}
		start := make(chan struct{})
		results := make([]int, writersPerRound)
		took := make([]time.Duration, writersPerRound)
		var wg sync.WaitGroup
		for i := range writersPerRound {
			wg.Add(1)
			go func() {
				defer wg.Done()
				text := strings.Replace(base.String(), fmt.Sprintf("line %02d: as it was", i), fmt.Sprintf("line %02d: written by writer %02d", i, i), 1)
				<-start
				t0 := time.Now()
				code, _, err := b.put(ctx, name, text, created.Blob, fmt.Sprintf("Writer %d", i))
				took[i] = time.Since(t0)
				if err != nil {
					code = 0
				}
				results[i] = code
			}()
		}
		close(start)
		wg.Wait()
		_, final, err := b.mustGet(ctx, "/"+name+".md")
		if err != nil {
			return err
		}
		for i, code := range results {
			codes[code]++
			worst = max(worst, took[i])
			if code == http.StatusOK && !strings.Contains(string(final), fmt.Sprintf("line %02d: written by writer %02d\n", i, i)) {
				lost++
			}
		}
	}
	other := 0
	for code, n := range codes {
		if code != http.StatusOK && code != http.StatusConflict {
			other += n
		}
	}
	var others []string
	for code, n := range codes {
		if code != http.StatusOK && code != http.StatusConflict {
			others = append(others, fmt.Sprintf("%d×%d", n, code))
		}
	}
	slices.Sort(others)
	figure := fmt.Sprintf("%s of %d: %d answered 200 (merged), %d 409, %d otherwise%s; %d merged lines lost; slowest answer %s",
		plural(rounds, "round"), writersPerRound, codes[http.StatusOK], codes[http.StatusConflict], other, parenthesize(strings.Join(others, ", ")), lost, msec(msOf(worst)))
	b.add(Row{What: "30 writers save different lines of one page from the same version at once", Figure: figure,
		Target: "only 200 or 409, nothing lost", Met: met(other == 0 && lost == 0), Reproduce: repro("writers")})
	b.results["writers"] = map[string]any{"rounds": rounds, "codes": codes, "lost": lost, "slowest_ms": msOf(worst)}
	if other > 0 || lost > 0 {
		return fmt.Errorf("%d saves answered other than 200 or 409 (%s), %d merged lines lost", other, strings.Join(others, ", "), lost)
	}
	return nil
}

func parenthesize(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// git runs git and returns its output, failing with what it said.
func (b *bench) git(ctx context.Context, dir string, args ...string) (string, error) {
	out, err := b.output(ctx, dir, "git", args...)
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, tail(out, 10))
	}
	return strings.TrimSpace(string(out)), nil
}

// phasePush clones the wiki, changes 1,000 runbooks in one commit and
// pushes it: how long git push takes (the server answers once pages,
// history and search show the push), and how long after it returns
// search finds every changed page.
func (b *bench) phasePush(ctx context.Context) error {
	work := filepath.Join(b.work, "push-clone")
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	defer os.RemoveAll(work)
	b.logf("git clone %s/wiki.git", b.server.URL)
	if _, err := b.git(ctx, "", "clone", "-q", b.server.URL+"/wiki.git", work); err != nil {
		return err
	}
	var pages []string
	_ = filepath.WalkDir(filepath.Join(work, "runbooks"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			pages = append(pages, p)
		}
		return nil
	})
	slices.Sort(pages)
	pages = pages[:min(1000, len(pages))]
	if len(pages) == 0 {
		return errors.New("the clone has no runbooks to change")
	}
	rounds := pick(b.quick, 1, 3)
	var pushes, afters []string
	var worstAfter time.Duration
	for round := 1; round <= rounds; round++ {
		word := fmt.Sprintf("pushmarker%dx", round)
		for _, p := range pages {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(f, "\nChanged in push round %d: %s.\n", round, word)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
		if _, err := b.git(ctx, work, "commit", "-qam", fmt.Sprintf("Change %d runbooks, round %d", len(pages), round)); err != nil {
			return err
		}
		b.logf("git push of %d changed pages, round %d of %d", len(pages), round, rounds)
		start := time.Now()
		if _, err := b.git(ctx, work, "push", "-q", "origin", "main"); err != nil {
			return err
		}
		returned := time.Now()
		found, err := b.waitFound(ctx, word, len(pages), time.Minute)
		if err != nil {
			return fmt.Errorf("after the push: %w", err)
		}
		after := found.Sub(returned)
		worstAfter = max(worstAfter, after)
		pushes = append(pushes, sec(returned.Sub(start).Seconds()))
		afters = append(afters, msec(msOf(after)))
	}
	b.add(Row{What: fmt.Sprintf("`git push` of %s changed pages in one commit, until searchable", num(float64(len(pages)), 0)),
		Figure: fmt.Sprintf("push %s (answered once pages, history and search show it); all found by search %s after `git push` returns",
			strings.Join(pushes, ", "), strings.Join(afters, ", ")),
		Target: "searchable < 5 s after the push returns", Met: met(worstAfter < 5*time.Second), Reproduce: repro("push")})
	b.results["push"] = map[string]any{"pages": len(pages), "push": pushes, "searchable_after": afters}
	return nil
}

// httpBackend serves the data directory's repositories with git's own
// smart HTTP server, git http-backend run as a CGI program from this
// process, on 127.0.0.1.
type httpBackend struct {
	URL string
	srv *http.Server
}

func (b *bench) startHTTPBackend(ctx context.Context) (*httpBackend, error) {
	execPath, err := b.git(ctx, "", "--exec-path")
	if err != nil {
		return nil, err
	}
	home := filepath.Join(b.work, "http-backend-home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	handler := &cgi.Handler{Path: filepath.Join(execPath, "git-http-backend"),
		Env: []string{"GIT_PROJECT_ROOT=" + b.data, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=" + home}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &httpBackend{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}}
	go h.srv.Serve(ln)
	return h, nil
}

// phaseClone clones the wiki (bare) from opswiki and from git
// http-backend serving the same repository, taking turns at going first
// so that load from elsewhere falls on both alike.
func (b *bench) phaseClone(ctx context.Context) error {
	backend, err := b.startHTTPBackend(ctx)
	if err != nil {
		return err
	}
	defer backend.srv.Close()
	want, err := b.git(ctx, filepath.Join(b.data, "wiki.git"), "rev-parse", "main")
	if err != nil {
		return err
	}
	var size int64
	clone := func(url string) (time.Duration, error) {
		dir := filepath.Join(b.work, "clone-bare")
		if err := os.RemoveAll(dir); err != nil {
			return 0, err
		}
		defer os.RemoveAll(dir)
		start := time.Now()
		if _, err := b.git(ctx, "", "clone", "-q", "--bare", url, dir); err != nil {
			return 0, err
		}
		took := time.Since(start)
		got, err := b.git(ctx, dir, "rev-parse", "main")
		if err != nil {
			return 0, err
		}
		if got != want {
			return 0, fmt.Errorf("the clone from %s is at %s, the wiki at %s", url, got, want)
		}
		size = dirSize(dir)
		return took, nil
	}
	rounds := pick(b.quick, 1, 3)
	var ours, theirs time.Duration
	for i := range rounds {
		b.logf("git clone --bare from opswiki and from git http-backend, round %d of %d", i+1, rounds)
		order := []*time.Duration{&ours, &theirs}
		urls := []string{b.server.URL + "/wiki.git", backend.URL + "/wiki.git"}
		if i%2 == 1 {
			slices.Reverse(order)
			slices.Reverse(urls)
		}
		for j, url := range urls {
			took, err := clone(url)
			if err != nil {
				return err
			}
			*order[j] += took
		}
	}
	ratio := ours.Seconds() / theirs.Seconds()
	n := float64(rounds)
	b.add(Row{What: fmt.Sprintf("`git clone --bare` of the wiki over HTTP (%s MB), opswiki against `git http-backend` on the same repository", num(float64(size)/(1<<20), pick(size < 10<<20, 1, 0))),
		Figure: fmt.Sprintf("opswiki %s, git http-backend %s (mean of %d, taking turns): %s×", sec(ours.Seconds()/n), sec(theirs.Seconds()/n), rounds, num(ratio, 2)),
		Target: "≤ 1.5×", Met: met(ratio <= 1.5), Reproduce: repro("clone")})
	b.results["clone"] = map[string]float64{"opswiki_s": ours.Seconds() / n, "http_backend_s": theirs.Seconds() / n, "ratio": ratio}
	return nil
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// phaseStartup stops the server and starts it again: three times with its
// index, timing until it answers a page, and with no index, timing until
// it answers a page and until /readyz says the rebuilt index caught up.
func (b *bench) phaseStartup(ctx context.Context) error {
	stopStart := time.Now()
	if err := b.stop(b.server); err != nil {
		return fmt.Errorf("graceful stop after the earlier phases: %w", err)
	}
	stopped := time.Since(stopStart)
	b.server = nil
	probe := b.viewPaths[0]
	var existing []time.Duration
	for i := range 3 {
		b.logf("start with the index, %d of 3", i+1)
		s, err := b.startServer(ctx, probe)
		if err != nil {
			return err
		}
		existing = append(existing, s.Serving)
		if err := b.stop(s); err != nil {
			return err
		}
	}
	var serving, ready []time.Duration
	for i := range pick(b.quick, 1, 3) {
		b.logf("start with no index, %d", i+1)
		if err := os.RemoveAll(filepath.Join(b.data, "index")); err != nil {
			return err
		}
		s, err := b.startServer(ctx, probe)
		if err != nil {
			return err
		}
		serving = append(serving, s.Serving)
		b.server = s // for get
		if err := b.waitReady(ctx, 2*time.Minute); err != nil {
			return err
		}
		ready = append(ready, time.Since(s.started))
		b.server = nil
		if err := b.stop(s); err != nil {
			return err
		}
	}
	list := func(d []time.Duration) string {
		var s []string
		for _, x := range d {
			s = append(s, num(x.Seconds(), 2))
		}
		return strings.Join(s, ", ") + " s"
	}
	startMedian := percentile(slices.Clone(existing), 50)
	b.add(Row{What: "start with an existing index: until a page is answered",
		Figure: fmt.Sprintf("%s (median of %s); graceful stop after the load: %s", sec(startMedian.Seconds()), list(existing), sec(stopped.Seconds())),
		Target: "< 1 s", Met: met(startMedian < time.Second), Reproduce: repro("startup")})
	readyMedian := percentile(slices.Clone(ready), 50)
	b.add(Row{What: "start with no index: until a page is answered, until `/readyz` is 200 (full reindex, served meanwhile)",
		Figure: fmt.Sprintf("serving %s, ready %s (median of %s)", sec(percentile(slices.Clone(serving), 50).Seconds()), sec(readyMedian.Seconds()), list(ready)),
		Target: "full reindex < 20 s", Met: met(readyMedian < 20*time.Second), Reproduce: repro("startup")})
	b.results["startup"] = map[string]any{"existing_index_s": seconds(existing), "no_index_serving_s": seconds(serving),
		"no_index_ready_s": seconds(ready), "graceful_stop_s": stopped.Seconds()}
	return nil
}

// waitReady polls /readyz until it answers 200.
func (b *bench) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		code, _, body, err := b.get(ctx, "/readyz")
		if err != nil {
			return fmt.Errorf("GET /readyz: %w", err)
		}
		if code == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/readyz still %d after %s: %.300s", code, limit, body)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func seconds(d []time.Duration) []float64 {
	out := make([]float64, len(d))
	for i, x := range d {
		out[i] = x.Seconds()
	}
	return out
}

// plural writes a count of things: 1 round, 3 rounds.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}
