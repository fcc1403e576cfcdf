package gitstore_test

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// asofDay is the day of the generated incident history.
var asofDay = time.Date(2026, 10, 14, 0, 0, 0, 0, time.UTC)

// asofCommit is one commit of the generated history: its committer time
// (hour and minute of asofDay) and the files it writes ("" deletes).
type asofCommit struct {
	hour, min int
	files     map[string]string
}

// asofHistory is main, oldest first. The fourth commit's clock ran behind:
// it says 12:00 but changed a.md on top of the third, made at 15:00; the
// fifth says 12:30 and changed other.md, first written at 15:00.
var asofHistory = []asofCommit{
	{10, 0, map[string]string{"runbooks/a.md": "v1\n", "runbooks/b.md": "b1\n", "services/s.md": "s1\n"}},
	{11, 0, map[string]string{"runbooks/a.md": "v2\n"}},
	{15, 0, map[string]string{"runbooks/a.md": "v3\n", "other.md": "o1\n"}},
	{12, 0, map[string]string{"runbooks/a.md": "v4\n"}},
	{12, 30, map[string]string{"other.md": "o2\n"}},
	{16, 0, map[string]string{"runbooks/a.md": "v5\n", "runbooks/b.md": ""}},
	{17, 0, map[string]string{"runbooks/late.md": "late\n"}},
}

// MustAsofRepo writes asofHistory with git fast-import and returns the
// store, its directory and the commit ids, oldest first.
func MustAsofRepo(tb testing.TB) (*gitstore.Store, string, []string) {
	tb.Helper()
	var in strings.Builder
	for i, c := range asofHistory {
		at := asofDay.Add(time.Duration(c.hour)*time.Hour + time.Duration(c.min)*time.Minute).Unix()
		msg := fmt.Sprintf("change %d", i+1)
		// The author time is an hour later throughout: the committer time decides.
		fmt.Fprintf(&in, "commit refs/heads/main\nmark :%d\nauthor Ada <ada@example.com> %d +0000\ncommitter Bob <bob@example.com> %d +0200\ndata %d\n%s\n",
			i+1, at+3600, at, len(msg), msg)
		for _, p := range []string{"runbooks/a.md", "runbooks/b.md", "services/s.md", "other.md", "runbooks/late.md"} {
			content, ok := c.files[p]
			switch {
			case !ok:
			case content == "":
				fmt.Fprintf(&in, "D %s\n", p)
			default:
				fmt.Fprintf(&in, "M 100644 inline %s\ndata %d\n%s\n", p, len(content), content)
			}
		}
	}
	s, dir := MustFastImport(tb, in.String())
	ids := strings.Fields(Git(tb, dir, "log", "--reverse", "--format=%H", "main"))
	if len(ids) != len(asofHistory) {
		tb.Fatalf("git log lists %d commits, want %d", len(ids), len(asofHistory))
	}
	return s, dir, ids
}

