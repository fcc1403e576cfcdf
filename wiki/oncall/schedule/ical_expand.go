package schedule

import (
	"fmt"
	"sort"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/teambition/rrule-go"

	"github.com/opswiki/opswiki/wiki/oncall"
)

// recurrence builds an event's recurrence set: its RRULE from DTSTART, its
// RDATEs, less its EXDATEs (each may list several values).
func (p *calParser) recurrence(ev *ics.VEvent, start time.Time, rules, rdates []*ics.IANAProperty) (*rrule.Set, error) {
	set := &rrule.Set{}
	if len(rules) > 1 {
		p.problemf("%s: it has %d RRULEs; only the first is read", describe(ev), len(rules))
	}
	if len(rules) > 0 {
		opt, err := rrule.StrToROptionInLocation(strings.TrimSpace(rules[0].Value), start.Location())
		if err != nil {
			return nil, fmt.Errorf("RRULE: %w", err)
		}
		// A shift repeating every few seconds or minutes is no on-call
		// rotation, and expanding one would be costly.
		if opt.Freq == rrule.SECONDLY || opt.Freq == rrule.MINUTELY {
			return nil, fmt.Errorf("RRULE repeats every %s; on-call rules repeat hourly at most", strings.ToLower(opt.Freq.String()))
		}
		opt.Dtstart = start
		r, err := rrule.NewRRule(*opt)
		if err != nil {
			return nil, fmt.Errorf("RRULE: %w", err)
		}
		set.RRule(r)
	}
	set.DTStart(start)
	if len(rules) == 0 {
		set.RDate(start) // RDATEs add to DTSTART, which is the first occurrence
	}
	for _, prop := range rdates {
		if strings.EqualFold(param(&prop.BaseProperty, "VALUE"), "PERIOD") {
			p.problemf("%s: RDATE periods are not read", describe(ev))
			continue
		}
		ts, err := p.times(&prop.BaseProperty)
		if err != nil {
			return nil, fmt.Errorf("RDATE: %w", err)
		}
		for _, t := range ts {
			set.RDate(t)
		}
	}
	for _, prop := range ev.GetProperties(ics.ComponentPropertyExdate) {
		ts, err := p.times(&prop.BaseProperty)
		if err != nil {
			return nil, fmt.Errorf("EXDATE: %w", err)
		}
		for _, t := range ts {
			set.ExDate(t)
		}
	}
	return set, nil
}

// times reads a property holding a comma-separated list of dates or
// date-times.
func (p *calParser) times(prop *ics.BaseProperty) ([]time.Time, error) {
	var out []time.Time
	for _, v := range strings.Split(prop.Value, ",") {
		one := *prop
		one.Value = v
		t, _, err := p.when(&one)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// sweep cuts the events into segments with the same people on call,
// joining neighbours with the same people. Gaps between events are
// segments without people; the time before the first event and after the
// last is not covered.
func sweep(events []Event) []segment {
	if len(events) == 0 {
		return nil
	}
	bounds := make([]time.Time, 0, 2*len(events))
	for _, e := range events {
		bounds = append(bounds, e.Start, e.End)
	}
	sort.Slice(bounds, func(i, j int) bool { return bounds[i].Before(bounds[j]) })
	var segs []segment
	var active []int // indexes of events running at the current bound
	next := 0        // first event not yet started
	for i := 0; i+1 < len(bounds); i++ {
		b, e := bounds[i], bounds[i+1]
		if !e.After(b) {
			continue
		}
		kept := active[:0]
		for _, a := range active {
			if events[a].End.After(b) {
				kept = append(kept, a)
			}
		}
		active = kept
		for next < len(events) && !events[next].Start.After(b) {
			if events[next].End.After(b) {
				active = append(active, next)
			}
			next++
		}
		who := peopleOf(events, active)
		if n := len(segs); n > 0 && segs[n-1].end.Equal(b) && samePeople(segs[n-1].who, who) {
			segs[n-1].end = e
			continue
		}
		segs = append(segs, segment{start: b, end: e, who: who})
	}
	return segs
}

// peopleOf lists the people of the active events once each, in the order
// their events started.
func peopleOf(events []Event, active []int) []oncall.Person {
	var out []oncall.Person
	seen := map[string]bool{}
	for _, a := range active {
		for _, p := range events[a].Who {
			k := strings.ToLower(p.Name)
			if !seen[k] {
				seen[k] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func samePeople(a, b []oncall.Person) bool {
	if len(a) != len(b) {
		return false
	}
	names := func(ps []oncall.Person) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = strings.ToLower(p.Name)
		}
		sort.Strings(out)
		return out
	}
	na, nb := names(a), names(b)
	for i := range na {
		if na[i] != nb[i] {
			return false
		}
	}
	return true
}

// checkWindow refuses moments outside the expanded part of the calendar.
func (c *Calendar) checkWindow(t time.Time) error {
	if t.Before(c.From) || !t.Before(c.Until) {
		return oncall.Errorf(oncall.EINVALID, "The schedule was read for %s to %s; %s is outside that.",
			c.From.UTC().Format(time.DateOnly), c.Until.UTC().Format(time.DateOnly), t.UTC().Format(time.RFC3339))
	}
	return nil
}

// At returns the shift that contains t: everyone whose events cover t,
// from when that set of people last changed to when it next changes. In a
// gap Who is empty. Errors: EINVALID when t is outside [From, Until).
func (c *Calendar) At(t time.Time) (oncall.Shift, error) {
	if err := c.checkWindow(t); err != nil {
		return oncall.Shift{}, err
	}
	i := sort.Search(len(c.segments), func(i int) bool { return c.segments[i].end.After(t) })
	switch {
	case len(c.segments) == 0:
		return oncall.Shift{}, nil
	case i == len(c.segments):
		return oncall.Shift{Start: c.segments[i-1].end}, nil
	case t.Before(c.segments[i].start):
		return oncall.Shift{End: c.segments[i].start}, nil
	}
	s := c.segments[i]
	return oncall.Shift{Who: s.who, Start: s.start, End: s.end}, nil
}

// Next returns the first shift with someone on call after the shift that
// contains t. Errors: ErrNoShift when the calendar has none, EINVALID
// when t is outside [From, Until).
func (c *Calendar) Next(t time.Time) (oncall.Shift, error) {
	if err := c.checkWindow(t); err != nil {
		return oncall.Shift{}, err
	}
	i := sort.Search(len(c.segments), func(i int) bool { return c.segments[i].end.After(t) })
	if i < len(c.segments) && !t.Before(c.segments[i].start) {
		i++ // skip the segment containing t
	}
	for ; i < len(c.segments); i++ {
		if s := c.segments[i]; len(s.who) > 0 {
			return oncall.Shift{Who: s.who, Start: s.start, End: s.end}, nil
		}
	}
	return oncall.Shift{}, oncall.ErrNoShift
}
