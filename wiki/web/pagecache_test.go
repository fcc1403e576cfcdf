package web

import (
	"bytes"
	"fmt"
	"testing"
)

// Saves change the keys of the pages they touch: the cache must keep one
// rendering per page, not every rendering until its bound.
func TestPageCacheKeepsNewestRenderingOnly(t *testing.T) {
	pc := newPageCache(1 << 20)
	for v := range 50 {
		pc.Put("runbooks/a", fmt.Sprintf("a-%d", v), []byte(fmt.Sprintf("page a, version %d", v)))
		pc.Put("runbooks/b", fmt.Sprintf("b-%d", v%2), []byte("page b"))
	}
	if n := pc.c.Len(); n != 2 {
		t.Fatalf("cache holds %d renderings, want 2 (one per page)", n)
	}
	if b, ok := pc.Get("a-49"); !ok || string(b.raw) != "page a, version 49" {
		t.Fatalf("newest rendering of a: %v, %v", b, ok)
	}
	if _, ok := pc.Get("a-48"); ok {
		t.Fatal("an older rendering of a is still cached")
	}
	if _, ok := pc.Get("b-1"); !ok {
		t.Fatal("page b's rendering was dropped by page a's")
	}
}

// A rendering's buffer has grown by doubling: what is kept is its size,
// with room for its compressed forms (at most half of it for both).
func TestPageCacheWeighsWhatItHolds(t *testing.T) {
	pc := newPageCache(1 << 20)
	var buf bytes.Buffer
	for buf.Len() < 100_000 {
		buf.WriteString("<p>a line of a long runbook</p>\n")
	}
	body := buf.Bytes()
	pc.Put("long", "k", body)
	got, _ := pc.Get("k")
	if !bytes.Equal(got.raw, body) {
		t.Fatal("the cached rendering differs from the one put")
	}
	if w := pc.c.Weight(); w > int64(len(body)+len(body)/2+16) {
		t.Fatalf("a %d-byte rendering weighs %d in the cache", len(body), w)
	}
	if made := len(got.form(encGzip)) + len(got.form(encBrotli)); made > len(body)/2 {
		t.Fatalf("its compressed forms take %d bytes, more than the half of %d it is weighed with", made, len(body))
	}
}
