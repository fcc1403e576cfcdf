package main

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestCeilingPage(t *testing.T) {
	page := ceilingPage()
	if len(page) != ceilingPageSize || !strings.HasPrefix(string(page), "<!doctype html>") || !strings.HasSuffix(string(page), "</body></html>\n") {
		t.Errorf("%d bytes: %.60q … %q", len(page), page, page[len(page)-20:])
	}
}

func TestServeCeiling(t *testing.T) {
	in, closeIn := io.Pipe()
	outR, out := io.Pipe()
	done := make(chan int)
	go func() { done <- serveCeiling(in, out) }()
	url, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(strings.TrimSpace(url) + "/any/page")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) != ceilingPageSize || resp.ContentLength != ceilingPageSize {
		t.Errorf("%d, %d bytes, Content-Length %d", resp.StatusCode, len(body), resp.ContentLength)
	}
	// The bench closing its end stops the server.
	closeIn.Close()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
}
