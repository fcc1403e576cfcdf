package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/cmd/opswiki-load/load"
)

func TestLogEntryKey(t *testing.T) {
	tests := []struct {
		e    logEntry
		want string
	}{
		{logEntry{Level: "WARN", Msg: "request", Method: "GET", Path: "/runbooks/x/y", Status: 200, Took: 1.2e9}, "WARN request GET /<page> slower than 1 s"},
		{logEntry{Level: "WARN", Msg: "request", Method: "PUT", Path: "/-/api/pages/load/client-1", Status: 503, Took: 2e6}, "WARN request PUT /-/api/pages 503"},
		{logEntry{Level: "WARN", Msg: "request", Method: "POST", Path: "/wiki.git/git-upload-pack", Status: 500}, "WARN request POST /wiki.git/git-upload-pack 500"},
		{logEntry{Level: "ERROR", Msg: "index flush failed", Err: "disk full"}, "ERROR index flush failed: disk full"},
	}
	for _, tt := range tests {
		if got := tt.e.key(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestLogSummary(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	b := &bench{serverLog: &logFile{f: f}}
	fmt.Fprintln(b.serverLog, `{"level":"WARN","msg":"request","method":"GET","path":"/x","status":200,"took":2000000000}`)
	offset := b.serverLog.offset()
	for _, line := range []string{
		`{"level":"INFO","msg":"serving","addr":"http://127.0.0.1:1"}`,
		`{"level":"WARN","msg":"request","method":"GET","path":"/readyz","status":503,"took":1000}`,
		`{"level":"WARN","msg":"request","method":"PUT","path":"/-/api/pages/a","status":503,"took":1000}`,
		`{"level":"WARN","msg":"request","method":"PUT","path":"/-/api/pages/b","status":503,"took":1000}`,
		`{"level":"ERROR","msg":"repack failed","err":"no space left on device"}`,
		`panic: runtime error: index out of range`,
		``,
	} {
		fmt.Fprintln(b.serverLog, line)
	}
	got := b.logSummary(offset)
	want := map[string]int{
		"WARN request PUT /-/api/pages 503":               2,
		"ERROR repack failed: no space left on device":    1,
		"OUTPUT panic: runtime error: index out of range": 1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("summary %v, want %v", got, want)
	}
	var out strings.Builder
	writeLogNotes(&out, map[string]map[string]int{"mixed": got})
	if !strings.Contains(out.String(), "- mixed: 2× WARN request PUT /-/api/pages 503\n") {
		t.Errorf("notes:\n%s", out.String())
	}
}

func TestLoadErr(t *testing.T) {
	if err := loadErr("views", &load.Result{}); err != nil {
		t.Errorf("a clean load failed: %v", err)
	}
	r := &load.Result{Errors: 3, Lost: 1, Saved: 5, Failures: map[string]int{"view 500": 3}, Examples: map[string]string{"view 500": "GET /a: 500 boom"}}
	err := loadErr("mixed load", r)
	if err == nil || !strings.Contains(err.Error(), "mixed load: 3 failed requests, 1 of 5 acknowledged saves lost; view 500 ×3 (first: GET /a: 500 boom)") {
		t.Errorf("%v", err)
	}
}
