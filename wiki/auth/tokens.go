package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

// TokenPrefix starts every personal access token, so a token pasted where a
// password goes is recognised, and secret scanners can find leaked ones.
const TokenPrefix = "opw_"

// Token is a personal access token as stored: its hash, never the token.
type Token struct {
	ID       string    `json:"id"`
	User     string    `json:"user"`
	Name     string    `json:"name"`
	Hash     string    `json:"hash"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used,omitzero"`
}

// Tokens keeps personal access tokens in a JSON file in the data directory.
type Tokens struct {
	path string
	mu   sync.Mutex
	list []Token
}

// OpenTokens loads the token file, creating none until the first token.
func OpenTokens(path string) (*Tokens, error) {
	t := &Tokens{path: path}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return t, nil
	} else if err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	if err := json.Unmarshal(b, &t.list); err != nil {
		return nil, fmt.Errorf("tokens file %s is damaged: %w", path, err)
	}
	return t, nil
}

func hashToken(plain string) string {
	h := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(h[:])
}

// Create makes a token for a user and returns it: the only time it is seen.
func (t *Tokens) Create(user, name string) (string, Token, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", Token{}, wiki.Errorf(wiki.EINVALID, "Give the token a name of up to 100 characters, such as the machine or script using it.")
	}
	var raw [20]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Token{}, err
	}
	plain := TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
	var id [6]byte
	_, _ = rand.Read(id[:])
	tok := Token{ID: hex.EncodeToString(id[:]), User: user, Name: name, Hash: hashToken(plain), Created: time.Now().UTC()}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.list = append(t.list, tok)
	if err := t.saveLocked(); err != nil {
		t.list = t.list[:len(t.list)-1]
		return "", Token{}, err
	}
	return plain, tok, nil
}

// Verify returns the user a token belongs to.
func (t *Tokens) Verify(plain string) (string, bool) {
	if !strings.HasPrefix(plain, TokenPrefix) {
		return "", false
	}
	h := hashToken(plain)
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.list {
		if subtle.ConstantTimeCompare([]byte(t.list[i].Hash), []byte(h)) == 1 {
			// Last use is recorded at most hourly, to keep writes rare.
			if time.Since(t.list[i].LastUsed) > time.Hour {
				t.list[i].LastUsed = time.Now().UTC()
				_ = t.saveLocked()
			}
			return t.list[i].User, true
		}
	}
	return "", false
}

// List returns a user's tokens (every token for "").
func (t *Tokens) List(user string) []Token {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Token
	for _, tok := range t.list {
		if user == "" || tok.User == user {
			out = append(out, tok)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out
}

// Revoke deletes a token of a user (any user's for an admin: user "").
func (t *Tokens) Revoke(user, id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, tok := range t.list {
		if tok.ID == id && (user == "" || tok.User == user) {
			t.list = append(t.list[:i:i], t.list[i+1:]...)
			return t.saveLocked()
		}
	}
	return wiki.Errorf(wiki.ENOTFOUND, "There is no such token.")
}

// saveLocked writes the file atomically, readable by its owner only.
func (t *Tokens) saveLocked() error {
	b, err := json.MarshalIndent(t.list, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(t.path, b)
}
