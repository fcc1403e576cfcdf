package oncall_test

import (
	"strings"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki/oncall"
	"github.com/opswiki/opswiki/wiki/oncall/oncalltest"
)

func TestResolve(t *testing.T) {
	levels, ps := oncall.ParseEscalation(oncalltest.Decode(t, `
- {to: payments, how: page}
- {after: 15m, to: [bob, "https://cal.example.com/down.ics"], how: call}
- {after: 30m, to: ["https://cal.example.com/gone.ics", platform]}
`))
	if len(ps) > 0 {
		t.Fatalf("problems: %+v", ps)
	}
	// The teams rotate for real: payments is a rotation whose turn at
	// 2026-03-25 12:00 UTC is carol's (see TestRotationAt).
	payments := oncalltest.MustOncall(t, berlinWeekly)
	stale := &oncall.Error{Code: oncall.EUNAVAILABLE, Message: "The schedule at cal.example.com could not be reached."}
	lookup := func(target string, at time.Time) ([]oncall.Person, bool, error) {
		switch target {
		case "payments":
			s, err := payments.At(at)
			return s.Who, true, err
		case "platform":
			return nil, true, nil // a team with no one on call right now
		case "https://cal.example.com/down.ics":
			return []oncall.Person{{Name: "dana", Email: "dana@example.com"}}, true, stale
		}
		return nil, false, nil
	}
	now := oncalltest.UTC(t, "2026-03-25T12:00:00Z")
	got := oncall.Resolve(levels, now, lookup)
	var b strings.Builder
	for _, r := range got {
		b.WriteString(r.At.UTC().Format("15:04") + " " + strings.Join(r.Level.How, "+") + ":")
		for _, tg := range r.Targets {
			names := oncall.Shift{Who: tg.Who}.Names()
			b.WriteString(" " + tg.Kind + "(" + tg.Target + ")=" + names)
			if tg.Err != nil {
				b.WriteString("!" + oncall.ErrorCode(tg.Err))
			}
		}
		b.WriteString("\n")
	}
	w := `12:00 page: team(payments)=carol
12:15 call: person(bob)=bob schedule(https://cal.example.com/down.ics)=dana!unavailable
12:30 page: schedule(https://cal.example.com/gone.ics)=!not_found team(platform)=
`
	if b.String() != w {
		t.Errorf("Resolve:\n%s\nwant:\n%s", b.String(), w)
	}

	t.Run("NoLookup", func(t *testing.T) {
		r := oncall.Resolve(levels[:1], now, nil)
		if len(r) != 1 || len(r[0].Targets) != 1 || r[0].Targets[0].Kind != oncall.TargetPerson || r[0].Targets[0].Who[0].Name != "payments" {
			t.Errorf("Resolve without lookup = %+v", r)
		}
	})
}
