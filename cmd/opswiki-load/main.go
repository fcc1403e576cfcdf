// Command opswiki-load puts a running wiki under a mixed load of page
// views, searches and saves from many clients, then reports throughput,
// latency percentiles and errors per kind of request, and checks that
// every save the server acknowledged can be read back. It exits 1 on any
// failed request or lost save.
//
//	opswiki-load -url http://127.0.0.1:8080 -duration 30s -clients 64 -mix 90,9,1
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
	"syscall"
	"time"

	"github.com/opswiki/opswiki/cmd/opswiki-load/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run parses the flags, loads the wiki and writes the report; it returns
// the exit code: 0, 1 for failed requests, lost saves or a run that could
// not start, 2 for bad flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("opswiki-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "http://127.0.0.1:8080", "the wiki to load; only loopback and your own hosts")
	duration := fs.Duration("duration", 30*time.Second, "how long to run")
	clients := fs.Int("clients", 64, "concurrent clients")
	mix := fs.String("mix", "90,9,1", "percent of page views, searches and saves")
	token := fs.String("token", "", "personal access token, when access control is on")
	asJSON := fs.Bool("json", false, "write the result as JSON instead of a table")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	m, err := load.ParseMix(*mix)
	if err != nil {
		fmt.Fprintln(stderr, "opswiki-load: -mix:", err)
		return 2
	}
	r, err := load.Run(ctx, load.Options{URL: *base, Duration: *duration, Clients: *clients, Mix: m, Token: *token})
	if err != nil {
		fmt.Fprintln(stderr, "opswiki-load:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(stderr, "opswiki-load:", err)
			return 1
		}
	} else {
		r.WriteText(stdout)
	}
	if !r.OK() {
		return 1
	}
	return 0
}
