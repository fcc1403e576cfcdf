package main_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

const hookSecret = "5e1f0c3a9b7d2e4f6a8c0b1d3e5f7a9c"

// A read-only replica following a real git server (git http-backend, as
// a git host serves a repository): pushes there show on the replica by
// the poll, and at once by the host's signed push webhook; an unsigned or
// wrongly signed call changes nothing.
func TestReplicaFollowsUpstream(t *testing.T) {
	root := t.TempDir()
	src := MustHistoryRepo(t, map[string][]byte{
		"README.md":             []byte("# Runbooks\n"),
		"runbooks/disk-full.md": []byte("---\nalerts: [DiskFull]\nowner: sre\n---\n# Disk full\n"),
	}, 2)
	upstreamDir := filepath.Join(root, "runbooks.git")
	Git(t, "", "clone", "-q", "--bare", src, upstreamDir)
	host := MustServeHTTPBackend(t, root)
	upstream := host.URL + "/runbooks.git"

	data, _ := mustInit(t, upstream)
	secretFile := filepath.Join(t.TempDir(), "hook-secret")
	if err := os.WriteFile(secretFile, []byte(hookSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	replica := MustServeWith(t, data, func(c *main.Config) {
		c.ReadOnly, c.Upstream, c.UpstreamPoll, c.UpstreamHookSecretFile = true, upstream, time.Hour, secretFile
	})

	push := func(line string) {
		work := filepath.Join(t.TempDir(), "work")
		Git(t, "", "clone", "-q", upstreamDir, work)
		mustWrite(t, filepath.Join(work, "runbooks", "disk-full.md"), "---\nalerts: [DiskFull]\nowner: sre\n---\n# Disk full\n\n"+line+"\n")
		commitAll(t, work, line)
		Git(t, work, "push", "-q", "origin", "HEAD:master")
	}
	shows := func(line string) bool {
		return strings.Contains(replica.Page(t, "runbooks/disk-full").Content, line)
	}

	push("Pushed to the git host.")
	body := []byte(`{"ref":"refs/heads/master","after":"0000000000000000000000000000000000000000"}`)
	hook := func(header ...string) (int, string) {
		req, _ := http.NewRequest("POST", replica.URL+"/-/api/upstream/hook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		code, _, out := do(t, req)
		return code, out
	}
	mac := hmac.New(sha256.New, []byte(hookSecret))
	mac.Write(body)
	sig := hex.EncodeToString(mac.Sum(nil))
	for _, bad := range [][]string{
		{},
		{"X-Hub-Signature-256", "sha256=" + strings.Repeat("0", 64), "X-GitHub-Delivery", "d0"},
		{"X-Gitlab-Token", "not-the-secret"},
		{"X-Gitea-Signature", strings.Repeat("ab", 32)},
	} {
		if code, out := hook(bad...); code != http.StatusUnauthorized {
			t.Errorf("hook with %v = %d %s", bad, code, out)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if shows("Pushed to the git host.") {
		t.Fatal("the replica fetched without a valid webhook call (the poll is an hour)")
	}
	if code, out := hook("X-Hub-Signature-256", "sha256="+sig, "X-GitHub-Delivery", "d1"); code != http.StatusAccepted {
		t.Fatalf("signed hook = %d %s", code, out)
	}
	eventually(t, "the replica shows the push after the webhook", func() bool { return shows("Pushed to the git host.") })
	// The same delivery again is a replay: taken once.
	if code, out := hook("X-Hub-Signature-256", "sha256="+sig, "X-GitHub-Delivery", "d1"); code != http.StatusOK || !strings.Contains(out, "taken already") {
		t.Errorf("replayed hook = %d %s", code, out)
	}
	// GitLab's and Gitea's ways of signing.
	push("Second push.")
	if code, out := hook("X-Gitlab-Token", hookSecret, "X-Gitlab-Event-UUID", "g1"); code != http.StatusAccepted {
		t.Fatalf("GitLab hook = %d %s", code, out)
	}
	eventually(t, "the replica shows the second push", func() bool { return shows("Second push.") })
	push("Third push.")
	if code, out := hook("X-Gitea-Signature", sig, "X-Gitea-Delivery", "e1"); code != http.StatusAccepted {
		t.Fatalf("Gitea hook = %d %s", code, out)
	}
	eventually(t, "the replica shows the third push", func() bool { return shows("Third push.") })
	if got, want := replica.MainCommit(t), Git(t, upstreamDir, "rev-parse", "master"); got != want {
		t.Errorf("the replica's main is %s, the upstream's %s", got, want)
	}
	replica.Fsck(t)

	// Without the webhook, the poll: a second replica fetching every second.
	data2, _ := mustInit(t, upstream)
	polling := MustServeWith(t, data2, func(c *main.Config) { c.ReadOnly, c.Upstream, c.UpstreamPoll = true, upstream, time.Second })
	push("Fourth push.")
	eventually(t, "the polling replica shows the push", func() bool {
		return strings.Contains(polling.Page(t, "runbooks/disk-full").Content, "Fourth push.")
	})
}

// Upstream settings that cannot work are refused at start, with why.
func TestUpstreamConfig(t *testing.T) {
	for _, tc := range []struct {
		name      string
		configure func(c *main.Config)
		want      string // "" for accepted
	}{
		{"https", func(c *main.Config) { c.Upstream = "https://git.example.com/runbooks.git" }, ""},
		{"ssh", func(c *main.Config) { c.Upstream = "ssh://git@git.example.com/ops/runbooks.git" }, ""},
		{"scp-like", func(c *main.Config) { c.Upstream = "git@github.com:acme/runbooks.git" }, ""},
		{"file", func(c *main.Config) { c.Upstream = "/srv/runbooks.git" }, "must be an https://"},
		{"password in URL", func(c *main.Config) { c.Upstream = "https://bot:hunter2@git.example.com/r.git" }, "must not carry a password"},
		{"fast poll", func(c *main.Config) { c.Upstream, c.UpstreamPoll = "https://git.example.com/r.git", time.Millisecond }, "--upstream-poll must be at least 1s"},
		{"token and key", func(c *main.Config) {
			c.Upstream, c.UpstreamTokenFile, c.UpstreamSSHKey = "https://git.example.com/r.git", "/t", "/k"
		}, "give one"},
		{"token without upstream", func(c *main.Config) { c.UpstreamTokenFile = "/t" }, "need --upstream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := main.DefaultConfig()
			cfg.Data = t.TempDir()
			tc.configure(&cfg)
			err := cfg.ValidateServe()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("ValidateServe = %v, want accepted", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("ValidateServe = %v, want %q", err, tc.want)
			}
		})
	}
}
