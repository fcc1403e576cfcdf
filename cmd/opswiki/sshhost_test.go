package main_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHGitHost serves the bare repositories under a folder over SSH on
// 127.0.0.1, as a git host serves them to deploy keys: a client whose
// public key is authorized may run git-upload-pack or git-receive-pack on
// a repository below the folder, and the real git command answers.
type SSHGitHost struct {
	Addr string // 127.0.0.1:PORT
	Port int

	tb     testing.TB
	root   string
	home   string
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	conns   map[net.Conn]bool
	allowed map[string]bool // authorized keys, in wire format
	served  []string        // git commands run, as "git-receive-pack runbooks.git"
	refused int             // logins refused for an unknown key
}

// MustServeSSHGit serves root's repositories over SSH with the given host
// keys, to the authorized client keys, until the test ends.
func MustServeSSHGit(tb testing.TB, root string, hostKeys []ssh.Signer, authorized ...ssh.PublicKey) *SSHGitHost {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &SSHGitHost{Addr: ln.Addr().String(), Port: ln.Addr().(*net.TCPAddr).Port, tb: tb, root: root, home: tb.TempDir(),
		ln: ln, ctx: ctx, cancel: cancel, conns: map[net.Conn]bool{}, allowed: map[string]bool{}}
	for _, k := range authorized {
		h.Authorize(k)
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: h.checkKey}
	for _, k := range hostKeys {
		cfg.AddHostKey(k)
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			if h.conns == nil {
				h.mu.Unlock()
				conn.Close()
				return
			}
			h.conns[conn] = true
			h.wg.Add(1)
			h.mu.Unlock()
			go func() {
				defer h.wg.Done()
				h.serveConn(conn, cfg)
				h.mu.Lock()
				delete(h.conns, conn)
				h.mu.Unlock()
			}()
		}
	}()
	tb.Cleanup(h.Close)
	return h
}

// Close stops the host: no new connections, open ones cut, and every
// git command it ran ended.
func (h *SSHGitHost) Close() {
	h.ln.Close()
	h.cancel()
	h.mu.Lock()
	for c := range h.conns {
		c.Close()
	}
	h.conns = nil
	h.mu.Unlock()
	h.wg.Wait()
}

// URL is the ssh:// address of the repository root/name.
func (h *SSHGitHost) URL(name string) string {
	return fmt.Sprintf("ssh://git@%s/%s", h.Addr, name)
}

// KnownHostsLine is the known_hosts line naming this host with key, as
// ssh-keyscan -p PORT 127.0.0.1 prints it.
func (h *SSHGitHost) KnownHostsLine(key ssh.PublicKey) string {
	return knownhosts.Line([]string{knownhosts.Normalize(h.Addr)}, key)
}

// Authorize lets the holder of key's private half in.
func (h *SSHGitHost) Authorize(key ssh.PublicKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.allowed[string(key.Marshal())] = true
}

// Served returns the git commands run so far.
func (h *SSHGitHost) Served() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.served...)
}

// Refused returns how many logins were refused for an unknown key.
func (h *SSHGitHost) Refused() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.refused
}

func (h *SSHGitHost) checkKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.allowed[string(key.Marshal())] {
		return &ssh.Permissions{}, nil
	}
	h.refused++
	return nil, fmt.Errorf("key %s of %s is not authorized", ssh.FingerprintSHA256(key), meta.User())
}

func (h *SSHGitHost) serveConn(conn net.Conn, cfg *ssh.ServerConfig) {
	defer conn.Close()
	sconn, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return // a refused key or host key ends here, as it should
	}
	defer sconn.Close()
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	defer wg.Wait()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.serveSession(ch, creqs)
		}()
	}
}

// serveSession runs the one command a session asks for; a git host gives
// no shell, no environment and no second command.
func (h *SSHGitHost) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" {
			req.Reply(false, nil)
			continue
		}
		var payload struct{ Command string }
		if err := ssh.Unmarshal(req.Payload, &payload); err != nil {
			req.Reply(false, nil)
			continue
		}
		req.Reply(true, nil)
		go ssh.DiscardRequests(reqs)
		status := h.run(ch, payload.Command)
		ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
		return
	}
}

