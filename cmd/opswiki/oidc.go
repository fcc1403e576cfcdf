package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/opswiki/opswiki/wiki/auth"
)

// oidcFlags declares the flags of --auth oidc.
func (c *Config) oidcFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", c.OIDCIssuer, "for --auth oidc: the identity provider's issuer URL, as its discovery document says (https://login.example.com/realms/ops, https://example.okta.com)")
	fs.StringVar(&c.OIDCClientID, "oidc-client-id", c.OIDCClientID, "for --auth oidc: the wiki's client ID at the identity provider")
	fs.StringVar(&c.OIDCClientSecretFile, "oidc-client-secret-file", c.OIDCClientSecretFile, "for --auth oidc: file holding the wiki's client secret at the identity provider")
	fs.StringVar(&c.OIDCRedirectURL, "oidc-redirect-url", c.OIDCRedirectURL, "for --auth oidc: the redirect URL registered with the provider, https://HOST"+auth.OIDCCallbackPath+" (default: --base-url, else each request's own address, followed by "+auth.OIDCCallbackPath+")")
	fs.StringVar(&c.OIDCGroupsClaim, "oidc-groups-claim", c.OIDCGroupsClaim, `for --auth oidc: the ID token claim listing the user's groups, which the roles file names as "@group" (a dotted name such as realm_access.roles reaches into nested claims)`)
	fs.StringVar(&c.OIDCScopes, "oidc-scopes", c.OIDCScopes, "for --auth oidc: comma-separated scopes to request (default openid,profile,email, and groups when the provider offers that scope)")
	fs.StringVar(&c.OIDCProviderName, "oidc-provider-name", c.OIDCProviderName, `for --auth oidc: the provider's name on the sign-in button, "Sign in with NAME" (default: the issuer's host name)`)
}

// oidcScopes parses --oidc-scopes; nil for the default.
func (c *Config) oidcScopes() []string {
	var out []string
	for _, s := range strings.FieldsFunc(c.OIDCScopes, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// validateOIDC checks the --oidc-* flags: complete with --auth oidc, and
// absent otherwise, so a mistyped --auth does not go unnoticed.
func (c *Config) validateOIDC() error {
	if c.Auth != auth.ModeOIDC {
		if c.OIDCIssuer != "" || c.OIDCClientID != "" || c.OIDCClientSecretFile != "" || c.OIDCRedirectURL != "" || c.OIDCScopes != "" || c.OIDCProviderName != "" {
			return fmt.Errorf("the --oidc-* settings are for --auth oidc, and --auth is %s", c.Auth)
		}
		return nil
	}
	var missing []string
	for _, f := range []struct{ flag, value string }{
		{"--oidc-issuer", c.OIDCIssuer}, {"--oidc-client-id", c.OIDCClientID}, {"--oidc-client-secret-file", c.OIDCClientSecretFile},
	} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.flag)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("--auth oidc needs %s: register the wiki as a client (confidential, authorization code flow) with the identity provider", strings.Join(missing, ", "))
	}
	if err := auth.CheckIssuerURL(c.OIDCIssuer); err != nil {
		return fmt.Errorf("--oidc-issuer: %w", err)
	}
	if c.OIDCRedirectURL != "" {
		if err := auth.CheckRedirectURL(c.OIDCRedirectURL); err != nil {
			return fmt.Errorf("--oidc-redirect-url: %w", err)
		}
	}
	if strings.TrimSpace(c.OIDCGroupsClaim) == "" {
		return errors.New("--oidc-groups-claim must name a claim, such as groups")
	}
	if c.OIDCScopes != "" && !slices.Contains(c.oidcScopes(), "openid") {
		return fmt.Errorf("--oidc-scopes %q must include openid", c.OIDCScopes)
	}
	if c.TrustedProxy != "" {
		if _, err := c.trustedProxies(); err != nil {
			return err
		}
	}
	return nil
}

// oidcSignin adds sign-in with the identity provider to a: the provider's
// client, and the identities it gave, kept in the data directory. The
// provider is asked for its configuration now; when it cannot be reached
// the wiki starts all the same and asks again at the first sign-in.
func (m *Main) oidcSignin(ctx context.Context, a *auth.Authenticator) error {
	c := m.Config
	b, err := os.ReadFile(c.OIDCClientSecretFile)
	if err != nil {
		return fmt.Errorf("--oidc-client-secret-file: %w", err)
	}
	secret := strings.TrimSpace(string(b))
	if secret == "" {
		return fmt.Errorf("--oidc-client-secret-file %s is empty; put the client secret the identity provider gave the wiki in it", c.OIDCClientSecretFile)
	}
	redirect := c.OIDCRedirectURL
	if base, _ := c.publicURL(); redirect == "" && base != "" {
		redirect = base + auth.OIDCCallbackPath
	}
	if a.OIDC, err = auth.NewOIDC(auth.OIDCConfig{Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: secret,
		RedirectURL: redirect, Scopes: c.oidcScopes(), GroupsClaim: c.OIDCGroupsClaim, Name: c.OIDCProviderName, Log: m.logger()}); err != nil {
		return err
	}
	if a.Identities, err = auth.OpenIdentities(filepath.Join(c.Data, "identities.json")); err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.OIDC.Discover(dctx); err != nil {
		m.logger().Warn("the identity provider cannot be reached now; the wiki asks again at the next sign-in (sessions and tokens work meanwhile)", "issuer", c.OIDCIssuer, "err", err)
	}
	return nil
}
