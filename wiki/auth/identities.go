package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

// Identity is what the identity provider (or the proxy) last said about a
// user: the account their name belongs to, their email and their groups.
type Identity struct {
	Name string `json:"name"`
	// Issuer and Subject name the provider's account (the ID token's iss
	// and sub); empty for users named by a proxy.
	Issuer  string    `json:"issuer,omitempty"`
	Subject string    `json:"subject,omitempty"`
	Email   string    `json:"email,omitempty"`
	Groups  []string  `json:"groups,omitempty"`
	Updated time.Time `json:"updated"`
}

// stamp identifies the provider's account, so a session begun by one
// account never passes for another that later took the same name.
func (id Identity) stamp() string {
	h := sha256.Sum256([]byte(id.Issuer + "\x00" + id.Subject))
	return oidcStampPrefix + hex.EncodeToString(h[:8])
}

// oidcStampPrefix starts the stamp of sessions begun with the provider,
// telling them apart from sessions begun with a password.
const oidcStampPrefix = "oidc:"

// Identities keeps, per user name, the identity the provider or proxy gave
// last, in a JSON file in the data directory. Personal access tokens and
// sessions carry only a name; this is where their email and groups come
// from, so a token has the roles of its owner's groups. An admin removes a
// person by deleting their entry: their sessions and tokens then stop
// working. The file is re-read when changed by hand.
type Identities struct {
	path string

	mu     sync.RWMutex
	byName map[string]Identity
	sum    [sha256.Size]byte
}

// OpenIdentities reads the identities file, creating none until the first
// sign-in.
func OpenIdentities(path string) (*Identities, error) {
	d := &Identities{path: path, byName: map[string]Identity{}}
	if _, err := d.Reload(); err != nil {
		return nil, err
	}
	return d, nil
}

// Reload re-reads the file and reports whether its content changed; a
// damaged file leaves the identities as they were and the error says why.
func (d *Identities) Reload() (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reloadLocked()
}

func (d *Identities) reloadLocked() (bool, error) {
	b, err := os.ReadFile(d.path)
	if errors.Is(err, os.ErrNotExist) {
		b = nil
	} else if err != nil {
		return false, fmt.Errorf("read identities file: %w", err)
	}
	sum := sha256.Sum256(b)
	if sum == d.sum {
		return false, nil
	}
	byName := map[string]Identity{}
	if len(b) > 0 {
		var list []Identity
		if err := json.Unmarshal(b, &list); err != nil {
			return false, fmt.Errorf("identities file %s is damaged (fix it, or delete it: people are then known again as they sign in): %w", d.path, err)
		}
		for _, id := range list {
			byName[id.Name] = id
		}
	}
	d.byName, d.sum = byName, sum
	return true, nil
}

// Lookup returns the identity last recorded for name.
func (d *Identities) Lookup(name string) (Identity, bool) {
	if d == nil {
		return Identity{}, false
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	id, ok := d.byName[name]
	return id, ok
}

// errNameTaken is the cause of a sign-in refused because its name belongs
// to another account of the provider.
var errNameTaken = errors.New("user name bound to another subject")

// Record keeps what the provider said at a sign-in. A name stays with the
// provider's account that first signed in with it: another account (other
// sub, same issuer) giving the same name is refused with EFORBIDDEN, since
// it would inherit the first one's tokens, sessions and roles. Edits made
// to the file by hand since it was last read are kept.
func (d *Identities) Record(id Identity) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.reloadLocked(); err != nil {
		return err
	}
	if old, ok := d.byName[id.Name]; ok && old.Subject != "" && old.Issuer == id.Issuer && old.Subject != id.Subject {
		return &wiki.Error{Code: wiki.EFORBIDDEN, Err: errNameTaken,
			Message: fmt.Sprintf("The user name %q belongs to another account of the identity provider, which signed in with it first. An admin can give the name to this account by removing %q from %s.", id.Name, id.Name, d.path)}
	}
	id.Updated = time.Now().UTC()
	return d.putLocked(id)
}

// Remember keeps what a proxy says of a user when it differs from what was
// kept, so that requests repeating it write nothing.
func (d *Identities) Remember(id Identity) error {
	d.mu.RLock()
	old, ok := d.byName[id.Name]
	d.mu.RUnlock()
	if ok && old.Email == id.Email && slices.Equal(old.Groups, id.Groups) && old.Subject == "" {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	id.Updated = time.Now().UTC()
	return d.putLocked(id)
}

func (d *Identities) putLocked(id Identity) error {
	old, had := d.byName[id.Name]
	d.byName[id.Name] = id
	if err := d.saveLocked(); err != nil {
		if had {
			d.byName[id.Name] = old
		} else {
			delete(d.byName, id.Name)
		}
		return err
	}
	return nil
}

// saveLocked writes the file atomically, sorted by name so hand edits and
// diffs stay readable.
func (d *Identities) saveLocked() error {
	list := make([]Identity, 0, len(d.byName))
	for _, id := range d.byName {
		list = append(list, id)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(d.path, b); err != nil {
		return err
	}
	d.sum = sha256.Sum256(b)
	return nil
}
