package wiki_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
	"github.com/opswiki/opswiki/wiki/textdiff"
)

// learningWiki is a wiki with a history of chosen commit times, its
// catalog and history index following main.
type learningWiki struct {
	store   *gitstore.Store
	catalog *wiki.Catalog
	history *gitstore.History
	follow  *wiki.Follower
}

// at is a moment of 14 October 2026, the day of the incidents here, UTC.
func at(hour, min int) time.Time { return time.Date(2026, 10, 14, hour, min, 0, 0, time.UTC) }

// MustLearningWiki commits each set of files at its time (oldest first)
// and follows main with a catalog and a history index.
func MustLearningWiki(tb testing.TB, commits ...timedFiles) *learningWiki {
	tb.Helper()
	s := MustStore(tb, map[string]string{"README.md": "# Home\n"})
	for _, c := range commits {
		var changes []wiki.FileChange
		for _, p := range sortedKeys(c.files) {
			changes = append(changes, wiki.FileChange{Path: wiki.Path(p), Content: []byte(c.files[p]), Delete: c.files[p] == ""})
		}
		sig := wiki.Signature{Name: "Ops", Email: "ops@example.com", When: c.when}
		if _, err := s.Commit(context.Background(), wiki.CommitRequest{Author: sig, Message: "change", Changes: changes}); err != nil {
			tb.Fatal(err)
		}
	}
	w := &learningWiki{store: s, catalog: wiki.NewCatalog(), history: gitstore.NewHistory(s)}
	w.follow = MustFollow(tb, s, w.catalog, w.history)
	mustSync(tb, w.follow)
	return w
}

// timedFiles is one commit: files ("" deletes) at a time.
type timedFiles struct {
	when  time.Time
	files map[string]string
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// learningHistory: three runbooks and a service written on 1 September;
// cpu changed two hours after the incident of 14 October was resolved,
// disk an hour before it started.
var learningHistory = []timedFiles{
	{time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC), map[string]string{
		"runbooks/disk.md": "---\nalerts: [DiskFull]\nowner: sre\n---\n# Disk full\n",
		"runbooks/cpu.md":  "---\nalerts: [HighCPU]\nowner: sre\n---\n# High CPU\n",
		"runbooks/net.md":  "---\nalerts: [NetDown]\nowner: sre\n---\n# Network down\n",
		"services/api.md":  "---\nowner: sre\n---\n# API\n",
	}},
	{at(12, 44), map[string]string{"runbooks/disk.md": "---\nalerts: [DiskFull]\nowner: sre\n---\n# Disk full\n\nCheck the volume.\n"}},
	{at(18, 5), map[string]string{"runbooks/cpu.md": "---\nalerts: [HighCPU]\nowner: sre\n---\n# High CPU\n\nProfile first.\n"}},
}

// postmortem writes a postmortem's file from front matter lines and body.
func postmortem(fm, body string) []byte {
	return []byte("---\nkind: postmortem\n" + fm + "---\n# Incident\n\n" + body)
}