func TestPageAt(t *testing.T) {
	s, dir, ids := MustAsofRepo(t)
	h := gitstore.NewHistory(s)
	MustApply(t, h, "", ids[len(ids)-1])
	at := func(hour, min, sec int) time.Time {
		return asofDay.Add(time.Duration(hour)*time.Hour + time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	// then and latest are indexes into ids (-1: none); gone says the
	// latest revision deleted the page.
	for _, tt := range []struct {
		name         string
		path         string
		moment       time.Time
		then, since  int
		latest       int
		thenAt       time.Time
		existed      bool
		latestGone   bool
		thenContents string
	}{
		// The incident started at 13:44. a.md's 12:00 revision was made on
		// top of its 15:00 one, so it was not in force yet.
		{"OutOfOrderNotYet", "runbooks/a.md", at(13, 44, 0), 1, 3, 5, at(11, 0, 0), true, false, "v2\n"},
		{"AtTheSecond", "runbooks/a.md", at(11, 0, 0), 1, 3, 5, at(11, 0, 0), true, false, "v2\n"},
		{"SecondBefore", "runbooks/a.md", at(10, 59, 59), 0, 4, 5, at(10, 0, 0), true, false, "v1\n"},
		{"OutOfOrderClockTime", "runbooks/a.md", at(12, 15, 0), 1, 3, 5, at(11, 0, 0), true, false, "v2\n"},
		// From 15:00 both count: the newest, v4, was in force.
		{"OutOfOrderInForce", "runbooks/a.md", at(15, 30, 0), 3, 1, 5, at(15, 0, 0), true, false, "v4\n"},
		// other.md's 12:30 commit changed a file first written at 15:00.
		{"OtherPathOutOfOrder", "other.md", at(13, 44, 0), -1, 2, 4, time.Time{}, false, false, ""},
		{"Unchanged", "services/s.md", at(13, 44, 0), 0, 0, 0, at(10, 0, 0), true, false, "s1\n"},
		{"DeletedSince", "runbooks/b.md", at(13, 44, 0), 0, 1, 5, at(10, 0, 0), true, true, "b1\n"},
		{"DeletedBefore", "runbooks/b.md", at(16, 30, 0), 5, 0, 5, at(16, 0, 0), false, true, ""},
		{"CreatedAfter", "runbooks/late.md", at(13, 44, 0), -1, 1, 6, time.Time{}, false, false, ""},
		{"BeforeEverything", "runbooks/a.md", at(9, 0, 0), -1, 5, 5, time.Time{}, false, false, ""},
		{"Never", "never.md", at(13, 44, 0), -1, 0, -1, time.Time{}, false, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.PageAt(ctx, wiki.Path(tt.path), tt.moment)
			if err != nil {
				t.Fatal(err)
			}
			id := func(i int) string {
				if i < 0 {
					return ""
				}
				return ids[i]
			}
			if got.Then.ID != id(tt.then) || got.Since != tt.since || got.Latest.ID != id(tt.latest) {
				t.Fatalf("then %.7s, %d since, latest %.7s; want %.7s, %d, %.7s", got.Then.ID, got.Since, got.Latest.ID, id(tt.then), tt.since, id(tt.latest))
			}
			if !got.ThenAt.Equal(tt.thenAt) || got.Existed() != tt.existed || (got.Latest.Kind == wiki.Deleted) != tt.latestGone {
				t.Errorf("then at %v (existed %v), latest %v; want %v, %v, gone %v", got.ThenAt, got.Existed(), got.Latest.Kind, tt.thenAt, tt.existed, tt.latestGone)
			}
			// What git says: the path's first-parent log, newest first,
			// has the latest revision on top and the one in force after
			// the revisions since; git log then..main counts them.
			log := strings.Fields(Git(t, dir, "log", "--first-parent", "--format=%H", "main", "--", tt.path))
			if len(log) > 0 && log[0] != got.Latest.ID {
				t.Errorf("latest %.7s, git log says %.7s", got.Latest.ID, log[0])
			}
			if got.Then.ID != "" {
				if log[got.Since] != got.Then.ID {
					t.Errorf("git log lists %.7s after %d newer revisions, not %.7s", log[got.Since], got.Since, got.Then.ID)
				}
				if n := len(strings.Fields(Git(t, dir, "log", "--first-parent", "--format=%H", got.Then.ID+"..main", "--", tt.path))); n != got.Since {
					t.Errorf("git log then..main lists %d commits, PageAt %d", n, got.Since)
				}
			} else if len(log) != got.Since {
				t.Errorf("%d revisions since, git log lists %d", got.Since, len(log))
			}
			if tt.existed {
				if c := Git(t, dir, "show", got.Then.ID+":"+tt.path); c+"\n" != tt.thenContents {
					t.Errorf("git show %.7s:%s = %q, want %q", got.Then.ID, tt.path, c, tt.thenContents)
				}
				if got.Then.Blob != Git(t, dir, "rev-parse", got.Then.ID+":"+tt.path) {
					t.Errorf("then blob %s is not git's", got.Then.Blob)
				}
			}
		})
	}

	t.Run("DiffEndpoints", func(t *testing.T) {
		got, err := h.PageAt(ctx, "runbooks/a.md", at(13, 44, 0))
		if err != nil {
			t.Fatal(err)
		}
		diff := Git(t, dir, "diff", got.Then.ID, got.Latest.ID, "--", "runbooks/a.md")
		if !strings.Contains(diff, "\n-v2\n+v5") {
			t.Errorf("git diff then..latest:\n%s", diff)
		}
	})

	// The latest revision counts from the page's own clock too: other.md
	// was last changed by the commit saying 12:30, which counts from 15:00.
	t.Run("LatestAt", func(t *testing.T) {
		for p, want := range map[wiki.Path]time.Time{"other.md": at(15, 0, 0), "runbooks/a.md": at(16, 0, 0), "runbooks/late.md": at(17, 0, 0)} {
			got, err := h.PageAt(ctx, p, at(13, 44, 0))
			if err != nil || !got.LatestAt.Equal(want) {
				t.Errorf("%s: latest at %v (%v), want %v", p, got.LatestAt, err, want)
			}
		}
	})

	// The index grown commit by commit, and the index read back from its
	// file, answer the same as the one built at once.
	t.Run("Incremental", func(t *testing.T) {
		step := gitstore.NewHistory(s)
		prev := ""
		for _, id := range ids {
			MustApply(t, step, prev, id)
			prev = id
		}
		file := filepath.Join(t.TempDir(), "history.idx")
		saved := gitstore.OpenHistory(s, file, slog.New(slog.DiscardHandler))
		MustApply(t, saved, "", ids[len(ids)-1])
		if err := saved.Save(); err != nil {
			t.Fatal(err)
		}
		back := gitstore.OpenHistory(s, file, slog.New(slog.DiscardHandler))
		if back.Commit() != ids[len(ids)-1] {
			t.Fatalf("index read back at %q", back.Commit())
		}
		for _, other := range []*gitstore.History{step, back} {
			for _, p := range []wiki.Path{"runbooks/a.md", "runbooks/b.md", "runbooks/late.md", "other.md"} {
				for hour := 9; hour <= 18; hour++ {
					want, _ := h.PageAt(ctx, p, at(hour, 30, 0))
					got, err := other.PageAt(ctx, p, at(hour, 30, 0))
					if err != nil || got.Then.ID != want.Then.ID || got.Since != want.Since || !got.ThenAt.Equal(want.ThenAt) || !got.LatestAt.Equal(want.LatestAt) {
						t.Fatalf("%s at %d:30: %+v, %v; built at once: %+v", p, hour, got, err, want)
					}
				}
			}
		}
	})

	t.Run("Unbuilt", func(t *testing.T) {
		if _, err := gitstore.NewHistory(s).PageAt(ctx, "runbooks/a.md", at(12, 0, 0)); wiki.ErrorCode(err) != wiki.EUNAVAILABLE {
			t.Fatalf("PageAt before the first Apply: %v, want %s", err, wiki.EUNAVAILABLE)
		}
	})
}

// BenchmarkPageAt looks up the page with the longest history of the
// 10,000-commit repository (a thousand revisions) as of a moment halfway
// through it: the worst case of a postmortem's As it was then.
func BenchmarkPageAt(b *testing.B) {
	s, _, head := MustHistoryBenchRepo(b)
	h := gitstore.NewHistory(s)
	MustApply(b, h, "", head)
	moment := time.Unix(1700000000+benchCommits/2, 0)
	for b.Loop() {
		at, err := h.PageAt(ctx, hotPath, moment)
		// Every tenth commit changes it: 5010, 5020 … 9990 come after.
		if err != nil || at.Since != 499 {
			b.Fatalf("%+v %v", at.Since, err)
		}
	}
}
