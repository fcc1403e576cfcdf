package githttp_test

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"log/slog"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki/githttp"
)

// panicWatch notes whether the handler logged a panic it recovered from.
type panicWatch struct{ seen atomic.Bool }

func (p *panicWatch) Write(b []byte) (int, error) {
	if bytes.Contains(b, []byte("panicked")) {
		p.seen.Store(true)
	}
	return len(b), nil
}

// FuzzReceivePack sends arbitrary request bodies to receive-pack, seeded
// with real pushes and with a pack whose header declares a 2^40-byte
// blob: the handler never panics or fails with a 500, and a push limited
// to 64 KiB never allocates more than the limits allow.
func FuzzReceivePack(f *testing.F) {
	r := MustRepo(f, nil)
	watch := &panicWatch{}
	h := githttp.New(githttp.Config{Store: r.Store, Log: slog.New(slog.NewTextHandler(watch, nil)), MaxPushBytes: 64 << 10})
	head := r.Head(f)
	work := r.Clone(f)
	write(f, work, "docs/fuzz.md", "# Fuzz\n")
	Git(f, work, "add", "-A")
	Git(f, work, "commit", "-qm", "Fuzz")
	commit := Git(f, work, "rev-parse", "HEAD")
	cmd := exec.Command("git", "pack-objects", "--stdout", "-q", "--revs", "--thin")
	cmd.Dir, cmd.Stdin = work, strings.NewReader("HEAD\n^"+head+"\n")
	pack, err := cmd.Output()
	if err != nil {
		f.Fatal(err)
	}
	caps := "\x00report-status side-band-64k agent=git/2\n"
	update := head + " " + commit + " refs/heads/main" + caps
	f.Add(append(pkt(update, ""), pack...))
	f.Add(append(pkt(plumbing.ZeroHash.String()+" "+commit+" refs/heads/draft"+caps, ""), pack...))
	f.Add(pkt(head + " " + plumbing.ZeroHash.String() + " refs/heads/main" + caps))
	var bomb bytes.Buffer
	bomb.WriteString("PACK\x00\x00\x00\x02\x00\x00\x00\x01")
	bomb.Write([]byte{0xb0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02}) // a blob of 2^40 bytes
	zw := zlib.NewWriter(&bomb)
	zw.Write([]byte("tiny"))
	zw.Close()
	sum := sha1.Sum(bomb.Bytes())
	bomb.Write(sum[:])
	f.Add(append(pkt(update, ""), bomb.Bytes()...))
	f.Add(pkt("shallow "+head+"\n", update, ""))
	f.Add([]byte("0000"))

	f.Fuzz(func(t *testing.T, body []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		rec := httptestRecorder(h, "POST", githttp.Prefix+"/git-receive-pack", body)
		runtime.ReadMemStats(&after)
		if rec.Code >= 500 || watch.seen.Load() {
			t.Fatalf("status %d, panicked %v: %s", rec.Code, watch.seen.Load(), rec.Body)
		}
		// The push limit, what it may unpack to (at least 64 MiB), and
		// the handler's buffers.
		if n := after.TotalAlloc - before.TotalAlloc; n > 80<<20 {
			t.Fatalf("a %d-byte request allocated %d bytes", len(body), n)
		}
	})
}