func TestReadiness(t *testing.T) {
	w := MustLearningWiki(t, learningHistory...)
	ctx := context.Background()
	blockAll := wiki.ParseSettings([]byte("readiness:\n  block_close: [runbooks_not_updated, untracked_items, open_items]\n"), "s")
	const times = "started: 2026-10-14T13:44:00Z\ndetected: 2026-10-14T13:52:00Z\nresolved: 2026-10-14T16:05:00Z\n"
	type want struct {
		check string
		line  int
		sev   wiki.Severity
		text  string
	}
	for _, tt := range []struct {
		name      string
		fm, body  string
		settings  *wiki.Settings
		want      []want
		runbooks  int
		unchecked string
	}{
		// disk and net changed before the incident; cpu, two hours after
		// it was resolved, is not listed. Named by path, by alert, and
		// linked from the body.
		{"RunbooksNotUpdated", "runbooks: [runbooks/disk, HighCPU]\n" + times, "We used [[runbooks/net]].\n", nil,
			[]want{{"runbooks_not_updated", 3, wiki.SeverityWarning, "runbook runbooks/disk has not changed since the incident was resolved (2026-10-14 16:05 UTC); last changed 2026-10-14"},
				{"runbooks_not_updated", 10, wiki.SeverityWarning, "runbook runbooks/net has not changed since the incident was resolved (2026-10-14 16:05 UTC); last changed 2026-09-01"}},
			3, ""},
		// Not resolved: the runbooks must have changed since it started;
		// disk changed an hour before, cpu after.
		{"OpenIncident", "runbooks: [DiskFull, HighCPU]\nstarted: 2026-10-14T13:44:00Z\n", "", nil,
			[]want{{"runbooks_not_updated", 3, wiki.SeverityWarning, "since the incident started, and it is not resolved (2026-10-14 13:44 UTC); last changed 2026-10-14"}},
			2, ""},
		// No started either: detected, 11:00, is after disk's change.
		{"DetectedOnly", "runbooks: [DiskFull]\ndetected: 2026-10-14T11:00:00Z\n", "", nil, nil, 1, ""},
		{"NoTimes", "runbooks: [DiskFull, HighCPU]\n", "", nil, nil, 0, "no resolved or started time"},
		// An entry that is neither a page nor an alert has nothing to
		// check, and is itself a warning, never an error.
		{"UnknownRunbook", "status: closed\nrunbooks: [NoSuchAlert, DiskFull]\n" + times, "", blockAll,
			[]want{{"unknown_runbook", 4, wiki.SeverityWarning, `runbooks: "NoSuchAlert" names no page and no alert a runbook answers`},
				{"runbooks_not_updated", 4, wiki.SeverityError, "runbook runbooks/disk"}}, 1, ""},
		// A service's page is not a runbook to update.
		{"ServiceNotChecked", "services: [api]\n" + times, "See [[services/api]].\n", nil, nil, 0, ""},
		{"UntrackedItems", times + "action_items:\n" +
			"  - {id: A1, title: t, type: prevent}\n" + // untracked
			"  - {id: A2, title: t, type: detect, owner: sre}\n" +
			"  - {id: A3, title: t, type: prevent, ticket: OPS-1}\n" +
			"  - {id: A4, title: t, type: mitigate}\n" +
			"  - {id: A5, title: t, type: detect, status: done}\n" +
			"  - {id: A6, title: t, type: detect, status: in-progress}\n", // untracked
			"", nil,
			[]want{{"untracked_items", 7, wiki.SeverityWarning, `action item "A1" (prevent) has neither an owner nor a ticket`},
				{"untracked_items", 12, wiki.SeverityWarning, `action item "A6" (detect)`}}, 0, ""},
		{"ClosedWithOpenItems", "status: closed\n" + times + "action_items:\n" +
			"  - {id: A1, title: t, owner: sre, status: open}\n" +
			"  - {id: A2, title: t, owner: sre, status: in-progress}\n" +
			"  - {id: A3, title: t, owner: sre, status: done}\n" +
			"  - {id: A4, title: t, owner: sre, status: wontfix}\n", "", nil,
			[]want{{"open_items", 8, wiki.SeverityWarning, `the postmortem is closed, but action item "A1" is still open`},
				{"open_items", 9, wiki.SeverityWarning, `action item "A2" is still in-progress`}}, 0, ""},
		{"PublishedWithOpenItems", "status: published\n" + times + "action_items:\n  - {id: A1, title: t, owner: sre}\n", "", nil, nil, 0, ""},
		// The settings make findings errors on a closed postmortem only.
		{"BlockedWhenClosed", "status: closed\nrunbooks: [DiskFull]\n" + times + "action_items:\n  - {id: A1, title: t, type: prevent}\n", "", blockAll,
			[]want{{"runbooks_not_updated", 4, wiki.SeverityError, "readiness.block_close lists runbooks_not_updated"},
				{"untracked_items", 9, wiki.SeverityError, "untracked_items"},
				{"open_items", 9, wiki.SeverityError, "open_items"}}, 1, ""},
		{"NotBlockedWhenPublished", "status: published\nrunbooks: [DiskFull]\n" + times, "", blockAll,
			[]want{{"runbooks_not_updated", 4, wiki.SeverityWarning, "runbooks/disk"}}, 1, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := wiki.ParseDocument("postmortems/inc.md", postmortem(tt.fm, tt.body))
			if errs := d.Errors(); len(errs) > 0 {
				t.Fatalf("the postmortem has errors: %+v", errs)
			}
			r := wiki.CheckReadiness(ctx, w.catalog, w.history, d, tt.settings, nil)
			if len(r.Findings) != len(tt.want) {
				t.Fatalf("findings %+v, want %d", r.Findings, len(tt.want))
			}
			for i, f := range r.Findings {
				p, w := f.Problem, tt.want[i]
				if f.Check != w.check || p.Line != w.line || p.Severity != w.sev || !strings.Contains(p.Message, w.text) || p.Path != "postmortems/inc.md" {
					t.Errorf("finding %d: %s %+v, want %+v", i, f.Check, p, w)
				}
			}
			if r.Runbooks != tt.runbooks || !strings.Contains(r.RunbooksUnchecked, tt.unchecked) || (tt.unchecked == "") != (r.RunbooksUnchecked == "") {
				t.Errorf("%d runbooks checked (unchecked: %q), want %d (%q)", r.Runbooks, r.RunbooksUnchecked, tt.runbooks, tt.unchecked)
			}
		})
	}

	t.Run("WithoutHistory", func(t *testing.T) {
		d := wiki.ParseDocument("postmortems/inc.md", postmortem("status: closed\nrunbooks: [DiskFull]\n"+times+"action_items:\n  - {id: A1, title: t}\n", ""))
		r := wiki.CheckReadiness(ctx, nil, nil, d, blockAll, nil)
		if len(r.Findings) != 1 || r.Findings[0].Check != wiki.CheckOpenItems || r.RunbooksUnchecked == "" {
			t.Fatalf("readiness from the text alone: %+v", r)
		}
	})
	t.Run("NotAPostmortem", func(t *testing.T) {
		d := wiki.ParseDocument("runbooks/x.md", []byte("---\nstatus: closed\naction_items:\n  - {id: A1, title: t}\n---\n"))
		if r := wiki.CheckReadiness(ctx, w.catalog, w.history, d, blockAll, nil); len(r.Findings) != 0 {
			t.Fatalf("findings on a runbook: %+v", r.Findings)
		}
	})
}

