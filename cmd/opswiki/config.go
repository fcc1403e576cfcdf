package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/opswiki/opswiki/wiki"
)

// Config is everything the command can be told. Values come from defaults,
// then a config file, then OPSWIKI_* variables, then flags: each later
// source overrides the earlier ones.
type Config struct {
	Addr         string
	Data         string
	SiteName     string
	Author       string
	Auth         string
	InsecureOpen bool
	Poll         time.Duration
	LogLevel     string
	LogFormat    string
	ConfigFile   string
	// MemoryLimitMB is the soft limit given to the Go runtime (GOMEMLIMIT),
	// so the collector works harder before the process outgrows it.
	MemoryLimitMB int
	// PageCacheMB bounds the cache of rendered pages.
	PageCacheMB int
	// MaxPageKB and MaxUploadMB bound what a save or an upload may send.
	MaxPageKB   int
	MaxUploadMB int
	// MaxPushMB bounds a git push's pack, held in memory while it is checked.
	MaxPushMB int
	// BaseURL is the wiki's public address; requests for other host names
	// are refused, and absolute links use it.
	BaseURL string
	// AlertmanagerTokenFile holds the bearer token of Alertmanager's
	// webhook; "" leaves the webhook off.
	AlertmanagerTokenFile string
	// ReadOnly makes a replica refusing every write; PrimaryURL names
	// where the wiki is edited.
	ReadOnly   bool
	PrimaryURL string
	// Upstream is the git repository of record: fetched on start, every
	// UpstreamPoll, and when the git host's push webhook (signed with the
	// secret in UpstreamHookSecretFile) says so; unless ReadOnly, every
	// write is pushed there before it is acknowledged, or queued while it
	// cannot be reached. Credentials: a token (HTTP) or an SSH key.
	Upstream               string
	UpstreamTokenFile      string
	UpstreamSSHKey         string
	UpstreamKnownHosts     string
	UpstreamPoll           time.Duration
	UpstreamHookSecretFile string
	// Rules are Prometheus rule files and folders of them, shown on
	// /-/alerts and on the runbooks answering them, re-read on change.
	Rules []string
	// ReadHeaderTimeout and IdleTimeout bound a request's headers and an
	// idle keep-alive connection; BodyTimeout how long a request body may
	// stall, and BodyMinRateKB the KiB per second it must average.
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	BodyTimeout       time.Duration
	BodyMinRateKB     int

	// Access control (SPEC §7).
	UsersFile     string
	RolesFile     string
	AnonymousRead bool
	TrustedProxy  string // comma-separated CIDRs
	DefaultRole   string
	SessionTTL    time.Duration

	// Signing in with the organisation's identity provider (--auth oidc);
	// OIDCScopes is comma-separated, "" for the default.
	OIDCIssuer           string
	OIDCClientID         string
	OIDCClientSecretFile string
	OIDCRedirectURL      string
	OIDCGroupsClaim      string
	OIDCScopes           string
	OIDCProviderName     string
}

// DefaultConfig returns the defaults of SPEC §8.
func DefaultConfig() Config {
	return Config{
		Addr:         "127.0.0.1:8080",
		Data:         "./data",
		SiteName:     "opswiki",
		Author:       "opswiki <opswiki@localhost>",
		Auth:         "none",
		Poll:         200 * time.Millisecond,
		UpstreamPoll: 30 * time.Second,
		LogLevel:     "info",
		LogFormat:    "text",

		MemoryLimitMB: 256,
		PageCacheMB:   32,
		MaxPageKB:     1024,
		MaxUploadMB:   25,
		MaxPushMB:     512,
		DefaultRole:   "editor",
		SessionTTL:    30 * 24 * time.Hour,

		OIDCGroupsClaim: "groups",

		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BodyTimeout:       30 * time.Second,
		BodyMinRateKB:     1,
	}
}

