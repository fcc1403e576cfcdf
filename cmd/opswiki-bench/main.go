// Command opswiki-bench measures every figure of the README's table in one
// run, against the real binary, with reference points measured beside it
// so that drift shows: it generates (or reuses) the wiki of SPEC §9
// (10,000 pages over 3,000 commits, with git fast-import), builds
// opswiki, initialises a data directory from the wiki with opswiki init
// --from, serves it on 127.0.0.1 and loads it over HTTP; then runs the
// in-process benchmarks of the packages with go test -bench. It ends with
// one markdown table: what, figure, target, met, and how to reproduce it.
//
//	go run ./cmd/opswiki-bench                    # everything, about 5 minutes on 2 cores
//	go run ./cmd/opswiki-bench -quick             # shorter loads, fewer rounds
//	go run ./cmd/opswiki-bench -only views,mixed  # some phases (-h lists them)
//	go run ./cmd/opswiki-bench -dir /tmp/bench    # keep and reuse the generated wiki
//	go run ./cmd/opswiki-bench -json              # the figures as JSON
//
// Progress goes to stderr, the table to stdout. Whatever the bench
// started is stopped when it ends, fails or is interrupted.
//
// The load comes from goroutines of this process, one per client, each
// sending one request after another over keep-alive connections; the
// server runs as a process of its own. Both share the machine's cores, as
// they do for the bare net/http server measured as the ceiling (this
// program run again as a process of its own). It exits 1 when a phase
// fails (a failed request, a lost save, a server that does not start),
// not for a missed target, which the table reports as "no".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opswiki/opswiki/wiki/wikitest"
)

func main() {
	if os.Getenv(roleEnv) == "ceiling" {
		os.Exit(serveCeiling(os.Stdin, os.Stdout))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Phases, in the order they run. The HTTP phases share one server and
// run in this order because each leaves the wiki as the next expects:
// mixed measures memory after everything before it, startup restarts
// the server.
var (
	httpPhases = []string{"views", "search", "services", "save", "writers", "mixed", "push", "clone", "startup"}
	goPhases   = []string{"search-kinds", "history", "pathological", "graph", "phone", "alerting", "upstream"}
)

// bench is one run: its settings, what it started and what it measured.
type bench struct {
	// Settings.
	root, work   string // the module, and the folder for everything made
	keep         bool   // the folder was given: keep what is in it
	binary       string // opswiki, built or given
	pages        int
	commits      int
	clients      int
	quick        bool
	duration     time.Duration // each load of views, searches, service pages
	mixed        time.Duration
	viewPages    int
	only         map[string]bool
	progress     io.Writer
	source, data string

	mu      sync.Mutex
	servers []*server

	server     *server
	serverLog  *logFile
	viewPaths  []string
	queries    []string // the texts of queryKinds
	queryKinds []wikitest.Query
	viewsRPS   float64 // views only, for the ratio of the mixed load

	rows     []Row
	failures []string
	logNotes map[string]map[string]int
	results  map[string]any
}

// logf writes a line of progress.
func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.progress, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// add appends a row to the table.
func (b *bench) add(r Row) { b.rows = append(b.rows, r) }

// repro is the command that runs the given phases alone.
func repro(phases ...string) string {
	return "go run ./cmd/opswiki-bench -only " + strings.Join(phases, ",")
}

// run parses the flags, measures, and writes the table (or JSON); it
// returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("opswiki-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./cmd/opswiki-bench [flags]\n\nPhases: %s (HTTP, against the real binary); %s (go test -bench).\n\nFlags:\n",
			strings.Join(httpPhases, ", "), strings.Join(goPhases, ", "))
		fs.PrintDefaults()
	}
	dir := fs.String("dir", os.Getenv("OPSWIKI_BENCH_DIR"), "folder to keep the generated wiki in (`DIR`/source, reused when there) and the run's data directory and server log; a temporary folder, removed afterwards, when empty (default $OPSWIKI_BENCH_DIR)")
	only := fs.String("only", "", "comma-separated phases to run; all when empty")
	quick := fs.Bool("quick", false, "shorter loads and fewer rounds, for a quick look (figures are noisier)")
	asJSON := fs.Bool("json", false, "write the figures as JSON instead of the markdown table")
	pages := fs.Int("pages", wikitest.Pages, "pages of the generated wiki")
	commits := fs.Int("commits", wikitest.Commits, "commits of the generated wiki")
	clients := fs.Int("clients", 64, "concurrent clients of the HTTP loads")
	duration := fs.Duration("duration", 0, "length of each load of views, searches and service pages (default 15s, 3s with -quick)")
	mixed := fs.Duration("mixed-duration", 0, "length of the mixed load (default 60s, 10s with -quick)")
	viewPages := fs.Int("view-pages", 200, "pages, picked at random, that the page view loads ask for")
	binary := fs.String("opswiki", "", "serve this opswiki binary instead of building ./cmd/opswiki")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	b := &bench{pages: *pages, commits: *commits, clients: *clients, quick: *quick, duration: *duration, mixed: *mixed,
		viewPages: *viewPages, progress: stderr, binary: *binary, logNotes: map[string]map[string]int{}, results: map[string]any{}}
	if err := b.configure(fs.NArg(), *only); err != nil {
		fmt.Fprintln(stderr, "opswiki-bench:", err)
		return 2
	}
	if err := b.prepare(*dir); err != nil {
		fmt.Fprintln(stderr, "opswiki-bench:", err)
		return 1
	}
	defer b.cleanup()
	machine := describeMachine(ctx, b.root, "go run ./cmd/opswiki-bench "+strings.Join(args, " "))

	b.measure(ctx)

	machine.LoadAfter = loadAverage()
	if ctx.Err() != nil {
		b.failures = append(b.failures, "interrupted: "+context.Cause(ctx).Error())
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"machine": machine, "rows": b.rows, "failures": b.failures, "server_log": b.logNotes, "results": b.results})
	} else {
		writeMarkdown(stdout, machine, b.rows, b.failures)
		writeLogNotes(stdout, b.logNotes)
	}
	if len(b.failures) > 0 {
		return 1
	}
	return 0
}

