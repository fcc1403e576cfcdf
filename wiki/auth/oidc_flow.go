package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/opswiki/opswiki/wiki"
)

// flow is what a sign-in carries from its start to the provider's answer.
type flow struct {
	State    string    `json:"s"`
	Nonce    string    `json:"n"`
	Verifier string    `json:"v"`
	Next     string    `json:"x"`
	Redirect string    `json:"r"`
	Expires  time.Time `json:"e"`
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Begin starts a sign-in that returns to next (a path on this site, already
// checked by the caller): it sets the flow's cookie and returns the
// provider's authorization URL to send the browser to.
func (o *OIDC) Begin(w http.ResponseWriter, r *http.Request, next string) (string, error) {
	p, _, err := o.discovered(r.Context())
	if err != nil {
		return "", err
	}
	if len(next) > maxFlowNext {
		next = "/"
	}
	state, err := randomHex(16)
	if err != nil {
		return "", err
	}
	nonce, err := randomHex(16)
	if err != nil {
		return "", err
	}
	f := flow{State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier(), Next: next,
		Redirect: o.redirectURL(r), Expires: time.Now().Add(o.cfg.FlowTTL)}
	sealed, err := o.seal(f)
	if err != nil {
		return "", err
	}
	// The cookie outlives the flow so that a late answer still knows
	// which page to return to and can say why it was refused.
	http.SetCookie(w, &http.Cookie{Name: flowCookiePrefix + state, Value: sealed, Path: "/-/oidc/",
		MaxAge: int((o.cfg.FlowTTL + time.Hour).Seconds()), HttpOnly: true, Secure: isTLS(r), SameSite: http.SameSiteLaxMode})
	return o.oauth2(p, f.Redirect).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(f.Verifier)), nil
}

func (o *OIDC) oauth2(p *oidc.Provider, redirect string) *oauth2.Config {
	o.mu.Lock()
	scopes := o.scopes
	o.mu.Unlock()
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: redirect, Scopes: scopes}
}

// redirectURL is the fixed redirect URL, else the request's own origin
// with the callback path.
func (o *OIDC) redirectURL(r *http.Request) string {
	if o.cfg.RedirectURL != "" {
		return o.cfg.RedirectURL
	}
	scheme := "http"
	if isTLS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + OIDCCallbackPath
}

func (o *OIDC) seal(f flow) (string, error) {
	plain, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, o.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(o.aead.Seal(nonce, nonce, plain, []byte(f.State))), nil
}

func (o *OIDC) open(sealed, state string) (flow, bool) {
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(b) < o.aead.NonceSize() {
		return flow{}, false
	}
	plain, err := o.aead.Open(nil, b[:o.aead.NonceSize()], b[o.aead.NonceSize():], []byte(state))
	if err != nil {
		return flow{}, false
	}
	var f flow
	if err := json.Unmarshal(plain, &f); err != nil || subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) != 1 {
		return flow{}, false
	}
	return f, true
}

// signinError is a refused sign-in: the message says what happened in
// words for the person, the cause is logged.
func (o *OIDC) signinError(code string, cause error, format string, args ...any) error {
	return &wiki.Error{Code: code, Err: cause, Message: fmt.Sprintf(format, args...)}
}

// Finish checks the provider's answer to a sign-in begun in this browser:
// the flow's cookie for its state, the authorization code exchanged with
// the PKCE verifier, the ID token's signature, issuer, audience, expiry and
// nonce. It returns who signed in and the page to return to; when refused,
// the error says why (EUNAUTHORIZED, EFORBIDDEN, EUNAVAILABLE) and next is
// still the page the sign-in was for, when known.
func (o *OIDC) Finish(w http.ResponseWriter, r *http.Request) (id Identity, next string, err error) {
	q := r.URL.Query()
	state := q.Get("state")
	next = "/"
	f, found := flow{}, false
	if len(state) == 32 {
		if c, err := r.Cookie(flowCookiePrefix + state); err == nil {
			f, found = o.open(c.Value, state)
			// A flow is answered once: a replayed answer finds no cookie.
			http.SetCookie(w, &http.Cookie{Name: c.Name, Value: "", Path: "/-/oidc/", MaxAge: -1,
				HttpOnly: true, Secure: isTLS(r), SameSite: http.SameSiteLaxMode})
			if found {
				next = f.Next
			}
		}
	}
	if e := q.Get("error"); e != "" {
		return Identity{}, next, o.providerRefused(e, q.Get("error_description"))
	}
	switch {
	case state == "":
		return Identity{}, next, o.signinError(wiki.EINVALID, nil, "This address is where %s sends you back after signing in, and this request did not come from there. Start signing in again.", o.cfg.Name)
	case !found:
		return Identity{}, next, o.signinError(wiki.EUNAUTHORIZED, nil, "The answer from %s does not belong to a sign-in begun in this browser (its state is unknown here: the sign-in was finished already, was begun elsewhere, or the wiki restarted meanwhile). Start signing in again.", o.cfg.Name)
	case time.Now().After(f.Expires):
		return Identity{}, next, o.signinError(wiki.EUNAUTHORIZED, nil, "The sign-in took longer than %s at %s and has expired. Start signing in again.", minutes(o.cfg.FlowTTL), o.cfg.Name)
	case q.Get("code") == "":
		return Identity{}, next, o.signinError(wiki.EUNAUTHORIZED, nil, "The answer from %s has no authorization code. Start signing in again.", o.cfg.Name)
	}
	id, err = o.exchange(r.Context(), f, q.Get("code"))
	return id, next, err
}

