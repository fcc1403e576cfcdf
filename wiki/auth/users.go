// Package auth identifies the people using the wiki: users from an htpasswd
// file with bcrypt passwords and roles from a YAML file (both re-read when
// they change), personal access tokens, server-side browser sessions, and
// users named by a trusted proxy. The browser, the JSON API and git over
// HTTP all go through Authenticator.
package auth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/opswiki/opswiki/wiki"
)

// Users are the accounts of an htpasswd file. Reload re-reads the file; a
// file that became unusable leaves the accounts last read in force.
type Users struct {
	path string

	mu       sync.RWMutex
	accounts map[string]account
	// dummy is compared against when a user does not exist, so a failed
	// sign-in costs as much for unknown users as for wrong passwords: it
	// has the highest cost among the file's own hashes.
	dummy []byte
	sum   [sha256.Size]byte
}

type account struct {
	hash []byte
	// stamp identifies the password: sessions remember it, so a changed
	// password ends them.
	stamp string
}

// LoadUsers reads an htpasswd file ("name:hash" lines, # comments). Only
// bcrypt hashes ($2a$, $2b$, $2y$; htpasswd -B) are accepted: the others
// htpasswd can write are too weak to keep.
func LoadUsers(path string) (*Users, error) {
	u := &Users{path: path}
	if _, err := u.Reload(); err != nil {
		return nil, err
	}
	return u, nil
}

// Reload re-reads the file and reports whether its content changed. When
// the file cannot be read or is not valid, the accounts stay as they were
// and the error says why.
func (u *Users) Reload() (bool, error) {
	b, err := os.ReadFile(u.path)
	if err != nil {
		return false, fmt.Errorf("read users file: %w", err)
	}
	sum := sha256.Sum256(b)
	u.mu.RLock()
	same := sum == u.sum && u.accounts != nil
	dummy := u.dummy
	u.mu.RUnlock()
	if same {
		return false, nil
	}
	accounts, cost, err := parseUsers(u.path, b)
	if err != nil {
		return false, err
	}
	if dummy == nil || bcryptCost(dummy) != cost {
		if dummy, err = bcrypt.GenerateFromPassword([]byte("opswiki-no-such-user"), cost); err != nil {
			return false, fmt.Errorf("users file %s: %w", u.path, err)
		}
	}
	u.mu.Lock()
	u.accounts, u.dummy, u.sum = accounts, dummy, sum
	u.mu.Unlock()
	return true, nil
}

// parseUsers reads htpasswd lines and returns the accounts and the highest
// bcrypt cost among them.
func parseUsers(path string, b []byte) (map[string]account, int, error) {
	accounts := map[string]account{}
	cost := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			return nil, 0, fmt.Errorf("%s:%d: want name:hash", path, n)
		}
		if !strings.HasPrefix(hash, "$2a$") && !strings.HasPrefix(hash, "$2b$") && !strings.HasPrefix(hash, "$2y$") {
			return nil, 0, fmt.Errorf("%s:%d: the password of %q is not a bcrypt hash; create it with htpasswd -B", path, n, name)
		}
		c := bcryptCost([]byte(hash))
		if c == 0 {
			return nil, 0, fmt.Errorf("%s:%d: the bcrypt hash of %q is damaged; set the password again with htpasswd -B", path, n, name)
		}
		cost = max(cost, c)
		st := sha256.Sum256([]byte(hash))
		accounts[name] = account{hash: []byte(hash), stamp: hex.EncodeToString(st[:8])}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("read users file %s: %w", path, err)
	}
	if len(accounts) == 0 {
		return nil, 0, fmt.Errorf("%s has no users", path)
	}
	return accounts, cost, nil
}

// bcryptCost returns a hash's cost, or 0 for a hash bcrypt cannot read.
func bcryptCost(hash []byte) int {
	c, err := bcrypt.Cost(hash)
	if err != nil {
		return 0
	}
	return c
}

// Check reports whether password is the user's.
func (u *Users) Check(name, password string) bool {
	u.mu.RLock()
	a, ok := u.accounts[name]
	dummy := u.dummy
	u.mu.RUnlock()
	if !ok {
		_ = bcrypt.CompareHashAndPassword(dummy, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword(a.hash, []byte(password)) == nil
}

// Exists reports whether the user is in the file.
func (u *Users) Exists(name string) bool {
	_, ok := u.Stamp(name)
	return ok
}

// Stamp identifies the user's current password, so that what was granted
// with an older one can be told apart; false when there is no such user.
func (u *Users) Stamp(name string) (string, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	a, ok := u.accounts[name]
	return a.stamp, ok
}

// DummyCost is the bcrypt cost of the hash checked for unknown users: the
// highest cost in the file, so unknown names take as long as known ones.
func (u *Users) DummyCost() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return bcryptCost(u.dummy)
}

// Names returns the users, sorted.
func (u *Users) Names() []string {
	u.mu.RLock()
	defer u.mu.RUnlock()
	out := make([]string, 0, len(u.accounts))
	for n := range u.accounts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Roles maps user names to their role, from a YAML file that Reload
// re-reads. A nil *Roles lists nobody.
type Roles struct {
	path string

	mu    sync.RWMutex
	roles map[string]wiki.Role
	sum   [sha256.Size]byte
}

// LoadRoles reads a YAML file of role → user names:
//
//	admin: [ana]
//	editor: [bo, cy]
//	reader: [dee]
//
// A user listed under several roles gets the highest.
func LoadRoles(path string) (*Roles, error) {
	r := &Roles{path: path}
	if _, err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload re-reads the file and reports whether its content changed; an
// unusable file leaves the roles as they were and the error says why.
func (r *Roles) Reload() (bool, error) {
	b, err := os.ReadFile(r.path)
	if err != nil {
		return false, fmt.Errorf("read roles file: %w", err)
	}
	sum := sha256.Sum256(b)
	r.mu.RLock()
	same := sum == r.sum && r.roles != nil
	r.mu.RUnlock()
	if same {
		return false, nil
	}
	var raw map[string][]string
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return false, fmt.Errorf("roles file %s: %w", r.path, err)
	}
	out := map[string]wiki.Role{}
	for name, users := range raw {
		role, ok := wiki.ParseRole(name)
		if !ok {
			return false, fmt.Errorf("roles file %s: unknown role %q; use reader, editor or admin", r.path, name)
		}
		for _, u := range users {
			if role > out[u] {
				out[u] = role
			}
		}
	}
	r.mu.Lock()
	r.roles, r.sum = out, sum
	r.mu.Unlock()
	return true, nil
}

// Role returns the role the file gives name.
func (r *Roles) Role(name string) (wiki.Role, bool) {
	if r == nil {
		return wiki.RoleNone, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	role, ok := r.roles[name]
	return role, ok
}
