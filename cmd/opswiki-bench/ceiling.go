package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// roleEnv, set to "ceiling", makes this program the ceiling server
// instead of the bench: the bench runs itself so, to serve the ceiling
// from a process of its own, as opswiki is.
const roleEnv = "OPSWIKI_BENCH_ROLE"

// ceilingPageSize is the size of the page the ceiling server serves: about
// a rendered runbook.
const ceilingPageSize = 16 << 10

// ceilingPage is a fixed HTML page of exactly ceilingPageSize bytes.
func ceilingPage() []byte {
	const foot = "</body></html>\n"
	var b bytes.Buffer
	b.WriteString("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Ceiling</title></head><body>\n")
	for i := 0; ; i++ {
		line := fmt.Sprintf("<p>Line %d of a page served from memory by a bare net/http server.</p>\n", i)
		if b.Len()+len(line)+len(foot) > ceilingPageSize {
			break
		}
		b.WriteString(line)
	}
	b.Write(bytes.Repeat([]byte(" "), ceilingPageSize-b.Len()-len(foot)))
	b.WriteString(foot)
	return b.Bytes()
}

// serveCeiling is the ceiling server: a bare net/http server answering
// every GET with the same page from memory, on 127.0.0.1. It writes its
// URL as the first line of out and serves until in is closed (the bench
// ended) or it gets SIGTERM.
func serveCeiling(in io.Reader, out io.Writer) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		return 1
	}
	page := ceilingPage()
	length := strconv.Itoa(len(page))
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Length", length)
		w.Write(page)
	})}
	fmt.Fprintf(out, "http://%s\n", ln.Addr())
	go func() {
		io.Copy(io.Discard, in)
		srv.Close()
	}()
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		return 1
	}
	return 0
}

// ceiling is a running ceiling server.
type ceiling struct {
	URL   string
	cmd   *exec.Cmd
	stdin io.Closer
}

// startCeiling runs this program again as the ceiling server.
func (b *bench) startCeiling(ctx context.Context) (*ceiling, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this program to run the ceiling server: %w", err)
	}
	cmd := command(ctx, b.work, self)
	cmd.Env = append(b.env(), roleEnv+"=ceiling")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the ceiling server: %w", err)
	}
	c := &ceiling{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		c.stop()
		return nil, fmt.Errorf("the ceiling server did not say where it listens: %q %v", line, err)
	}
	c.URL = strings.TrimSpace(line)
	return c, nil
}

// stop ends the ceiling server.
func (c *ceiling) stop() {
	c.stdin.Close()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	_ = c.cmd.Wait()
}
