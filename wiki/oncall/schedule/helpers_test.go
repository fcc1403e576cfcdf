package schedule_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/opswiki/opswiki/wiki/oncall"
)

// decode turns front matter YAML into the value ParseOncall gets.
func decode(tb testing.TB, src string) any {
	tb.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		tb.Fatalf("yaml: %v", err)
	}
	return v
}

// MustOncall parses an oncall value written as YAML and fails on problems.
func MustOncall(tb testing.TB, src string) *oncall.Oncall {
	tb.Helper()
	o, ps := oncall.ParseOncall(decode(tb, src))
	if len(ps) > 0 {
		tb.Fatalf("ParseOncall problems: %+v", ps)
	}
	if o == nil {
		tb.Fatalf("ParseOncall returned nil for %q", src)
	}
	return o
}

// utc parses an RFC 3339 instant written in a test.
func utc(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatalf("bad test time %q: %v", s, err)
	}
	return t
}

// want is an expected shift: names joined with ", ", and its bounds as
// RFC 3339 instants ("" for an open bound).
type want struct {
	who, start, end string
	override        bool
}

func checkShift(tb testing.TB, got oncall.Shift, w want) {
	tb.Helper()
	bound := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	g := want{who: got.Names(), start: bound(got.Start), end: bound(got.End), override: got.Override}
	if g != w {
		tb.Errorf("shift = %+v, want %+v", g, w)
	}
}

// errCode fails unless err carries the wiki error code.
func errCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := oncall.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	var we *oncall.Error
	if !errors.As(err, &we) || strings.TrimSpace(we.Message) == "" {
		tb.Fatalf("error %v has no message to show", err)
	}
}

// berlinWeekly is a weekly rotation handing off on Mondays at 09:00 in
// Berlin, the same as the oncall package's tests use.
const berlinWeekly = `
members: [alice, bob, carol]
handoff: monday 09:00
timezone: Europe/Berlin
start: 2026-01-05
`
