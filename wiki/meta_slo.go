package wiki

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// sloField decodes the SLO and drill keys into the model and reports whether key is one
// of them.
func (mp *metaParser) sloField(key string, k, v *yaml.Node) bool {
	m := &mp.d.Meta
	switch key {
	case "slo_impact":
		m.SLOImpact = mp.sloImpacts(key, v)
	case "drill_every":
		m.DrillEvery = mp.drillEvery(key, v)
	case "last_exercised":
		m.LastExercised = mp.date(key, v)
	case "participants":
		m.Participants = mp.strList(key, v)
	case "date":
		// Hugo pages write date too, in forms of their own: it stays among
		// the other keys as written, and a drill's is checked once the
		// page's kind is known (checkDrill).
		if v.Kind == yaml.ScalarNode {
			if s, _ := mp.str(key, v); s != "" && !isPlaceholder(s) {
				m.Date, _ = ParseDate(s)
			}
		}
		return false
	default:
		return false
	}
	return true
}

// Limits of an SLO's window: shorter windows are alert thresholds, not
// objectives; longer ones could not show the windows before them.
const (
	minSLOWindow = time.Hour
	maxSLOWindow = 366 * 24 * time.Hour
)

// slos reads a service's SLOs: name, objective (a percentage such as
// "99.9%", also within a sentence, or a fraction such as 0.999), window (an
// interval such as 28d or 4w), and optionally indicator (what is measured)
// and events (how many events the indicator counts in one window, which
// makes the budget a number of events).
func (mp *metaParser) slos(key string, v *yaml.Node) []SLO {
	var out []SLO
	names := map[string]bool{}
	for _, item := range mp.sequence(key, v) {
		s := SLO{Line: mp.line(item)}
		var objNode, winNode *yaml.Node
		ok := mp.mapping(key, item, "name, objective and window", func(k string, _, vn *yaml.Node) {
			f := key + "." + k
			switch k {
			case "name":
				s.Name, _ = mp.str(f, vn)
			case "objective":
				s.Objective, _ = mp.str(f, vn)
				objNode = vn
			case "window":
				s.Window, _ = mp.str(f, vn)
				winNode = vn
			case "indicator", "sli":
				s.Indicator, _ = mp.str(f, vn)
			case "events":
				s.Events, _ = mp.count(f, vn, false)
			}
		})
		if !ok {
			continue
		}
		switch {
		case s.Name == "":
			mp.errorf(s.Line, key, "each SLO needs a name, which postmortems name in slo_impact")
			continue
		case strings.Contains(s.Name, "/"):
			mp.errorf(s.Line, key, "SLO name %q has a /, which slo_impact reads as service/name: choose another name", s.Name)
			continue
		case names[strings.ToLower(s.Name)]:
			mp.errorf(s.Line, key, "SLO %q is listed twice", s.Name)
			continue
		}
		names[strings.ToLower(s.Name)] = true
		if objNode != nil && s.Objective != "" && !isPlaceholder(s.Objective) {
			t, err := parseObjective(s.Objective)
			switch {
			case err != nil:
				mp.errorf(mp.line(objNode), key+".objective", "SLO %q: %v", s.Name, err)
			case t == 0:
				mp.warnf(mp.line(objNode), key+".objective", "SLO %q: objective %q names no percentage, so it has no error budget: write it as 99.9%% or 0.999", s.Name, s.Objective)
			case t < 0.5:
				// "errors below 0.1%" names the failures, not the objective.
				mp.warnf(mp.line(objNode), key+".objective", "SLO %q: objective %q is below 50%%, so it has no error budget: write the share that must succeed (99.9%%), not the share that may fail", s.Name, s.Objective)
				t = 0
			}
			s.Target = t
		} else if !isPlaceholder(s.Objective) {
			mp.warnf(s.Line, key, "SLO %q has no objective, so it has no error budget: add one such as objective: 99.9%%", s.Name)
		}
		if winNode != nil && s.Window != "" && !isPlaceholder(s.Window) {
			d, err := ParseInterval(s.Window)
			switch {
			case err != nil:
				mp.errorf(mp.line(winNode), key+".window", "SLO %q: window %v", s.Name, err)
			case d < minSLOWindow || d > maxSLOWindow:
				mp.errorf(mp.line(winNode), key+".window", "SLO %q: window %s is outside 1h to 366d", s.Name, s.Window)
			default:
				s.Span = d
			}
		} else if !isPlaceholder(s.Window) {
			mp.warnf(s.Line, key, "SLO %q has no window, so it has no error budget: add one such as window: 28d", s.Name)
		}
		out = append(out, s)
	}
	return out
}

// percentRE finds a percentage within an objective written as a sentence.
var percentRE = regexp.MustCompile(`(\d+(?:\.\d+)?)\s*%`)

// leadingNumberRE is an objective written as a number, maybe followed by
// words: "0.999", "99.95 of requests".
var leadingNumberRE = regexp.MustCompile(`^(\d+(?:\.\d+)?)(?:\s|$)`)