// A closed postmortem is refused while the settings block on what it left
// undone, and saved once that is done: the runbook updated, the item done.
func TestCheckCloseBlocksSave(t *testing.T) {
	ctx := context.Background()
	w := MustLearningWiki(t, append(learningHistory, timedFiles{at(20, 0), map[string]string{
		".opswiki.yaml": "readiness:\n  block_close: [runbooks_not_updated, open_items]\n"}})...)
	gate := wiki.Gate{MaxPageBytes: 1 << 20, MaxFileBytes: 1 << 20, Catalog: w.catalog, Timeline: w.history}
	ed := wiki.NewEditor(w.store, textdiff.Merger{Markers: textdiff.Markers{Yours: wiki.MarkerYours, Sep: wiki.MarkerSep, Theirs: wiki.MarkerTheirs}}, w.follow, w.catalog, gate)
	const fm = "runbooks: [DiskFull]\nstarted: 2026-10-14T13:44:00Z\nresolved: 2026-10-14T16:05:00Z\naction_items:\n  - {id: A1, title: Alert on inodes, owner: sre, type: detect, status: %s}\n"
	save := func(status, item string) error {
		content := postmortem("status: "+status+"\n"+fmt.Sprintf(fm, item), "")
		blob := ""
		if pi, ok := w.catalog.Page("postmortems/inc.md"); ok {
			blob = pi.Blob
		}
		_, err := ed.Save(ctx, wiki.SaveRequest{Path: "postmortems/inc.md", Content: content, Base: blob, Author: author})
		return err
	}
	if err := save("published", "open"); err != nil {
		t.Fatalf("save while published: %v", err)
	}
	err := save("closed", "open")
	var verr *wiki.ValidationError
	if !errors.As(err, &verr) || wiki.ErrorCode(err) != wiki.EDOCUMENT || len(verr.Problems) != 2 {
		t.Fatalf("closing with the runbook unchanged and an open item: %v", err)
	}
	for i, want := range []string{"runbook runbooks/disk has not changed since the incident was resolved", `action item "A1" is still open`} {
		if p := verr.Problems[i]; p.Severity != wiki.SeverityError || !strings.Contains(p.Message, want) {
			t.Errorf("problem %d: %+v, want %q", i, p, want)
		}
	}
	if err := save("closed", "done"); !errors.As(err, &verr) || len(verr.Problems) != 1 {
		t.Fatalf("closing with the runbook unchanged: %v", err)
	}
	MustCommitFiles(t, w.store, map[string]string{"runbooks/disk.md": "---\nalerts: [DiskFull]\nowner: sre\n---\n# Disk full\n\nCheck inodes too.\n"})
	mustSync(t, w.follow)
	if err := save("closed", "done"); err != nil {
		t.Fatalf("closing once the runbook changed and the item is done: %v", err)
	}

	// Reopening the item of the closed postmortem is refused too; an
	// edit that leaves it as it was is not.
	pi, _ := w.catalog.Page("postmortems/inc.md")
	_, err = ed.UpdateAction(ctx, "postmortems/inc.md", "A1", wiki.ActionUpdate{Status: ptr("open")}, author)
	if !errors.As(err, &verr) || !strings.Contains(verr.Problems[0].Message, "still open") {
		t.Fatalf("reopening an item of a closed postmortem: %v", err)
	}
	if now, _ := w.catalog.Page("postmortems/inc.md"); now.Blob != pi.Blob {
		t.Error("the refused change was written")
	}
	if _, err := ed.UpdateAction(ctx, "postmortems/inc.md", "A1", wiki.ActionUpdate{Owner: ptr("dba")}, author); err != nil {
		t.Fatalf("changing the owner of a done item: %v", err)
	}

	t.Run("UpdatedInTheSameChange", func(t *testing.T) {
		d := wiki.ParseDocumentWith("postmortems/other.md", postmortem("status: closed\nrunbooks: [NetDown]\nresolved: 2026-10-14T16:05:00Z\n", ""), w.catalog.Settings())
		if err := gate.CheckClose(ctx, d, w.catalog.Settings(), nil); !errors.As(err, &verr) {
			t.Fatalf("net unchanged: %v", err)
		}
		if err := gate.CheckClose(ctx, d, w.catalog.Settings(), []wiki.Path{"runbooks/net.md"}); err != nil {
			t.Fatalf("net changed by the same push: %v", err)
		}
	})
	t.Run("HistoryNotBuilt", func(t *testing.T) {
		g := gate
		g.Timeline = gitstore.NewHistory(w.store)
		d := wiki.ParseDocumentWith("postmortems/other.md", postmortem("status: closed\nrunbooks: [NetDown]\nresolved: 2026-10-14T16:05:00Z\n", ""), w.catalog.Settings())
		if err := g.CheckClose(ctx, d, w.catalog.Settings(), nil); wiki.ErrorCode(err) != wiki.EUNAVAILABLE {
			t.Fatalf("closing while the history is built: %v, want %s", err, wiki.EUNAVAILABLE)
		}
	})
}

