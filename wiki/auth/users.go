// Package auth identifies the people using the wiki: users from an htpasswd
// file with bcrypt passwords and roles from a YAML file, personal access
// tokens, signed session cookies, and users named by a trusted proxy. The
// browser, the JSON API and git over HTTP all go through Authenticator.
package auth

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/opswiki/opswiki/wiki"
)

// Users are the accounts of an htpasswd file.
type Users struct {
	hashes map[string][]byte
}

// dummyHash is compared against when a user does not exist, so a failed
// sign-in takes as long for unknown users as for wrong passwords.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("opswiki-dummy"), bcrypt.DefaultCost)

// LoadUsers reads an htpasswd file ("name:hash" lines, # comments). Only
// bcrypt hashes ($2a$, $2b$, $2y$; htpasswd -B) are accepted: the others
// htpasswd can write are too weak to keep.
func LoadUsers(path string) (*Users, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read users file: %w", err)
	}
	u := &Users{hashes: map[string][]byte{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("%s:%d: want name:hash", path, n)
		}
		if !strings.HasPrefix(hash, "$2a$") && !strings.HasPrefix(hash, "$2b$") && !strings.HasPrefix(hash, "$2y$") {
			return nil, fmt.Errorf("%s:%d: the password of %q is not a bcrypt hash; create it with htpasswd -B", path, n, name)
		}
		u.hashes[name] = []byte(hash)
	}
	if len(u.hashes) == 0 {
		return nil, fmt.Errorf("%s has no users", path)
	}
	return u, sc.Err()
}

// Check reports whether password is the user's.
func (u *Users) Check(name, password string) bool {
	h, ok := u.hashes[name]
	if !ok {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword(h, []byte(password)) == nil
}

// Exists reports whether the user is in the file.
func (u *Users) Exists(name string) bool { _, ok := u.hashes[name]; return ok }

// Names returns the users, sorted.
func (u *Users) Names() []string {
	out := make([]string, 0, len(u.hashes))
	for n := range u.hashes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Roles maps user names to their role.
type Roles map[string]wiki.Role

// LoadRoles reads a YAML file of role → user names:
//
//	admin: [ana]
//	editor: [bo, cy]
//	reader: [dee]
//
// A user listed under several roles gets the highest.
func LoadRoles(path string) (Roles, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read roles file: %w", err)
	}
	var raw map[string][]string
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("roles file %s: %w", path, err)
	}
	out := Roles{}
	for name, users := range raw {
		role, ok := wiki.ParseRole(name)
		if !ok {
			return nil, fmt.Errorf("roles file %s: unknown role %q; use reader, editor or admin", path, name)
		}
		for _, u := range users {
			if role > out[u] {
				out[u] = role
			}
		}
	}
	return out, nil
}
