package main_test

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// sshUpstream is a git host reached over SSH with a deploy key: the
// repository, the server, and the files the wiki is given.
type sshUpstream struct {
	*gitHost
	SSH        *SSHGitHost
	HostKey    ssh.Signer
	Key        string // --upstream-ssh-key
	KnownHosts string // --upstream-known-hosts
}

// mustSSHUpstream serves a bare repository holding files on branch master
// over SSH, with an ed25519 host key and one authorized ed25519 client
// key, plus extra host keys the host also offers.
func mustSSHUpstream(t testing.TB, files map[string][]byte, extraHostKeys ...ssh.Signer) *sshUpstream {
	t.Helper()
	root := t.TempDir()
	src := MustHistoryRepo(t, files, max(2, len(files)))
	dir := filepath.Join(root, "runbooks.git")
	Git(t, "", "clone", "-q", "--bare", src, dir)
	_, hostKey := mustSSHKey(t, false)
	clientPriv, client := mustSSHKey(t, false)
	srv := MustServeSSHGit(t, root, append(extraHostKeys, hostKey), client.PublicKey())
	known := filepath.Join(t.TempDir(), "known_hosts")
	mustWrite(t, known, srv.KnownHostsLine(hostKey.PublicKey())+"\n")
	return &sshUpstream{gitHost: &gitHost{Dir: dir, Repo: srv.URL("runbooks.git")}, SSH: srv, HostKey: hostKey,
		Key: mustWriteSSHKey(t, clientPriv), KnownHosts: known}
}

// configure points a wiki at the host with its key and known_hosts.
func (u *sshUpstream) configure(more func(*main.Config)) func(*main.Config) {
	return func(c *main.Config) {
		c.Upstream, c.UpstreamPoll = u.Repo, time.Hour
		c.UpstreamSSHKey, c.UpstreamKnownHosts = u.Key, u.KnownHosts
		if more != nil {
			more(c)
		}
	}
}

// countOf counts the times s is in list.
func countOf(list []string, s string) int {
	n := 0
	for _, e := range list {
		if e == s {
			n++
		}
	}
	return n
}

