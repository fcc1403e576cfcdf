package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// SessionCookie is the name of the sign-in cookie.
const SessionCookie = "opswiki_session"

// Sessions issues and checks signed session cookies. The cookie holds the
// user name and an expiry, signed with a key kept in the data directory, so
// sessions survive restarts and no session store is needed.
type Sessions struct {
	key []byte
	ttl time.Duration
}

// OpenSessions loads the signing key from path, creating a random one on
// first use (readable by the owner only).
func OpenSessions(path string, ttl time.Duration) (*Sessions, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, key, 0o600); err != nil {
			return nil, fmt.Errorf("write session key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("read session key: %w", err)
	}
	if len(key) < 32 {
		return nil, fmt.Errorf("session key %s is too short; delete it to make a new one", path)
	}
	return &Sessions{key: key, ttl: ttl}, nil
}

func (s *Sessions) sign(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Issue sets the session cookie for a user. Secure is set when the
// request came over TLS (directly or through a proxy saying so).
func (s *Sessions) Issue(w http.ResponseWriter, r *http.Request, user string) {
	exp := time.Now().Add(s.ttl).Unix()
	payload := base64.RawURLEncoding.EncodeToString([]byte(user)) + "." + strconv.FormatInt(exp, 10)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: payload + "." + s.sign(payload), Path: "/",
		Expires: time.Unix(exp, 0), HttpOnly: true, Secure: isTLS(r), SameSite: http.SameSiteLaxMode})
}

// Clear removes the session cookie.
func (s *Sessions) Clear(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: isTLS(r), SameSite: http.SameSiteLaxMode})
}

// User returns the user of a valid, unexpired session cookie.
func (s *Sessions) User(r *http.Request) (string, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return "", false
	}
	i := strings.LastIndexByte(c.Value, '.')
	if i < 0 {
		return "", false
	}
	payload, sig := c.Value[:i], c.Value[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.sign(payload))) {
		return "", false
	}
	name64, expS, ok := strings.Cut(payload, ".")
	exp, err := strconv.ParseInt(expS, 10, 64)
	if !ok || err != nil || time.Now().Unix() > exp {
		return "", false
	}
	name, err := base64.RawURLEncoding.DecodeString(name64)
	if err != nil {
		return "", false
	}
	return string(name), true
}

func isTLS(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}
