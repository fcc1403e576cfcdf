package schedule_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki/oncall"
	"github.com/opswiki/opswiki/wiki/oncall/oncalltest"
	"github.com/opswiki/opswiki/wiki/oncall/schedule"
)

// readNow is the moment the fixtures are read at in these tests.
const readNow = "2026-03-25T12:00:00Z"

func mustCalendar(tb testing.TB, data []byte) *schedule.Calendar {
	tb.Helper()
	c, err := schedule.ParseCalendar(data, schedule.CalendarOptions{Now: oncalltest.UTC(tb, readNow)})
	if err != nil {
		tb.Fatalf("ParseCalendar: %v", err)
	}
	return c
}

func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func TestCalendarFixtures(t *testing.T) {
	type at struct {
		at         string
		want, next oncalltest.Want
	}
	tests := []struct {
		name    string
		file    string
		calName string
		cases   []at
		emails  map[string]string // name → email expected at readNow
	}{
		{"PagerDuty", "pagerduty.ics", "On Call Schedule for Checkout Primary", []at{
			{readNow,
				oncalltest.Want{Who: "Bob Smith", Start: "2026-03-23T08:00:00Z", End: "2026-03-30T07:00:00Z"},
				oncalltest.Want{Who: "Carol White", Start: "2026-03-30T07:00:00Z", End: "2026-04-06T07:00:00Z"}},
			{"2026-03-23T08:00:00Z",
				oncalltest.Want{Who: "Bob Smith", Start: "2026-03-23T08:00:00Z", End: "2026-03-30T07:00:00Z"},
				oncalltest.Want{Who: "Carol White", Start: "2026-03-30T07:00:00Z", End: "2026-04-06T07:00:00Z"}},
		}, map[string]string{"Bob Smith": "bob@example.com"}},
		{"GrafanaOnCall", "grafana-oncall.ics", "Platform primary", []at{
			// Two people in one shift are two events; a cancelled event
			// (STATUS:CANCELLED, DTEND = DTSTART) leaves a gap.
			{readNow,
				oncalltest.Want{Who: "eve, finn", Start: "2026-03-25T09:00:00Z", End: "2026-03-26T09:00:00Z"},
				oncalltest.Want{Who: "greg", Start: "2026-03-27T09:00:00Z", End: "2026-03-28T09:00:00Z"}},
			{"2026-03-26T12:00:00Z",
				oncalltest.Want{Who: "", Start: "2026-03-26T09:00:00Z", End: "2026-03-27T09:00:00Z"},
				oncalltest.Want{Who: "greg", Start: "2026-03-27T09:00:00Z", End: "2026-03-28T09:00:00Z"}},
			{"2026-03-25T08:59:59Z",
				oncalltest.Want{Who: "dana", Start: "2026-03-24T09:00:00Z", End: "2026-03-25T09:00:00Z"},
				oncalltest.Want{Who: "eve, finn", Start: "2026-03-25T09:00:00Z", End: "2026-03-26T09:00:00Z"}},
		}, map[string]string{"eve": "", "finn": ""}},
		{"GoogleCalendar", "google.ics", "SRE on-call", []at{
			// Ivan's series moved its 23 March occurrence to 12:00 (CET);
			// the organizer and those who declined are not on call.
			{readNow,
				oncalltest.Want{Who: "Ivan Petrov", Start: "2026-03-23T11:00:00Z", End: "2026-03-30T07:00:00Z"},
				oncalltest.Want{Who: "Hana Ito", Start: "2026-03-30T07:00:00Z", End: "2026-04-02T22:00:00Z"}},
			{"2026-03-23T09:00:00Z",
				oncalltest.Want{Who: "", Start: "2026-03-23T08:00:00Z", End: "2026-03-23T11:00:00Z"},
				oncalltest.Want{Who: "Ivan Petrov", Start: "2026-03-23T11:00:00Z", End: "2026-03-30T07:00:00Z"}},
			// The all-day event is midnight to midnight in the calendar's
			// zone (CEST by then), on top of Hana's weekly shift.
			{"2026-04-03T12:00:00Z",
				oncalltest.Want{Who: "Hana Ito, Jonas Weber", Start: "2026-04-02T22:00:00Z", End: "2026-04-03T22:00:00Z"},
				oncalltest.Want{Who: "Hana Ito", Start: "2026-04-03T22:00:00Z", End: "2026-04-06T07:00:00Z"}},
			// EXDATE takes out Hana's 13 April turn.
			{"2026-04-15T12:00:00Z",
				oncalltest.Want{Who: "", Start: "2026-04-13T07:00:00Z", End: "2026-04-20T07:00:00Z"},
				oncalltest.Want{Who: "Ivan Petrov", Start: "2026-04-20T07:00:00Z", End: "2026-04-27T07:00:00Z"}},
		}, map[string]string{"Ivan Petrov": "ivan@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCalendar(t, fixture(t, tt.file))
			if c.Name != tt.calName {
				t.Errorf("Name = %q, want %q", c.Name, tt.calName)
			}
			if len(c.Problems) > 0 {
				t.Errorf("Problems = %q", c.Problems)
			}
			for _, a := range tt.cases {
				t.Run(a.at, func(t *testing.T) {
					s, err := c.At(oncalltest.UTC(t, a.at))
					if err != nil {
						t.Fatal(err)
					}
					oncalltest.CheckShift(t, s, a.want)
					n, err := c.Next(oncalltest.UTC(t, a.at))
					if err != nil {
						t.Fatal(err)
					}
					oncalltest.CheckShift(t, n, a.next)
				})
			}
			s, _ := c.At(oncalltest.UTC(t, readNow))
			for _, p := range s.Who {
				if w, ok := tt.emails[p.Name]; !ok || p.Email != w {
					t.Errorf("%s: email %q, want %q", p.Name, p.Email, w)
				}
			}
		})
	}
}

