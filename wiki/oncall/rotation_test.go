package oncall_test

import (
	"testing"

	"github.com/opswiki/opswiki/wiki/oncall"
	"github.com/opswiki/opswiki/wiki/oncall/oncalltest"
)

// Every expected answer below is worked out by hand from the 2026 clock
// changes: Europe (last Sundays of March and October, 01:00 UTC), the
// United States (8 March 02:00 and 1 November 02:00 local) and Sydney
// (DST ends 5 April 03:00, begins 4 October 02:00 local).

const berlinWeekly = `
members: [alice, bob, carol]
handoff: monday 09:00
timezone: Europe/Berlin
start: 2026-01-05
`

func TestRotationAt(t *testing.T) {
	type at struct {
		name string
		at   string
		want oncalltest.Want
		next oncalltest.Want
	}
	tests := []struct {
		name     string
		rotation string
		cases    []at
	}{
		{"BerlinWeekly", berlinWeekly, []at{
			// 11 weeks after 5 January: carol. Her shift spans the March
			// change, so it is 167 hours long, 09:00 local at both ends.
			{"AcrossMarch", "2026-03-29T12:00:00Z",
				oncalltest.Want{Who: "carol", Start: "2026-03-23T08:00:00Z", End: "2026-03-30T07:00:00Z"},
				oncalltest.Want{Who: "alice", Start: "2026-03-30T07:00:00Z", End: "2026-04-06T07:00:00Z"}},
			{"SecondBeforeHandoff", "2026-03-30T06:59:59Z",
				oncalltest.Want{Who: "carol", Start: "2026-03-23T08:00:00Z", End: "2026-03-30T07:00:00Z"},
				oncalltest.Want{Who: "alice", Start: "2026-03-30T07:00:00Z", End: "2026-04-06T07:00:00Z"}},
			{"ExactlyAtHandoff", "2026-03-30T07:00:00Z",
				oncalltest.Want{Who: "alice", Start: "2026-03-30T07:00:00Z", End: "2026-04-06T07:00:00Z"},
				oncalltest.Want{Who: "bob", Start: "2026-04-06T07:00:00Z", End: "2026-04-13T07:00:00Z"}},
			// 41 weeks after 5 January: carol again, 169 hours.
			{"AcrossOctober", "2026-10-25T12:00:00Z",
				oncalltest.Want{Who: "carol", Start: "2026-10-19T07:00:00Z", End: "2026-10-26T08:00:00Z"},
				oncalltest.Want{Who: "alice", Start: "2026-10-26T08:00:00Z", End: "2026-11-02T08:00:00Z"}},
			{"FirstShift", "2026-01-05T08:00:00Z",
				oncalltest.Want{Who: "alice", Start: "2026-01-05T08:00:00Z", End: "2026-01-12T08:00:00Z"},
				oncalltest.Want{Who: "bob", Start: "2026-01-12T08:00:00Z", End: "2026-01-19T08:00:00Z"}},
			{"BeforeStart", "2026-01-01T00:00:00Z",
				oncalltest.Want{Who: "", Start: "", End: "2026-01-05T08:00:00Z"},
				oncalltest.Want{Who: "alice", Start: "2026-01-05T08:00:00Z", End: "2026-01-12T08:00:00Z"}},
		}},
		{"BerlinDaily0230", `
members: [a, b]
handoff: "02:30"
timezone: Europe/Berlin
start: 2026-03-01
`, []at{
			// 29 March 02:30 does not exist: the handoff is at 03:00 CEST.
			{"SpringForwardBefore", "2026-03-29T00:59:00Z",
				oncalltest.Want{Who: "b", Start: "2026-03-28T01:30:00Z", End: "2026-03-29T01:00:00Z"},
				oncalltest.Want{Who: "a", Start: "2026-03-29T01:00:00Z", End: "2026-03-30T00:30:00Z"}},
			{"SpringForwardAt", "2026-03-29T01:00:00Z",
				oncalltest.Want{Who: "a", Start: "2026-03-29T01:00:00Z", End: "2026-03-30T00:30:00Z"},
				oncalltest.Want{Who: "b", Start: "2026-03-30T00:30:00Z", End: "2026-03-31T00:30:00Z"}},
			// 25 October 02:30 happens twice: the first (CEST) is the
			// handoff, so the second 02:15 is already a's.
			{"FallBackBefore", "2026-10-25T00:29:00Z",
				oncalltest.Want{Who: "b", Start: "2026-10-24T00:30:00Z", End: "2026-10-25T00:30:00Z"},
				oncalltest.Want{Who: "a", Start: "2026-10-25T00:30:00Z", End: "2026-10-26T01:30:00Z"}},
			{"FallBackRepeatedHour", "2026-10-25T01:15:00Z",
				oncalltest.Want{Who: "a", Start: "2026-10-25T00:30:00Z", End: "2026-10-26T01:30:00Z"},
				oncalltest.Want{Who: "b", Start: "2026-10-26T01:30:00Z", End: "2026-10-27T01:30:00Z"}},
		}},
		{"NewYorkWeekly", `
members: [ann, ben, cat]
handoff: wednesday 10:00 America/New_York
start: 2026-01-07
`, []at{
			// 8 weeks after 7 January: cat, 167 hours.
			{"AcrossMarch", "2026-03-08T12:00:00Z",
				oncalltest.Want{Who: "cat", Start: "2026-03-04T15:00:00Z", End: "2026-03-11T14:00:00Z"},
				oncalltest.Want{Who: "ann", Start: "2026-03-11T14:00:00Z", End: "2026-03-18T14:00:00Z"}},
			// 42 weeks: ann, 169 hours.
			{"AcrossNovember", "2026-11-01T12:00:00Z",
				oncalltest.Want{Who: "ann", Start: "2026-10-28T14:00:00Z", End: "2026-11-04T15:00:00Z"},
				oncalltest.Want{Who: "ben", Start: "2026-11-04T15:00:00Z", End: "2026-11-11T15:00:00Z"}},
		}},
		{"NewYorkDaily0130", `
members: [ann, ben]
handoff: "01:30"
timezone: America/New_York
start: 2026-10-25
`, []at{
			// 1 November 01:30 happens twice; the first, 05:30 UTC, counts.
			{"RepeatedHour", "2026-11-01T06:00:00Z",
				oncalltest.Want{Who: "ben", Start: "2026-11-01T05:30:00Z", End: "2026-11-02T06:30:00Z"},
				oncalltest.Want{Who: "ann", Start: "2026-11-02T06:30:00Z", End: "2026-11-03T06:30:00Z"}},
		}},
		{"SydneyThreeDays", `
members: [kai, lee, mia, noa]
handoff: friday 18:00
timezone: Australia/Sydney
length: 3d
start: 2026-03-27
`, []at{
			// Handoffs every 3 days from 27 March; the April change makes
			// mia's shift (2 April to 5 April) 73 hours.
			{"AcrossApril", "2026-04-04T20:00:00Z",
				oncalltest.Want{Who: "mia", Start: "2026-04-02T07:00:00Z", End: "2026-04-05T08:00:00Z"},
				oncalltest.Want{Who: "noa", Start: "2026-04-05T08:00:00Z", End: "2026-04-08T08:00:00Z"}},
			// 189 days after 27 March is 2 October, handoff 63: noa, 71
			// hours across the October change.
			{"AcrossOctober", "2026-10-04T12:00:00Z",
				oncalltest.Want{Who: "noa", Start: "2026-10-02T08:00:00Z", End: "2026-10-05T07:00:00Z"},
				oncalltest.Want{Who: "kai", Start: "2026-10-05T07:00:00Z", End: "2026-10-08T07:00:00Z"}},
		}},
		{"DefaultStart", `
members: [alice, bob]
handoff: monday 09:00
timezone: Europe/Berlin
`, []at{
			// Counted from Monday 1970-01-05: 2026-03-23 is 20531 days =
			// 2933 weeks later, an odd turn, so bob's.
			{"Counted", "2026-03-25T12:00:00Z",
				oncalltest.Want{Who: "bob", Start: "2026-03-23T08:00:00Z", End: "2026-03-30T07:00:00Z"},
				oncalltest.Want{Who: "alice", Start: "2026-03-30T07:00:00Z", End: "2026-04-06T07:00:00Z"}},
		}},
		{"TwelveHours", `
members: [day, night]
handoff: "08:00"
length: 12h
timezone: Europe/Berlin
start: 2026-03-28
`, []at{
			// Wall-clock shifts: 20:00 to 08:00 across the March change
			// is 11 hours.
			{"NightAcrossMarch", "2026-03-29T02:00:00Z",
				oncalltest.Want{Who: "night", Start: "2026-03-28T19:00:00Z", End: "2026-03-29T06:00:00Z"},
				oncalltest.Want{Who: "day", Start: "2026-03-29T06:00:00Z", End: "2026-03-29T18:00:00Z"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := oncalltest.MustOncall(t, tt.rotation)
			for _, c := range tt.cases {
				t.Run(c.name, func(t *testing.T) {
					s, err := o.At(oncalltest.UTC(t, c.at))
					if err != nil {
						t.Fatal(err)
					}
					oncalltest.CheckShift(t, s, c.want)
					n, err := o.Next(oncalltest.UTC(t, c.at))
					if err != nil {
						t.Fatal(err)
					}
					oncalltest.CheckShift(t, n, c.next)
				})
			}
		})
	}
}

func TestRotationOverrides(t *testing.T) {
	tests := []struct {
		name      string
		overrides string
		cases     map[string]oncalltest.Want
	}{
		{"CoversHandoff", `
  - {who: dave, from: "2026-03-28 18:00", to: "2026-03-30 12:00"}`, map[string]oncalltest.Want{
			// dave's interval is in Berlin time: 17:00 UTC (CET) to 10:00
			// UTC (CEST), and cuts carol's and alice's shifts.
			"2026-03-25T00:00:00Z": {Who: "carol", Start: "2026-03-23T08:00:00Z", End: "2026-03-28T17:00:00Z"},
			"2026-03-28T17:00:00Z": {Who: "dave", Start: "2026-03-28T17:00:00Z", End: "2026-03-30T10:00:00Z", Override: true},
			"2026-03-30T07:00:00Z": {Who: "dave", Start: "2026-03-28T17:00:00Z", End: "2026-03-30T10:00:00Z", Override: true},
			"2026-03-31T00:00:00Z": {Who: "alice", Start: "2026-03-30T10:00:00Z", End: "2026-04-06T07:00:00Z"},
		}},
		{"OverlappingLaterWins", `
  - {who: dave, from: "2026-03-28 18:00", to: "2026-03-30 12:00"}
  - {who: erin, from: "2026-03-29 08:00", to: "2026-03-29 20:00"}`, map[string]oncalltest.Want{
			"2026-03-29T05:59:00Z": {Who: "dave", Start: "2026-03-28T17:00:00Z", End: "2026-03-29T06:00:00Z", Override: true},
			"2026-03-29T06:00:00Z": {Who: "erin", Start: "2026-03-29T06:00:00Z", End: "2026-03-29T18:00:00Z", Override: true},
			"2026-03-29T18:00:00Z": {Who: "dave", Start: "2026-03-29T18:00:00Z", End: "2026-03-30T10:00:00Z", Override: true},
		}},
		{"OverlappingEarlierLoses", `
  - {who: erin, from: "2026-03-29 08:00", to: "2026-03-29 20:00"}
  - {who: dave, from: "2026-03-28 18:00", to: "2026-03-30 12:00"}`, map[string]oncalltest.Want{
			"2026-03-29T12:00:00Z": {Who: "dave", Start: "2026-03-28T17:00:00Z", End: "2026-03-30T10:00:00Z", Override: true},
		}},
		{"JoinsOwnShift", `
  - {who: alice, from: "2026-03-29 12:00", to: "2026-03-30 09:00"}`, map[string]oncalltest.Want{
			// alice takes over early and runs on into her own turn.
			"2026-03-29T09:59:00Z": {Who: "carol", Start: "2026-03-23T08:00:00Z", End: "2026-03-29T10:00:00Z"},
			"2026-03-29T12:00:00Z": {Who: "alice", Start: "2026-03-29T10:00:00Z", End: "2026-04-06T07:00:00Z", Override: true},
		}},
		{"WithOffset", `
  - {who: dave, from: "2026-03-28T18:00:00Z", to: "2026-03-28 20:00 UTC"}`, map[string]oncalltest.Want{
			"2026-03-28T19:00:00Z": {Who: "dave", Start: "2026-03-28T18:00:00Z", End: "2026-03-28T20:00:00Z", Override: true},
			"2026-03-28T20:00:00Z": {Who: "carol", Start: "2026-03-28T20:00:00Z", End: "2026-03-30T07:00:00Z"},
		}},
		{"InsideTheGap", `
  - {who: dave, from: "2026-03-29 02:30", to: "2026-03-29 04:00"}`, map[string]oncalltest.Want{
			// 02:30 does not exist that night; the override starts at
			// 03:00 CEST like a handoff would.
			"2026-03-29T01:00:00Z": {Who: "dave", Start: "2026-03-29T01:00:00Z", End: "2026-03-29T02:00:00Z", Override: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := oncalltest.MustOncall(t, berlinWeekly+"overrides:"+tt.overrides+"\n")
			for at, w := range tt.cases {
				s, err := o.At(oncalltest.UTC(t, at))
				if err != nil {
					t.Fatal(err)
				}
				t.Run(at, func(t *testing.T) { oncalltest.CheckShift(t, s, w) })
			}
		})
	}
}

func TestOncallAtNeedsRotation(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{"Schedule", "https://acme.pagerduty.com/private/abc/feed/PXYZ"},
		{"Text", `"PagerDuty schedule: checkout-primary"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := oncalltest.MustOncall(t, tt.src)
			_, err := o.At(oncalltest.UTC(t, "2026-03-25T12:00:00Z"))
			oncalltest.ErrCode(t, err, oncall.EINVALID)
			_, err = o.Next(oncalltest.UTC(t, "2026-03-25T12:00:00Z"))
			oncalltest.ErrCode(t, err, oncall.EINVALID)
		})
	}
	t.Run("Nil", func(t *testing.T) {
		var none *oncall.Oncall
		_, err := none.At(oncalltest.UTC(t, "2026-03-25T12:00:00Z"))
		oncalltest.ErrCode(t, err, oncall.EINVALID)
	})
}
