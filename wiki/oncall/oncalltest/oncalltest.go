// Package oncalltest holds what the tests of the on-call packages share:
// parsing a rotation written as YAML, checking shifts and errors.
package oncalltest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/opswiki/opswiki/wiki/oncall"
)

// Decode turns front matter YAML into the value ParseOncall gets.
func Decode(tb testing.TB, src string) any {
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
	o, ps := oncall.ParseOncall(Decode(tb, src))
	if len(ps) > 0 {
		tb.Fatalf("ParseOncall problems: %+v", ps)
	}
	if o == nil {
		tb.Fatalf("ParseOncall returned nil for %q", src)
	}
	return o
}

// UTC parses an RFC 3339 instant written in a test.
func UTC(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatalf("bad test time %q: %v", s, err)
	}
	return t
}

// Want is an expected shift: names joined with ", ", and its bounds as
// RFC 3339 instants ("" for an open bound).
type Want struct {
	Who, Start, End string
	Override        bool
}

// CheckShift fails unless got is the shift w describes.
func CheckShift(tb testing.TB, got oncall.Shift, w Want) {
	tb.Helper()
	bound := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	g := Want{Who: got.Names(), Start: bound(got.Start), End: bound(got.End), Override: got.Override}
	if g != w {
		tb.Errorf("shift = %+v, want %+v", g, w)
	}
}

// ErrCode fails unless err carries the code and a message to show.
func ErrCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := oncall.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	var we *oncall.Error
	if !errors.As(err, &we) || strings.TrimSpace(we.Message) == "" {
		tb.Fatalf("error %v has no message to show", err)
	}
}

// CheckTimeline fails when a timeline's answers contradict each other.
func CheckTimeline(t *testing.T, tl oncall.Timeline, at time.Time) {
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