// TestSSHUpstream: a wiki whose repository of record is reached over SSH
// with a deploy key and a known_hosts file. It makes its first copy over
// SSH, every acknowledged save is on the host's branch, and a push
// straight to the host shows once the host's webhook calls.
func TestSSHUpstream(t *testing.T) {
	host := mustSSHUpstream(t, map[string][]byte{"README.md": []byte("# Runbooks\n"), "runbooks/disk-full.md": []byte(diskFull)})
	secret := filepath.Join(t.TempDir(), "hook-secret")
	mustWrite(t, secret, hookSecret)
	s := MustServeWith(t, "", host.configure(func(c *main.Config) { c.UpstreamHookSecretFile = secret }))

	t.Run("first copy over SSH", func(t *testing.T) {
		if got, want := s.MainCommit(t), host.Main(t); got != want {
			t.Fatalf("the wiki started at %s, the host is at %s", got, want)
		}
		if !strings.Contains(s.Page(t, "runbooks/disk-full").Content, "Delete old logs.") {
			t.Error("the wiki lacks the host's page")
		}
		if !slices.Contains(host.SSH.Served(), "git-upload-pack runbooks.git") {
			t.Errorf("the host ran %q, no upload-pack", host.SSH.Served())
		}
	})

	t.Run("save is on the host when acknowledged", func(t *testing.T) {
		pushes := func() int { return countOf(host.SSH.Served(), "git-receive-pack runbooks.git") }
		before := pushes()
		page := s.Page(t, "runbooks/disk-full")
		edited := strings.Replace(page.Content, "Delete old logs.", "Delete old logs, then rotate.", 1)
		if code, out := s.Put(t, "runbooks/disk-full", edited, page.Blob, "rotate"); code != http.StatusOK {
			t.Fatalf("save = %d %v", code, out)
		}
		if got, want := host.Main(t), s.MainCommit(t); got != want {
			t.Errorf("acknowledged save: host at %s, wiki at %s", got, want)
		}
		if got := host.Show(t, "runbooks/disk-full.md"); got != edited {
			t.Errorf("the host's file is %q, the save was %q", got, edited)
		}
		if pushes() == before {
			t.Errorf("the save was acknowledged without a push over SSH; the host ran %q", host.SSH.Served())
		}
	})

	t.Run("push to the host shows after the webhook", func(t *testing.T) {
		host.Push(t, "runbooks/cpu.md", "# CPU\n\nPushed to the host.\n", "cpu")
		req, err := http.NewRequest("POST", s.URL+"/-/api/upstream/hook", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Gitlab-Token", hookSecret)
		if code, _, out := do(t, req); code != http.StatusAccepted {
			t.Fatalf("hook = %d %s", code, out)
		}
		eventually(t, "the wiki shows the host's push", func() bool {
			code, _, _ := s.Get(t, "/-/api/pages/runbooks/cpu")
			return code == http.StatusOK && s.MainCommit(t) == host.Main(t)
		})
		if !strings.Contains(s.Page(t, "runbooks/cpu").Content, "Pushed to the host.") {
			t.Error("the wiki's page lacks the host's content")
		}
	})
	host.Fsck(t)
	s.Fsck(t)
}

// TestSSHUpstreamRefused: an SSH upstream the wiki cannot trust or cannot
// log in to stops a wiki without pages at start, with why; the same data
// folder starts once the settings are right.
func TestSSHUpstreamRefused(t *testing.T) {
	host := mustSSHUpstream(t, map[string][]byte{"README.md": []byte("# Runbooks\n")})
	_, otherHostKey := mustSSHKey(t, false)
	otherPriv, _ := mustSSHKey(t, false)
	otherHost := filepath.Join(t.TempDir(), "known_hosts")
	mustWrite(t, otherHost, "[127.0.0.1]:1 "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(host.HostKey.PublicKey())))+"\n")
	changed := filepath.Join(t.TempDir(), "known_hosts")
	mustWrite(t, changed, host.SSH.KnownHostsLine(otherHostKey.PublicKey())+"\n")
	notAKey := filepath.Join(t.TempDir(), "key")
	mustWrite(t, notAKey, "not a key\n")

	for _, tc := range []struct {
		name    string
		change  func(c *main.Config)
		want    []string // parts of the start error
		refused bool     // the host saw the key and refused it
	}{
		{"host key not in known_hosts", func(c *main.Config) { c.UpstreamKnownHosts = otherHost },
			[]string{"--upstream " + host.Repo, "knownhosts: key is unknown"}, false},
		{"host key changed", func(c *main.Config) { c.UpstreamKnownHosts = changed },
			[]string{"--upstream " + host.Repo, "knownhosts: key mismatch"}, false},
		{"known_hosts missing", func(c *main.Config) { c.UpstreamKnownHosts = filepath.Join(t.TempDir(), "absent") },
			[]string{"the upstream's host key cannot be checked", "--upstream-known-hosts"}, false},
		{"client key not authorized", func(c *main.Config) { c.UpstreamSSHKey = mustWriteSSHKey(t, otherPriv) },
			[]string{"--upstream " + host.Repo, "unable to authenticate"}, true},
		{"key file is not a key", func(c *main.Config) { c.UpstreamSSHKey = notAKey },
			[]string{"--upstream-ssh-key " + notAKey}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			refusedBefore := host.SSH.Refused()
			err := serveFails(t, data, host.configure(tc.change))
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("start error %q, want it to say %q", err, want)
				}
			}
			if refused := host.SSH.Refused() > refusedBefore; refused != tc.refused {
				t.Errorf("the host refused a key: %v, want %v", refused, tc.refused)
			}
			s := MustServeWith(t, data, host.configure(nil))
			if got, want := s.MainCommit(t), host.Main(t); got != want {
				t.Errorf("after the refused start, the wiki started at %s, the host is at %s", got, want)
			}
			s.Stop(t)
		})
	}
}

// TestSSHUpstreamHostKeyTypes: a git host offers several host keys (GitHub
// offers ed25519, ECDSA and RSA); a known_hosts file listing only one of
// them, as `ssh-keyscan -t ed25519` writes it, is enough.
func TestSSHUpstreamHostKeyTypes(t *testing.T) {
	_, ecdsaKey := mustSSHKey(t, true)
	host := mustSSHUpstream(t, map[string][]byte{"README.md": []byte("# Runbooks\n")}, ecdsaKey)
	s := MustServeWith(t, "", host.configure(nil))
	if got, want := s.MainCommit(t), host.Main(t); got != want {
		t.Errorf("the wiki started at %s, the host is at %s", got, want)
	}
}