// configure checks the settings and fills in the defaults.
func (b *bench) configure(extra int, only string) error {
	if extra > 0 {
		return errors.New("no arguments expected; phases are chosen with -only")
	}
	if b.pages < 8 || b.commits < 1 || b.clients < 1 || b.viewPages < 1 {
		return errors.New("-pages must be 8 or more; -commits, -clients and -view-pages 1 or more")
	}
	if b.duration == 0 {
		b.duration = pick(b.quick, 3*time.Second, 15*time.Second)
	}
	if b.mixed == 0 {
		b.mixed = pick(b.quick, 10*time.Second, 60*time.Second)
	}
	if b.duration < 0 || b.mixed < 0 {
		return errors.New("-duration and -mixed-duration must be positive")
	}
	b.only = map[string]bool{}
	all := append(slices.Clone(httpPhases), goPhases...)
	if only == "" {
		for _, p := range all {
			b.only[p] = true
		}
		return nil
	}
	for _, p := range strings.Split(only, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(all, p) {
			return fmt.Errorf("-only: no phase %q; phases are %s", p, strings.Join(all, ", "))
		}
		b.only[p] = true
	}
	return nil
}

func pick[T any](quick bool, short, long T) T {
	if quick {
		return short
	}
	return long
}

// needsServer says whether any HTTP phase runs.
func (b *bench) needsServer() bool {
	for _, p := range httpPhases {
		if b.only[p] {
			return true
		}
	}
	return false
}

