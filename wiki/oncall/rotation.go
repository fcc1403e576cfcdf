package oncall

import (
	"time"
)

// Rotations are computed for the years minYear to maxYear: int64
// nanoseconds span 292 years, and handoffs are counted from the start.
const (
	minYear = 1970
	maxYear = 2199
)

// handoff returns the instant of handoff k (k = 0 is First).
func (r *Rotation) handoff(k int64) time.Time {
	return resolve(r.First.Add(time.Duration(k)*r.Length), r.Location, gapAfter)
}

// base returns the rotation's own shift containing t, ignoring overrides:
// its index k, start and end. Before the first handoff there is no shift:
// ok is false and end is the first handoff.
func (r *Rotation) base(t time.Time) (k int64, start, end time.Time, ok bool) {
	// Past the last computed year no one is known to be on call; an
	// override may still reach there.
	horizon := time.Date(maxYear+1, 1, 1, 0, 0, 0, 0, time.UTC)
	if !t.Before(horizon) {
		return 0, horizon, time.Time{}, false
	}
	first := r.handoff(0)
	if t.Before(first) {
		return 0, time.Time{}, first, false
	}
	c := civil(t, r.Location)
	k = floorDiv(int64(c.Sub(r.First)), int64(r.Length))
	k = max(k, 0)
	// The wall clock and the instants disagree by at most the size of a
	// clock change, so k is off by one at most; the loops settle it. When
	// a skipped hour swallows a whole shift two handoffs coincide and the
	// empty shift between them is passed over.
	for i := 0; i < 4 && k > 0 && r.handoff(k).After(t); i++ {
		k--
	}
	for i := 0; i < 4 && !r.handoff(k+1).After(t); i++ {
		k++
	}
	end = r.handoff(k + 1)
	if end.After(horizon) {
		end = horizon
	}
	return k, r.handoff(k), end, true
}

// piece is a stretch of time in which one source puts one person on call.
type piece struct {
	who        string // "" before the rotation starts
	start, end time.Time
	override   bool
}

// piece returns the stretch around t in which neither the rotation nor any
// override changes who is on call. While an override holds, the
// rotation's handoffs change nothing, so only override boundaries cut it.
func (r *Rotation) piece(t time.Time) piece {
	var p piece
	for _, o := range r.Overrides {
		if !t.Before(o.From) && t.Before(o.To) {
			p.who, p.override = o.Who, true // later overrides win
		}
	}
	if !p.override {
		k, start, end, ok := r.base(t)
		p.start, p.end = start, end
		if ok {
			p.who = r.Members[int(k%int64(len(r.Members)))]
		}
	}
	for _, o := range r.Overrides {
		for _, b := range [2]time.Time{o.From, o.To} {
			if !b.After(t) && (p.start.IsZero() || b.After(p.start)) {
				p.start = b
			}
			if b.After(t) && (p.end.IsZero() || b.Before(p.end)) {
				p.end = b
			}
		}
	}
	return p
}

// joins reports whether two adjacent pieces belong to one shift: the same
// person, and an override on one side (two turns of the rotation stay two
// shifts even when they fall to the same member).
func joins(a, b piece) bool {
	return a.who == b.who && (a.override || b.override)
}

// At returns the shift that contains t. Overrides cut the rotation's shifts
// where they begin and end; an override that continues the shift of the
// person it names (or another override for them) makes one shift with it.
// Before the first handoff, outside overrides, no one is on call.
func (r *Rotation) At(t time.Time) (Shift, error) {
	if r == nil || len(r.Members) == 0 || r.Length <= 0 || r.Location == nil {
		return Shift{}, Errorf(EINVALID, "The rotation has no members or no shift length.")
	}
	if y := t.UTC().Year(); y < minYear || y > maxYear {
		return Shift{}, Errorf(EINVALID, "Rotations are computed for the years %d to %d, not %d.", minYear, maxYear, y)
	}
	p := r.piece(t)
	s := Shift{Start: p.start, End: p.end, Override: p.override}
	// Pieces joined into one shift alternate between overrides, which
	// begin and end at the overrides' bounds, and turns of the rotation,
	// which never join each other: the overrides bound the walk.
	limit := 4*len(r.Overrides) + 4
	for last, i := p, 0; i < limit; i++ {
		q := r.piece(s.End)
		if !joins(last, q) {
			break
		}
		s.End, s.Override, last = q.end, true, q
	}
	for first, i := p, 0; i < limit && !s.Start.IsZero(); i++ {
		q := r.piece(s.Start.Add(-time.Nanosecond))
		if !joins(q, first) {
			break
		}
		s.Start, s.Override, first = q.start, true, q
	}
	if p.who != "" {
		s.Who = []Person{{Name: p.who}}
	}
	s.Start, s.End = inLoc(s.Start, r.Location), inLoc(s.End, r.Location)
	return s, nil
}

// Next returns the shift that follows the one containing t.
func (r *Rotation) Next(t time.Time) (Shift, error) {
	s, err := r.At(t)
	if err != nil {
		return Shift{}, err
	}
	// Only the time before the first handoff has no one on call, and it
	// ends where the rotation or an override begins.
	for i := 0; i < 2*len(r.Overrides)+2; i++ {
		n, err := r.At(s.End)
		if err != nil || len(n.Who) > 0 {
			return n, err
		}
		s = n
	}
	return Shift{}, ErrNoShift
}

func inLoc(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(loc)
}
