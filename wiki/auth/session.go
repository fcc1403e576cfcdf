package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

// SessionCookie is the name of the sign-in cookie.
const SessionCookie = "opswiki_session"

// maxSessionsPerUser bounds the browsers one user is signed in on; signing
// in on one more ends the oldest, so the file cannot grow without bound.
const maxSessionsPerUser = 50

// Session is a browser sign-in as kept on the server. The cookie carries a
// random secret; only its hash is stored, so the file grants nothing.
type Session struct {
	ID   string `json:"id"`
	User string `json:"user"`
	// Stamp identifies the password the user signed in with.
	Stamp   string    `json:"stamp,omitempty"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// Sessions keeps browser sessions in a JSON file in the data directory, so
// a sign-out ends a session at once and sessions survive restarts.
type Sessions struct {
	path string
	ttl  time.Duration

	mu   sync.Mutex
	byID map[string]Session
}

// OpenSessions loads the sessions file, creating none until the first
// sign-in. Sessions last ttl from sign-in.
func OpenSessions(path string, ttl time.Duration) (*Sessions, error) {
	s := &Sessions{path: path, ttl: ttl, byID: map[string]Session{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	} else if err != nil {
		return nil, fmt.Errorf("read sessions: %w", err)
	}
	var list []Session
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("sessions file %s is damaged (delete it to sign everyone out): %w", path, err)
	}
	for _, x := range list {
		s.byID[x.ID] = x
	}
	return s, nil
}

func sessionID(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Issue starts a session for user, whose password has stamp, and sets its
// cookie. Secure is set when the request came over TLS (directly or
// through a proxy saying so).
func (s *Sessions) Issue(w http.ResponseWriter, r *http.Request, user, stamp string) error {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	now := time.Now().UTC()
	x := Session{ID: sessionID(secret), User: user, Stamp: stamp, Created: now, Expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	var mine []Session
	for _, o := range s.byID {
		if o.User == user {
			mine = append(mine, o)
		}
	}
	if len(mine) >= maxSessionsPerUser {
		sort.Slice(mine, func(i, j int) bool { return mine[i].Created.Before(mine[j].Created) })
		for _, o := range mine[:len(mine)-maxSessionsPerUser+1] {
			delete(s.byID, o.ID)
		}
	}
	s.byID[x.ID] = x
	if err := s.saveLocked(); err != nil {
		delete(s.byID, x.ID)
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", Expires: x.Expires,
		HttpOnly: true, Secure: isTLS(r), SameSite: http.SameSiteLaxMode})
	return nil
}

// Lookup returns the live session of the request's cookie.
func (s *Sessions) Lookup(r *http.Request) (Session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return Session{}, false
	}
	id := sessionID(c.Value)
	s.mu.Lock()
	x, ok := s.byID[id]
	s.mu.Unlock()
	if !ok || time.Now().After(x.Expires) {
		return Session{}, false
	}
	return x, true
}

// End ends the request's session and removes its cookie.
func (s *Sessions) End(w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: isTLS(r), SameSite: http.SameSiteLaxMode})
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	id := sessionID(c.Value)
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.byID[id]
	if !ok {
		return nil
	}
	delete(s.byID, id)
	if err := s.saveLocked(); err != nil {
		s.byID[id] = x
		return err
	}
	return nil
}

// EndAll ends every session of user and returns how many there were.
func (s *Sessions) EndAll(user string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ended []Session
	for id, x := range s.byID {
		if x.User == user {
			ended = append(ended, x)
			delete(s.byID, id)
		}
	}
	if len(ended) == 0 {
		return 0, nil
	}
	if err := s.saveLocked(); err != nil {
		for _, x := range ended {
			s.byID[x.ID] = x
		}
		return 0, err
	}
	return len(ended), nil
}

// saveLocked drops expired sessions and writes the file atomically.
func (s *Sessions) saveLocked() error {
	now := time.Now()
	list := make([]Session, 0, len(s.byID))
	for id, x := range s.byID {
		if now.After(x.Expires) {
			delete(s.byID, id)
			continue
		}
		list = append(list, x)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Created.Before(list[j].Created) })
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.path, b)
}

func isTLS(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}