// run runs a git-upload-pack or git-receive-pack command line with the
// channel as its input and output, and returns its exit status.
func (h *SSHGitHost) run(ch ssh.Channel, line string) uint32 {
	verb, dir, err := h.parse(line)
	if err != nil {
		fmt.Fprintf(ch.Stderr(), "fatal: %v\n", err)
		return 128
	}
	h.mu.Lock()
	rel, _ := filepath.Rel(h.root, dir)
	h.served = append(h.served, "git-"+verb+" "+filepath.ToSlash(rel))
	h.mu.Unlock()
	cmd := exec.CommandContext(h.ctx, "git", verb, dir)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+h.home)
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	in, err := cmd.StdinPipe()
	if err != nil {
		fmt.Fprintf(ch.Stderr(), "fatal: %v\n", err)
		return 128
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(ch.Stderr(), "fatal: %v\n", err)
		return 128
	}
	// The copy is not waited for: a client that only lists the refs keeps
	// its side open until the session closes.
	go func() {
		io.Copy(in, ch)
		in.Close()
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() > 0:
		return uint32(exit.ExitCode())
	}
	return 128
}

// parse reads "git-upload-pack '/runbooks.git'" (or git's other ways of
// writing it: unquoted, "git upload-pack", with or without the leading
// slash) into the git subcommand and a repository below root.
func (h *SSHGitHost) parse(line string) (verb, dir string, err error) {
	line = strings.TrimSpace(line)
	for _, v := range []string{"upload-pack", "receive-pack"} {
		for _, prefix := range []string{"git-" + v + " ", "git " + v + " "} {
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				verb, line = v, strings.TrimSpace(rest)
			}
		}
	}
	if verb == "" {
		return "", "", fmt.Errorf("this host runs git-upload-pack and git-receive-pack only, not %q", line)
	}
	path, err := shellUnquote(line)
	if err != nil {
		return "", "", err
	}
	path = strings.TrimPrefix(strings.TrimPrefix(path, "~"), "/")
	if !filepath.IsLocal(filepath.FromSlash(path)) {
		return "", "", fmt.Errorf("%q is not a repository on this host", path)
	}
	dir = filepath.Join(h.root, filepath.FromSlash(path))
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", "", fmt.Errorf("'%s' does not appear to be a git repository", path)
	}
	return verb, dir, nil
}

// shellUnquote undoes git's sq_quote, which wraps a path in single quotes
// and writes a quote or ! inside it as quote, backslash, the character,
// quote; a word without quotes is taken as it is.
func shellUnquote(s string) (string, error) {
	if !strings.HasPrefix(s, "'") {
		if strings.ContainsAny(s, "'\" \t\\") {
			return "", fmt.Errorf("cannot read the path %q", s)
		}
		return s, nil
	}
	var b strings.Builder
	for len(s) > 0 {
		if s[0] != '\'' {
			return "", fmt.Errorf("cannot read the path %q", s)
		}
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", fmt.Errorf("unbalanced quotes in %q", s)
		}
		b.WriteString(s[1 : 1+end])
		s = s[2+end:]
		switch {
		case s == "":
		case len(s) >= 3 && s[0] == '\\' && (s[1] == '\'' || s[1] == '!') && s[2] == '\'':
			b.WriteByte(s[1])
			s = s[2:]
		default:
			return "", fmt.Errorf("cannot read the path %q", s)
		}
	}
	return b.String(), nil
}

