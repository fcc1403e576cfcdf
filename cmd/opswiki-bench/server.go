package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is the real opswiki binary serving the generated wiki, a process
// of its own on 127.0.0.1.
type server struct {
	URL  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // how it exited, once done
	// Serving is how long after it was started it first answered a page.
	Serving time.Duration
	started time.Time
}

// Exited says whether the process has ended, and how.
func (s *server) Exited() (bool, error) {
	select {
	case <-s.done:
		return true, s.err
	default:
		return false, nil
	}
}

// freePort returns a port nothing listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts opswiki serve on the data directory and returns once
// it answers probe (a page) with 200, or fails after two minutes. Its log
// goes to the bench's server log.
func (b *bench) startServer(ctx context.Context, probe string) (*server, error) {
	var lastErr error
	for range 3 { // another program may take the free port first
		s, err := b.tryStart(ctx, probe)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "already in use") {
			break
		}
	}
	return nil, lastErr
}

func (b *bench) tryStart(ctx context.Context, probe string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"serve", "--addr", addr, "--data", b.data, "--log-format", "json"}
	// Not bound to ctx: the server is stopped gracefully by stop, and
	// killed by cleanup on the way out.
	cmd := command(context.Background(), b.work, b.binary, args...)
	cmd.Env = b.env()
	fmt.Fprintf(b.serverLog, "{\"bench\":%q}\n", "start "+b.binary+" "+strings.Join(args, " "))
	cmd.Stdout, cmd.Stderr = b.serverLog, b.serverLog
	s := &server{URL: "http://" + addr, cmd: cmd, done: make(chan struct{})}
	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", b.binary, err)
	}
	b.track(s)
	go func() { s.err = cmd.Wait(); close(s.done) }()
	deadline := time.After(2 * time.Minute)
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		if resp, err := client.Get(s.URL + probe); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.Serving = time.Since(s.started)
				return s, nil
			}
			lastStatus := resp.StatusCode
			if lastStatus != http.StatusServiceUnavailable {
				b.stop(s)
				return nil, fmt.Errorf("the server answered GET %s with %d", probe, lastStatus)
			}
		}
		select {
		case <-s.done:
			b.untrack(s)
			return nil, fmt.Errorf("opswiki serve exited at start (%v): %s", s.err, b.logTail(5))
		case <-deadline:
			b.stop(s)
			return nil, fmt.Errorf("opswiki serve did not answer GET %s within 2 minutes: %s", probe, b.logTail(5))
		case <-ctx.Done():
			b.stop(s)
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// stop shuts the server down as an operator does (SIGTERM: in-flight
// requests finish, the index is flushed) and reports a shutdown that fails
// or takes over a minute, after which the process is killed.
func (b *bench) stop(s *server) error {
	defer b.untrack(s)
	if done, err := s.Exited(); done {
		return exitError(err)
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return exitError(s.err)
	case <-time.After(time.Minute):
		_ = killGroup(s.cmd, syscall.SIGKILL)
		<-s.done
		return errors.New("opswiki serve did not stop within a minute of SIGTERM; killed")
	}
}

func exitError(err error) error {
	if err != nil {
		return fmt.Errorf("opswiki serve exited: %w", err)
	}
	return nil
}

// track and untrack keep the servers that cleanup must stop.
func (b *bench) track(s *server) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.servers = append(b.servers, s)
}

func (b *bench) untrack(s *server) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.servers = slices.DeleteFunc(b.servers, func(x *server) bool { return x == s })
}

// killAll stops every server still running, on the way out.
func (b *bench) killAll() {
	b.mu.Lock()
	servers := slices.Clone(b.servers)
	b.mu.Unlock()
	for _, s := range servers {
		if err := b.stop(s); err != nil {
			b.logf("stopping the server: %v", err)
		}
	}
}

// memory returns the server's resident memory and its peak, in MB (2^20
// bytes), from /proc.
func (s *server) memory() (rss, peak float64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read the server's memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch k {
		case "VmRSS":
			rss = kb / 1024
		case "VmHWM":
			peak = kb / 1024
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("no VmRSS in /proc/<pid>/status")
	}
	return rss, peak, sc.Err()
}

// logFile is the file the server writes its log to, appended across
// restarts, with a line of the bench before each start.
type logFile struct {
	mu sync.Mutex
	f  *os.File
}

func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

// offset is the size of the log so far.
func (l *logFile) offset() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	off, _ := l.f.Seek(0, io.SeekCurrent)
	return off
}

// logEntry is one JSON line of the server's log.
type logEntry struct {
	Level  string  `json:"level"`
	Msg    string  `json:"msg"`
	Err    string  `json:"err"`
	Method string  `json:"method"`
	Path   string  `json:"path"`
	Status int     `json:"status"`
	Took   float64 `json:"took"` // nanoseconds
}

// key groups log entries for the summary: requests by method, kind of
// path and status or slowness; other entries by message and error.
func (e logEntry) key() string {
	key := e.Level + " " + e.Msg
	if e.Method != "" {
		path := "/<page>"
		switch {
		case strings.HasPrefix(e.Path, "/-/"):
			parts := strings.SplitN(e.Path, "/", 5)
			path = strings.Join(parts[:min(len(parts), 4)], "/")
		case strings.HasPrefix(e.Path, "/wiki.git"), e.Path == "/metrics", e.Path == "/readyz", e.Path == "/healthz":
			path = e.Path
		}
		key += " " + e.Method + " " + path
		if e.Status >= 500 {
			key += " " + strconv.Itoa(e.Status)
		} else if e.Took > 0 {
			key += " slower than 1 s"
		}
	}
	if e.Err != "" {
		key += ": " + truncate(e.Err, 120)
	}
	return key
}

// logSummary counts the server's warnings and errors logged since
// offset, by level and message, with the first of each.
func (b *bench) logSummary(offset int64) map[string]int {
	f, err := os.Open(b.serverLog.f.Name())
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil
	}
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var e logEntry
		if json.Unmarshal(sc.Bytes(), &e) != nil || (e.Level != "WARN" && e.Level != "ERROR") {
			if !strings.HasPrefix(sc.Text(), "{") && strings.TrimSpace(sc.Text()) != "" {
				out["OUTPUT "+truncate(sc.Text(), 120)]++ // a panic or other unstructured output
			}
			continue
		}
		if e.Path == "/readyz" && e.Status == 503 {
			continue // the bench waiting for the index, as it means to
		}
		out[e.key()]++
	}
	return out
}

// logTail returns the last lines of the server log.
func (b *bench) logTail(n int) string {
	data, err := os.ReadFile(b.serverLog.f.Name())
	if err != nil {
		return ""
	}
	return "server log ends with:\n" + tail(data, n)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
