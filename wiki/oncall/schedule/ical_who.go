package schedule

import (
	"regexp"
	"strings"

	ics "github.com/arran4/golang-ical"

	"github.com/opswiki/opswiki/wiki/oncall"
)

var (
	// PagerDuty's feeds title each shift "On Call - <name> - <schedule>".
	pagerDutySummary = regexp.MustCompile(`(?i)^on[ -]call - (.+?)(?: - .*)?$`)
	// Grafana OnCall reads a "[L1]" priority level before the names.
	grafanaLevel = regexp.MustCompile(`^\[[Ll]\d+\]\s*`)
)

// whoOf says who an event puts on call (see doc.go for the order).
func whoOf(ev *ics.VEvent) []oncall.Person {
	summary := propText(ev, ics.ComponentPropertySummary)
	attendees := attendeesOf(ev)
	if m := pagerDutySummary.FindStringSubmatch(summary); m != nil {
		p := oncall.Person{Name: strings.TrimSpace(m[1])}
		if len(attendees) == 1 {
			p.Email = attendees[0].Email
		}
		return []oncall.Person{p}
	}
	if len(attendees) > 0 {
		return attendees
	}
	if s := strings.TrimSpace(grafanaLevel.ReplaceAllString(summary, "")); s != "" {
		return []oncall.Person{{Name: s}}
	}
	for _, line := range strings.Split(propText(ev, ics.ComponentPropertyDescription), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return []oncall.Person{{Name: line}}
		}
	}
	return nil
}

// attendeesOf returns the people attending an event: not those who
// declined, not non-participants, not rooms or resources, and not the
// organizer when others attend (Google Calendar lists whoever made the
// event among its guests).
func attendeesOf(ev *ics.VEvent) []oncall.Person {
	organizer := ""
	if o := ev.GetProperty(ics.ComponentPropertyOrganizer); o != nil {
		organizer = strings.ToLower(address(o.Value))
	}
	var out, org []oncall.Person
	for _, a := range ev.GetProperties(ics.ComponentPropertyAttendee) {
		if strings.EqualFold(param(&a.BaseProperty, "PARTSTAT"), "DECLINED") ||
			strings.EqualFold(param(&a.BaseProperty, "ROLE"), "NON-PARTICIPANT") {
			continue
		}
		switch strings.ToUpper(param(&a.BaseProperty, "CUTYPE")) {
		case "RESOURCE", "ROOM":
			continue
		}
		p := oncall.Person{Email: address(a.Value), Name: strings.Trim(param(&a.BaseProperty, "CN"), `"`)}
		if !strings.Contains(p.Email, "@") {
			p.Email = ""
		}
		if p.Name == "" {
			p.Name = address(a.Value)
		}
		if p.Name == "" {
			continue
		}
		if organizer != "" && strings.ToLower(p.Email) == organizer {
			org = append(org, p)
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return org
	}
	return out
}

// address strips "mailto:" from a calendar address.
func address(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		v = v[7:]
	}
	return strings.TrimSpace(v)
}
