package oncall_test

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/opswiki/opswiki/wiki/oncall"
	"github.com/opswiki/opswiki/wiki/oncall/oncalltest"
)

func TestParseOncall(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		schedule string
		text     string
		members  string
		zone     string
		first    string // wall clock of the first handoff
		length   time.Duration
	}{
		{"Empty", `""`, "", "", "", "", "", 0},
		{"ScheduleURL", `https://acme.pagerduty.com/private/abc/feed/PXYZ`, "https://acme.pagerduty.com/private/abc/feed/PXYZ", "", "", "", "", 0},
		{"ScheduleMapping", `{schedule: "webcal://oncall.example.com/s.ics"}`, "webcal://oncall.example.com/s.ics", "", "", "", "", 0},
		{"Words", `"PagerDuty schedule: checkout-primary"`, "", "PagerDuty schedule: checkout-primary", "", "", "", 0},
		{"WeeklyDefaults", "{members: [a, b], handoff: monday 09:00}", "", "", "a,b", "UTC", "1970-01-05 09:00", 7 * 24 * time.Hour},
		{"DailyDefaults", `{members: [a], handoff: "18:30", timezone: Asia/Tokyo}`, "", "", "a", "Asia/Tokyo", "1970-01-01 18:30", 24 * time.Hour},
		{"ShortWeekdayAndZone", "{members: a, handoff: Tue 7:00 America/Chicago, length: 1w2d, start: 2026-01-06}", "", "", "a", "America/Chicago", "2026-01-06 07:00", 9 * 24 * time.Hour},
		{"LengthWord", "{members: [a, 42], handoff: friday 17:00, length: fortnightly}", "", "", "a,42", "UTC", "1970-01-02 17:00", 14 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, ps := oncall.ParseOncall(oncalltest.Decode(t, tt.src))
			if len(ps) > 0 {
				t.Fatalf("problems: %+v", ps)
			}
			if tt.src == `""` {
				if o != nil {
					t.Fatalf("got %+v for an empty value", o)
				}
				return
			}
			if o.Schedule != tt.schedule || o.Text != tt.text {
				t.Errorf("schedule, text = %q, %q; want %q, %q", o.Schedule, o.Text, tt.schedule, tt.text)
			}
			if tt.members == "" {
				if o.Rotation != nil {
					t.Errorf("unexpected rotation %+v", o.Rotation)
				}
				return
			}
			r := o.Rotation
			got := strings.Join(r.Members, ",") + " " + r.Location.String() + " " + r.First.Format("2006-01-02 15:04") + " " + r.Length.String()
			w := tt.members + " " + tt.zone + " " + tt.first + " " + tt.length.String()
			if got != w {
				t.Errorf("rotation = %s, want %s", got, w)
			}
		})
	}
}