// flagSet declares every flag on fs, bound to c. Flag names are also the
// keys of the config file and, upper-cased with OPSWIKI_ and dashes as
// underscores, the environment variables.
func (c *Config) flagSet(name string, serve bool) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&c.Data, "data", c.Data, "data directory: the repository (wiki.git) and the search index (index)")
	fs.StringVar(&c.Author, "author", c.Author, `commit author for changes the server makes, as "Name <email>"`)
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.StringVar(&c.ConfigFile, "config", c.ConfigFile, "YAML file of settings, keyed by flag name")
	if serve {
		fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on")
		fs.StringVar(&c.SiteName, "site-name", c.SiteName, "name shown in the header and page titles")
		fs.StringVar(&c.Auth, "auth", c.Auth, "access control: none (everyone may read and edit), users (--users htpasswd file), proxy (--trusted-proxy) or oidc (--oidc-issuer: sign in with the organisation's identity provider)")
		c.oidcFlags(fs)
		fs.StringVar(&c.UsersFile, "users", c.UsersFile, "htpasswd file of users with bcrypt passwords (htpasswd -B), for --auth users")
		fs.StringVar(&c.RolesFile, "roles", c.RolesFile, "YAML file of role (reader, editor, admin) to user names")
		fs.BoolVar(&c.AnonymousRead, "anonymous-read", c.AnonymousRead, "let anyone read without signing in")
		fs.StringVar(&c.TrustedProxy, "trusted-proxy", c.TrustedProxy, "comma-separated addresses or CIDRs of proxies whose X-Forwarded-For gives the client's address (for sign-in throttling) and, for --auth proxy, whose X-Forwarded-User is believed")
		fs.Func("rules", "a Prometheus rule file, or a folder of them, whose alerts /-/alerts lists with their runbooks (repeatable; re-read when they change)", func(v string) error {
			c.Rules = append(c.Rules, v)
			return nil
		})
		fs.BoolVar(&c.ReadOnly, "read-only", c.ReadOnly, "a read-only replica: refuse every write (browser, API, git push), naming --primary-url; main is moved by whatever keeps this copy in step (git fetch)")
		fs.StringVar(&c.PrimaryURL, "primary-url", c.PrimaryURL, "with --read-only: the address of the wiki where people edit")
		fs.StringVar(&c.Upstream, "upstream", c.Upstream, "the git repository of record (https://host/repo.git or ssh://git@host/repo.git or git@host:repo.git): fetched on start, every --upstream-poll and on its push webhook; every write is pushed there first (queued while it cannot be reached); with --read-only, only followed")
		fs.StringVar(&c.UpstreamTokenFile, "upstream-token-file", c.UpstreamTokenFile, "file holding a token for an HTTP(S) --upstream (basic auth, as GitHub, GitLab and Gitea take tokens; it needs write access unless --read-only)")
		fs.StringVar(&c.UpstreamSSHKey, "upstream-ssh-key", c.UpstreamSSHKey, "file holding the private SSH key (unencrypted, as deploy keys are) for an SSH --upstream")
		fs.StringVar(&c.UpstreamKnownHosts, "upstream-known-hosts", c.UpstreamKnownHosts, "known_hosts file checking an SSH --upstream's host key (default: $SSH_KNOWN_HOSTS, else ~/.ssh/known_hosts)")
		fs.DurationVar(&c.UpstreamPoll, "upstream-poll", c.UpstreamPoll, "how often --upstream is fetched")
		fs.StringVar(&c.UpstreamHookSecretFile, "upstream-hook-secret-file", c.UpstreamHookSecretFile, "file holding the secret of the git host's push webhook, POST /-/api/upstream/hook (GitHub, GitLab, Gitea)")
		fs.StringVar(&c.AlertmanagerTokenFile, "alertmanager-token-file", c.AlertmanagerTokenFile, "file holding the bearer token Alertmanager's webhook sends to POST /-/api/alertmanager; without it the webhook is off")
		fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "the wiki's public address, such as https://wiki.example.com: requests for other host names are refused (421), and links in feeds and clone instructions use it")
		fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", c.ReadHeaderTimeout, "how long a client may take to send a request's headers")
		fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "how long an idle keep-alive connection stays open")
		fs.DurationVar(&c.BodyTimeout, "body-timeout", c.BodyTimeout, "how long a request body (save, upload, git push) may stall before it is cut off; 0 for never")
		fs.IntVar(&c.BodyMinRateKB, "body-min-rate-kb", c.BodyMinRateKB, "KiB per second a request body must average after the first --body-timeout; 0 for any rate")
		fs.StringVar(&c.DefaultRole, "default-role", c.DefaultRole, "role of a signed-in user the roles file does not list")
		fs.DurationVar(&c.SessionTTL, "session-ttl", c.SessionTTL, "how long a browser sign-in lasts")
		fs.BoolVar(&c.InsecureOpen, "insecure-open", c.InsecureOpen, "allow --auth none on a non-loopback address")
		fs.DurationVar(&c.Poll, "poll", c.Poll, "how often to check main for commits made by other processes")
		fs.IntVar(&c.MemoryLimitMB, "memory-limit-mb", c.MemoryLimitMB, "soft memory limit for the Go runtime in MiB, 0 for none (GOMEMLIMIT overrides it)")
		fs.IntVar(&c.PageCacheMB, "page-cache-mb", c.PageCacheMB, "memory for rendered pages in MiB")
		fs.IntVar(&c.MaxPageKB, "max-page-kb", c.MaxPageKB, "largest page a save may write, in KiB")
		fs.IntVar(&c.MaxUploadMB, "max-upload-mb", c.MaxUploadMB, "largest attachment an upload may write, in MiB")
		fs.IntVar(&c.MaxPushMB, "max-push-mb", c.MaxPushMB, "largest pack a git push may send, in MiB (it is held in memory while checked)")
	}
	return fs
}

