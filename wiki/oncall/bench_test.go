package oncall_test

import (
	"testing"

	"github.com/opswiki/opswiki/wiki/oncall/oncalltest"
)

func BenchmarkRotationAt(b *testing.B) {
	o := oncalltest.MustOncall(b, berlinWeekly+"overrides:\n  - {who: dave, from: \"2026-03-28 18:00\", to: \"2026-03-30 12:00\"}\n  - {who: erin, from: \"2026-03-29 08:00\", to: \"2026-03-29 20:00\"}\n")
	at := oncalltest.UTC(b, "2026-03-29T12:00:00Z")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.At(at); err != nil {
			b.Fatal(err)
		}
	}
}
