// Package schedule fetches and reads the iCalendar schedules teams give as
// their oncall: who a schedule puts on call now and next, with the last
// answer kept, with its age, when a schedule cannot be fetched.
//
// A calendar is parsed with github.com/arran4/golang-ical and its
// recurrences expanded with github.com/teambition/rrule-go, from 31 days
// before it is read to 366 days after. Read are VEVENTs with DTSTART and
// DTEND, DURATION or neither (an all-day event lasts its day); TZID (IANA
// names, also behind a prefix such as "/mozilla.org/…/Europe/Berlin"),
// UTC and floating times (in X-WR-TIMEZONE, else the Fetcher's Location,
// else UTC); all-day dates from midnight to midnight; RRULE (hourly or
// slower), RDATE and EXDATE, each possibly a list; RECURRENCE-ID, which
// moves or cancels one occurrence; STATUS:CANCELLED, which drops an event;
// X-WR-CALNAME. Local times a clock change skips are read with the offset
// before the change, as RFC 5545 says. VTIMEZONE definitions, alarms and
// other components are not read; an event with a TZID that is not an IANA
// name is skipped and listed in Calendar.Problems.
//
// Who an event puts on call, in this order:
//
//  1. SUMMARY "On Call - <name> - <schedule>" (PagerDuty's feeds): <name>,
//     with the ATTENDEE address as email;
//  2. ATTENDEEs, by CN or address, leaving out those who declined,
//     non-participants, rooms and resources, and the ORGANIZER when others
//     attend (Google Calendar lists whoever made the event among its guests);
//  3. SUMMARY, less a leading "[L1]" level (Grafana OnCall's exports put
//     the user's name there);
//  4. the first line of DESCRIPTION.
//
// Events that overlap put everyone in them on call at once. A shift of a
// calendar is the stretch during which the same people are on call; gaps
// are shifts with no one.
//
// # Fetching
//
// Fetcher fetches schedules with a timeout (5s), keeps each for a TTL (5
// minutes), revalidates with ETag and Last-Modified, refuses bodies over a
// size cap (4 MiB), and lets concurrent callers of one URL share one
// request. When a fetch fails it gives the last schedule it fetched, with
// its age and the error, and tries again after Retry (30s) rather than on
// every call. Close ends fetches in flight; nothing runs after it.
package schedule
