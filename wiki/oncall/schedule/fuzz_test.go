package schedule_test

import (
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki/oncall"
	"github.com/opswiki/opswiki/wiki/oncall/schedule"
)

// checkTimeline fails when a timeline's answers contradict each other.
func checkTimeline(t *testing.T, tl oncall.Timeline, at time.Time) {
	s, err := tl.At(at)
	if err != nil {
		return
	}
	if !s.Contains(at) {
		t.Fatalf("At(%s) = [%s, %s), which does not contain it", at, s.Start, s.End)
	}
	if !s.Start.IsZero() && !s.End.IsZero() && !s.End.After(s.Start) {
		t.Fatalf("At(%s) is empty: [%s, %s)", at, s.Start, s.End)
	}
	n, err := tl.Next(at)
	if err != nil {
		return
	}
	if len(n.Who) == 0 {
		t.Fatalf("Next(%s) has no one on call", at)
	}
	if s.End.IsZero() || n.Start.Before(s.End) {
		t.Fatalf("Next(%s) starts at %s, before the shift at it ends (%s)", at, n.Start, s.End)
	}
}

func FuzzParseCalendar(f *testing.F) {
	for _, name := range []string{"pagerduty.ics", "grafana-oncall.ics", "google.ics"} {
		f.Add(fixture(f, name))
	}
	f.Add(calendar("DTSTART;TZID=Europe/Berlin:20260302T090000\nDURATION:P1W\nRRULE:FREQ=WEEKLY;COUNT=10\nEXDATE;TZID=Europe/Berlin:20260316T090000\nSUMMARY:x"))
	now, _ := time.Parse(time.RFC3339, readNow)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := schedule.ParseCalendar(data, schedule.CalendarOptions{Now: now})
		if err != nil {
			if c != nil {
				t.Fatal("a calendar and an error")
			}
			return
		}
		for _, e := range c.Events {
			if !e.End.After(e.Start) || len(e.Who) == 0 {
				t.Fatalf("bad event %+v", e)
			}
		}
		for _, at := range []time.Time{now, now.Add(-30 * 24 * time.Hour), now.Add(300 * 24 * time.Hour)} {
			checkTimeline(t, c, at)
		}
	})
}