// parse fills c from the config file, the environment and args, in that
// order, and validates the result.
func (c *Config) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	file := c.ConfigFile
	if v := os.Getenv("OPSWIKI_CONFIG"); v != "" && !set["config"] {
		file = v
	}
	if file != "" {
		if err := c.loadFile(fs, file, set); err != nil {
			return err
		}
	}
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		env := "OPSWIKI_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok && !set[f.Name] && f.Name != "config" {
			if err := fs.Set(f.Name, v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s=%q: %w", env, v, err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	return c.Validate()
}

// loadFile applies a YAML file of flag-name keys, for flags not given on
// the command line (environment variables are applied after it).
func (c *Config) loadFile(fs *flag.FlagSet, file string, set map[string]bool) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read config file: %w", err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(b, &values); err != nil {
		return fmt.Errorf("config file %s: %w", file, err)
	}
	for k, v := range values {
		f := fs.Lookup(k)
		if f == nil || k == "config" {
			return fmt.Errorf("config file %s: unknown setting %q", file, k)
		}
		if set[k] {
			continue
		}
		// A list sets a repeatable flag once for each of its values.
		list, ok := v.([]any)
		if !ok {
			list = []any{v}
		}
		for _, one := range list {
			if err := fs.Set(k, fmt.Sprint(one)); err != nil {
				return fmt.Errorf("config file %s: %s: %w", file, k, err)
			}
		}
	}
	return nil
}

// Validate checks the settings together.
func (c *Config) Validate() error {
	if c.Data == "" {
		return errors.New("--data must not be empty")
	}
	abs, err := filepath.Abs(c.Data)
	if err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	c.Data = abs
	if _, _, err := parseAuthor(c.Author); err != nil {
		return err
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level must be debug, info, warn or error, not %q", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format must be text or json, not %q", c.LogFormat)
	}
	return nil
}

