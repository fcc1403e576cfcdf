package schedule

import (
	"context"
	"errors"
	"time"

	"github.com/opswiki/opswiki/wiki/oncall"
)

// Status is who is on call at a moment and who comes next.
type Status struct {
	Now  oncall.Shift `json:"now"`
	Next oncall.Shift `json:"next"`
	// Schedule is the fetched calendar for a schedule URL; nil for a
	// rotation. Its Err and Age say when the answer may be out of date.
	Schedule *Schedule `json:"schedule,omitempty"`
}

// Status says who o puts on call at t and who follows, fetching o's
// schedule when it has one. A schedule with no one after t gives an empty
// Next and no error. Errors: those of Get, and EINVALID for an on-call
// given in words.
func (f *Fetcher) Status(ctx context.Context, o *oncall.Oncall, t time.Time) (Status, error) {
	var st Status
	var tl oncall.Timeline
	if o != nil && o.Schedule != "" {
		s, err := f.Get(ctx, o.Schedule)
		if err != nil {
			return st, err
		}
		st.Schedule, tl = s, s.Calendar
	} else {
		tl = o // a rotation, or an error saying why there is none
	}
	now, err := tl.At(t)
	if err != nil {
		return st, err
	}
	next, err := tl.Next(t)
	if err != nil && !errors.Is(err, oncall.ErrNoShift) {
		return st, err
	}
	st.Now, st.Next = now, next
	return st, nil
}