func TestParseOncallProblems(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		field   string
		message string // a part of the message
		usable  bool   // whether a rotation still comes back
	}{
		{"NoMembers", "{handoff: monday 09:00}", "oncall.members", "members is missing", false},
		{"NoHandoff", "{members: [a]}", "oncall.handoff", "handoff is missing", false},
		{"HandoffWithoutTime", "{members: [a], handoff: monday}", "oncall.handoff", "no time of day", false},
		{"HandoffBadTime", "{members: [a], handoff: monday 25:00}", "oncall.handoff", "not a time of day", false},
		{"HandoffList", "{members: [a], handoff: [monday]}", "oncall.handoff", "not a list", false},
		{"BadZone", "{members: [a], handoff: monday 09:00, timezone: Mars/Olympus}", "oncall.timezone", "not a time zone", false},
		{"ZoneList", "{members: [a], handoff: monday 09:00, timezone: [UTC]}", "oncall.timezone", "must name a time zone", false},
		{"LocalZone", "{members: [a], handoff: monday 09:00, timezone: Local}", "oncall.timezone", "not a time zone", false},
		{"ZoneTwice", "{members: [a], handoff: monday 09:00 UTC, timezone: Europe/Berlin}", "oncall.timezone", "keep one", true},
		{"BareNumberLength", "{members: [a], handoff: monday 09:00, length: 7}", "oncall.length", "no unit", false},
		{"ShortLength", "{members: [a], handoff: monday 09:00, length: 30m}", "oncall.length", "at least 1h", false},
		{"HugeLength", "{members: [a], handoff: monday 09:00, length: 99999999999w}", "oncall.length", "too long", false},
		{"StartWrongWeekday", "{members: [a], handoff: monday 09:00, start: 2026-01-06}", "oncall.start", "is a Tuesday", true},
		{"StartWithTime", "{members: [a], handoff: monday 09:00, start: 2026-01-05 09:00}", "oncall.start", "not a date", true},
		{"UnknownKey", "{members: [a], handoff: monday 09:00, rotation: weekly}", "oncall.rotation", "unknown key", true},
		{"ScheduleAndRotation", "{schedule: https://x.example/s.ics, members: [a]}", "oncall.schedule", "keep one", true},
		{"ScheduleNotHTTP", "{schedule: ftp://x.example/s.ics}", "oncall.schedule", "must start with https://", false},
		{"URLWithoutHost", "https:///s.ics", "oncall", "has no host", false},
		{"List", "[a, b]", "oncall", "not a list", false},
		{"MemberMapping", "{members: [a, {b: c}], handoff: monday 09:00}", "oncall.members[1]", "item 2 is a mapping", true},
		{"OverrideNoWho", "{members: [a], handoff: monday 09:00, overrides: [{from: 2026-03-28 18:00, to: 2026-03-29 18:00}]}", "oncall.overrides[0].who", "no who", true},
		{"OverrideDateOnly", "{members: [a], handoff: monday 09:00, overrides: [{who: b, from: \"2026-03-28\", to: 2026-03-29 18:00}]}", "oncall.overrides[0].from", "no time of day", true},
		{"OverrideBackwards", "{members: [a], handoff: monday 09:00, overrides: [{who: b, from: 2026-03-29 18:00, to: 2026-03-28 18:00}]}", "oncall.overrides[0].to", "before it begins", true},
		{"OverrideBadZone", "{members: [a], handoff: monday 09:00, overrides: [{who: b, from: 2026-03-28 18:00 Nowhere, to: 2026-03-29 18:00}]}", "oncall.overrides[0].from", "not a time zone", true},
		{"OverrideUnknownKey", "{members: [a], handoff: monday 09:00, overrides: [{who: b, from: 2026-03-28 18:00, to: 2026-03-29 18:00, note: x}]}", "oncall.overrides[0].note", "unknown key", true},
		{"OverridesNotList", "{members: [a], handoff: monday 09:00, overrides: {who: b}}", "oncall.overrides", "list of {who, from, to}", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, ps := oncall.ParseOncall(oncalltest.Decode(t, tt.src))
			found := false
			for _, p := range ps {
				if p.Field == tt.field && strings.Contains(p.Message, tt.message) {
					found = true
				}
			}
			if !found {
				t.Errorf("problems %+v lack %s: …%s…", ps, tt.field, tt.message)
			}
			if usable := o != nil; usable != tt.usable {
				t.Errorf("oncall = %+v, usable %v, want %v", o, usable, tt.usable)
			}
		})
	}
}

func TestParseEscalation(t *testing.T) {
	src := `
- {to: payments}
- {after: 15m, to: [bob, "https://acme.pagerduty.com/private/x/feed/P1"], how: [call, chat]}
- {after: 1h, to: cto, how: Email}
`
	levels, ps := oncall.ParseEscalation(oncalltest.Decode(t, src))
	if len(ps) > 0 {
		t.Fatalf("problems: %+v", ps)
	}
	got := ""
	for _, l := range levels {
		got += l.After.String() + " " + strings.Join(l.To, "+") + " " + strings.Join(l.How, "+") + "; "
	}
	w := "0s payments page; 15m0s bob+https://acme.pagerduty.com/private/x/feed/P1 call+chat; 1h0m0s cto email; "
	if got != w {
		t.Errorf("levels = %s\nwant     %s", got, w)
	}
}