// ValidateServe checks the settings only the server uses.
func (c *Config) ValidateServe() error {
	if c.Poll < 10*time.Millisecond || c.Poll > time.Minute {
		return fmt.Errorf("--poll must be between 10ms and 1m, not %s", c.Poll)
	}
	if c.MemoryLimitMB < 0 || c.PageCacheMB < 1 || c.MaxPageKB < 1 || c.MaxUploadMB < 1 || c.MaxPushMB < 1 {
		return fmt.Errorf("--memory-limit-mb must be 0 or more; --page-cache-mb, --max-page-kb, --max-upload-mb and --max-push-mb 1 or more")
	}
	if c.ReadHeaderTimeout <= 0 || c.IdleTimeout <= 0 || c.BodyTimeout < 0 || c.BodyMinRateKB < 0 {
		return fmt.Errorf("--read-header-timeout and --idle-timeout must be more than 0; --body-timeout and --body-min-rate-kb 0 or more")
	}
	if _, err := c.publicURL(); err != nil {
		return err
	}
	if c.Upstream != "" {
		if err := checkUpstreamURL(c.Upstream); err != nil {
			return err
		}
		if c.UpstreamPoll < time.Second {
			return fmt.Errorf("--upstream-poll must be at least 1s, not %s", c.UpstreamPoll)
		}
		if c.UpstreamTokenFile != "" && c.UpstreamSSHKey != "" {
			return errors.New("--upstream-token-file is for an HTTP(S) upstream and --upstream-ssh-key for an SSH one: give one")
		}
	} else if c.UpstreamTokenFile != "" || c.UpstreamSSHKey != "" || c.UpstreamHookSecretFile != "" {
		return errors.New("--upstream-token-file, --upstream-ssh-key and --upstream-hook-secret-file need --upstream")
	}
	if _, ok := wiki.ParseRole(c.DefaultRole); !ok {
		return fmt.Errorf("--default-role must be reader, editor or admin, not %q", c.DefaultRole)
	}
	if err := c.validateOIDC(); err != nil {
		return err
	}
	switch c.Auth {
	case "oidc":
	case "none":
	case "users":
		if c.UsersFile == "" {
			return fmt.Errorf("--auth users needs --users FILE, an htpasswd file with bcrypt passwords")
		}
		if c.TrustedProxy != "" {
			if _, err := c.trustedProxies(); err != nil {
				return err
			}
		}
	case "proxy":
		if _, err := c.trustedProxies(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("--auth must be none, users, proxy or oidc, not %q", c.Auth)
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", c.Addr, err)
	}
	if c.Auth == "none" && !c.InsecureOpen && !isLoopback(host) {
		return fmt.Errorf("--auth none lets anyone who can reach %s read and edit the wiki, so it listens only on a loopback address (127.0.0.1, ::1, localhost); put an authenticating proxy in front and pass --insecure-open to listen on %q", c.Addr, host)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseAuthor splits "Name <email>".
func parseAuthor(s string) (name, email string, err error) {
	s = strings.TrimSpace(s)
	i, j := strings.LastIndexByte(s, '<'), strings.LastIndexByte(s, '>')
	if i <= 0 || j != len(s)-1 || j < i {
		return "", "", fmt.Errorf(`--author must look like "Name <email>", not %q`, s)
	}
	return strings.TrimSpace(s[:i]), s[i+1 : j], nil
}

// trustedProxies parses --trusted-proxy: addresses or CIDRs.
func (c *Config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(c.TrustedProxy, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(part); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		} else {
			return nil, fmt.Errorf("--trusted-proxy: %q is not an address or CIDR", part)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--auth proxy needs --trusted-proxy with the proxy's addresses (CIDRs)")
	}
	return out, nil
}

// publicURL checks and normalises --base-url: an http or https URL with a
// host and nothing after it, returned without a trailing slash or the
// scheme's default port ("" when not set).
func (c *Config) publicURL() (string, error) {
	if c.BaseURL == "" {
		return "", nil
	}
	bad := func(why string) error {
		return fmt.Errorf("--base-url %q %s; give the address people open, such as https://wiki.example.com", c.BaseURL, why)
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return "", bad("is not a URL")
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return "", bad("must start with http:// or https://")
	case u.Host == "" || u.Hostname() == "":
		return "", bad("has no host name")
	case u.User != nil:
		return "", bad("must not hold a user or password")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.ForceQuery, u.Fragment != "":
		return "", bad("must not have a path, query or fragment: the wiki is served at the root of its host")
	}
	host := strings.ToLower(u.Host)
	if port := u.Port(); (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		host = strings.ToLower(u.Hostname())
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	return scheme + "://" + host, nil
}
