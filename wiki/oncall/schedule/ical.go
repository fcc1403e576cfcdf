package schedule

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/opswiki/opswiki/wiki/oncall"
)

// The part of a calendar that is expanded, around the moment it is read:
// enough for "now" and "next" on a copy that has not been refreshed for
// weeks, and bounded so a rule repeating forever costs a fixed amount.
const (
	windowBefore = 31 * 24 * time.Hour
	windowAfter  = 366 * 24 * time.Hour
	// maxSteps bounds how many occurrences of one rule are walked (from its
	// first, which may lie years back); maxEvents bounds a calendar.
	maxSteps  = 200_000
	maxEvents = 100_000
	// A rule that can never match (BYMONTH=2;BYMONTHDAY=30) makes the
	// recurrence library search up to the year 9999 before it says so,
	// a fraction of a second each: the number of rules and the time
	// spent expanding a calendar are bounded too.
	maxRules     = 1000
	expandBudget = 2 * time.Second
)

// CalendarOptions says how to read a calendar.
type CalendarOptions struct {
	// Now is the moment the calendar is read; the expanded window lies
	// around it. Zero means the current time.
	Now time.Time
	// Location is the zone of all-day events and of times without a zone
	// when the calendar names none (X-WR-TIMEZONE); nil means UTC.
	Location *time.Location
}

// Calendar is an iCalendar schedule expanded into the shifts it describes.
type Calendar struct {
	// Name is the calendar's own name (X-WR-CALNAME), if it has one.
	Name string `json:"name,omitempty"`
	// Events are the occurrences inside [From, Until), sorted by start.
	Events []Event `json:"events"`
	// From and Until bound what the calendar was expanded for.
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
	// Problems name events that were skipped, and why.
	Problems []string `json:"problems,omitempty"`

	segments []segment
}

// Event is one occurrence of an on-call event.
type Event struct {
	Start   time.Time       `json:"start"`
	End     time.Time       `json:"end"`
	Who     []oncall.Person `json:"who"`
	Summary string          `json:"summary,omitempty"`
	AllDay  bool            `json:"all_day,omitempty"`
}

// segment is a stretch of the calendar with the same people on call.
type segment struct {
	start, end time.Time
	who        []oncall.Person
}