// mustSSHKey generates a key pair: an ed25519 one unless ecdsa is asked
// for.
func mustSSHKey(tb testing.TB, ecdsaP256 bool) (crypto.Signer, ssh.Signer) {
	tb.Helper()
	var priv crypto.Signer
	var err error
	if ecdsaP256 {
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := ssh.NewSignerFromSigner(priv)
	if err != nil {
		tb.Fatal(err)
	}
	return priv, signer
}

// mustWriteSSHKey writes a private key as an unencrypted OpenSSH key file,
// as ssh-keygen makes a deploy key without a passphrase, and returns its
// path.
func mustWriteSSHKey(tb testing.TB, priv crypto.Signer) string {
	tb.Helper()
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "deploy_key")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestSSHGitHost checks the SSH git host itself: git's own clients (the
// OpenSSH client under git ls-remote, with the known_hosts line written
// for it) are served, the ways of writing the path are read, and a path
// outside its folder, a command other than git's, or a shell is refused.
func TestSSHGitHost(t *testing.T) {
	base := t.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside.git")
	src := MustHistoryRepo(t, map[string][]byte{"README.md": []byte("# Runbooks\n")}, 2)
	dir := filepath.Join(root, "ops", "runbooks.git")
	Git(t, "", "clone", "-q", "--bare", src, dir)
	Git(t, "", "clone", "-q", "--bare", src, outside)
	_, hostKey := mustSSHKey(t, false)
	clientPriv, client := mustSSHKey(t, false)
	h := MustServeSSHGit(t, root, []ssh.Signer{hostKey}, client.PublicKey())
	key := mustWriteSSHKey(t, clientPriv)
	known := filepath.Join(t.TempDir(), "known_hosts")
	mustWrite(t, known, h.KnownHostsLine(hostKey.PublicKey())+"\n")

	t.Run("git ls-remote over OpenSSH", func(t *testing.T) {
		if _, err := exec.LookPath("ssh"); err != nil {
			t.Skip("no OpenSSH client")
		}
		cmd := exec.Command("git", "ls-remote", h.URL("ops/runbooks.git"), "refs/heads/master")
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir(), "GIT_SSH_COMMAND=ssh -F /dev/null -i "+key+
			" -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="+known+" -o BatchMode=yes")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git ls-remote: %v\n%s", err, out)
		}
		if want := Git(t, dir, "rev-parse", "master"); !strings.HasPrefix(string(out), want) {
			t.Errorf("ls-remote = %q, want %s", out, want)
		}
	})

	conf := &ssh.ClientConfig{User: "git", Auth: []ssh.AuthMethod{ssh.PublicKeys(client)},
		HostKeyCallback: ssh.FixedHostKey(hostKey.PublicKey())}
	for _, tc := range []struct {
		command string
		status  int    // exit status; 0 serves the refs
		stderr  string // part of what the host says when it refuses
	}{
		{"git-upload-pack '/ops/runbooks.git'", 0, ""},
		{"git-upload-pack 'ops/runbooks.git'", 0, ""},
		{"git-receive-pack /ops/runbooks.git", 0, ""},
		{"git upload-pack '~/ops/runbooks.git'", 0, ""},
		{"git-upload-pack '/ops/../ops/runbooks.git'", 0, ""},
		{"git-upload-pack '/../outside.git'", 128, "is not a repository on this host"},
		{"git-upload-pack '/ops/runbooks.git/../../../outside.git'", 128, "is not a repository on this host"},
		{"git-upload-pack '~/../outside.git'", 128, "is not a repository on this host"},
		// An absolute path is read below the root, as git hosts do.
		{"git-upload-pack '" + outside + "'", 128, "does not appear to be a git repository"},
		{"git-upload-pack '/ops/missing.git'", 128, "does not appear to be a git repository"},
		{"git-upload-pack '/ops/runbooks.git'; id", 128, "cannot read the path"},
		{"git-upload-pack '/ops/run'\\''books.git'", 128, "does not appear to be a git repository"},
		{"sh -c id", 128, "git-upload-pack and git-receive-pack only"},
		{"git-upload-archive '/ops/runbooks.git'", 128, "git-upload-pack and git-receive-pack only"},
	} {
		t.Run(tc.command, func(t *testing.T) {
			c, err := ssh.Dial("tcp", h.Addr, conf)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sess, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			var stdout, stderr strings.Builder
			sess.Stdout, sess.Stderr = &stdout, &stderr
			sess.Stdin = strings.NewReader("0000")
			err = sess.Run(tc.command)
			status := 0
			var exit *ssh.ExitError
			if errors.As(err, &exit) {
				status = exit.ExitStatus()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tc.status || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", status, stderr.String(), tc.status, tc.stderr)
			}
			if tc.status == 0 && !strings.Contains(stdout.String(), "refs/heads/master") {
				t.Errorf("no ref advertisement: %q", stdout.String())
			}
		})
	}

	t.Run("unknown key", func(t *testing.T) {
		_, stranger := mustSSHKey(t, false)
		before := h.Refused()
		c, err := ssh.Dial("tcp", h.Addr, &ssh.ClientConfig{User: "git", Auth: []ssh.AuthMethod{ssh.PublicKeys(stranger)},
			HostKeyCallback: ssh.FixedHostKey(hostKey.PublicKey())})
		if err == nil {
			c.Close()
			t.Fatal("a key the host does not know logged in")
		}
		if h.Refused() == before {
			t.Errorf("login failed without the key being refused: %v", err)
		}
	})
}
