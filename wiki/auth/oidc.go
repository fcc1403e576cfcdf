package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/opswiki/opswiki/wiki"
)

// OIDCCallbackPath is where the provider sends the browser back to; the
// redirect URL registered with the provider ends with it.
const OIDCCallbackPath = "/-/oidc/callback"

// OIDCConfig configures signing in with an OpenID Connect provider.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL, as its discovery document says.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is the callback URL registered with the provider; ""
	// derives it from each request's own scheme and host.
	RedirectURL string
	// Scopes requested; nil asks for openid, profile and email, and groups
	// when the provider offers that scope.
	Scopes []string
	// GroupsClaim names the claim listing the user's groups ("groups" when
	// empty). A name with dots also finds nested claims
	// ("realm_access.roles") when no claim has that exact name.
	GroupsClaim string
	// Name is shown on the sign-in button; "" uses the issuer's host.
	Name string
	// FlowTTL is how long a sign-in may take at the provider (10 minutes
	// when 0).
	FlowTTL time.Duration
	// Client makes the requests to the provider; nil uses one with a
	// 15-second timeout.
	Client *http.Client
	Log    *slog.Logger
}

// OIDC signs people in with an OpenID Connect provider: the authorization
// code flow with PKCE, state and nonce, and an ID token verified against
// the provider's keys. What the flow needs between its two requests is
// kept in a cookie sealed with a key of this process, one cookie per flow
// so sign-ins begun in several tabs all complete.
type OIDC struct {
	cfg  OIDCConfig
	aead cipher.AEAD

	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	scopes   []string
	hasInfo  bool
	failed   time.Time
	failure  error
}

// defaultFlowTTL is how long a sign-in may take at the provider: long
// enough for a password reset or a second factor, short enough that an
// abandoned flow's cookie soon stops mattering.
const defaultFlowTTL = 10 * time.Minute

// flowCookiePrefix starts the name of each sign-in flow's cookie; the
// flow's state ends it.
const flowCookiePrefix = "opswiki_oidc_"

// maxFlowNext bounds the page a flow returns to, so its cookie stays
// within what browsers keep (4 KB).
const maxFlowNext = 2048

// rediscoverAfter is how long a failed discovery is reported as it was
// before the provider is asked again.
const rediscoverAfter = 5 * time.Second

// NewOIDC checks the configuration; the provider is not contacted until
// Discover or the first sign-in.
func NewOIDC(cfg OIDCConfig) (*OIDC, error) {
	if err := CheckIssuerURL(cfg.Issuer); err != nil {
		return nil, err
	}
	if cfg.ClientID == "" {
		return nil, errors.New("the OIDC client ID is empty")
	}
	if cfg.RedirectURL != "" {
		if err := CheckRedirectURL(cfg.RedirectURL); err != nil {
			return nil, err
		}
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.Scopes != nil && !slices.Contains(cfg.Scopes, oidc.ScopeOpenID) {
		return nil, errors.New("the OIDC scopes must include openid")
	}
	if cfg.Name == "" {
		u, _ := url.Parse(cfg.Issuer)
		cfg.Name = u.Hostname()
	}
	if cfg.FlowTTL <= 0 {
		cfg.FlowTTL = defaultFlowTTL
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &OIDC{cfg: cfg, aead: aead}, nil
}

// CheckIssuerURL accepts an issuer URL: https, or http on a loopback
// address (a provider on the same machine), with no query or fragment.
func CheckIssuerURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return errors.New("the OIDC issuer URL is empty")
	case err != nil || u.Host == "" || u.Opaque != "":
		return fmt.Errorf("the OIDC issuer %q is not an absolute URL such as https://login.example.com/realms/ops", s)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return fmt.Errorf("the OIDC issuer %q must not hold a user, query or fragment", s)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("the OIDC issuer %q must use https: tokens and keys fetched over plain http can be forged on the way (http is allowed on a loopback address only)", s)
	}
	return fmt.Errorf("the OIDC issuer %q must be an https URL", s)
}

// CheckRedirectURL accepts a fixed redirect URL: the wiki's callback path
// at its public address, https unless on a loopback address.
func CheckRedirectURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return fmt.Errorf("the OIDC redirect URL %q is not an absolute http(s) URL such as https://wiki.example.com%s", s, OIDCCallbackPath)
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return fmt.Errorf("the OIDC redirect URL %q must use https (http is allowed on a loopback address only): the authorization code travels in it", s)
	case u.Path != OIDCCallbackPath || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Errorf("the OIDC redirect URL %q must be the wiki's address followed by %s and nothing else", s, OIDCCallbackPath)
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ProviderName implements the web layer's ProviderSignin: the identity
// provider people sign in with, "" when there is none.
func (a *Authenticator) ProviderName() string {
	if a.Mode != ModeOIDC || a.OIDC == nil {
		return ""
	}
	return a.OIDC.Name()
}

