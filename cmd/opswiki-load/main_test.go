package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRunFlags(t *testing.T) {
	// Every page the search finds is gone: views fail, searches do not.
	wiki := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/-/api/search" {
			w.Write([]byte(`{"hits":[{"path":"gone"}]}`))
			return
		}
		if r.URL.Path == "/gone" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("<html>page</html>"))
	}))
	defer wiki.Close()
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"Table", []string{"-url", wiki.URL, "-duration", "100ms", "-clients", "2", "-mix", "0,100,0"}, 0, "0 errors; 0 of 0 acknowledged saves lost"},
		{"JSON", []string{"-url", wiki.URL, "-duration", "100ms", "-clients", "2", "-mix", "0,100,0", "-json"}, 0, `"per_second"`},
		{"FailedRequests", []string{"-url", wiki.URL, "-duration", "100ms", "-clients", "2", "-mix", "100,0,0"}, 1, "errors: view 404"},
		{"BadMix", []string{"-url", wiki.URL, "-mix", "1,2"}, 2, ""},
		{"BadFlag", []string{"-clients", "many"}, 2, ""},
		{"Unreachable", []string{"-url", "http://127.0.0.1:1", "-duration", "10ms"}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tt.args, &stdout, &stderr); code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.out) {
				t.Errorf("output:\n%s", stdout.String())
			}
			if tt.name == "JSON" {
				var r struct{ Search struct{ Requests int } }
				if err := json.Unmarshal(stdout.Bytes(), &r); err != nil || r.Search.Requests == 0 {
					t.Errorf("JSON %v: %s", err, stdout.String())
				}
			}
		})
	}
}
