package oncall

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// rotationKeys are the keys an oncall mapping may have, as listed in
// messages and as looked up.
const rotationKeys = "schedule, members, handoff, timezone, length, start, overrides"

var rotationKeySet = map[string]bool{
	"schedule": true, "members": true, "handoff": true, "timezone": true, "length": true, "start": true, "overrides": true,
}

// ParseOncall decodes a team's oncall front matter value (as YAML decodes
// it into any). A nil value gives a nil Oncall. Problems name what is wrong;
// the Oncall returned alongside holds whatever could still be understood,
// and is nil when nothing could.
func ParseOncall(v any) (*Oncall, []Problem) {
	var ps problems
	const field = "oncall"
	if v == nil {
		return nil, nil
	}
	if s, ok := text(v); ok {
		if s == "" {
			return nil, nil
		}
		if looksLikeURL(s) {
			if err := CheckScheduleURL(s); err != nil {
				ps.add(field, "%v", err)
				return nil, ps
			}
			return &Oncall{Schedule: s}, nil
		}
		return &Oncall{Text: s}, nil
	}
	m, keys, ok := mapping(v)
	if !ok {
		ps.add(field, "oncall must be a schedule URL or a rotation (members, handoff, timezone, length), not a %s", kindOf(v))
		return nil, ps
	}
	for _, k := range keys {
		if !rotationKeySet[k] {
			ps.add(field+"."+k, "unknown key %q in oncall; use %s", k, rotationKeys)
		}
	}
	if sv, has := m["schedule"]; has {
		s, ok := text(sv)
		switch {
		case !ok || s == "":
			ps.add(field+".schedule", "oncall.schedule must be the URL of an iCalendar feed")
			return nil, ps
		case len(m) > 1:
			ps.add(field+".schedule", "oncall has a schedule and a rotation; keep one")
		}
		if err := CheckScheduleURL(s); err != nil {
			ps.add(field+".schedule", "%v", err)
			return nil, ps
		}
		return &Oncall{Schedule: s}, ps
	}
	r := parseRotation(&ps, field, m)
	if r == nil {
		return nil, ps
	}
	return &Oncall{Rotation: r}, ps
}

func parseRotation(ps *problems, field string, m map[string]any) *Rotation {
	r := &Rotation{Location: time.UTC}
	ok := true
	r.Members = textList(ps, field+".members", m["members"])
	if len(r.Members) == 0 {
		ps.add(field+".members", "oncall.members is missing: list who takes turns, as in [alice, bob]")
		ok = false
	}

	var h handoffSpec
	if hv, has := m["handoff"]; !has {
		ps.add(field+".handoff", "oncall.handoff is missing: write the weekday and time shifts change hands, as in \"monday 09:00\", or a time alone for daily shifts")
		ok = false
	} else if s, isText := text(hv); !isText {
		ps.add(field+".handoff", "oncall.handoff must be a weekday and a time, as in \"monday 09:00\", not a %s", kindOf(hv))
		ok = false
	} else if spec, err := parseHandoff(s); err != nil {
		ps.add(field+".handoff", "%v", err)
		ok = false
	} else {
		h = spec
	}

	zone := h.zone
	if zv, has := m["timezone"]; has {
		s, isText := text(zv)
		if !isText || s == "" {
			ps.add(field+".timezone", "oncall.timezone must name a time zone such as Europe/Berlin or UTC")
			return nil
		}
		if zone != "" && !strings.EqualFold(zone, s) {
			ps.add(field+".timezone", "oncall.timezone is %q but handoff says %q; keep one", s, zone)
		}
		zone = s
	}
	if zone != "" {
		loc, err := LoadZone(zone)
		if err != nil {
			ps.add(field+".timezone", "oncall.timezone: %v", err)
			ok = false
		} else {
			r.Location = loc
		}
	}

	r.Length = 24 * time.Hour
	if h.hasWeekday {
		r.Length = 7 * 24 * time.Hour
	}
	if lv, has := m["length"]; has {
		s, _ := text(lv)
		d, err := parseSpan(s)
		switch {
		case err != nil:
			ps.add(field+".length", "oncall.length: %v", err)
			ok = false
		case d < time.Hour || d%time.Minute != 0:
			ps.add(field+".length", "oncall.length %q is too short; a shift lasts at least 1h, in whole minutes", s)
			ok = false
		default:
			r.Length = d
		}
	}

	// Without a start the rotation counts from the first matching handoff
	// on or after 1970-01-01, so every copy of the wiki agrees on whose
	// turn it is without anyone having written a date.
	startDate := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	if h.hasWeekday {
		startDate = startDate.AddDate(0, 0, (int(h.weekday)-int(startDate.Weekday())+7)%7)
	}
	if sv, has := m["start"]; has {
		d, err := parseDate(sv)
		switch {
		case err != nil:
			ps.add(field+".start", "oncall.start: %v", err)
		case d.Year() < minYear || d.Year() > maxYear:
			ps.add(field+".start", "oncall.start %s is not between %d and %d", d.Format(time.DateOnly), minYear, maxYear)
		default:
			if h.hasWeekday && d.Weekday() != h.weekday {
				ps.add(field+".start", "oncall.start %s is a %s, but handoff is on %ss", d.Format(time.DateOnly), d.Weekday(), h.weekday)
			}
			startDate = d
		}
	}
	r.First = startDate.Add(time.Duration(h.hour)*time.Hour + time.Duration(h.minute)*time.Minute)

	if ov, has := m["overrides"]; has && ov != nil {
		r.Overrides = parseOverrides(ps, field+".overrides", ov, r.Location)
	}
	if !ok {
		return nil
	}
	return r
}

func parseOverrides(ps *problems, field string, v any, loc *time.Location) []Override {
	items, ok := v.([]any)
	if !ok {
		ps.add(field, "oncall.overrides must be a list of {who, from, to}, not a %s", kindOf(v))
		return nil
	}
	var out []Override
	entries(ps, field, items, "override", []string{"who", "from", "to"}, func(i int, f string, m map[string]any) {
		var o Override
		good := true
		if s, _ := text(m["who"]); s == "" {
			ps.add(f+".who", "override %d has no who", i+1)
			good = false
		} else {
			o.Who = s
		}
		for _, part := range []struct {
			key string
			dst *time.Time
		}{{"from", &o.From}, {"to", &o.To}} {
			pv, has := m[part.key]
			if !has {
				ps.add(f+"."+part.key, "override %d has no %s", i+1, part.key)
				good = false
				continue
			}
			t, err := parseMoment(pv, loc)
			if err != nil {
				ps.add(f+"."+part.key, "override %d %s: %v", i+1, part.key, err)
				good = false
				continue
			}
			*part.dst = t
		}
		if good && !o.To.After(o.From) {
			ps.add(f+".to", "override %d ends (%s) before it begins (%s)", i+1, o.To.Format(time.RFC3339), o.From.Format(time.RFC3339))
			good = false
		}
		if good {
			out = append(out, o)
		}
	})
	return out
}

// looksLikeURL reports whether an oncall text is meant as a schedule URL.
func looksLikeURL(s string) bool {
	return strings.Contains(s, "://") && !strings.ContainsAny(s, " \t")
}

// CheckScheduleURL accepts http, https and webcal URLs with a host.
func CheckScheduleURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", s)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "webcal", "webcals":
	default:
		return fmt.Errorf("schedule URL %q must start with https://, http:// or webcal://", s)
	}
	if u.Host == "" {
		return fmt.Errorf("schedule URL %q has no host", s)
	}
	return nil
}
