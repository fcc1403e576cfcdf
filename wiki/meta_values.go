package wiki

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// str decodes a scalar as text. Numbers and booleans are accepted as their
// text ("tier: 1"); lists and mappings are errors.
func (mp *metaParser) str(key string, v *yaml.Node) (string, bool) {
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	if v.Kind != yaml.ScalarNode {
		mp.errorf(mp.line(v), key, "%s must be text, not a %s", key, nodeKind(v))
		return "", false
	}
	if v.Tag == "!!null" {
		return "", true
	}
	return strings.TrimSpace(v.Value), true
}

// strList decodes a list of scalars; a single scalar is a list of one.
func (mp *metaParser) strList(key string, v *yaml.Node) []string {
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if s, _ := mp.str(key, v); s != "" {
			return []string{s}
		}
		return nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(v.Content))
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode {
				mp.errorf(mp.line(item), key, "%s must be a list of text values; found a %s", key, nodeKind(item))
				continue
			}
			if s := strings.TrimSpace(item.Value); s != "" && item.Tag != "!!null" {
				out = append(out, s)
			}
		}
		return out
	}
	mp.errorf(mp.line(v), key, "%s must be a list of text values, not a %s", key, nodeKind(v))
	return nil
}

func nodeKind(v *yaml.Node) string {
	switch v.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.ScalarNode:
		return "single value"
	}
	return "value"
}

// date decodes a calendar date (YYYY-MM-DD; a full timestamp is accepted).
func (mp *metaParser) date(key string, v *yaml.Node) time.Time {
	s, ok := mp.str(key, v)
	if !ok || s == "" || isPlaceholder(s) {
		return time.Time{}
	}
	t, err := ParseDate(s)
	if err != nil {
		mp.errorf(mp.line(v), key, "%s: %v", key, err)
	}
	return t
}

// timestamp decodes an incident timestamp (RFC 3339 or "YYYY-MM-DD HH:MM ZONE").
func (mp *metaParser) timestamp(key string, v *yaml.Node) time.Time {
	s, ok := mp.str(key, v)
	if !ok || s == "" || isPlaceholder(s) {
		return time.Time{}
	}
	t, err := ParseTimestamp(s)
	if err != nil {
		mp.errorf(mp.line(v), key, "%s: %v", key, err)
	}
	return t
}

// ParseDate parses a date as YYYY-MM-DD, also accepting a full timestamp.
func ParseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := ParseTimestamp(s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date; write it as YYYY-MM-DD", s)
}

// timestampLayouts are the forms SPEC §3 allows, plus the ones YAML itself
// produces for timestamps, tried in order.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04 Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04 -0700",
	"2006-01-02 15:04:05.999999999 -0700 MST", // Go's own time.Time String
}

// ParseTimestamp parses RFC 3339 or "YYYY-MM-DD HH:MM[:SS] ZONE", where ZONE is
// an offset (+02:00, -0700), Z, UTC, GMT or an IANA name (Europe/Berlin). A
// time without a zone is refused: an incident timeline must be unambiguous.
func ParseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	// "2026-10-14 09:30 UTC" or "2026-10-14 09:30 Europe/Berlin".
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		clock, zone := s[:i], s[i+1:]
		var loc *time.Location
		switch strings.ToUpper(zone) {
		case "UTC", "Z", "GMT":
			loc = time.UTC
		default:
			if strings.Contains(zone, "/") {
				loc, _ = time.LoadLocation(zone)
			}
		}
		if loc != nil {
			for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05"} {
				if t, err := time.ParseInLocation(layout, clock, loc); err == nil {
					return t, nil
				}
			}
		}
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if _, err := time.Parse(layout, s); err == nil {
			return time.Time{}, fmt.Errorf("%q has no time zone; add one, as in \"2026-10-14 09:30 UTC\" or \"2026-10-14T09:30:00+02:00\"", s)
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a timestamp; write RFC 3339 (2026-10-14T09:30:00Z) or \"2026-10-14 09:30 UTC\"", s)
}

// ParseInterval parses a review interval: a number with d (days), w (weeks),
// m (30-day months), y (365-day years), or a Go duration such as "36h".
func ParseInterval(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return 0, fmt.Errorf("empty interval")
	}
	unit := s[len(s)-1]
	days := map[byte]int{'d': 1, 'w': 7, 'm': 30, 'y': 365}[unit]
	if days > 0 {
		n, err := strconv.Atoi(s[:len(s)-1])
		if err == nil && n > 0 {
			return time.Duration(n*days) * 24 * time.Hour, nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("%q is not an interval; write a number of days, weeks, months or years such as 90d, 12w, 6m, 1y", s)
}

// Weight returns the page's Hugo weight, which orders it among its
// siblings (lighter first); 0 when it has none.
func (m Meta) Weight() float64 {
	for _, f := range m.Extra {
		if f.Key != "weight" {
			continue
		}
		switch v := f.Value.(type) {
		case int:
			return float64(v)
		case int64:
			return float64(v)
		case uint64:
			return float64(v)
		case float64:
			return v
		}
	}
	return 0
}
