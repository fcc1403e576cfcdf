package wiki_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/textdiff"
)

// ownedWiki is a wiki whose CODEOWNERS gives the database runbooks and
// postmortems to @acme/dba, the services to @acme/sre and everything else
// to @everyone-team.
var ownedWiki = map[string]string{
	".github/CODEOWNERS":                  "# who may change what\n* @everyone-team\n\n/runbooks/db/ @acme/dba\n/postmortems/db/ @acme/dba\n/services/ @acme/sre\n",
	"runbooks/db/failover.md":             "---\nkind: runbook\nowner: dba\nlast_reviewed: 2026-01-01\n---\n# Failover\n\nPromote the replica.\n",
	"runbooks/web.md":                     "---\nowner: web\n---\n# Web\n\nSee [failover](db/failover.md).\n",
	"services/db.md":                      "---\nkind: service\nowner: sre\n---\n# DB\n\nRunbook: [failover](../runbooks/db/failover.md).\n",
	"postmortems/db/2026-01-01-outage.md": "---\nkind: postmortem\nstatus: draft\naction_items:\n  - {id: A1, title: Add replica, owner: dba, status: open}\n---\n# Outage\n",
}

func as(u *wiki.User) context.Context { return wiki.WithUser(context.Background(), u) }

var (
	eve = &wiki.User{Name: "eve", Email: "eve@example.com", Role: wiki.RoleEditor, Via: "password", Groups: []string{"everyone-team"}}
	dan = &wiki.User{Name: "dan", Role: wiki.RoleEditor, Via: "token", Groups: []string{"everyone-team", "dba"}}
	ana = &wiki.User{Name: "ana", Role: wiki.RoleAdmin, Via: "password"}
	ops = &wiki.User{Name: "Ops", Role: wiki.RoleAdmin, Via: "none"}
)

