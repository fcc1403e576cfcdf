package schedule_test

import (
	"context"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki/oncall"
	"github.com/opswiki/opswiki/wiki/oncall/oncalltest"
	"github.com/opswiki/opswiki/wiki/oncall/schedule"
)

func BenchmarkParseCalendar(b *testing.B) {
	data := fixture(b, "google.ics")
	now := oncalltest.UTC(b, readNow)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := schedule.ParseCalendar(data, schedule.CalendarOptions{Now: now}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFetcherStatusWarm(b *testing.B) {
	srv := newServer(b, serveFile(b, "google.ics"))
	c := newClock(b)
	f := newFetcher(b, c, schedule.FetcherOptions{})
	o := &oncall.Oncall{Schedule: srv.URL + "/s.ics"}
	ctx := context.Background()
	at := oncalltest.UTC(b, readNow).Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Status(ctx, o, at); err != nil {
			b.Fatal(err)
		}
	}
}
