package wiki

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ActionUpdate changes some fields of one action item; nil leaves a field.
type ActionUpdate struct {
	Status *string
	Owner  *string
	Due    *string
}

// UpdateAction changes one action item of a postmortem in a commit that
// touches only that item's lines, keeping the rest of the file byte for
// byte. An update needs no base: it applies to the postmortem as it is
// when its turn comes, so concurrent updates all land, of other items and
// of the same one (the later wins). Returns ENOTFOUND when there is no such
// page or item, EINVALID for a bad value.
func (e *Editor) UpdateAction(ctx context.Context, p Path, itemID string, u ActionUpdate, author Signature) (SaveResult, error) {
	var fields [][2]string
	if u.Status != nil {
		s := strings.ToLower(strings.TrimSpace(*u.Status))
		if !contains(ActionStatuses, s) {
			return SaveResult{}, Errorf(EINVALID, "status must be one of %s.", strings.Join(ActionStatuses, ", "))
		}
		fields = append(fields, [2]string{"status", s})
	}
	if u.Owner != nil {
		fields = append(fields, [2]string{"owner", strings.TrimSpace(*u.Owner)})
	}
	if u.Due != nil {
		d := strings.TrimSpace(*u.Due)
		if d != "" {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				return SaveResult{}, Errorf(EINVALID, "due must be a date as YYYY-MM-DD, not %q.", d)
			}
		}
		fields = append(fields, [2]string{"due", d})
	}
	if len(fields) == 0 {
		return SaveResult{}, Errorf(EINVALID, "Nothing to change: give status, owner or due.")
	}
	// A form sends every field; the commit says what changed.
	what := ActionChanges(e.catalog, p, itemID, fields)
	if len(what) == 0 {
		for _, f := range fields {
			what = append(what, f[0]+" "+f[1])
		}
	}
	msg := fmt.Sprintf("Set %s of action item %s in %s", strings.Join(what, ", "), itemID, p)
	return e.rewrite(ctx, p, author, msg, func(cur []byte) ([]byte, error) {
		out := cur
		for _, f := range fields {
			var err error
			if out, err = SetActionField(out, itemID, f[0], f[1]); err != nil {
				return nil, err
			}
		}
		return out, nil
	})
}

// ActionChanges describes which of fields (name, value) differ from the
// item as the catalog has it now: "status done", "owner team-b",
// "due 2026-12-01" or "no due date".
func ActionChanges(c *Catalog, p Path, itemID string, fields [][2]string) []string {
	var cur *ActionItem
	if pi, ok := c.Page(p); ok {
		for i, a := range pi.Meta.ActionItems {
			if a.ID == itemID {
				cur = &pi.Meta.ActionItems[i]
			}
		}
	}
	var out []string
	for _, f := range fields {
		now := ""
		if cur != nil {
			switch f[0] {
			case "status":
				now = cur.Status
			case "owner":
				now = cur.Owner
			case "due":
				if !cur.Due.IsZero() {
					now = cur.Due.Format(time.DateOnly)
				}
			}
		}
		switch {
		case cur != nil && now == f[1]:
		case f[1] == "":
			out = append(out, "no "+map[string]string{"status": "status", "owner": "owner", "due": "due date"}[f[0]])
		default:
			out = append(out, f[0]+" "+f[1])
		}
	}
	return out
}

// MarkReviewed sets a page's last_reviewed to the given day, changing only
// that line.
func (e *Editor) MarkReviewed(ctx context.Context, p Path, day time.Time, author Signature) (SaveResult, error) {
	return e.rewrite(ctx, p, author, "Mark "+string(p)+" reviewed", func(cur []byte) ([]byte, error) {
		return SetKey(cur, "last_reviewed", day.Format(time.DateOnly))
	})
}

// ActionFilter selects action items.
type ActionFilter struct {
	Status  string // "" for all; "open" means open or in-progress
	Owner   string
	Service string
	Overdue bool
}

// FilterActions returns the matching action items, by due date (items
// without one last), then postmortem and id.
func FilterActions(all []ActionRef, f ActionFilter, now time.Time) []ActionRef {
	var out []ActionRef
	for _, a := range all {
		switch {
		case f.Status == "open" && a.Item.Status != "open" && a.Item.Status != "in-progress":
			continue
		case f.Status != "" && f.Status != "open" && a.Item.Status != f.Status:
			continue
		case f.Owner != "" && !strings.EqualFold(a.Item.Owner, f.Owner):
			continue
		case f.Overdue && !a.Item.Overdue(now):
			continue
		case f.Service != "" && !containsFold(a.Postmortem.Meta.Services, f.Service):
			continue
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool {
		di, dj := out[i].Item.Due, out[j].Item.Due
		if di.IsZero() != dj.IsZero() {
			return !di.IsZero()
		}
		if !di.Equal(dj) {
			return di.Before(dj)
		}
		if out[i].Postmortem.Path != out[j].Postmortem.Path {
			return out[i].Postmortem.Path < out[j].Postmortem.Path
		}
		return out[i].Item.ID < out[j].Item.ID
	})
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
