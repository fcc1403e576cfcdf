package oncall

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// problems collects Problems while a value is decoded.
type problems []Problem

func (ps *problems) add(field, format string, args ...any) {
	*ps = append(*ps, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// kindOf names a decoded YAML value's kind for messages.
func kindOf(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case map[string]any, map[any]any:
		return "mapping"
	case nil:
		return "empty value"
	}
	return "single value"
}

// text decodes a scalar as text; numbers and booleans are their text.
func text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case time.Time:
		return x.Format(time.RFC3339), true
	case nil:
		return "", true
	}
	return "", false
}

// entries goes through a list whose items are mappings with the given
// keys (escalation levels, overrides): an item that is no mapping, and a
// key the item may not have, is a problem at its place ("what N" in the
// messages); fn reads each mapping, with the field naming its place.
func entries(ps *problems, field string, items []any, what string, keys []string, fn func(i int, f string, m map[string]any)) {
	list := strings.Join(keys, ", ")
	and := strings.Join(keys[:len(keys)-1], ", ") + " and " + keys[len(keys)-1]
	for i, item := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		m, have, ok := mapping(item)
		if !ok {
			ps.add(f, "%s %d must be a mapping with %s, not a %s", what, i+1, and, kindOf(item))
			continue
		}
		for _, k := range have {
			if !slices.Contains(keys, k) {
				ps.add(f+"."+k, "unknown key %q in %s %d; use %s", k, what, i+1, list)
			}
		}
		fn(i, f, m)
	}
}

