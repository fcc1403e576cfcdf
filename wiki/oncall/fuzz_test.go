package oncall_test

import (
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/opswiki/opswiki/wiki/oncall"
	"github.com/opswiki/opswiki/wiki/oncall/oncalltest"
)

func FuzzParseOncall(f *testing.F) {
	for _, seed := range []string{
		berlinWeekly,
		berlinWeekly + "overrides:\n  - {who: dave, from: \"2026-03-28 18:00\", to: \"2026-03-30 12:00\"}\n  - {who: erin, from: 2026-03-29 08:00:00, to: 2026-03-29T20:00:00+02:00}\n",
		"{members: [a, b], handoff: \"02:30\", timezone: Europe/Berlin, length: 1d12h}",
		"{members: [a], handoff: sun 18:00 Australia/Sydney, length: 3d, start: 2026-03-29}",
		"https://acme.pagerduty.com/private/x/feed/P1",
		"\"PagerDuty schedule: checkout-primary\"",
		"- {to: payments}\n- {after: 15m, to: [bob], how: call}\n",
	} {
		f.Add(seed)
	}
	times := []string{"2026-03-29T01:00:00Z", "2026-10-25T00:30:00Z", "2026-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2199-12-31T23:00:00Z"}
	f.Fuzz(func(t *testing.T, src string) {
		var node yaml.Node
		if yaml.Unmarshal([]byte(src), &node) != nil {
			return
		}
		var v any
		if node.Decode(&v) != nil {
			return
		}
		for _, value := range []any{v, oncall.DecodeNode(&node)} {
			oncall.ParseEscalation(value)
			o, ps := oncall.ParseOncall(value)
			for _, p := range ps {
				if p.Field == "" || p.Message == "" {
					t.Fatalf("problem without field or message: %+v", p)
				}
			}
			if o == nil || o.Rotation == nil {
				continue
			}
			for _, at := range times {
				tm, _ := time.Parse(time.RFC3339, at)
				oncalltest.CheckTimeline(t, o.Rotation, tm)
			}
		}
	})
}
