package wiki_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
)

func TestUpdateActionConcurrent(t *testing.T) {
	ctx := context.Background()
	ed, s, cat := MustEditor(t, map[string]string{"postmortems/inc.md": oddPostmortem})
	done, owner := "done", "carol"
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, errs[0] = ed.UpdateAction(ctx, "postmortems/inc.md", "AI-1", wiki.ActionUpdate{Status: &done}, author)
	}()
	go func() {
		defer wg.Done()
		_, errs[1] = ed.UpdateAction(ctx, "postmortems/inc.md", "AI-3", wiki.ActionUpdate{Owner: &owner}, author)
	}()
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("updates: %v", errs)
	}
	got, _ := mustRead(t, s, "postmortems/inc.md")
	want := strings.Replace(oddPostmortem, "    status: open     # still open", "    status: done     # still open", 1)
	want = strings.Replace(want, "owner: bo}", "owner: carol}", 1)
	if got != want {
		t.Fatalf("file after both updates:\n%s\nwant\n%s", got, want)
	}
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	open := wiki.FilterActions(cat.Graph().Actions, wiki.ActionFilter{Status: "open"}, now)
	var ids []string
	for _, a := range open {
		ids = append(ids, a.Item.ID)
	}
	if strings.Join(ids, ",") != "4,AI-2,AI-3" {
		t.Errorf("open items %v, want 4, AI-2 (open by default) and AI-3 (in progress)", ids)
	}
	bad := "later"
	if _, err := ed.UpdateAction(ctx, "postmortems/inc.md", "AI-1", wiki.ActionUpdate{Status: &bad}, author); wiki.ErrorCode(err) != wiki.EINVALID {
		t.Errorf("bad status: %v", err)
	}
}
