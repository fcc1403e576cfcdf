// Package firing keeps the alerts firing now, as Alertmanager's webhook
// reports them: firing alerts are added or refreshed, resolved ones leave.
// The state is derived (Alertmanager sends it again), kept in one JSON file
// so a restart does not forget what is firing.
package firing

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Limits on what one notification may hold.
const (
	MaxPayloadBytes = 1 << 20
	maxAlerts       = 1000
	maxLabelBytes   = 4096 // one label or annotation value
	maxFiring       = 10000
)

// Alert is one firing alert.
type Alert struct {
	Fingerprint  string            `json:"fingerprint"`
	Name         string            `json:"name"` // the alertname label
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"starts_at"`
	GeneratorURL string            `json:"generator_url,omitempty"` // http(s) only
	ExternalURL  string            `json:"external_url,omitempty"`  // the Alertmanager's, http(s) only
	Receiver     string            `json:"receiver,omitempty"`
	GroupKey     string            `json:"group_key,omitempty"`
	LastNotified time.Time         `json:"last_notified"`
}

// SilenceURL is where the Alertmanager silences this alert, "" when the
// notification named no Alertmanager.
func (a Alert) SilenceURL() string {
	if a.ExternalURL == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString("{")
	for i, k := range sortedKeys(a.Labels) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, a.Labels[k])
	}
	b.WriteString("}")
	return strings.TrimRight(a.ExternalURL, "/") + "/#/silences/new?filter=" + url.QueryEscape(b.String())
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Payload is Alertmanager's webhook notification, version 4.
type Payload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []struct {
		Status       string            `json:"status"`
		Labels       map[string]string `json:"labels"`
		Annotations  map[string]string `json:"annotations"`
		StartsAt     time.Time         `json:"startsAt"`
		EndsAt       time.Time         `json:"endsAt"`
		GeneratorURL string            `json:"generatorURL"`
		Fingerprint  string            `json:"fingerprint"`
	} `json:"alerts"`
}

// ErrPayload is a notification that cannot be taken, with why.
type ErrPayload struct{ Reason string }

func (e *ErrPayload) Error() string { return e.Reason }

// Decode reads a notification, refusing what is not Alertmanager's
// version 4 or is larger than the limits.
func Decode(r io.Reader) (*Payload, error) {
	var p Payload
	dec := json.NewDecoder(io.LimitReader(r, MaxPayloadBytes+1))
	if err := dec.Decode(&p); err != nil {
		return nil, &ErrPayload{"the body is not an Alertmanager notification (JSON): " + err.Error()}
	}
	if p.Version != "4" {
		return nil, &ErrPayload{fmt.Sprintf("webhook payload version %q: this wiki reads version 4 (Alertmanager 0.x webhook_configs)", p.Version)}
	}
	if len(p.Alerts) > maxAlerts {
		return nil, &ErrPayload{fmt.Sprintf("%d alerts in one notification; at most %d are taken (set max_alerts in webhook_configs)", len(p.Alerts), maxAlerts)}
	}
	for i, a := range p.Alerts {
		if a.Labels["alertname"] == "" {
			return nil, &ErrPayload{fmt.Sprintf("alert %d has no alertname label", i+1)}
		}
		if a.Status != "firing" && a.Status != "resolved" {
			return nil, &ErrPayload{fmt.Sprintf("alert %d has status %q, not firing or resolved", i+1, a.Status)}
		}
		for _, m := range []map[string]string{a.Labels, a.Annotations} {
			for k, v := range m {
				if len(k)+len(v) > maxLabelBytes {
					return nil, &ErrPayload{fmt.Sprintf("alert %d: label or annotation %.40q is longer than %d bytes", i+1, k, maxLabelBytes)}
				}
			}
		}
	}
	return &p, nil
}

// httpURL returns u when it is an absolute http(s) address, else "":
// nothing an alert says becomes a link of another scheme.
func httpURL(u string) string {
	pu, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return ""
	}
	return pu.String()
}

// fingerprint identifies an alert by its labels when Alertmanager did not.
func fingerprint(labels map[string]string) string {
	h := sha256.New()
	for _, k := range sortedKeys(labels) {
		fmt.Fprintf(h, "%s\x00%s\x00", k, labels[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Store is the set of firing alerts, kept in a file.
type Store struct {
	path string

	mu      sync.RWMutex
	alerts  map[string]Alert // by fingerprint
	version uint64
}

// Open loads the state at path (a missing file is no alert firing).
func Open(path string) (*Store, error) {
	s := &Store{path: path, alerts: map[string]Alert{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	var list []Alert
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("read %s: %w (delete it to start with no alert firing; Alertmanager sends them again)", path, err)
	}
	for _, a := range list {
		s.alerts[a.Fingerprint] = a
	}
	s.version = stateHash(s.listLocked())
	return s, nil
}

// Apply takes a notification: its firing alerts are added or refreshed,
// its resolved ones removed. Applying the same notification twice changes
// nothing. It reports how many alerts changed.
func (s *Store) Apply(p *Payload, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := 0
	for _, in := range p.Alerts {
		fp := in.Fingerprint
		if fp == "" || len(fp) > 64 {
			fp = fingerprint(in.Labels)
		}
		old, had := s.alerts[fp]
		if in.Status == "resolved" {
			if had {
				delete(s.alerts, fp)
				changed++
			}
			continue
		}
		a := Alert{Fingerprint: fp, Name: in.Labels["alertname"], Labels: in.Labels, Annotations: in.Annotations, StartsAt: in.StartsAt,
			GeneratorURL: httpURL(in.GeneratorURL), ExternalURL: httpURL(p.ExternalURL), Receiver: p.Receiver, GroupKey: p.GroupKey, LastNotified: now}
		if !had && len(s.alerts) >= maxFiring {
			return changed, &ErrPayload{fmt.Sprintf("%d alerts are firing already, the most this wiki keeps", maxFiring)}
		}
		if !had || !same(old, a) {
			changed++
		}
		s.alerts[fp] = a
	}
	if changed == 0 {
		return 0, nil
	}
	s.version = stateHash(s.listLocked())
	return changed, s.saveLocked()
}

// stateHash fingerprints what the firing alerts show, the same after a
// restart (it ends up in ETags).
func stateHash(list []Alert) uint64 {
	h := fnv.New64a()
	for _, a := range list {
		a.LastNotified = time.Time{}
		b, _ := json.Marshal(a)
		h.Write(b)
	}
	return h.Sum64()
}

// same reports whether two states of an alert show the same.
func same(a, b Alert) bool {
	a.LastNotified, b.LastNotified = time.Time{}, time.Time{}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// saveLocked writes the state: a temporary file renamed over the old one.
func (s *Store) saveLocked() error {
	list := s.listLocked()
	b, err := json.MarshalIndent(list, "", " ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".firing-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.path)
}

func (s *Store) listLocked() []Alert {
	out := make([]Alert, 0, len(s.alerts))
	for _, a := range s.alerts {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].StartsAt.Equal(out[j].StartsAt) {
			return out[i].StartsAt.Before(out[j].StartsAt)
		}
		return out[i].Fingerprint < out[j].Fingerprint
	})
	return out
}

// List returns the firing alerts, oldest first.
func (s *Store) List() []Alert {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.listLocked()
}

// Named returns the firing alerts with one of the alert names, compared
// without regard to letter case.
func (s *Store) Named(names ...string) []Alert {
	var out []Alert
	for _, a := range s.List() {
		for _, n := range names {
			if strings.EqualFold(a.Name, n) {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

// Count is how many alerts are firing.
func (s *Store) Count() int {
	if s == nil {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.alerts)
}

// Version changes whenever the firing alerts change, so cached pages
// showing them know to render again.
func (s *Store) Version() uint64 {
	if s == nil {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version
}
