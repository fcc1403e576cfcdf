package main_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// rawRequest writes a request's head and the first bytes of its body on a
// new connection, then calls feed to send the rest as it likes, and
// returns the status line the server answers with ("" when it closes the
// connection without one).
func rawRequest(tb testing.TB, s *Server, head, first string, feed func(net.Conn)) string {
	tb.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head+first); err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); feed(conn) }()
	// Only a guard against a hung test: the server is expected to answer
	// within a second or so.
	conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
	line, err := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	<-done
	if err != nil && line == "" {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			tb.Fatalf("the server still holds the connection after two minutes")
		}
		return ""
	}
	return strings.TrimSpace(line)
}

// TestSlowRequestBody cuts off bodies that stall or trickle, and lets
// bodies that keep arriving through, however large.
func TestSlowRequestBody(t *testing.T) {
	s := MustServeWith(t, "", func(c *main.Config) { c.BodyTimeout, c.BodyMinRateKB = 500*time.Millisecond, 64 })
	head := func(length int) string {
		return fmt.Sprintf("PUT /-/api/pages/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", length)
	}
	t.Run("Stalled", func(t *testing.T) {
		line := rawRequest(t, s, head(100_000), `{"content":"`, func(c net.Conn) {
			// Send nothing more; keep the connection open until the server closes it.
			io.Copy(io.Discard, c)
		})
		if !strings.HasPrefix(line, "HTTP/1.1 408") {
			t.Fatalf("stalled body answered %q, want 408", line)
		}
	})
	t.Run("Trickle", func(t *testing.T) {
		line := rawRequest(t, s, head(100_000), `{"content":"`, func(c net.Conn) {
			for range 1000 {
				if _, err := c.Write(bytes.Repeat([]byte("x"), 100)); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
		if !strings.HasPrefix(line, "HTTP/1.1 408") {
			t.Fatalf("a body at 1 KB/s answered %q, want 408", line)
		}
	})
	t.Run("SteadyAndLongerThanTheTimeout", func(t *testing.T) {
		text := strings.Repeat("steady line of a long runbook\n", 20_000)
		body, _ := json.Marshal(map[string]string{"content": "# Steady\n\n" + text, "base": ""})
		pr, pw := io.Pipe()
		go func() {
			for off := 0; off < len(body); off += 32 << 10 {
				if _, err := pw.Write(body[off:min(off+32<<10, len(body))]); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
			pw.Close()
		}()
		req, _ := http.NewRequest("PUT", s.URL+"/-/api/pages/steady", pr)
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		if code, _, out := do(t, req); code != 200 {
			t.Fatalf("a steady %d KiB body over %s = %d %s", len(body)>>10, time.Since(start).Round(time.Millisecond), code, out)
		}
	})
	t.Run("LargeUpload", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "dump.bin")
		io.CopyN(fw, rand.Reader, 20<<20)
		mw.Close()
		req, _ := http.NewRequest("POST", s.URL+"/-/api/attachments/runbooks/checkout-high-error-rate", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		if code, _, out := do(t, req); code != 200 {
			t.Fatalf("20 MiB upload = %d %s", code, out)
		}
	})
	t.Run("LargePush", func(t *testing.T) {
		work := s.Clone(t)
		blob := make([]byte, 16<<20)
		rand.Read(blob)
		if err := os.MkdirAll(filepath.Join(work, "files"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, "files", "capture.bin"), blob, 0o644); err != nil {
			t.Fatal(err)
		}
		id := commitAll(t, work, "Add a packet capture")
		Git(t, work, "push", "-q", "origin", "main")
		if s.MainCommit(t) != id {
			t.Fatal("the push did not arrive")
		}
	})
	if code, _, _ := s.Get(t, "/healthz"); code != 200 {
		t.Fatalf("after cutting off slow bodies: healthz %d", code)
	}
}