// ParseCalendar reads an iCalendar file. Errors: EINVALID when data is not
// an iCalendar file; events it cannot read are left out and listed in the
// calendar's Problems instead.
func ParseCalendar(data []byte, opts CalendarOptions) (*Calendar, error) {
	clean, err := cleanLines(data)
	if err != nil {
		return nil, &oncall.Error{Code: oncall.EINVALID, Message: fmt.Sprintf("The schedule is not an iCalendar file: %v.", err), Err: err}
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(clean))
	if err != nil {
		return nil, &oncall.Error{Code: oncall.EINVALID, Message: fmt.Sprintf("The schedule is not a valid iCalendar file: %v.", err), Err: err}
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	p := &calParser{
		loc:      opts.Location,
		zones:    map[string]*time.Location{},
		from:     now.Add(-windowBefore),
		until:    now.Add(windowAfter),
		deadline: time.Now().Add(expandBudget),
	}
	if p.loc == nil {
		p.loc = time.UTC
	}
	c := &Calendar{From: p.from, Until: p.until}
	for _, prop := range cal.CalendarProperties {
		switch prop.IANAToken {
		case "X-WR-CALNAME":
			c.Name = strings.TrimSpace(prop.Value)
		case "X-WR-TIMEZONE":
			if loc, err := p.zone(prop.Value); err == nil {
				p.loc = loc
			}
		}
	}
	p.read(cal.Events())
	c.Events, c.Problems = p.events, p.problems
	sort.SliceStable(c.Events, func(i, j int) bool { return c.Events[i].Start.Before(c.Events[j].Start) })
	c.segments = sweep(c.Events)
	return c, nil
}

// calParser holds what reading one calendar needs.
type calParser struct {
	loc         *time.Location
	zones       map[string]*time.Location
	from, until time.Time
	events      []Event
	problems    []string
	full        bool
	rules       int
	deadline    time.Time // of expansion, in real time
}

func (p *calParser) problemf(format string, args ...any) {
	if len(p.problems) < 100 {
		p.problems = append(p.problems, fmt.Sprintf(format, args...))
	}
}

// add keeps an occurrence that overlaps the window.
func (p *calParser) add(e Event) {
	if !e.End.After(p.from) || !e.Start.Before(p.until) || !e.End.After(e.Start) {
		return
	}
	if len(p.events) >= maxEvents {
		if !p.full {
			p.problemf("the calendar has more than %d events in the %d days around now; the rest are left out", maxEvents, int((windowBefore+windowAfter)/(24*time.Hour)))
			p.full = true
		}
		return
	}
	p.events = append(p.events, e)
}

func (p *calParser) read(events []*ics.VEvent) {
	// Occurrences moved or cancelled one by one (RECURRENCE-ID) replace
	// the occurrence of their series that started at that moment.
	moved := map[string]map[int64]bool{}
	for _, ev := range events {
		rid := ev.GetProperty(ics.ComponentPropertyRecurrenceId)
		if rid == nil {
			continue
		}
		t, _, err := p.when(&rid.BaseProperty)
		if err != nil {
			continue
		}
		uid := propText(ev, ics.ComponentPropertyUniqueId)
		if moved[uid] == nil {
			moved[uid] = map[int64]bool{}
		}
		moved[uid][t.Unix()] = true
	}
	for i, ev := range events {
		if time.Now().After(p.deadline) {
			p.problemf("the calendar took too long to read; its last %d events are left out", len(events)-i)
			return
		}
		if err := p.event(ev, moved); err != nil {
			p.problemf("%s: %v", describe(ev), err)
		}
	}
}

// describe names an event in a problem.
func describe(ev *ics.VEvent) string {
	s := propText(ev, ics.ComponentPropertySummary)
	if dt := ev.GetProperty(ics.ComponentPropertyDtStart); dt != nil {
		s += " (" + dt.Value + ")"
	}
	if s == "" {
		s = "an event"
	}
	return strings.TrimSpace(s)
}

func (p *calParser) event(ev *ics.VEvent, moved map[string]map[int64]bool) error {
	if strings.EqualFold(propText(ev, ics.ComponentPropertyStatus), "CANCELLED") {
		return nil
	}
	dt := ev.GetProperty(ics.ComponentPropertyDtStart)
	if dt == nil {
		return fmt.Errorf("it has no DTSTART")
	}
	start, allDay, err := p.when(&dt.BaseProperty)
	if err != nil {
		return fmt.Errorf("DTSTART: %w", err)
	}
	end, err := p.end(ev, start, allDay)
	if err != nil {
		return err
	}
	if !end.After(start) {
		return nil // an instant covers no time
	}
	who := whoOf(ev)
	if len(who) == 0 {
		return fmt.Errorf("it names no one (no SUMMARY, ATTENDEE or DESCRIPTION)")
	}
	base := Event{Start: start, End: end, Who: who, Summary: propText(ev, ics.ComponentPropertySummary), AllDay: allDay}
	rules := ev.GetProperties(ics.ComponentPropertyRrule)
	rdates := ev.GetProperties(ics.ComponentPropertyRdate)
	if ev.GetProperty(ics.ComponentPropertyRecurrenceId) != nil || (len(rules) == 0 && len(rdates) == 0) {
		p.add(base)
		return nil
	}
	if p.rules++; p.rules > maxRules {
		return fmt.Errorf("the calendar has more than %d repeating events; the rest are left out", maxRules)
	}
	set, err := p.recurrence(ev, start, rules, rdates)
	if err != nil {
		return err
	}
	skip := moved[propText(ev, ics.ComponentPropertyUniqueId)]
	days := 0
	if allDay {
		days = civilDays(start, end)
	}
	length := end.Sub(start)
	next := set.Iterator()
	for n := 0; ; n++ {
		occ, ok := next()
		if !ok || !occ.Before(p.until) {
			return nil
		}
		if n >= maxSteps {
			return fmt.Errorf("its rule repeats more than %d times before the present; only the first are read", maxSteps)
		}
		if n%1024 == 0 && time.Now().After(p.deadline) {
			return fmt.Errorf("the calendar took too long to read; this event's later occurrences are left out")
		}
		if skip[occ.Unix()] {
			continue
		}
		e := base
		e.Start = occ
		if allDay {
			e.End = oncall.ICalInstant(oncall.WallClock(occ, occ.Location()).AddDate(0, 0, days), occ.Location())
		} else {
			e.End = occ.Add(length)
		}
		p.add(e)
	}
}

// end returns when an event ends: DTEND, else DTSTART plus DURATION, else
// the next day for an all-day event, else its start (RFC 5545 §3.6.1).
func (p *calParser) end(ev *ics.VEvent, start time.Time, allDay bool) (time.Time, error) {
	if prop := ev.GetProperty(ics.ComponentPropertyDtEnd); prop != nil {
		end, _, err := p.when(&prop.BaseProperty)
		if err != nil {
			return time.Time{}, fmt.Errorf("DTEND: %w", err)
		}
		return end, nil
	}
	if prop := ev.GetProperty(ics.ComponentPropertyDuration); prop != nil {
		days, exact, err := parseICalDuration(prop.Value)
		if err != nil {
			return time.Time{}, fmt.Errorf("DURATION: %w", err)
		}
		// Days and weeks are nominal: a day is from one midnight to the
		// next even when that is 23 or 25 hours (RFC 5545 §3.3.6).
		loc := start.Location()
		return oncall.ICalInstant(oncall.WallClock(start, loc).AddDate(0, 0, days), loc).Add(exact), nil
	}
	if allDay {
		loc := start.Location()
		return oncall.ICalInstant(oncall.WallClock(start, loc).AddDate(0, 0, 1), loc), nil
	}
	return start, nil
}

// civilDays counts the calendar days from a to b in a's zone.
func civilDays(a, b time.Time) int {
	ca, cb := oncall.WallClock(a, a.Location()), oncall.WallClock(b, a.Location())
	return int(cb.Sub(ca).Round(24*time.Hour) / (24 * time.Hour))
}

func propText(ev *ics.VEvent, name ics.ComponentProperty) string {
	if prop := ev.GetProperty(name); prop != nil {
		return strings.TrimSpace(prop.Value)
	}
	return ""
}
