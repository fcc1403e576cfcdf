// Package oncall says who is on call for a team, now and next, and who each
// level of its escalation reaches. It knows nothing of pages or HTTP: the
// wiki's model reads a team's front matter with it, and package schedule
// (below it) fetches and reads iCalendar schedules.
//
// # The oncall value
//
// oncall is one of:
//
//   - a schedule URL (https, http or webcal), or {schedule: URL}: an
//     iCalendar feed, as PagerDuty, Opsgenie, Grafana OnCall and Google
//     Calendar export; see package schedule;
//   - a rotation: {members, handoff, timezone, length, start, overrides};
//   - any other text ("PagerDuty schedule: checkout-primary"): kept and
//     shown, not computed.
//
// # Rotations
//
//	oncall:
//	  members: [alice, bob, carol]     # take turns in this order
//	  handoff: monday 09:00            # or "09:00" for daily shifts
//	  timezone: Europe/Berlin          # default UTC; may follow the handoff
//	  length: 1w                       # default 1w with a weekday, 1d without
//	  start: 2026-01-05                # the first handoff; alice's turn
//	  overrides:
//	    - {who: dave, from: "2026-03-28 18:00", to: "2026-03-30 09:00"}
//
// Handoffs are wall-clock times in the rotation's zone: "monday 09:00
// Europe/Berlin" stays 09:00 local across the March and October changes,
// so those shifts are an hour shorter or longer. Lengths (w, d, h, m, or a
// sum such as 1d12h; at least 1h) are wall-clock too: 12h shifts from
// 08:00 hand off at 08:00 and 20:00 whatever the clocks do. The weekday
// only fixes the first handoff; later ones follow every length, so a 3d
// rotation moves through the week.
//
// When a clock change skips the handoff time (02:30 on the night clocks
// jump from 02:00 to 03:00) the handoff happens at the first instant after
// the gap, 03:00. When it repeats it (02:30 twice when clocks go back) the
// handoff is the first of the two.
//
// Without start the rotation counts from the first handoff on or after
// 1970-01-01 (for a weekday, the first such weekday), so every copy of the
// wiki agrees on whose turn it is; write start to choose who goes first.
// Before start no one is on call. Rotations are computed for 1970–2199.
//
// Override times are in the rotation's zone unless they carry an offset
// ("2026-03-28T18:00:00+01:00") or a zone name ("2026-03-28 18:00 UTC");
// times a clock change skips or repeats are placed as handoffs are. An
// override replaces the rotation for [from, to); where overrides overlap,
// the one declared later wins. Shifts are cut where overrides begin and
// end; an override next to a shift of the same person (or another override
// for them) makes one shift with it, but two turns of the rotation stay two
// shifts even when they fall to the same member. The instant of a handoff
// belongs to the new shift.
//
// # Escalation
//
//	escalation:
//	  - {to: payments}                           # after 0, how page
//	  - {after: 15m, to: [bob, team-lead], how: call}
//	  - {after: 1h, to: "https://…/cto.ics", how: [chat, email]}
//
// after counts from when the alert fired and never decreases; to names
// teams, people or schedule URLs; how is page, call, chat or email. Resolve
// turns the levels into people through a Lookup that knows the teams.
package oncall
