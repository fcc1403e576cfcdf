package oncall

import "time"

// Wall-clock times ("civil" times) are kept as time.Time values in UTC whose
// fields are read as a date and a time of day without a zone. Arithmetic on
// them is plain calendar arithmetic: UTC has no clock changes, so adding
// 24 hours is adding a day. resolve turns one into an instant of a zone.

// gapRule says where a wall-clock time that a clock change skips goes.
type gapRule int

const (
	// gapAfter takes the first instant after the gap: a 02:30 handoff on
	// the night clocks jump from 02:00 to 03:00 happens at 03:00.
	gapAfter gapRule = iota
	// gapOffsetBefore reads the time with the offset in force before the
	// gap, as RFC 5545 §3.3.5 requires of iCalendar: 02:30 becomes 03:30.
	gapOffsetBefore
)

// civil returns the wall-clock reading of t in loc.
func civil(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	y, m, d := l.Date()
	h, mi, s := l.Clock()
	return time.Date(y, m, d, h, mi, s, l.Nanosecond(), time.UTC)
}

// resolve returns the instant at which the clocks of loc show the wall-clock
// time c. When they show it twice (the hour repeated when clocks go back)
// it is the first time; when never (the hour skipped when they go forward)
// rule decides.
func resolve(c time.Time, loc *time.Location, rule gapRule) time.Time {
	var best time.Time
	minOff, first := 0, true
	// The offsets in force a day either side of c cover every offset the
	// zone can have at c, whatever c's real offset is (at most ±14h).
	for _, probe := range [3]time.Time{c.Add(-24 * time.Hour), c, c.Add(24 * time.Hour)} {
		_, off := probe.In(loc).Zone()
		if first || off < minOff {
			minOff, first = off, false
		}
		t := c.Add(-time.Duration(off) * time.Second)
		if civil(t, loc).Equal(c) && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	if !best.IsZero() {
		return best.In(loc)
	}
	// c falls in a gap. Read with the smaller offset (the one before a
	// forward jump) it names an instant already past the jump.
	t := c.Add(-time.Duration(minOff) * time.Second).In(loc)
	if rule == gapOffsetBefore {
		return t
	}
	start, _ := t.ZoneBounds()
	if start.IsZero() || start.After(t) {
		return t
	}
	return start.In(loc)
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// WallClock returns the wall-clock reading of t in loc, as a time.Time in
// UTC whose fields are the date and time of day.
func WallClock(t time.Time, loc *time.Location) time.Time { return civil(t, loc) }

// ICalInstant returns the instant at which loc's clocks show the
// wall-clock time c: the first when they show it twice, and for a time a
// forward jump skips, the time read with the offset before the jump, as
// RFC 5545 §3.3.5 requires of iCalendar.
func ICalInstant(c time.Time, loc *time.Location) time.Time { return resolve(c, loc, gapOffsetBefore) }
