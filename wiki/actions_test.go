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
	open := wiki.FilterActions(cat.Graph().Actions(), wiki.ActionFilter{Status: "open"}, now)
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

// TestUpdateActionSameItem changes one item from many requests at once: an
// update has no base to conflict with, so every one lands, one after the
// other, and the file keeps its shape.
func TestUpdateActionSameItem(t *testing.T) {
	ctx := context.Background()
	ed, s, _ := MustEditor(t, map[string]string{"postmortems/inc.md": oddPostmortem})
	statuses := []string{"in-progress", "done", "open", "wontfix", "done", "in-progress", "open", "done"}
	owners := []string{"ana", "bo", "cy", "dee", "eve", "fay", "gus", "hal"}
	var wg sync.WaitGroup
	errs := make([]error, len(statuses)+len(owners))
	for i := range statuses {
		wg.Go(func() {
			_, errs[i] = ed.UpdateAction(ctx, "postmortems/inc.md", "AI-1", wiki.ActionUpdate{Status: &statuses[i]}, author)
		})
		wg.Go(func() {
			_, errs[len(statuses)+i] = ed.UpdateAction(ctx, "postmortems/inc.md", "AI-1", wiki.ActionUpdate{Owner: &owners[i]}, author)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("update %d: %v", i, err)
		}
	}
	got, _ := mustRead(t, s, "postmortems/inc.md")
	doc := wiki.ParseDocument("postmortems/inc.md", []byte(got))
	if errs := doc.Errors(); len(errs) > 0 {
		t.Fatalf("file has errors after the updates: %v\n%s", errs, got)
	}
	var item *wiki.ActionItem
	for i := range doc.Meta.ActionItems {
		if doc.Meta.ActionItems[i].ID == "AI-1" {
			item = &doc.Meta.ActionItems[i]
		}
	}
	if item == nil || !contains(statuses, item.Status) || !contains(owners, item.Owner) {
		t.Fatalf("AI-1 after the updates: %+v\n%s", item, got)
	}
	// Only AI-1's status and owner lines differ from the original.
	before, after := strings.Split(oddPostmortem, "\n"), strings.Split(got, "\n")
	if len(before) != len(after) {
		t.Fatalf("the updates changed the number of lines: %d → %d\n%s", len(before), len(after), got)
	}
	changed := 0
	for i := range before {
		if before[i] != after[i] {
			changed++
		}
	}
	if changed > 2 {
		t.Errorf("%d lines changed, want at most AI-1's status and owner:\n%s", changed, got)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
