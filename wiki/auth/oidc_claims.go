package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/opswiki/opswiki/wiki"
)

// wantsUserinfo reports whether the ID token lacks what the userinfo
// endpoint may add: a name or the groups.
func (o *OIDC) wantsUserinfo(claims map[string]any) bool {
	o.mu.Lock()
	has := o.hasInfo
	o.mu.Unlock()
	if !has {
		return false
	}
	_, hasGroups := o.claim(claims, o.cfg.GroupsClaim)
	return !hasGroups || (stringClaim(claims, "preferred_username") == "" && stringClaim(claims, "email") == "")
}

// mergeUserinfo fills claims the ID token lacks from the userinfo
// endpoint. The ID token stays authoritative: the endpoint only adds, and
// only when it speaks of the same subject. When it fails, the sign-in goes
// on with the ID token alone.
func (o *OIDC) mergeUserinfo(ctx context.Context, p *oidc.Provider, tok *oauth2.Token, sub string, claims map[string]any) {
	info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		o.cfg.Log.Warn("userinfo not read; signing in with the ID token's claims", "issuer", o.cfg.Issuer, "err", err)
		return
	}
	if info.Subject != sub {
		o.cfg.Log.Warn("userinfo names another subject than the ID token; ignored", "issuer", o.cfg.Issuer)
		return
	}
	var extra map[string]any
	if err := info.Claims(&extra); err != nil {
		return
	}
	for k, v := range extra {
		if _, ok := claims[k]; !ok {
			claims[k] = v
		}
	}
}

// claim finds a claim by its name, else by a dotted path into nested
// objects (Keycloak's "realm_access.roles").
func (o *OIDC) claim(claims map[string]any, name string) (any, bool) {
	if v, ok := claims[name]; ok {
		return v, true
	}
	var cur any = claims
	for _, part := range strings.Split(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func stringClaim(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return strings.TrimSpace(s)
}

// identity turns verified claims into the wiki's user: the name from
// preferred_username, else the email (unless the provider says it is not
// verified), else sub; the groups from the configured claim, a list of
// strings or one string.
func (o *OIDC) identity(issuer, sub string, claims map[string]any) (Identity, error) {
	id := Identity{Issuer: issuer, Subject: sub}
	email := stringClaim(claims, "email")
	if usableEmail(email) {
		id.Email = email
	}
	verified := true
	switch v := claims["email_verified"].(type) {
	case bool:
		verified = v
	case string:
		verified = v != "false"
	}
	names := []string{stringClaim(claims, "preferred_username")}
	if verified {
		// An unverified address may be anyone's: it does not name a user.
		names = append(names, id.Email)
	}
	for _, n := range append(names, sub) {
		if usableName(n) {
			id.Name = n
			break
		}
	}
	if id.Name == "" {
		return Identity{}, o.signinError(wiki.EUNAUTHORIZED, nil, "%s gave no user name this wiki can use (preferred_username, a verified email or sub, without control characters, < or >, up to %d bytes).", o.cfg.Name, maxNameBytes)
	}
	if v, ok := o.claim(claims, o.cfg.GroupsClaim); ok && v != nil {
		groups, err := groupList(v)
		if err != nil {
			return Identity{}, o.signinError(wiki.EUNAUTHORIZED, err, "The %q claim from %s is not a list of group names, so the groups of %s cannot be known. Set --oidc-groups-claim to the claim that lists them.", o.cfg.GroupsClaim, o.cfg.Name, id.Name)
		}
		id.Groups = groups
	}
	return id, nil
}

// groupList reads a groups claim: a list of strings or one string.
func groupList(v any) ([]string, error) {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	switch v := v.(type) {
	case string:
		add(v)
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("group %v is a %T, not a string", e, e)
			}
			add(s)
		}
	default:
		return nil, fmt.Errorf("groups claim is a %T", v)
	}
	return out, nil
}

// usableName reports whether a name can be a user: it is a commit's author
// and a key in the roles file, so no control characters or angle brackets.
func usableName(s string) bool {
	return s != "" && len(s) <= maxNameBytes && utf8.ValidString(s) && !strings.HasPrefix(s, GroupPrefix) &&
		!strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '<' || r == '>' })
}

func usableEmail(s string) bool {
	return usableName(s) && strings.Contains(s, "@") && !strings.ContainsFunc(s, unicode.IsSpace)
}
