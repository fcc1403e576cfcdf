package schedule

import (
	"fmt"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/opswiki/opswiki/wiki/oncall"
)

// when reads a DATE or DATE-TIME value: UTC ("…Z"), in its TZID, or
// floating (in the calendar's zone). allDay is true for a DATE.
func (p *calParser) when(prop *ics.BaseProperty) (t time.Time, allDay bool, err error) {
	loc := p.loc
	if tzid := param(prop, "TZID"); tzid != "" {
		if loc, err = p.zone(tzid); err != nil {
			return time.Time{}, false, err
		}
	}
	return parseICalTime(strings.TrimSpace(prop.Value), strings.EqualFold(param(prop, "VALUE"), "DATE"), loc)
}

// parseICalTime reads one DATE or DATE-TIME value.
func parseICalTime(v string, date bool, loc *time.Location) (time.Time, bool, error) {
	switch {
	case date || len(v) == 8:
		c, err := time.Parse("20060102", v)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("%q is not a date (YYYYMMDD)", v)
		}
		return oncall.ICalInstant(c, loc), true, nil
	case len(v) == 16 && (v[15] == 'Z' || v[15] == 'z'):
		t, err := time.Parse("20060102T150405", v[:15])
		if err != nil {
			return time.Time{}, false, fmt.Errorf("%q is not a date-time", v)
		}
		return t, false, nil
	case len(v) == 15:
		c, err := time.Parse("20060102T150405", v)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("%q is not a date-time", v)
		}
		return oncall.ICalInstant(c, loc), false, nil
	}
	return time.Time{}, false, fmt.Errorf("%q is not a date or date-time", v)
}

// zone finds a TZID's location. IANA names are what PagerDuty, Opsgenie,
// Grafana OnCall and Google Calendar write; a prefixed one such as
// "/mozilla.org/20050126_1/Europe/Berlin" is read by its IANA suffix.
func (p *calParser) zone(tzid string) (*time.Location, error) {
	tzid = strings.Trim(strings.TrimSpace(tzid), `"`)
	if loc, ok := p.zones[tzid]; ok {
		if loc == nil {
			return nil, fmt.Errorf("unknown time zone %q", tzid)
		}
		return loc, nil
	}
	var found *time.Location
	parts := strings.Split(strings.Trim(tzid, "/"), "/")
	for i := range parts {
		if loc, err := oncall.LoadZone(strings.Join(parts[i:], "/")); err == nil {
			found = loc
			break
		}
	}
	if len(p.zones) < 64 {
		p.zones[tzid] = found
	}
	if found == nil {
		return nil, fmt.Errorf("unknown time zone %q", tzid)
	}
	return found, nil
}

// param returns a property parameter's first value; parameter names are
// case-insensitive.
func param(prop *ics.BaseProperty, name string) string {
	for k, v := range prop.ICalParameters {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
	}
	return ""
}

// parseICalDuration reads a dur-value (RFC 5545 §3.3.6) as nominal days
// and an exact remainder.
func parseICalDuration(s string) (days int, exact time.Duration, err error) {
	v := strings.ToUpper(strings.TrimSpace(s))
	v = strings.TrimPrefix(v, "+")
	if strings.HasPrefix(v, "-") {
		return 0, 0, fmt.Errorf("%q is negative", s)
	}
	if !strings.HasPrefix(v, "P") || len(v) < 3 {
		return 0, 0, fmt.Errorf("%q is not a duration such as P1D or PT12H", s)
	}
	v = v[1:]
	inTime := false
	for v != "" {
		if v[0] == 'T' {
			inTime, v = true, v[1:]
			continue
		}
		i := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == 0 || i == len(v) || i > 6 {
			return 0, 0, fmt.Errorf("%q is not a duration such as P1D or PT12H", s)
		}
		n := 0
		fmt.Sscan(v[:i], &n)
		switch unit := v[i]; {
		case unit == 'W' && !inTime:
			days += 7 * n
		case unit == 'D' && !inTime:
			days += n
		case unit == 'H' && inTime:
			exact += time.Duration(n) * time.Hour
		case unit == 'M' && inTime:
			exact += time.Duration(n) * time.Minute
		case unit == 'S' && inTime:
			exact += time.Duration(n) * time.Second
		default:
			return 0, 0, fmt.Errorf("%q is not a duration such as P1D or PT12H", s)
		}
		v = v[i+1:]
	}
	return days, exact, nil
}