// mapping returns a decoded YAML mapping with string keys, sorted so
// problems come out in a stable order.
func mapping(v any) (map[string]any, []string, bool) {
	var m map[string]any
	switch x := v.(type) {
	case map[string]any:
		m = x
	case map[any]any:
		m = make(map[string]any, len(x))
		for k, val := range x {
			ks, _ := text(k)
			m[ks] = val
		}
	default:
		return nil, nil, false
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return m, keys, true
}

// textList decodes a list of scalars; a single scalar is a list of one.
func textList(ps *problems, field string, v any) []string {
	if s, ok := text(v); ok {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	items, ok := v.([]any)
	if !ok {
		ps.add(field, "%s must be a list of names, not a %s", field, kindOf(v))
		return nil
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		s, ok := text(item)
		if !ok {
			ps.add(fmt.Sprintf("%s[%d]", field, i), "%s must be a list of names; item %d is a %s", field, i+1, kindOf(item))
			continue
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// span units, for lengths and delays.
var spanUnits = map[string]time.Duration{
	"w": 7 * 24 * time.Hour, "d": 24 * time.Hour, "h": time.Hour, "m": time.Minute, "s": time.Second,
}

// spanWords are the words a length may be written as.
var spanWords = map[string]time.Duration{
	"hourly": time.Hour, "daily": 24 * time.Hour, "weekly": 7 * 24 * time.Hour,
	"fortnightly": 14 * 24 * time.Hour, "biweekly": 14 * 24 * time.Hour,
}

// parseSpan parses a length such as 1w, 2d, 12h, 15m, 1d12h or 90s; a bare
// number is refused because nothing says whether it counts minutes or days.
func parseSpan(s string) (time.Duration, error) {
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	if d, ok := spanWords[s]; ok {
		return d, nil
	}
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, fmt.Errorf("it is empty")
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		j := i
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		unit, ok := spanUnits[rest[i:j]]
		if i == 0 || !ok {
			if i == len(rest) {
				return 0, fmt.Errorf("%q has no unit; write it with w (weeks), d (days), h (hours) or m (minutes), as in 15m or 1w", s)
			}
			return 0, fmt.Errorf("%q is not a length; write a number with w (weeks), d (days), h (hours) or m (minutes), as in 1w, 2d, 12h or 1d12h", s)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || n > int64(math.MaxInt64/unit) || total > math.MaxInt64-time.Duration(n)*unit {
			return 0, fmt.Errorf("%q is too long", s)
		}
		total += time.Duration(n) * unit
		rest = rest[j:]
	}
	// Ten years is far beyond any shift or escalation delay; refusing
	// more keeps the arithmetic on handoffs well inside int64.
	if total > 10*366*24*time.Hour {
		return 0, fmt.Errorf("%q is longer than ten years", s)
	}
	return total, nil
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "tues": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// handoffSpec is a parsed handoff: an optional weekday, a time of day and
// an optional zone.
type handoffSpec struct {
	weekday      time.Weekday
	hasWeekday   bool
	hour, minute int
	zone         string
}

// parseHandoff parses "monday 09:00", "mon 9:00", "09:00" or either with a
// zone after it ("monday 09:00 Europe/Berlin").
func parseHandoff(s string) (handoffSpec, error) {
	var h handoffSpec
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return h, fmt.Errorf("handoff is empty; write the weekday and time shifts change hands, as in \"monday 09:00\"")
	}
	if wd, ok := weekdays[strings.TrimSuffix(strings.ToLower(fields[0]), "s")]; ok {
		h.weekday, h.hasWeekday = wd, true
		fields = fields[1:]
	} else if wd, ok := weekdays[strings.ToLower(fields[0])]; ok {
		h.weekday, h.hasWeekday = wd, true
		fields = fields[1:]
	}
	if len(fields) == 0 {
		return h, fmt.Errorf("handoff %q has no time of day; write it as in \"monday 09:00\"", s)
	}
	clock, err := time.Parse("15:04", fields[0])
	if err != nil {
		return h, fmt.Errorf("handoff %q: %q is not a time of day; write it as HH:MM, as in \"monday 09:00\"", s, fields[0])
	}
	h.hour, h.minute = clock.Hour(), clock.Minute()
	switch len(fields) {
	case 1:
	case 2:
		h.zone = fields[1]
	default:
		return h, fmt.Errorf("handoff %q has more than a weekday, a time and a time zone", s)
	}
	return h, nil
}

// LoadZone loads an IANA time zone; "Local" is refused because the
// server's zone is not the team's.
func LoadZone(name string) (*time.Location, error) {
	switch strings.ToUpper(name) {
	case "UTC", "Z", "GMT":
		return time.UTC, nil
	case "LOCAL", "":
		return nil, fmt.Errorf("%q is not a time zone; name one such as Europe/Berlin or UTC", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a time zone; name one such as Europe/Berlin or UTC", name)
	}
	return loc, nil
}

// absoluteLayouts are timestamps that carry their own offset.
var absoluteLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04 Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04 -0700",
	"2006-01-02T15:04:05-0700",
}

// wallLayouts are timestamps read in a zone.
var wallLayouts = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05"}

// parseMoment parses an override time: with an offset it is that instant;
// with a zone name after it ("2026-03-28 18:00 UTC", "… Europe/London") or
// without (read in loc) it is a wall-clock time, placed by the same rule
// as handoffs when a clock change skips or repeats it.
//
// YAML decodes an unquoted "2026-03-28 18:00:00" to a time.Time in UTC,
// the same as one ending in Z; the first is the common way to write it, so
// a time.Time in UTC is read as a wall-clock time too. DecodeNode keeps
// such values as the text they were written as.
func parseMoment(v any, loc *time.Location) (time.Time, error) {
	if t, ok := v.(time.Time); ok {
		if t.Location() != time.UTC {
			return t, nil
		}
		return resolve(t, loc, gapAfter), nil
	}
	s, ok := text(v)
	if !ok {
		return time.Time{}, fmt.Errorf("it must be a date and time, not a %s", kindOf(v))
	}
	for _, layout := range absoluteLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	clock := s
	if i := strings.LastIndexByte(s, ' '); i > 0 && !strings.Contains(s[i+1:], ":") {
		z, err := LoadZone(s[i+1:])
		if err != nil {
			return time.Time{}, err
		}
		clock, loc = strings.TrimSpace(s[:i]), z
	}
	for _, layout := range wallLayouts {
		if c, err := time.Parse(layout, clock); err == nil {
			return resolve(c, loc, gapAfter), nil
		}
	}
	if _, err := time.Parse(time.DateOnly, s); err == nil {
		return time.Time{}, fmt.Errorf("%q has no time of day; write it as in \"2026-03-28 18:00\"", s)
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time; write it as in \"2026-03-28 18:00\" (in the rotation's time zone) or \"2026-03-28T18:00:00+01:00\"", s)
}

// parseDate parses a calendar date (YYYY-MM-DD).
func parseDate(v any) (time.Time, error) {
	if t, ok := v.(time.Time); ok {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	}
	s, ok := text(v)
	if !ok {
		return time.Time{}, fmt.Errorf("it must be a date, not a %s", kindOf(v))
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date; write it as YYYY-MM-DD (the time of day comes from handoff)", s)
	}
	return t, nil
}
