// Package auth identifies the people using the wiki: users from an htpasswd
// file with bcrypt passwords and roles from a YAML file for user names and
// groups (both re-read when they change), personal access tokens,
// server-side browser sessions, users named by a trusted proxy, and users
// signed in with the organisation's OpenID Connect provider. The browser,
// the JSON API and git over HTTP all go through Authenticator.
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

// Roles maps user names and groups to roles, from a YAML file that Reload
// re-reads. A nil *Roles lists nobody.
type Roles struct {
	path string

	mu     sync.RWMutex
	roles  map[string]wiki.Role
	groups map[string]wiki.Role
	sum    [sha256.Size]byte
}

// GroupPrefix marks a group in the roles file: "@platform/sre" is everyone
// the identity provider or proxy puts in the group platform/sre.
const GroupPrefix = "@"

// LoadRoles reads a YAML file of role → user names and groups:
//
//	admin: [ana]
//	editor: [bo, cy, "@platform/sre"]
//	reader: [dee, "@everyone"]
//
// Groups are written with a leading @, quoted because YAML keeps @ for
// itself. A user gets the highest role given to their name or to any of
// their groups.
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
	users, groups, err := parseRoles(r.path, b)
	if err != nil {
		return false, err
	}
	r.mu.Lock()
	r.roles, r.groups, r.sum = users, groups, sum
	r.mu.Unlock()
	return true, nil
}

// parseRoles reads the roles file into the roles of user names and of groups.
func parseRoles(path string, b []byte) (users, groups map[string]wiki.Role, err error) {
	var raw map[string][]string
	if err := yaml.Unmarshal(b, &raw); err != nil {
		if bytes.Contains(b, []byte(GroupPrefix)) {
			return nil, nil, fmt.Errorf("roles file %s: %w (write groups in quotes, such as \"@platform/sre\": YAML does not let a bare word start with @)", path, err)
		}
		return nil, nil, fmt.Errorf("roles file %s: %w", path, err)
	}
	users, groups = map[string]wiki.Role{}, map[string]wiki.Role{}
	for name, members := range raw {
		role, ok := wiki.ParseRole(name)
		if !ok {
			return nil, nil, fmt.Errorf("roles file %s: unknown role %q; use reader, editor or admin", path, name)
		}
		for _, m := range members {
			into, key := users, strings.TrimSpace(m)
			if g, ok := strings.CutPrefix(key, GroupPrefix); ok {
				into, key = groups, strings.TrimSpace(g)
				if key == "" {
					return nil, nil, fmt.Errorf("roles file %s: %s lists %q, a group without a name; write groups as \"@team\"", path, name, m)
				}
			} else if key == "" {
				return nil, nil, fmt.Errorf("roles file %s: %s lists an empty user name", path, name)
			}
			if role > into[key] {
				into[key] = role
			}
		}
	}
	return users, groups, nil
}

// Role returns the role the file gives name itself, not counting groups.
func (r *Roles) Role(name string) (wiki.Role, bool) {
	return r.RoleOf(name, nil)
}

// RoleOf returns the highest role the file gives name or any of groups,
// and whether the file lists any of them.
func (r *Roles) RoleOf(name string, groups []string) (wiki.Role, bool) {
	if r == nil {
		return wiki.RoleNone, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	role, ok := r.roles[name]
	for _, g := range groups {
		if gr, listed := r.groups[g]; listed {
			ok = true
			role = max(role, gr)
		}
	}
	return role, ok
}