// providerRefused explains an error the provider sent back instead of a code.
func (o *OIDC) providerRefused(code, description string) error {
	description = clip(strings.TrimSpace(description), 300)
	code = clip(code, 64)
	switch code {
	case "access_denied":
		msg := fmt.Sprintf("%s did not sign you in: access was denied.", o.cfg.Name)
		if description != "" {
			msg = fmt.Sprintf("%s did not sign you in: %s", o.cfg.Name, description)
		}
		return o.signinError(wiki.EFORBIDDEN, nil, "%s If you should have access to this wiki, ask whoever runs %s to let you use it.", msg, o.cfg.Name)
	case "login_required", "interaction_required", "consent_required", "account_selection_required":
		return o.signinError(wiki.EUNAUTHORIZED, nil, "%s needs you to sign in there first (%s). Start signing in again.", o.cfg.Name, code)
	case "temporarily_unavailable", "server_error":
		return o.signinError(wiki.EUNAVAILABLE, nil, "%s could not sign you in right now (%s%s); try again in a moment.", o.cfg.Name, code, withColon(description))
	}
	return o.signinError(wiki.EUNAUTHORIZED, nil, "%s refused the sign-in (%s%s). This usually means the wiki's client settings at %s are wrong; tell whoever runs the wiki.", o.cfg.Name, code, withColon(description), o.cfg.Name)
}

// minutes says a duration the way people do.
func minutes(d time.Duration) string {
	if d >= 2*time.Minute {
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return d.Round(time.Millisecond).String()
}

func withColon(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// clip shortens text from the provider to at most n bytes of valid UTF-8.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// exchange redeems the code and checks the ID token it brings.
func (o *OIDC) exchange(ctx context.Context, f flow, code string) (Identity, error) {
	p, verifier, err := o.discovered(ctx)
	if err != nil {
		return Identity{}, err
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.cfg.Client), 30*time.Second)
	defer cancel()
	tok, err := o.oauth2(p, f.Redirect).Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			what := re.ErrorCode
			if re.ErrorDescription != "" {
				what += ": " + re.ErrorDescription
			}
			return Identity{}, o.signinError(wiki.EUNAUTHORIZED, err, "%s did not accept the sign-in's authorization code (%s). Start signing in again; if it keeps failing, the wiki's client ID or secret at %s may be wrong.", o.cfg.Name, clip(what, 300), o.cfg.Name)
		}
		return Identity{}, o.signinError(wiki.EUNAVAILABLE, err, "%s could not be asked to complete the sign-in; try again in a moment.", o.cfg.Name)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, o.signinError(wiki.EUNAUTHORIZED, nil, "%s sent no ID token. The wiki's scopes must include openid.", o.cfg.Name)
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, o.tokenRefused(err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return Identity{}, o.signinError(wiki.EUNAUTHORIZED, errors.New("nonce mismatch"), "The ID token from %s does not answer this sign-in (its nonce differs from the one sent), so it was not accepted. Start signing in again.", o.cfg.Name)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return Identity{}, o.signinError(wiki.EUNAUTHORIZED, err, "The ID token from %s does not match the access token sent with it, so it was not accepted. Start signing in again.", o.cfg.Name)
		}
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, o.signinError(wiki.EUNAUTHORIZED, err, "The ID token from %s cannot be read.", o.cfg.Name)
	}
	if o.wantsUserinfo(claims) {
		o.mergeUserinfo(ctx, p, tok, idt.Subject, claims)
	}
	return o.identity(idt.Issuer, idt.Subject, claims)
}

// tokenRefused explains why an ID token failed verification.
func (o *OIDC) tokenRefused(err error) error {
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return o.signinError(wiki.EUNAUTHORIZED, err, "The ID token from %s expired at %s, before the wiki received it. Check that the clocks of the wiki's machine and of %s are right, then sign in again.", o.cfg.Name, expired.Expiry.UTC().Format(time.RFC3339), o.cfg.Name)
	case strings.Contains(err.Error(), "expected audience"):
		return o.signinError(wiki.EUNAUTHORIZED, err, "The ID token from %s was issued to another application, not to this wiki's client ID, so it was not accepted.", o.cfg.Name)
	case strings.Contains(err.Error(), "issued by a different provider"):
		return o.signinError(wiki.EUNAUTHORIZED, err, "The ID token was issued by another provider than %s, so it was not accepted.", o.cfg.Name)
	}
	return o.signinError(wiki.EUNAUTHORIZED, err, "The ID token from %s could not be verified (%s), so it was not accepted.", o.cfg.Name, clip(strings.TrimPrefix(err.Error(), "oidc: "), 200))
}