// TestEditorCodeOwners drives every kind of write the editor makes as a
// user outside the owners (refused, naming the path, its owners and the
// line, with nothing committed) and as owners, admins and the wiki itself
// (written).
func TestEditorCodeOwners(t *testing.T) {
	ed, s, _ := MustEditor(t, ownedWiki)
	_, failoverBlob := mustRead(t, s, "runbooks/db/failover.md")
	_, webBlob := mustRead(t, s, "runbooks/web.md")
	open := "done"
	failover := "runbooks/db/failover.md is owned by @acme/dba (.github/CODEOWNERS:4); you are not one of them."
	for _, tc := range []struct {
		name  string
		write func(ctx context.Context) error
		want  string // the refusal eve meets
	}{
		{"Save", func(ctx context.Context) error {
			_, err := ed.Save(ctx, wiki.SaveRequest{Path: "runbooks/db/failover.md", Base: failoverBlob, Author: author,
				Content: []byte(strings.Replace(ownedWiki["runbooks/db/failover.md"], "Promote", "Fail over to", 1))})
			return err
		}, failover},
		{"Create", func(ctx context.Context) error {
			_, err := ed.Save(ctx, wiki.SaveRequest{Path: "runbooks/db/new.md", Content: []byte("# New\n"), Author: author})
			return err
		}, "runbooks/db/new.md is owned by @acme/dba (.github/CODEOWNERS:4); you are not one of them."},
		{"Attach", func(ctx context.Context) error {
			_, err := ed.Attach(ctx, "runbooks/db/failover.md", "diagram.png", []byte("png"), author)
			return err
		}, "runbooks/db/diagram.png is owned by @acme/dba (.github/CODEOWNERS:4); you are not one of them."},
		{"UpdateAction", func(ctx context.Context) error {
			_, err := ed.UpdateAction(ctx, "postmortems/db/2026-01-01-outage.md", "A1", wiki.ActionUpdate{Status: &open}, author)
			return err
		}, "postmortems/db/2026-01-01-outage.md is owned by @acme/dba (.github/CODEOWNERS:5); you are not one of them."},
		{"MarkReviewed", func(ctx context.Context) error {
			_, err := ed.MarkReviewed(ctx, "runbooks/db/failover.md", time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), author)
			return err
		}, failover},
		{"MoveInto", func(ctx context.Context) error {
			_, err := ed.Move(ctx, "runbooks/web.md", "runbooks/db/web.md", webBlob, author, "")
			return err
		}, "runbooks/db/web.md is owned by @acme/dba (.github/CODEOWNERS:4); you are not one of them."},
		{"MoveOut", func(ctx context.Context) error {
			_, err := ed.Move(ctx, "runbooks/db/failover.md", "runbooks/failover.md", failoverBlob, author, "")
			return err
		}, failover},
		{"Delete", func(ctx context.Context) error {
			_, err := ed.Delete(ctx, "runbooks/db/failover.md", failoverBlob, author, "")
			return err
		}, failover},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head, _ := s.Head(context.Background())
			err := tc.write(as(eve))
			if wiki.ErrorCode(err) != wiki.EFORBIDDEN || wiki.ErrorMessage(err) != tc.want {
				t.Fatalf("eve: %v, want EFORBIDDEN %q", err, tc.want)
			}
			if now, _ := s.Head(context.Background()); now != head {
				t.Fatal("a refused write moved main")
			}
			if err := ed.MayChange(as(eve), "runbooks/db/failover.md"); wiki.ErrorMessage(err) != failover {
				t.Fatalf("MayChange: %v", err)
			}
		})
	}
	t.Run("OthersMay", func(t *testing.T) {
		for _, u := range []*wiki.User{dan, ana, ops, nil} {
			ctx := context.Background()
			if u != nil {
				ctx = as(u)
			}
			_, blob := mustRead(t, s, "runbooks/db/failover.md")
			who := "the wiki"
			if u != nil {
				who = u.Name
			}
			content := ownedWiki["runbooks/db/failover.md"] + "\nChecked by " + who + ".\n"
			if _, err := ed.Save(ctx, wiki.SaveRequest{Path: "runbooks/db/failover.md", Base: blob, Content: []byte(content), Author: author}); err != nil {
				t.Fatalf("%s: %v", who, err)
			}
			if err := ed.MayChange(ctx, "runbooks/db/failover.md"); err != nil {
				t.Fatalf("MayChange for %s: %v", who, err)
			}
		}
		if _, err := ed.UpdateAction(as(dan), "postmortems/db/2026-01-01-outage.md", "A1", wiki.ActionUpdate{Status: &open}, author); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("UnownedByTheUserElsewhere", func(t *testing.T) {
		zed := &wiki.User{Name: "zed", Role: wiki.RoleEditor, Via: "proxy"}
		_, blob := mustRead(t, s, "runbooks/web.md")
		req := wiki.SaveRequest{Path: "runbooks/web.md", Base: blob, Content: []byte(ownedWiki["runbooks/web.md"] + "\nMore.\n"), Author: author}
		if _, err := ed.Save(as(zed), req); wiki.ErrorCode(err) != wiki.EFORBIDDEN ||
			wiki.ErrorMessage(err) != "runbooks/web.md is owned by @everyone-team (.github/CODEOWNERS:2); you are not one of them." {
			t.Fatalf("zed: %v", err)
		}
		if _, err := ed.Save(as(eve), req); err != nil {
			t.Fatalf("eve, in @everyone-team: %v", err)
		}
	})
}

// TestEditorCodeOwnersMoveKeepsOthersPages moves a page whose links are in
// a page the mover may not change: the move goes through and that page is
// left as it is (its link leads on through the alias); pages the mover
// may change get their links rewritten.
func TestEditorCodeOwnersMoveKeepsOthersPages(t *testing.T) {
	ed, s, cat := MustEditor(t, ownedWiki)
	_, blob := mustRead(t, s, "runbooks/db/failover.md")
	_, svcBlob := mustRead(t, s, "services/db.md")
	res, err := ed.Move(as(dan), "runbooks/db/failover.md", "runbooks/db/promote.md", blob, author, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Updated) != 1 || res.Updated[0] != "runbooks/web.md" {
		t.Fatalf("updated %v, want only runbooks/web.md", res.Updated)
	}
	if web, _ := mustRead(t, s, "runbooks/web.md"); !strings.Contains(web, "db/promote.md") {
		t.Errorf("runbooks/web.md keeps the old link:\n%s", web)
	}
	if _, now := mustRead(t, s, "services/db.md"); now != svcBlob {
		t.Error("services/db.md, owned by @acme/sre, was changed by dan")
	}
	if tg := cat.Lookup("runbooks/db/failover"); tg.Path != "runbooks/db/promote.md" || !tg.Alias {
		t.Errorf("the old name leads to %+v", tg)
	}
}

// racingStore changes the repository once, just before the first commit
// it is asked for: as if someone pushed between the check and the write.
type racingStore struct {
	wiki.Store
	once   sync.Once
	before func()
}

func (r *racingStore) Commit(ctx context.Context, req wiki.CommitRequest) (wiki.Commit, error) {
	r.once.Do(r.before)
	return r.Store.Commit(ctx, req)
}

// TestEditorCodeOwnersChangedMeanwhile: a CODEOWNERS pushed between the
// check and the commit makes the save start over and meet the new file.
func TestEditorCodeOwnersChangedMeanwhile(t *testing.T) {
	s := MustStore(t, ownedWiki)
	cat := wiki.NewCatalog()
	f := MustFollow(t, s, cat)
	mustSync(t, f)
	racing := &racingStore{Store: s, before: func() {
		MustCommitFiles(t, s, map[string]string{".github/CODEOWNERS": ownedWiki[".github/CODEOWNERS"] + "/runbooks/web.md @acme/web\n"})
	}}
	merger := textdiff.Merger{Markers: textdiff.Markers{Yours: wiki.MarkerYours, Sep: wiki.MarkerSep, Theirs: wiki.MarkerTheirs}}
	ed := wiki.NewEditor(racing, merger, f, cat, wiki.Gate{})
	_, blob := mustRead(t, s, "runbooks/web.md")
	_, err := ed.Save(as(eve), wiki.SaveRequest{Path: "runbooks/web.md", Base: blob, Content: []byte("# Web\n\nRewritten.\n"), Author: author})
	want := "runbooks/web.md is owned by @acme/web (.github/CODEOWNERS:7); you are not one of them."
	if wiki.ErrorCode(err) != wiki.EFORBIDDEN || wiki.ErrorMessage(err) != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if got, _ := mustRead(t, s, "runbooks/web.md"); got != ownedWiki["runbooks/web.md"] {
		t.Fatalf("the page was written:\n%s", got)
	}
}

// TestReportCodeOwners: the content report lists the mistakes of the
// CODEOWNERS file in force, and says of another that it is not read.
func TestReportCodeOwners(t *testing.T) {
	s := MustStore(t, map[string]string{
		".github/CODEOWNERS": "* @a\n!docs/ @b\n",
		"docs/CODEOWNERS":    "* @c\n",
		"a.md":               "# A\n",
	})
	cat := wiki.NewCatalog()
	mustSync(t, MustFollow(t, s, cat))
	co := cat.CodeOwners()
	if co == nil || co.Path != ".github/CODEOWNERS" || len(co.Rules) != 1 {
		t.Fatalf("in force: %+v", co)
	}
	var got []string
	for _, p := range wiki.Report(cat, time.Now()) {
		if p.Path.IsCodeOwners() {
			got = append(got, string(p.Path)+":"+string(p.Severity)+":"+p.Message)
		}
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], ".github/CODEOWNERS:error:\"!docs/\": negation") ||
		got[1] != "docs/CODEOWNERS:warning:this CODEOWNERS file is not in force: .github/CODEOWNERS is, and only one is read; merge the two" {
		t.Fatalf("report:\n%s", strings.Join(got, "\n"))
	}
}
