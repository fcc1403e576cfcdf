package oncall

import (
	"strings"
	"time"

	_ "time/tzdata" // rotations name IANA zones; static images have no zoneinfo
)

// Problem is one thing wrong with an oncall or escalation value. Field names
// the place inside the value ("oncall.overrides[1].from") so the caller can
// point at the line of the front matter that holds it.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Oncall is a team's on-call as its front matter gives it: a schedule URL
// (iCalendar), a rotation, or, for pages written before either existed, a
// few words saying where the on-call is.
type Oncall struct {
	// Schedule is the iCalendar URL as written (http, https or webcal).
	Schedule string `json:"schedule,omitempty"`
	// Rotation is set when the front matter describes the rotation itself.
	Rotation *Rotation `json:"rotation,omitempty"`
	// Text is a value that is neither a URL nor a rotation, such as
	// "PagerDuty schedule: checkout-primary"; it is shown, not computed.
	Text string `json:"text,omitempty"`
}

// Rotation is an on-call rotation computed from front matter alone.
type Rotation struct {
	// Members take turns in this order, one shift each.
	Members []string `json:"members"`
	// Location is the time zone the handoff and the override times are in.
	Location *time.Location `json:"-"`
	// First is the wall-clock date and time of the handoff the rotation
	// counts from (Members[0] starts there), in Location; its zone field
	// is UTC and means nothing.
	First time.Time `json:"first"`
	// Length is the wall-clock length of one shift: a shift that starts at
	// 09:00 ends at 09:00 on the day Length says, whatever the clocks did.
	Length time.Duration `json:"length"`
	// Overrides replace the rotation for their interval; a later one wins
	// where two overlap.
	Overrides []Override `json:"overrides,omitempty"`
}

// Override puts someone on call for an interval instead of the rotation.
type Override struct {
	Who  string    `json:"who"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Person is someone on call.
type Person struct {
	Name string `json:"name"`
	// Email is known when the schedule gives it (an attendee address).
	Email string `json:"email,omitempty"`
}

// Shift is an interval during which the same people are on call.
type Shift struct {
	// Who is everyone on call during the shift; empty for a gap in which
	// no one is.
	Who []Person `json:"who"`
	// Start is when the shift began; zero when it has no known beginning.
	Start time.Time `json:"start,omitzero"`
	// End is when the shift ends; zero when it has no known end.
	End time.Time `json:"end,omitzero"`
	// Override is true when an override makes up all or part of the shift.
	Override bool `json:"override,omitempty"`
}

// Names returns the names of the people on call, joined with ", ".
func (s Shift) Names() string {
	names := make([]string, len(s.Who))
	for i, p := range s.Who {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// Contains reports whether t falls inside the shift.
func (s Shift) Contains(t time.Time) bool {
	return (s.Start.IsZero() || !t.Before(s.Start)) && (s.End.IsZero() || t.Before(s.End))
}

// Timeline is anything that can say who is on call at a moment: a rotation
// or a fetched calendar.
type Timeline interface {
	// At returns the shift that contains t. Errors: EINVALID when t is
	// outside what the timeline knows.
	At(t time.Time) (Shift, error)
	// Next returns the first shift with someone on call that starts at or
	// after the end of the shift containing t. Errors: ENOTFOUND when the
	// timeline knows of none, EINVALID as for At.
	Next(t time.Time) (Shift, error)
}

// ErrNoShift reports that no one is on call in the part of a schedule that
// is known.
var ErrNoShift = &Error{Code: ENOTFOUND, Message: "No one is on call in the known part of the schedule."}

// At returns the shift that contains t. A schedule has to be fetched first
// (see Fetcher.Status); for one, and for an on-call given as text, At
// returns an EINVALID error that says so.
func (o *Oncall) At(t time.Time) (Shift, error) {
	r, err := o.rotation()
	if err != nil {
		return Shift{}, err
	}
	return r.At(t)
}

// Next returns the shift after the one that contains t, with the same
// errors as At.
func (o *Oncall) Next(t time.Time) (Shift, error) {
	r, err := o.rotation()
	if err != nil {
		return Shift{}, err
	}
	return r.Next(t)
}

func (o *Oncall) rotation() (*Rotation, error) {
	switch {
	case o == nil:
		return nil, Errorf(EINVALID, "The team has no on-call.")
	case o.Rotation != nil:
		return o.Rotation, nil
	case o.Schedule != "":
		return nil, Errorf(EINVALID, "The on-call is the schedule at %s; it has to be fetched to say who is on call.", o.Schedule)
	}
	return nil, Errorf(EINVALID, "The on-call is given in words (%q), not as a rotation or a schedule URL.", o.Text)
}
