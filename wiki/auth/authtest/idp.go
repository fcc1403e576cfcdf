// Package authtest runs a mock OpenID Connect provider for the tests of
// signing in with an identity provider: the auth package's own and the
// end-to-end tests of the command.
package authtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// IdP is a mock OpenID Connect provider on 127.0.0.1 for one test. With an
// empty queue it signs in mockoidc.DefaultUser (jane.doe, groups
// engineering and design); QueueUser chooses who signs in next.
type IdP struct {
	*mockoidc.MockOIDC
	// mu serialises the mock's handlers, which share state without locks.
	mu sync.Mutex
	// Down makes every endpoint answer 503; Tamper alters the subject in
	// the ID tokens the token endpoint sends, keeping their signature.
	Down, Tamper atomic.Bool
}

// MustIdP starts a mock provider and stops it when the test ends.
func MustIdP(tb testing.TB) *IdP {
	tb.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		tb.Fatal(err)
	}
	p := &IdP{MockOIDC: m}
	err = m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p.Down.Load() {
				http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
				return
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			if r.URL.Path == mockoidc.TokenEndpoint && p.Tamper.Load() {
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(rec.Code)
				w.Write(tamperIDToken(rec.Body.Bytes()))
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Shutdown() })
	return p
}

// tamperIDToken rewrites an ID token's subject and keeps its signature.
func tamperIDToken(body []byte) []byte {
	var resp map[string]any
	if err := json.Unmarshal(body, &resp); err != nil {
		return body
	}
	raw, ok := resp["id_token"].(string)
	if !ok {
		// An error, such as the one refusing client credentials sent in a
		// header before the client retries with them in the form.
		return body
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return body
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = bytes.Replace(payload, []byte(`"sub":"`), []byte(`"sub":"x`), 1)
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	resp["id_token"] = strings.Join(parts, ".")
	b, _ := json.Marshal(resp)
	return b
}

// Shift moves the provider's clock, for tokens issued in the past.
func (p *IdP) Shift(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.FastForward(d)
}

// User is a mock user signing in as name, with groups.
func User(sub, name, email string, groups ...string) *mockoidc.MockUser {
	return &mockoidc.MockUser{Subject: sub, PreferredUsername: name, Email: email, EmailVerified: email != "", Groups: groups}
}

// ShapedUser is a mock user whose ID token claims a test changes.
type ShapedUser struct {
	*mockoidc.MockUser
	Shape func(claims jwt.MapClaims)
}

// Claims implements mockoidc.User.
func (u ShapedUser) Claims(scope []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	c, err := u.MockUser.Claims(scope, base)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	m := jwt.MapClaims{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if u.Shape != nil {
		u.Shape(m)
	}
	return m, nil
}

// Shaped is u with its ID token's claims changed by shape.
func Shaped(u *mockoidc.MockUser, shape func(claims jwt.MapClaims)) ShapedUser {
	return ShapedUser{MockUser: u, Shape: shape}
}