// parseObjective returns the fraction an objective names: a percentage
// ("99.9%", "99.9% of requests succeed"), a fraction (0.999), or a number
// between 1 and 100 read as a percentage (99.9). It returns 0 and no error
// when the text names no number; an error when the number cannot be an
// objective (0%, 100% and more leave no budget or no objective).
func parseObjective(s string) (float64, error) {
	s = strings.TrimSpace(s)
	var num string
	percent := false
	if m := percentRE.FindStringSubmatch(s); m != nil {
		num, percent = m[1], true
	} else if m := leadingNumberRE.FindStringSubmatch(s); m != nil {
		num = m[1]
	} else {
		return 0, nil
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, nil
	}
	if !percent && r.Cmp(big.NewRat(1, 1)) > 0 {
		percent = true // 99.9 means 99.9%
	}
	if percent {
		r.Quo(r, big.NewRat(100, 1))
	}
	if r.Sign() <= 0 || r.Cmp(big.NewRat(1, 1)) >= 0 {
		return 0, fmt.Errorf("objective %q must be above 0%% and below 100%% (100%% leaves no error budget)", s)
	}
	f, _ := r.Float64()
	return f, nil
}

// drillEvery reads a service's interval between drills; "off" (or "never")
// says it needs none.
func (mp *metaParser) drillEvery(key string, v *yaml.Node) time.Duration {
	s, ok := mp.str(key, v)
	if !ok || s == "" || isPlaceholder(s) {
		return 0
	}
	d, err := ParseDrillEvery(s)
	if err != nil {
		mp.errorf(mp.line(v), key, "%s: %v", key, err)
	}
	return d
}

// DrillsOff is the drill interval of a service that needs no drills
// (drill_every: off).
const DrillsOff time.Duration = -1

// ParseDrillEvery parses drill_every: an interval such as 90d, 12w or 6m,
// or "off" (DrillsOff).
func ParseDrillEvery(s string) (time.Duration, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "off", "never", "none", "false", "no":
		return DrillsOff, nil
	}
	d, err := ParseInterval(s)
	if err != nil {
		return 0, fmt.Errorf("%v, or off", err)
	}
	if d < 24*time.Hour {
		return 0, fmt.Errorf("%q is less than a day: drills are planned in days, weeks or months", s)
	}
	return d, nil
}

// sloImpacts reads a postmortem's slo_impact: a list of {slo, minutes} or
// {slo, bad_events[, total_events]}.
func (mp *metaParser) sloImpacts(key string, v *yaml.Node) []SLOImpact {
	var out []SLOImpact
	for _, item := range mp.sequence(key, v) {
		imp := SLOImpact{Line: mp.line(item)}
		hasMinutes, hasTotal, valid := false, false, true
		ok := mp.mapping(key, item, "slo and minutes or bad_events", func(k string, kn, vn *yaml.Node) {
			f := key + "." + k
			good := true
			switch k {
			case "slo":
				imp.SLO, good = mp.str(f, vn)
			case "minutes":
				imp.Minutes, good = mp.minutes(f, vn)
				hasMinutes = true
			case "bad_events":
				imp.BadEvents, good = mp.count(f, vn, true)
				imp.ByEvents = true
			case "total_events":
				imp.TotalEvents, good = mp.count(f, vn, false)
				hasTotal = true
			default:
				mp.warnf(mp.line(kn), key, "%s: unknown key %q is ignored (the keys are slo, minutes, bad_events and total_events)", key, k)
			}
			valid = valid && good
		})
		if !ok || !valid {
			continue // the value's error says why
		}
		imp.SLO = strings.Trim(imp.SLO, "/ ")
		switch {
		case imp.SLO == "":
			mp.errorf(imp.Line, key, "each entry of slo_impact needs slo: the name of an SLO of one of the services, or service/name")
		case hasMinutes && imp.ByEvents:
			mp.errorf(imp.Line, key, "slo_impact on %q: give minutes or bad_events, not both", imp.SLO)
		case !hasMinutes && !imp.ByEvents:
			mp.errorf(imp.Line, key, "slo_impact on %q: say how much of the budget it spent, with minutes or bad_events", imp.SLO)
		case hasTotal && !imp.ByEvents:
			mp.errorf(imp.Line, key, "slo_impact on %q: total_events goes with bad_events", imp.SLO)
		case hasTotal && imp.TotalEvents > 0 && imp.BadEvents > imp.TotalEvents:
			mp.errorf(imp.Line, key, "slo_impact on %q: bad_events (%d) is more than total_events (%d)", imp.SLO, imp.BadEvents, imp.TotalEvents)
		default:
			out = append(out, imp)
		}
	}
	return out
}

// minutes reads a number of minutes (20, 7.5) or a duration ("1h 30m",
// "90m").
func (mp *metaParser) minutes(key string, v *yaml.Node) (float64, bool) {
	s, ok := mp.str(key, v)
	if !ok {
		return 0, false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return f, true
	}
	if d, err := time.ParseDuration(strings.ReplaceAll(s, " ", "")); err == nil && d >= 0 {
		return d.Minutes(), true
	}
	mp.errorf(mp.line(v), key, "%s must be a number of minutes (20, 7.5) or a duration (1h 30m), not %q", key, s)
	return 0, false
}

// count reads a whole number of events, at least 1 (or 0 when zero is
// allowed).
func (mp *metaParser) count(key string, v *yaml.Node, zero bool) (int64, bool) {
	s, ok := mp.str(key, v)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil || n < 0 || n == 0 && !zero {
		least := "1"
		if zero {
			least = "0"
		}
		mp.errorf(mp.line(v), key, "%s must be a whole number of events, %s or more, not %q", key, least, s)
		return 0, false
	}
	return n, true
}
