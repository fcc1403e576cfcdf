package wiki

import (
	"math"
	"sort"
	"time"
)

// Durations of SPEC §6, for one incident. A zero value with ok false means
// a timestamp it needs is missing (or out of order).
type IncidentTimes struct {
	Page      *PageInfo
	Start     time.Time // when it counts as happening: started, else detected, else resolved
	TTD, TTA  time.Duration
	TTM, TTR  time.Duration
	HasTTD    bool
	HasTTA    bool
	HasTTM    bool
	HasTTR    bool
	Undatable bool // no timestamp at all: it cannot be placed in a window
}

// Times computes an incident's durations from its postmortem's timestamps:
// detect = detected − started, acknowledge = acknowledged − detected,
// mitigate = mitigated − started, resolve = resolved − started.
func Times(pi *PageInfo) IncidentTimes {
	m := &pi.Meta // not a copy: Meta is large, and the budgets call this per impact
	t := IncidentTimes{Page: pi}
	span := func(a, b time.Time) (time.Duration, bool) {
		if a.IsZero() || b.IsZero() || b.Before(a) {
			return 0, false
		}
		return b.Sub(a), true
	}
	t.TTD, t.HasTTD = span(m.Started, m.Detected)
	t.TTA, t.HasTTA = span(m.Detected, m.Acknowledged)
	t.TTM, t.HasTTM = span(m.Started, m.Mitigated)
	t.TTR, t.HasTTR = span(m.Started, m.Resolved)
	t.Start = incidentStart(m)
	t.Undatable = t.Start.IsZero()
	return t
}

// incidentStart is when an incident counts as happening: started, else
// detected, else resolved; zero when it has none of them.
func incidentStart(m *Meta) time.Time {
	switch {
	case !m.Started.IsZero():
		return m.Started
	case !m.Detected.IsZero():
		return m.Detected
	}
	return m.Resolved
}

// Stat summarises one duration over a set of incidents. LeftOut counts the
// incidents that lacked a timestamp it needs.
type Stat struct {
	Count   int
	Mean    time.Duration
	Median  time.Duration
	P90     time.Duration
	LeftOut int
}

// Summarize computes count, mean, median and 90th percentile (nearest rank)
// of ds; left counts the incidents that could not contribute.
func Summarize(ds []time.Duration, left int) Stat {
	s := Stat{Count: len(ds), LeftOut: left}
	if len(ds) == 0 {
		return s
	}
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	s.Mean = sum / time.Duration(len(sorted))
	n := len(sorted)
	if n%2 == 1 {
		s.Median = sorted[n/2]
	} else {
		s.Median = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	s.P90 = sorted[int(math.Ceil(0.9*float64(n)))-1]
	return s
}

// Reliability is the incident record of one service over one window.
type Reliability struct {
	Service   string
	From, To  time.Time
	Incidents []IncidentTimes // in the window, by start
	Undatable int             // postmortems with no timestamp at all
	TTD, TTA  Stat
	TTM, TTR  Stat
	// MTBF is the time between failures: next started − previous resolved.
	MTBF Stat
}

// ComputeReliability gathers the postmortems of a window [from, to) and
// computes SPEC §6's figures over them.
func ComputeReliability(service string, postmortems []*PageInfo, from, to time.Time) Reliability {
	r := Reliability{Service: service, From: from, To: to}
	for _, pi := range postmortems {
		if pi.Meta.Kind == KindDrill {
			continue // an exercise, not an incident
		}
		t := Times(pi)
		if t.Undatable {
			r.Undatable++
			continue
		}
		if t.Start.Before(from) || !t.Start.Before(to) {
			continue
		}
		r.Incidents = append(r.Incidents, t)
	}
	sort.Slice(r.Incidents, func(i, j int) bool { return r.Incidents[i].Start.Before(r.Incidents[j].Start) })
	collect := func(get func(IncidentTimes) (time.Duration, bool)) Stat {
		var ds []time.Duration
		left := 0
		for _, t := range r.Incidents {
			if d, ok := get(t); ok {
				ds = append(ds, d)
			} else {
				left++
			}
		}
		return Summarize(ds, left)
	}
	r.TTD = collect(func(t IncidentTimes) (time.Duration, bool) { return t.TTD, t.HasTTD })
	r.TTA = collect(func(t IncidentTimes) (time.Duration, bool) { return t.TTA, t.HasTTA })
	r.TTM = collect(func(t IncidentTimes) (time.Duration, bool) { return t.TTM, t.HasTTM })
	r.TTR = collect(func(t IncidentTimes) (time.Duration, bool) { return t.TTR, t.HasTTR })
	var gaps []time.Duration
	left := 0
	for i := 1; i < len(r.Incidents); i++ {
		prev, next := r.Incidents[i-1].Page.Meta, r.Incidents[i].Page.Meta
		if prev.Resolved.IsZero() || next.Started.IsZero() || next.Started.Before(prev.Resolved) {
			left++
			continue
		}
		gaps = append(gaps, next.Started.Sub(prev.Resolved))
	}
	r.MTBF = Summarize(gaps, left)
	return r
}