// AcceptsPasswords implements the web layer's ProviderSignin: whether
// local accounts may also sign in with a password (--users beside the
// provider, for when it is down).
func (a *Authenticator) AcceptsPasswords() bool { return a.Users != nil }

// BeginProviderSignin implements the web layer's ProviderSignin.
func (a *Authenticator) BeginProviderSignin(w http.ResponseWriter, r *http.Request, next string) (string, error) {
	if a.ProviderName() == "" {
		return "", wiki.Errorf(wiki.ENOTFOUND, "This wiki does not sign people in with an identity provider.")
	}
	return a.OIDC.Begin(w, r, next)
}

// FinishProviderSignin implements the web layer's ProviderSignin: it checks
// the provider's answer, records who signed in and starts their session,
// bound to the provider's account. A name that belongs to a local account
// (the users file) or to another of the provider's accounts is refused.
func (a *Authenticator) FinishProviderSignin(w http.ResponseWriter, r *http.Request) (string, error) {
	if a.ProviderName() == "" {
		return "/", wiki.Errorf(wiki.ENOTFOUND, "This wiki does not sign people in with an identity provider.")
	}
	if a.Identities == nil || a.Sessions == nil {
		return "/", errors.New("signing in with an identity provider needs Identities and Sessions")
	}
	id, next, err := a.OIDC.Finish(w, r)
	if err != nil {
		return next, err
	}
	if a.Users != nil && a.Users.Exists(id.Name) {
		return next, wiki.Errorf(wiki.EFORBIDDEN, "The user name %q belongs to a local account of this wiki (the users file), so %s cannot sign in with it. Sign in with its password, or ask an admin to rename the local account.", id.Name, a.OIDC.Name())
	}
	if err := a.Identities.Record(id); err != nil {
		return next, unrecorded(err)
	}
	if err := a.Sessions.Issue(w, r, id.Name, id.stamp()); err != nil {
		return next, unrecorded(err)
	}
	// Who came in with which groups is what an admin checks first when a
	// role is not the one expected.
	a.OIDC.cfg.Log.Info("signed in with the identity provider", "user", id.Name, "subject", id.Subject, "groups", strings.Join(id.Groups, ","))
	return next, nil
}

// unrecorded explains a sign-in the provider accepted but the wiki could
// not keep (a full disk, a damaged file): the person can only try again.
func unrecorded(err error) error {
	if wiki.ErrorCode(err) != wiki.EINTERNAL {
		return err
	}
	return &wiki.Error{Code: wiki.EUNAVAILABLE, Err: err,
		Message: "You were signed in, but the wiki could not keep the sign-in (a file in its data directory cannot be written or is damaged; its log says which). Try again; if it keeps failing, tell whoever runs the wiki."}
}

// Name is the provider's name for people.
func (o *OIDC) Name() string { return o.cfg.Name }

// Discover fetches the provider's discovery document and keys' address.
// A provider that cannot be reached at start is asked again at the next
// sign-in; sessions and tokens keep working meanwhile.
func (o *OIDC) Discover(ctx context.Context) error {
	_, _, err := o.discovered(ctx)
	return err
}

// discovered returns the provider, discovering it when not yet known.
func (o *OIDC) discovered(ctx context.Context) (*oidc.Provider, *oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, o.verifier, nil
	}
	if o.failure != nil && time.Since(o.failed) < rediscoverAfter {
		return nil, nil, o.failure
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.cfg.Client), 15*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		o.failed = time.Now()
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			o.failure = &wiki.Error{Code: wiki.EUNAVAILABLE, Err: err,
				Message: fmt.Sprintf("Signing in with %s is misconfigured: the provider calls itself %q, not %q. Set --oidc-issuer to exactly what it says.", o.cfg.Name, mismatch.Discovered, mismatch.Provided)}
		} else {
			o.failure = &wiki.Error{Code: wiki.EUNAVAILABLE, Err: err,
				Message: fmt.Sprintf("%s cannot be reached to sign you in; try again in a moment. People already signed in, and personal access tokens, keep working.", o.cfg.Name)}
		}
		return nil, nil, o.failure
	}
	var meta struct {
		Scopes []string `json:"scopes_supported"`
	}
	_ = p.Claims(&meta)
	o.scopes = o.cfg.Scopes
	if o.scopes == nil {
		o.scopes = []string{oidc.ScopeOpenID, "profile", "email"}
		if slices.Contains(meta.Scopes, "groups") {
			o.scopes = append(o.scopes, "groups")
		}
	}
	o.provider, o.failure = p, nil
	o.hasInfo = p.UserInfoEndpoint() != ""
	// One verifier, so the provider's keys are fetched once and cached.
	o.verifier = p.VerifierContext(oidc.ClientContext(context.Background(), o.cfg.Client), &oidc.Config{ClientID: o.cfg.ClientID})
	o.cfg.Log.Info("identity provider discovered", "issuer", o.cfg.Issuer, "scopes", strings.Join(o.scopes, " "))
	return o.provider, o.verifier, nil
}