// calendar wraps VEVENT lines into a calendar.
func calendar(events ...string) []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n")
	for _, e := range events {
		b.WriteString("BEGIN:VEVENT\r\n" + strings.ReplaceAll(strings.TrimSpace(e), "\n", "\r\n") + "\r\nEND:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

func TestCalendarEvents(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		at      string
		want    oncalltest.Want
		problem string // part of a problem expected, if any
	}{
		{"MozillaTZID", calendar(`
DTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260325T090000
DTEND;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260326T090000
SUMMARY:mo`), readNow, oncalltest.Want{Who: "mo", Start: "2026-03-25T08:00:00Z", End: "2026-03-26T08:00:00Z"}, ""},
		{"DurationNominalDay", calendar(`
DTSTART;TZID=Europe/Berlin:20260328T090000
DURATION:P1D
SUMMARY:sat`), "2026-03-28T12:00:00Z", oncalltest.Want{Who: "sat", Start: "2026-03-28T08:00:00Z", End: "2026-03-29T07:00:00Z"}, ""},
		{"DurationExact", calendar(`
DTSTART;TZID=Europe/Berlin:20260328T090000
DURATION:PT24H
SUMMARY:sat`), "2026-03-28T12:00:00Z", oncalltest.Want{Who: "sat", Start: "2026-03-28T08:00:00Z", End: "2026-03-29T08:00:00Z"}, ""},
		{"FloatingInUTC", calendar(`
DTSTART:20260325T090000
DTEND:20260325T170000
SUMMARY:[L1] flo`), readNow, oncalltest.Want{Who: "flo", Start: "2026-03-25T09:00:00Z", End: "2026-03-25T17:00:00Z"}, ""},
		{"RDATEList", calendar(`
DTSTART:20260323T080000Z
DTEND:20260323T200000Z
RDATE:20260325T080000Z,20260327T080000Z
SUMMARY:rd`), readNow, oncalltest.Want{Who: "rd", Start: "2026-03-25T08:00:00Z", End: "2026-03-25T20:00:00Z"}, ""},
		{"EXDATEList", calendar(`
DTSTART:20260323T080000Z
DTEND:20260323T200000Z
RRULE:FREQ=DAILY;COUNT=5
EXDATE:20260324T080000Z,20260325T080000Z
SUMMARY:ex`), readNow, oncalltest.Want{Who: "", Start: "2026-03-23T20:00:00Z", End: "2026-03-26T08:00:00Z"}, ""},
		{"DescriptionOnly", calendar(`
DTSTART:20260325T000000Z
DTEND:20260326T000000Z
DESCRIPTION:pat\nbackup: quinn`), readNow, oncalltest.Want{Who: "pat", Start: "2026-03-25T00:00:00Z", End: "2026-03-26T00:00:00Z"}, ""},
		{"UnknownTZID", calendar(`
DTSTART;TZID=W. Europe Standard Time:20260325T090000
DTEND;TZID=W. Europe Standard Time:20260326T090000
SUMMARY:win`), readNow, oncalltest.Want{}, `unknown time zone "W. Europe Standard Time"`},
		{"NoOne", calendar(`
DTSTART:20260325T000000Z
DTEND:20260326T000000Z`), readNow, oncalltest.Want{}, "names no one"},
		{"MinutelyRule", calendar(`
DTSTART:20260325T000000Z
DTEND:20260325T000100Z
RRULE:FREQ=MINUTELY
SUMMARY:tick`), readNow, oncalltest.Want{}, "repeat hourly at most"},
		{"BadRule", calendar(`
DTSTART:20260325T000000Z
DTEND:20260326T000000Z
RRULE:FREQ=SOMETIMES
SUMMARY:bad`), readNow, oncalltest.Want{}, "RRULE"},
		{"NoStart", calendar(`
DTEND:20260326T000000Z
SUMMARY:nostart`), readNow, oncalltest.Want{}, "no DTSTART"},
		{"OtherEventsKept", calendar(`
DTSTART:20260325T000000Z
DTEND:20260326T000000Z
SUMMARY:ok`, `
DTSTART:2026-03-25
SUMMARY:broken`), readNow, oncalltest.Want{Who: "ok", Start: "2026-03-25T00:00:00Z", End: "2026-03-26T00:00:00Z"}, "not a date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCalendar(t, tt.data)
			got := strings.Join(c.Problems, "\n")
			if tt.problem == "" && got != "" || !strings.Contains(got, tt.problem) {
				t.Errorf("Problems = %q, want one with %q", got, tt.problem)
			}
			s, err := c.At(oncalltest.UTC(t, tt.at))
			if err != nil {
				t.Fatal(err)
			}
			oncalltest.CheckShift(t, s, tt.want)
		})
	}
}

