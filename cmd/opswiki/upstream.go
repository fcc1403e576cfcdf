package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttpauth "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
	"github.com/opswiki/opswiki/wiki/web"
)

// checkUpstreamURL accepts the addresses git hosts give for a repository:
// http(s)://, ssh://, and scp-like user@host:path.
func checkUpstreamURL(raw string) error {
	ep, err := transport.NewEndpoint(raw)
	if err != nil {
		return fmt.Errorf("--upstream %q is not a git repository address: %w", raw, err)
	}
	switch ep.Protocol {
	case "http", "https", "ssh":
	default:
		return fmt.Errorf("--upstream %q must be an https://, http:// or SSH (ssh://host/repo.git, git@host:repo.git) address, not %s", raw, ep.Protocol)
	}
	if ep.Host == "" {
		return fmt.Errorf("--upstream %q names no host", raw)
	}
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if _, hasPassword := u.User.Password(); hasPassword {
			return fmt.Errorf("--upstream must not carry a password; put the token in --upstream-token-file")
		}
	}
	return nil
}

// upstreamAuth returns the credentials for --upstream: a token as HTTP
// basic auth, an SSH key checked against known_hosts, or none.
func (m *Main) upstreamAuth() (transport.AuthMethod, error) {
	c := m.Config
	switch {
	case c.UpstreamTokenFile != "":
		b, err := os.ReadFile(c.UpstreamTokenFile)
		if err != nil {
			return nil, fmt.Errorf("--upstream-token-file: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return nil, fmt.Errorf("--upstream-token-file %s is empty", c.UpstreamTokenFile)
		}
		return &githttpauth.BasicAuth{Username: "opswiki", Password: tok}, nil
	case c.UpstreamSSHKey != "":
		ep, err := transport.NewEndpoint(c.Upstream)
		if err != nil {
			return nil, err
		}
		user := ep.User
		if user == "" {
			user = "git"
		}
		keys, err := gitssh.NewPublicKeysFromFile(user, c.UpstreamSSHKey, "")
		if err != nil {
			return nil, fmt.Errorf("--upstream-ssh-key %s: %w", c.UpstreamSSHKey, err)
		}
		var files []string
		if c.UpstreamKnownHosts != "" {
			files = []string{c.UpstreamKnownHosts}
		}
		db, err := gitssh.NewKnownHostsDb(files...)
		if err != nil {
			return nil, fmt.Errorf("the upstream's host key cannot be checked: %w (give --upstream-known-hosts, a known_hosts file with the git host's key: ssh-keyscan HOST)", err)
		}
		keys.HostKeyCallback = db.HostKeyCallback()
		// Ask for the key types known_hosts lists for the host: one that
		// offers several (GitHub: ed25519, ECDSA, RSA) would otherwise show
		// one the file lacks, which reads as a changed key.
		keys.HostKeyAlgorithms = db.HostKeyAlgorithms(net.JoinHostPort(ep.Host, strconv.Itoa(cmp.Or(ep.Port, 22))))
		return keys, nil
	}
	return nil, nil
}

// attachUpstream connects the store to --upstream and makes the first
// copy of it into an empty repository. Without --read-only every later
// write goes through it. An empty upstream is given the wiki's main.
func (m *Main) attachUpstream(ctx context.Context, log *slog.Logger) error {
	auth, err := m.upstreamAuth()
	if err != nil {
		return err
	}
	m.upstream, err = m.store.NewUpstream(gitstore.UpstreamOptions{URL: m.Config.Upstream, Auth: auth, Who: m.author(), ReadOnly: m.Config.ReadOnly})
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if _, err := m.upstream.Sync(sctx); err != nil {
		if _, herr := m.store.Head(ctx); errors.Is(herr, wiki.ErrEmpty) {
			return fmt.Errorf("the first copy of --upstream %s: %w", m.Config.Upstream, err)
		}
		// A wiki with pages serves them; the syncer keeps trying.
		log.Warn("upstream cannot be reached; serving what this copy has and keeping writes until it returns", "upstream", m.Config.Upstream, "err", err)
	}
	return nil
}

// syncUpstream keeps main and the upstream in step: a fetch, merge and
// delivery on start, every --upstream-poll, whenever the push webhook
// asks, and, while the upstream cannot be reached, after a wait that
// doubles from a second up to the poll.
func (m *Main) syncUpstream(ctx context.Context, now <-chan struct{}, log *slog.Logger) {
	wait := time.Second
	for {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		moved, err := m.upstream.Sync(sctx)
		cancel()
		if moved {
			m.follower.Notify()
		}
		next := m.Config.UpstreamPoll
		switch {
		case err != nil && ctx.Err() == nil:
			st := m.upstream.Status(ctx)
			log.Warn("upstream", "upstream", m.Config.Upstream, "ahead", st.Ahead, "err", err)
			next = min(wait, m.Config.UpstreamPoll)
			wait = min(2*wait, m.Config.UpstreamPoll)
		default:
			wait = time.Second
		}
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-now:
			t.Stop()
		}
	}
}

// upstreamState adapts the upstream's status for the web layer.
func (m *Main) upstreamState(ctx context.Context) web.UpstreamState {
	st := m.upstream.Status(ctx)
	return web.UpstreamState{URL: redactURL(st.URL), Branch: st.Branch, Ahead: st.Ahead, Behind: st.Behind, Down: st.Down,
		DownSince: st.DownSince, Contact: st.Contact, Conflicts: st.Conflicts, ReadOnly: st.ReadOnly}
}

// redactURL drops a user name from an address before it is shown.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// registerUpstreamMetrics adds the upstream's gauges and counters.
func (m *Main) registerUpstreamMetrics(reg *prometheus.Registry) {
	status := func() gitstore.UpstreamStatus { return m.upstream.Status(context.Background()) }
	gauge := func(name, help string, f func(gitstore.UpstreamStatus) float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(status()) }))
	}
	gauge("opswiki_upstream_ahead_commits", "Commits on main the upstream does not have yet: writes waiting for delivery.",
		func(s gitstore.UpstreamStatus) float64 { return float64(s.Ahead) })
	gauge("opswiki_upstream_behind_commits", "Commits on the upstream main does not have yet.",
		func(s gitstore.UpstreamStatus) float64 { return float64(s.Behind) })
	gauge("opswiki_upstream_up", "1 when the last conversation with the upstream worked, else 0.",
		func(s gitstore.UpstreamStatus) float64 {
			if s.Down != "" {
				return 0
			}
			return 1
		})
	gauge("opswiki_upstream_last_contact_timestamp_seconds", "When a fetch from or push to the upstream last worked (Unix time).",
		func(s gitstore.UpstreamStatus) float64 {
			if s.Contact.IsZero() {
				return 0
			}
			return float64(s.Contact.UnixNano()) / 1e9
		})
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "opswiki_upstream_pushes_total", Help: "Pushes the upstream took."},
		func() float64 { return float64(status().Pushes) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "opswiki_upstream_failures_total", Help: "Fetches and pushes that could not reach the upstream."},
		func() float64 { return float64(status().Failures) }))
}
