package oncall

import (
	"strings"
	"time"
)

// Ways a level reaches people.
const (
	HowPage  = "page"
	HowCall  = "call"
	HowChat  = "chat"
	HowEmail = "email"
)

var hows = map[string]bool{HowPage: true, HowCall: true, HowChat: true, HowEmail: true}

// Level is one step of an escalation.
type Level struct {
	// After is how long after the alert first fired this level is reached;
	// it never decreases down the list.
	After time.Duration `json:"after"`
	// To names who the level reaches: teams, people or schedule URLs.
	To []string `json:"to"`
	// How lists the ways they are reached; page when the level says none.
	How []string `json:"how"`
}

// ParseEscalation decodes a team's escalation front matter value: a list of
// levels {after, to, how}. Levels with problems are left out of the result.
func ParseEscalation(v any) ([]Level, []Problem) {
	var ps problems
	const field = "escalation"
	if v == nil {
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		if _, _, isMap := mapping(v); isMap {
			items = []any{v} // a single level written without the list
		} else {
			ps.add(field, "escalation must be a list of levels {after, to, how}, not a %s", kindOf(v))
			return nil, ps
		}
	}
	var out []Level
	var prev time.Duration
	entries(&ps, field, items, "escalation level", []string{"after", "to", "how"}, func(i int, f string, m map[string]any) {
		var l Level
		good := true
		if av, has := m["after"]; has && av != nil {
			s, _ := text(av)
			d, err := parseSpan(s)
			if err != nil {
				ps.add(f+".after", "escalation level %d after: %v", i+1, err)
				good = false
			} else if d < prev {
				ps.add(f+".after", "escalation level %d comes after %s, before level %d's %s; after counts from when the alert fired", i+1, d, i, prev)
				good = false
			}
			l.After = d
		} else if i > 0 {
			ps.add(f+".after", "escalation level %d has no after: say how long after the alert fired it is reached, as in 15m", i+1)
			good = false
		}
		l.To = textList(&ps, f+".to", m["to"])
		if len(l.To) == 0 {
			ps.add(f+".to", "escalation level %d has no to: name a team, a person or a schedule URL", i+1)
			good = false
		}
		for _, h := range textList(&ps, f+".how", m["how"]) {
			h = strings.ToLower(h)
			if !hows[h] {
				ps.add(f+".how", "escalation level %d how %q: use page, call, chat or email", i+1, h)
				good = false
				continue
			}
			l.How = append(l.How, h)
		}
		if len(l.How) == 0 {
			l.How = []string{HowPage}
		}
		if good {
			out = append(out, l)
			prev = l.After
		}
	})
	return out, ps
}

// Kinds of escalation target.
const (
	TargetTeam     = "team"
	TargetSchedule = "schedule"
	TargetPerson   = "person"
)

// Lookup answers who a team or a schedule URL reaches at t. known is false
// when target names neither; Resolve then takes it for a person. An error
// with people is an older answer (such as a schedule that could not be
// fetched just now) that is still worth showing.
type Lookup func(target string, t time.Time) (who []Person, known bool, err error)

// Reached is who one target of a level reaches.
type Reached struct {
	Target string   `json:"target"`
	Kind   string   `json:"kind"`
	Who    []Person `json:"who"`
	// Err says why Who is empty or may be out of date.
	Err error `json:"-"`
}

// Reach is one escalation level resolved to people.
type Reach struct {
	Level Level `json:"level"`
	// At is when the level is reached if the alert fires at the moment
	// Resolve was asked about.
	At      time.Time `json:"at"`
	Targets []Reached `json:"targets"`
}

// Resolve says for each level who it reaches at now: a team's or a
// schedule's current on-call through lookup, a person as named.
func Resolve(levels []Level, now time.Time, lookup Lookup) []Reach {
	out := make([]Reach, 0, len(levels))
	for _, l := range levels {
		r := Reach{Level: l, At: now.Add(l.After)}
		for _, to := range l.To {
			rt := Reached{Target: to, Kind: TargetPerson}
			if looksLikeURL(to) {
				rt.Kind = TargetSchedule
			}
			var known bool
			if lookup != nil {
				rt.Who, known, rt.Err = lookup(to, now)
			}
			switch {
			case known && rt.Kind != TargetSchedule:
				rt.Kind = TargetTeam
			case !known && rt.Kind == TargetSchedule:
				if rt.Err == nil {
					rt.Err = Errorf(ENOTFOUND, "No one could say who the schedule at %s has on call.", to)
				}
				rt.Who = nil
			case !known:
				rt.Who, rt.Err = []Person{{Name: to}}, nil
			}
			r.Targets = append(r.Targets, rt)
		}
		out = append(out, r)
	}
	return out
}