func TestParseCalendarRefuses(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"HTML", "<!doctype html><html><body>Sign in</body></html>"},
		{"Empty", ""},
		{"NoEnd", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\n"},
		{"WrongEnd", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n"},
		{"NotAContentLine", "BEGIN:VCALENDAR\r\nthis is not ical\r\nEND:VCALENDAR\r\n"},
		{"TooManyParams", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY" + strings.Repeat(";X=1", 65) + ":x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
		{"BrokenParam", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID=\"Europe/Berlin:20260325T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := schedule.ParseCalendar([]byte(tt.data), schedule.CalendarOptions{Now: oncalltest.UTC(t, readNow)})
			if c != nil {
				t.Errorf("got a calendar: %+v", c)
			}
			oncalltest.ErrCode(t, err, oncall.EINVALID)
		})
	}
}

func TestCalendarWindow(t *testing.T) {
	c := mustCalendar(t, fixture(t, "pagerduty.ics"))
	// The window is 31 days before the reading and 366 after.
	if got := c.From.UTC().Format(time.RFC3339); got != "2026-02-22T12:00:00Z" {
		t.Errorf("From = %s", got)
	}
	if got := c.Until.UTC().Format(time.RFC3339); got != "2027-03-26T12:00:00Z" {
		t.Errorf("Until = %s", got)
	}
	for _, at := range []string{"2026-02-22T11:59:59Z", "2027-03-26T12:00:00Z"} {
		_, err := c.At(oncalltest.UTC(t, at))
		oncalltest.ErrCode(t, err, oncall.EINVALID)
	}
	// After the last event nothing more is known.
	s, err := c.At(oncalltest.UTC(t, "2026-05-01T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	oncalltest.CheckShift(t, s, oncalltest.Want{Start: "2026-04-06T07:00:00Z"})
	if _, err := c.Next(oncalltest.UTC(t, "2026-05-01T00:00:00Z")); !errors.Is(err, oncall.ErrNoShift) {
		t.Errorf("Next after the last event: %v, want oncall.ErrNoShift", err)
	}
	// Before the first event: a gap that ends where it starts.
	s, _ = c.At(oncalltest.UTC(t, "2026-03-01T00:00:00Z"))
	oncalltest.CheckShift(t, s, oncalltest.Want{End: "2026-03-16T08:00:00Z"})
}
