// Command opswiki serves a git-backed markdown wiki for operations teams.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // incident timestamps name IANA zones; static images have no zoneinfo
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

const usage = `opswiki: a git-backed markdown wiki for operations teams.

Usage:
  opswiki [serve] [flags]          serve the wiki (the default)
  opswiki init [flags] [--from SOURCE]
                                   create a wiki in a new or empty data directory,
                                   from the default content or from an existing
                                   git repository (path or URL) with its history;
                                   says what it recognised and what looks missed
  opswiki reindex [flags]          rebuild the search index from git, offline
  opswiki check [--format json] [--strict] [DIR]
                                   validate a folder of markdown (default .):
                                   file:line messages, exit 1 on errors, then
                                   what was recognised and what looks missed
                                   (.opswiki.yaml at DIR's root applies)
  opswiki check --rules PATH [PATH...] [--wiki URL|DIR] [--runbook-base PREFIX[=/folder/]]
                [--fail-on critical,warning] [--format json]
                                   check Prometheus rule files against the wiki:
                                   alerts without a runbook, runbook_urls leading
                                   nowhere, runbooks answering no alert; exit 1
                                   when an alert of a failing severity has none
  opswiki version                  print the version

Every flag can also be set as OPSWIKI_<FLAG> (OPSWIKI_DATA, OPSWIKI_ADDR, ...)
or in a YAML file given with --config. Run "opswiki <command> -h" for flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) && !errors.Is(err, errCheckFailed) {
			fmt.Fprintln(os.Stderr, "opswiki:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitCode is 2 for usage errors, 1 for everything else.
func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

type usageError struct{ error }

// run dispatches a subcommand; it returns when the command is done or, for
// serve, when ctx is cancelled and the server has shut down.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	cfg := DefaultConfig()
	switch cmd {
	case "serve":
		fs := cfg.flagSet("serve", true)
		fs.SetOutput(stderr)
		fs.Usage = func() {
			// "opswiki --help" lands here: say what every command is,
			// then the flags of serve.
			fmt.Fprint(stderr, usage)
			fmt.Fprintln(stderr, "\nFlags of serve:")
			fs.PrintDefaults()
		}
		if err := cfg.parse(fs, args); err != nil {
			return wrapUsage(err)
		}
		if err := cfg.ValidateServe(); err != nil {
			return wrapUsage(err)
		}
		m := &Main{Config: cfg, Stderr: stderr}
		return m.Serve(ctx)
	case "init":
		fs := cfg.flagSet("init", false)
		from := fs.String("from", "", "existing git repository (path or URL) to start from, with its full history")
		fs.SetOutput(stderr)
		if err := cfg.parse(fs, args); err != nil {
			return wrapUsage(err)
		}
		m := &Main{Config: cfg, Stderr: stderr}
		return m.Init(ctx, *from, stdout)
	case "reindex":
		fs := cfg.flagSet("reindex", false)
		fs.SetOutput(stderr)
		if err := cfg.parse(fs, args); err != nil {
			return wrapUsage(err)
		}
		m := &Main{Config: cfg, Stderr: stderr}
		return m.Reindex(ctx, stdout)
	case "check":
		fs := flag.NewFlagSet("check", flag.ContinueOnError)
		fs.SetOutput(stderr)
		format := fs.String("format", "text", "output: text (file:line: severity: message) or json")
		strict := fs.Bool("strict", false, "exit 1 on warnings too")
		var ruleFiles, bases listFlag
		fs.Var(&ruleFiles, "rules", "check Prometheus rule files (a file or a folder; repeat it, or name more after the flags) against the wiki instead")
		wikiAt := fs.String("wiki", ".", "with --rules: the wiki, as the URL of a running one or a folder (a checkout of its repository)")
		fs.Var(&bases, "runbook-base", "with --rules: an address runbook_urls use for the wiki's pages, as PREFIX or PREFIX=/folder/ (repeatable)")
		failOn := fs.String("fail-on", "critical,warning", "with --rules: severities whose alerts must reach a runbook (exit 1 otherwise); any, or none")
		tokenFile := fs.String("token-file", "", "with --rules and a wiki URL: a file holding a personal access token (a wiki with access control)")
		if err := fs.Parse(args); err != nil {
			return wrapUsage(err)
		}
		if *format != "text" && *format != "json" {
			return usageError{fmt.Errorf("--format must be text or json, not %q", *format)}
		}
		if len(ruleFiles) > 0 {
			var severities []string
			for _, s := range strings.Split(*failOn, ",") {
				if s = strings.ToLower(strings.TrimSpace(s)); s != "" && s != "none" {
					severities = append(severities, s)
				}
			}
			rc := RulesCheck{Rules: append(ruleFiles, fs.Args()...), Wiki: *wikiAt, Bases: bases, FailOn: severities, Format: *format}
			if *tokenFile != "" {
				b, err := os.ReadFile(*tokenFile)
				if err != nil {
					return err
				}
				rc.Token = strings.TrimSpace(string(b))
			}
			return rc.Run(ctx, stdout)
		}
		dir := "."
		if fs.NArg() > 1 {
			return usageError{fmt.Errorf("check takes one folder, not %d", fs.NArg())}
		} else if fs.NArg() == 1 {
			dir = fs.Arg(0)
		}
		return Check(ctx, dir, *format, *strict, time.Now(), stdout)
	case "version":
		fmt.Fprintln(stdout, "opswiki", Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Errorf("unknown command %q", cmd)}
}

func wrapUsage(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usageError{err}
}

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ", ") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}