func TestParseEscalationProblems(t *testing.T) {
	tests := []struct {
		name, src, field, message string
		kept                      int
	}{
		{"NotAList", "payments", "escalation", "must be a list", 0},
		{"NoTo", "[{after: 5m}]", "escalation[0].to", "has no to", 0},
		{"BadHow", "[{to: a, how: pigeon}]", "escalation[0].how", "use page, call, chat or email", 0},
		{"BareNumber", "[{to: a}, {after: 15, to: b}]", "escalation[1].after", "no unit", 1},
		{"Decreasing", "[{to: a}, {after: 30m, to: b}, {after: 15m, to: c}]", "escalation[2].after", "after counts from when the alert fired", 2},
		{"MissingAfter", "[{to: a}, {to: b}]", "escalation[1].after", "has no after", 1},
		{"UnknownKey", "[{to: a, via: pager}]", "escalation[0].via", "unknown key", 1},
		{"LevelNotMapping", "[a]", "escalation[0]", "must be a mapping", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			levels, ps := oncall.ParseEscalation(oncalltest.Decode(t, tt.src))
			found := false
			for _, p := range ps {
				if p.Field == tt.field && strings.Contains(p.Message, tt.message) {
					found = true
				}
			}
			if !found {
				t.Errorf("problems %+v lack %s: …%s…", ps, tt.field, tt.message)
			}
			if len(levels) != tt.kept {
				t.Errorf("kept %d levels, want %d", len(levels), tt.kept)
			}
		})
	}
}

func TestTimestampValues(t *testing.T) {
	// The same override written unquoted, which YAML makes a time.Time in
	// UTC, and read through DecodeNode, which keeps the text: both are
	// 18:00 in Berlin (17:00 UTC).
	src := berlinWeekly + "overrides: [{who: dave, from: 2026-03-28 18:00:00, to: 2026-03-28T21:00:00+01:00}]\n"
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(src), &node); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		value any
	}{
		{"DecodedToAny", oncalltest.Decode(t, src)},
		{"DecodeNode", oncall.DecodeNode(&node)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, ps := oncall.ParseOncall(tt.value)
			if len(ps) > 0 {
				t.Fatalf("problems: %+v", ps)
			}
			s, err := o.At(oncalltest.UTC(t, "2026-03-28T18:00:00Z"))
			if err != nil {
				t.Fatal(err)
			}
			oncalltest.CheckShift(t, s, oncalltest.Want{Who: "dave", Start: "2026-03-28T17:00:00Z", End: "2026-03-28T20:00:00Z", Override: true})
		})
	}
}

func TestLine(t *testing.T) {
	src := `title: Payments
oncall:
  members: [alice]
  handoff: monday 09:00
  timezone: Mars/Olympus
  overrides:
    - who: bob
      from: "2026-03-28 18:00"
      to: yesterday
escalation:
  - {to: payments}
  - after: 15
    to: bob
`
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	value := func(key string) *yaml.Node {
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return m.Content[i+1]
			}
		}
		t.Fatalf("no %s", key)
		return nil
	}
	oc, ocProblems := oncall.ParseOncall(oncall.DecodeNode(value("oncall")))
	esc, escProblems := oncall.ParseEscalation(oncall.DecodeNode(value("escalation")))
	if oc != nil || len(esc) != 1 {
		t.Fatalf("oncall %+v, escalation %+v", oc, esc)
	}
	got := map[string]int{}
	for _, p := range ocProblems {
		got[p.Field] = oncall.Line(value("oncall"), p.Field)
	}
	for _, p := range escProblems {
		got[p.Field] = oncall.Line(value("escalation"), p.Field)
	}
	w := map[string]int{"oncall.timezone": 5, "oncall.overrides[0].to": 9, "escalation[1].after": 12}
	if len(got) != len(w) {
		t.Errorf("problems at %v, want %v", got, w)
	}
	for f, line := range w {
		if got[f] != line {
			t.Errorf("Line(%s) = %d, want %d", f, got[f], line)
		}
	}
	// Paths that lead nowhere stop at the deepest part that exists.
	for field, line := range map[string]int{"oncall.overrides[7].who": 7, "oncall.nothing": 3, "oncall": 3, "escalation[0].to.x": 11} {
		n := value(strings.SplitN(strings.SplitN(field, ".", 2)[0], "[", 2)[0])
		if got := oncall.Line(n, field); got != line {
			t.Errorf("Line(%s) = %d, want %d", field, got, line)
		}
	}
}