func TestReadinessSettings(t *testing.T) {
	for _, tt := range []struct {
		name, content string
		block         []string
		line          int
		sev           wiki.Severity
		want          string
	}{
		{"List", "readiness:\n  block_close: [runbooks_not_updated, open_items]\n", []string{"runbooks_not_updated", "open_items"}, 0, "", ""},
		{"OneText", "readiness:\n  block_close: untracked_items\n", []string{"untracked_items"}, 0, "", ""},
		{"Empty", "readiness:\n", nil, 0, "", ""},
		{"UnknownCheck", "kinds:\n  data: postmortem\nreadiness:\n  block_close:\n    - open_items\n    - items_without_owner\n", []string{"open_items"}, 6, wiki.SeverityError,
			`"items_without_owner" is not a readiness check: use runbooks_not_updated, untracked_items, open_items`},
		{"NotMapping", "readiness: [open_items]\n", nil, 1, wiki.SeverityError, "readiness must be a mapping"},
		{"UnknownKey", "readiness:\n  block_publish: [open_items]\n", nil, 2, wiki.SeverityWarning, `unknown key "block_publish"`},
		{"Twice", "readiness:\n  block_close: [open_items, open_items]\n", []string{"open_items"}, 2, wiki.SeverityWarning, "listed twice"},
		{"NotText", "readiness:\n  block_close:\n    - {check: open_items}\n", nil, 3, wiki.SeverityError, "must be one text"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := wiki.ParseSettings([]byte(tt.content), "b")
			var got []string
			for _, r := range s.BlockClose {
				got = append(got, r.Check)
			}
			if !slices.Equal(got, tt.block) {
				t.Errorf("block_close = %q, want %q", got, tt.block)
			}
			if tt.want == "" {
				if len(s.Problems) > 0 {
					t.Fatalf("problems %+v", s.Problems)
				}
				return
			}
			if len(s.Problems) != 1 {
				t.Fatalf("problems %+v, want one", s.Problems)
			}
			if p := s.Problems[0]; p.Line != tt.line || p.Severity != tt.sev || !strings.Contains(p.Message, tt.want) {
				t.Errorf("problem %+v, want %s at line %d: %q", p, tt.sev, tt.line, tt.want)
			}
			if err := wiki.CheckSettings([]byte(tt.content)); (err != nil) != (tt.sev == wiki.SeverityError) {
				t.Errorf("CheckSettings = %v for a %s", err, tt.sev)
			}
		})
	}
}

func ptr(s string) *string { return &s }