// prepare finds the module and makes the working folder.
func (b *bench) prepare(dir string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	b.root = root
	if dir != "" {
		if b.work, err = filepath.Abs(dir); err != nil {
			return err
		}
		b.keep = true
		if err := os.MkdirAll(b.work, 0o755); err != nil {
			return fmt.Errorf("make %s: %w", b.work, err)
		}
	} else if b.work, err = os.MkdirTemp("", "opswiki-bench-"); err != nil {
		return err
	}
	b.source = filepath.Join(b.work, "source")
	b.data = filepath.Join(b.work, "bench-data")
	f, err := os.OpenFile(filepath.Join(b.work, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	b.serverLog = &logFile{f: f}
	return nil
}

// cleanup stops whatever still runs and removes the temporary folder.
func (b *bench) cleanup() {
	b.killAll()
	b.serverLog.f.Close()
	if !b.keep {
		if err := os.RemoveAll(b.work); err != nil {
			b.logf("remove %s: %v", b.work, err)
		}
	} else {
		b.logf("kept %s (server log: %s)", b.work, b.serverLog.f.Name())
	}
}

// measure runs the chosen phases.
func (b *bench) measure(ctx context.Context) {
	if b.needsServer() {
		if err := b.setup(ctx); err != nil {
			b.fail("setup", err)
			return
		}
		phases := map[string]func(context.Context) error{
			"views": b.phaseViews, "search": b.phaseSearch, "services": b.phaseServices, "save": b.phaseSave,
			"writers": b.phaseWriters, "mixed": b.phaseMixed, "push": b.phasePush, "clone": b.phaseClone, "startup": b.phaseStartup,
		}
		for _, name := range httpPhases {
			b.runPhase(ctx, name, func(ctx context.Context) error {
				if err := b.ensureServer(ctx); err != nil {
					return err
				}
				return phases[name](ctx)
			})
		}
		if b.server != nil {
			if err := b.stop(b.server); err != nil {
				b.fail("shutdown", err)
			}
			b.server = nil
		}
	}
	phases := map[string]func(context.Context) error{
		"search-kinds": b.phaseSearchKinds, "history": b.phaseHistory, "pathological": b.phasePathological, "graph": b.phaseGraph,
		"phone": b.phasePhone, "alerting": b.phaseAlerting, "upstream": b.phaseUpstream,
	}
	for _, name := range goPhases {
		b.runPhase(ctx, name, phases[name])
	}
}

// runPhase runs one phase if chosen, recording a failure and the
// server's warnings and errors meanwhile.
func (b *bench) runPhase(ctx context.Context, name string, fn func(context.Context) error) {
	if !b.only[name] || ctx.Err() != nil {
		return
	}
	b.logf("phase %s", name)
	start, offset := time.Now(), b.serverLog.offset()
	err := fn(ctx)
	if notes := b.logSummary(offset); len(notes) > 0 {
		b.logNotes[name] = notes
	}
	if err != nil && ctx.Err() == nil {
		b.fail(name, err)
	}
	b.logf("phase %s done in %s", name, time.Since(start).Round(time.Millisecond))
}

// fail records a failed phase.
func (b *bench) fail(phase string, err error) {
	b.logf("FAILED %s: %v", phase, err)
	b.failures = append(b.failures, phase+": "+err.Error())
}

// ensureServer starts the server when none runs, and reports one that
// exited on its own since the last phase.
func (b *bench) ensureServer(ctx context.Context) error {
	if b.server != nil {
		done, err := b.server.Exited()
		if !done {
			return nil
		}
		b.untrack(b.server)
		b.server = nil
		b.failures = append(b.failures, fmt.Sprintf("server: exited during the run (%v); %s", err, b.logTail(10)))
		b.logf("the server exited (%v); starting it again", err)
	}
	s, err := b.startServer(ctx, b.viewPaths[0])
	if err != nil {
		return err
	}
	b.server = s
	// Loads measure a wiki at rest: every view (pages, search, history)
	// caught up, not one still being built.
	return b.waitReady(ctx, 2*time.Minute)
}

// writeLogNotes lists the server's warnings and errors by phase.
func writeLogNotes(w io.Writer, notes map[string]map[string]int) {
	if len(notes) == 0 {
		return
	}
	fmt.Fprintln(w, "\nServer log, warnings and errors by phase:")
	var phases []string
	for p := range notes {
		phases = append(phases, p)
	}
	sort.Strings(phases)
	for _, p := range phases {
		var keys []string
		for k := range notes[p] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "- %s: %d× %s\n", p, notes[p][k], k)
		}
	}
}
