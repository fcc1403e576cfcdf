package main

import (
	"os"
	"path/filepath"
	"testing"
)

// The --oidc-* settings come from OPSWIKI_OIDC_* variables like every other.
func TestOIDCEnvironment(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"OPSWIKI_AUTH": "oidc", "OPSWIKI_OIDC_ISSUER": "https://example.okta.com", "OPSWIKI_OIDC_CLIENT_ID": "0oa1",
		"OPSWIKI_OIDC_CLIENT_SECRET_FILE": secret, "OPSWIKI_OIDC_GROUPS_CLAIM": "realm_access.roles",
		"OPSWIKI_OIDC_SCOPES": "openid, email,groups", "OPSWIKI_OIDC_REDIRECT_URL": "https://wiki.example.com/-/oidc/callback",
		"OPSWIKI_OIDC_PROVIDER_NAME": "Okta",
	} {
		t.Setenv(k, v)
	}
	c := DefaultConfig()
	if err := c.parse(c.flagSet("serve", true), []string{"--data", dir, "--oidc-client-id", "0oa2"}); err != nil {
		t.Fatal(err)
	}
	if err := c.ValidateServe(); err != nil {
		t.Fatal(err)
	}
	want := Config{OIDCIssuer: "https://example.okta.com", OIDCClientID: "0oa2", OIDCClientSecretFile: secret, OIDCGroupsClaim: "realm_access.roles",
		OIDCScopes: "openid, email,groups", OIDCRedirectURL: "https://wiki.example.com/-/oidc/callback", OIDCProviderName: "Okta"}
	if c.Auth != "oidc" || c.OIDCIssuer != want.OIDCIssuer || c.OIDCClientID != want.OIDCClientID || c.OIDCClientSecretFile != want.OIDCClientSecretFile ||
		c.OIDCGroupsClaim != want.OIDCGroupsClaim || c.OIDCScopes != want.OIDCScopes || c.OIDCRedirectURL != want.OIDCRedirectURL || c.OIDCProviderName != want.OIDCProviderName {
		t.Fatalf("config %+v", c)
	}
	if got := c.oidcScopes(); len(got) != 3 || got[0] != "openid" || got[1] != "email" || got[2] != "groups" {
		t.Errorf("scopes %q", got)
	}
}
