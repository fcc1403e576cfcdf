package schedule_test

import (
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki/oncall/oncalltest"
	"github.com/opswiki/opswiki/wiki/oncall/schedule"
)

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
			oncalltest.CheckTimeline(t, c, at)
		}
	})
}
