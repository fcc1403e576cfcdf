package wiki_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

// asofPostmortem names its runbooks every way people write them, twice
// over, and links runbooks, a service and a plain page from its body.
const asofPostmortem = `---
kind: postmortem
runbooks: [runbooks/disk.md, HighCPU, "[[Network down]]", NoSuchAlert, DiskFull]
services: [api, no-such-service]
%s---
# Incident

See [[runbooks/cpu]], [the late one](../runbooks/late.md),
[[services/api]] and [home](/README).
`

func TestIncidentPages(t *testing.T) {
	w := MustLearningWiki(t, append(learningHistory, timedFiles{time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC),
		map[string]string{"runbooks/late.md": "---\nowner: sre\n---\n# Written after the incident\n"}})...)
	d := wiki.ParseDocument("postmortems/inc.md", []byte(fmt.Sprintf(asofPostmortem, "started: 2026-10-14T13:44:00Z\n")))
	pages, unknown := w.catalog.IncidentPages(d)
	type page struct {
		path           wiki.Path
		named, service string
		line           int
		kind           string
	}
	want := []page{
		{"runbooks/disk.md", "runbooks/disk.md", "", 3, wiki.KindRunbook},
		{"runbooks/cpu.md", "HighCPU", "", 3, wiki.KindRunbook},
		{"runbooks/net.md", "[[Network down]]", "", 3, wiki.KindRunbook},
		{"runbooks/late.md", "", "", 9, wiki.KindRunbook},
		{"services/api.md", "", "", 10, wiki.KindService},
	}
	var got []page
	for _, p := range pages {
		got = append(got, page{p.Path, p.Named, p.Service, p.Line, p.Kind})
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages:\n got %+v\nwant %+v", got, want)
	}
	if !slices.Equal(unknown, []string{"NoSuchAlert"}) {
		t.Errorf("unknown = %q", unknown)
	}

	t.Run("ServicesKey", func(t *testing.T) {
		d := wiki.ParseDocument("postmortems/inc.md", []byte("---\nkind: postmortem\nservices: [API]\n---\n# x\n"))
		pages, _ := w.catalog.IncidentPages(d)
		if len(pages) != 1 || pages[0].Path != "services/api.md" || pages[0].Service != "API" || pages[0].Line != 3 {
			t.Errorf("pages of the services: %+v", pages)
		}
	})
}

func TestAsItWasThen(t *testing.T) {
	ctx := context.Background()
	w := MustLearningWiki(t, append(learningHistory, timedFiles{time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC),
		map[string]string{"runbooks/late.md": "---\nowner: sre\n---\n# Written after the incident\n"}})...)
	revs := func(p wiki.Path) []wiki.Revision {
		r, err := w.history.PageHistory(ctx, p, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Hand-computed from learningHistory: at 13:44 on 14 October disk
	// had its 12:44 revision, the newest; cpu its first, changed once at
	// 18:05; late did not exist.
	for _, tt := range []struct {
		name, times string
		moment      time.Time
		basis       string
		since       map[wiki.Path]int // -1: did not exist then
	}{
		{"Started", "started: 2026-10-14T13:44:00Z\nresolved: 2026-10-14T16:05:00Z\n", at(13, 44), "started",
			map[wiki.Path]int{"runbooks/disk.md": 0, "runbooks/cpu.md": 1, "runbooks/net.md": 0, "runbooks/late.md": -1, "services/api.md": 0}},
		// Detected at 12:00: disk's 12:44 revision came after.
		{"DetectedOnly", "detected: 2026-10-14T12:00:00Z\n", at(12, 0), "detected",
			map[wiki.Path]int{"runbooks/disk.md": 1, "runbooks/cpu.md": 1, "runbooks/net.md": 0, "runbooks/late.md": -1, "services/api.md": 0}},
		{"ResolvedOnly", "resolved: 2026-10-14T16:05:00Z\n", at(16, 5), "resolved",
			map[wiki.Path]int{"runbooks/disk.md": 0, "runbooks/cpu.md": 1, "runbooks/net.md": 0, "runbooks/late.md": -1, "services/api.md": 0}},
		{"NoTimes", "", time.Time{}, "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := wiki.ParseDocument("postmortems/inc.md", []byte(fmt.Sprintf(asofPostmortem, tt.times)))
			a, err := wiki.AsItWasThen(ctx, w.catalog, w.history, d)
			if err != nil {
				t.Fatal(err)
			}
			if !a.Moment.Equal(tt.moment) || a.Basis != tt.basis || len(a.Pages) != 5 || !slices.Equal(a.Unknown, []string{"NoSuchAlert"}) {
				t.Fatalf("as of %v (%s), %d pages, unknown %q", a.Moment, a.Basis, len(a.Pages), a.Unknown)
			}
			for _, pt := range a.Pages {
				all := revs(pt.Path)
				if tt.since == nil {
					if pt.At.Then.ID != "" || pt.At.Latest.ID != "" {
						t.Errorf("%s looked up without a moment: %+v", pt.Path, pt.At)
					}
					continue
				}
				want := tt.since[pt.Path]
				switch {
				case want < 0:
					if pt.At.Existed() || pt.At.Since != len(all) {
						t.Errorf("%s existed then: %+v", pt.Path, pt.At)
					}
				case !pt.At.Existed() || pt.At.Since != want || pt.At.Then.ID != all[want].ID || pt.At.Latest.ID != all[0].ID:
					t.Errorf("%s: then %.7s, %d since; want %.7s, %d", pt.Path, pt.At.Then.ID, pt.At.Since, all[want].ID, want)
				}
			}
		})
	}
}
