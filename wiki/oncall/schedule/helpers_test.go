package schedule_test

// berlinWeekly is a weekly rotation handing off on Mondays at 09:00 in
// Berlin, the same as the oncall package's tests use.
const berlinWeekly = `
members: [alice, bob, carol]
handoff: monday 09:00
timezone: Europe/Berlin
start: 2026-01-05
`
