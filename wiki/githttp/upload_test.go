package githttp_test

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/githttp"
)

// TestFetchThinPack fetches a page whose new version the repository holds
// as a delta of the old one (a pushed thin pack of 100 objects or more is
// stored so): git asks for a thin pack, and gets the delta as it is
// stored, based on the old version it has; the rest is copied from the
// pushed pack too. The server says so in git's progress lines.
func TestFetchThinPack(t *testing.T) {
	r := MustRepo(t, nil)
	fetcher, pusher := r.Clone(t), r.Clone(t)
	var long strings.Builder
	for i := range 300 {
		fmt.Fprintf(&long, "Step %d: check the queue depth, then drain the dead letters.\n", i)
	}
	write(t, pusher, "runbooks/queue.md", "# Queue\n\n"+long.String())
	Git(t, pusher, "add", "-A")
	Git(t, pusher, "commit", "-qm", "Long queue runbook")
	Git(t, pusher, "push", "-q", "origin", "main")
	Git(t, fetcher, "pull", "-q", "--ff-only")
	// Shorter: git bases the delta on the longer old version.
	write(t, pusher, "runbooks/queue.md", "# Queue\n\n"+strings.Join(strings.SplitAfter(long.String(), "\n")[:250], ""))
	for i := range 120 {
		write(t, pusher, fmt.Sprintf("notes/n%03d.md", i), fmt.Sprintf("# Note %d\n", i))
	}
	Git(t, pusher, "add", "-A")
	Git(t, pusher, "commit", "-qm", "Shorter queue runbook, and notes")
	Git(t, pusher, "push", "-q", "origin", "main")

	out := Git(t, fetcher, "fetch", "--progress", "origin")
	var total, deltas, reused, reusedDeltas int
	for line := range strings.SplitSeq(out, "\n") {
		if _, err := fmt.Sscanf(strings.TrimSpace(line), "remote: Total %d (delta %d), reused %d (delta %d)", &total, &deltas, &reused, &reusedDeltas); err == nil {
			break
		}
	}
	if total < 120 || deltas < 1 || reused != total || reusedDeltas != deltas {
		t.Errorf("fetch output:\n%s\nwant every object copied from the pushed pack, the new version as a delta", out)
	}
	if got, want := Git(t, fetcher, "rev-parse", "origin/main"), r.Head(t); got != want {
		t.Fatalf("fetched %s, want %s", got, want)
	}
	Git(t, fetcher, "fsck", "--strict", "--no-progress")
	// And a clone of the same, which has no base, gets it whole.
	dir := filepath.Join(t.TempDir(), "fresh")
	Git(t, "", "clone", "-q", r.URL, dir)
	Git(t, dir, "fsck", "--strict", "--no-progress")
}

// TestCloneStalledClient: clients that stop reading their pack lose their
// connection once the pack has waited for them long enough, and give back
// their pack slots: a clone is served while more clients than there are
// slots hold their connections open without reading (without the stall
// limit, it would wait for ever).
func TestCloneStalledClient(t *testing.T) {
	r := MustRepo(t, nil)
	// Incompressible files, more than the connection's buffers hold.
	var changes []wiki.FileChange
	for i := range 6 {
		b := make([]byte, 4<<20)
		rand.Read(b)
		changes = append(changes, wiki.FileChange{Path: wiki.Path(fmt.Sprintf("files/blob%d.bin", i)), Content: b})
	}
	if _, err := r.Store.Commit(ctx, wiki.CommitRequest{Author: wiki.Signature{Name: "Ada", Email: "ada@example.com"},
		Message: "Large files", Changes: changes}); err != nil {
		t.Fatal(err)
	}
	restore := githttp.SetSendStall(300 * time.Millisecond)
	defer restore()
	u, err := url.Parse(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	body := string(pkt("want "+r.Head(t)+" multi_ack_detailed side-band-64k ofs-delta\n", "", "done\n"))
	// As many stalled clients as there are pack slots, and one more; the
	// last gets a slot, and its answer begins, once one of the first two
	// has been dropped.
	var conns []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST %s/git-upload-pack HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-git-upload-pack-request\r\nContent-Length: %d\r\n\r\n%s",
			u.Path, u.Host, len(body), body)
		conns = append(conns, c)
	}
	for _, c := range conns {
		if _, err := bufio.NewReader(c).Peek(1); err != nil { // the pack has begun; no more is read
			t.Fatal(err)
		}
	}
	// The clone gets the usual limit, so that a loaded machine does not
	// cut it off.
	restore()
	work := r.Clone(t)
	if got := Git(t, work, "rev-parse", "HEAD"); got != r.Head(t) {
		t.Fatalf("clone at %s, want %s", got, r.Head(t))
	}
}
