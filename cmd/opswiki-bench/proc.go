package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// command prepares a program run in a process group of its own, so that
// stopping it also stops what it started (go test runs a test binary, git
// runs helpers); it is killed when ctx ends, and by the kernel if this
// process dies first.
func command(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return killGroup(cmd, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// killGroup signals the process group of a started command.
func killGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, sig)
}

// output runs a program and returns what it wrote to stdout and stderr.
// A go command (a build, or benchmarks with their own -timeout of 30
// minutes) is given 40 minutes, anything else (git, opswiki init) 10.
func (b *bench) output(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	limit := 10 * time.Minute
	if name == "go" {
		limit = 40 * time.Minute
	}
	ctx, cancel := context.WithTimeoutCause(ctx, limit, fmt.Errorf("%s %s did not finish within %s", name, strings.Join(args, " "), limit))
	defer cancel()
	cmd := command(ctx, dir, name, args...)
	cmd.Env = b.env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		return out.Bytes(), context.Cause(ctx)
	}
	return out.Bytes(), err
}

// env is the environment of every program the bench runs: its own, less
// opswiki's settings (the bench chooses them), with git kept from any
// configuration of this machine and user and from prompting.
func (b *bench) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPSWIKI_") && !strings.HasPrefix(kv, "GIT_") {
			env = append(env, kv)
		}
	}
	return append(env, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Bench", "GIT_AUTHOR_EMAIL=bench@example.com",
		"GIT_COMMITTER_NAME=Bench", "GIT_COMMITTER_EMAIL=bench@example.com")
}
