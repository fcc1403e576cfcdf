package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/textdiff"
)

// DiffView compares two versions of a page.
type DiffView struct {
	Layout
	Path      wiki.Path
	From, To  string
	FromLabel string
	ToLabel   string
	Split     bool
	Hunks     []textdiff.Hunk
	Rows      [][]SplitRow // per hunk, for the side-by-side view
	Same      bool
	Unified   string // URL of the unified view
	SideBy    string // URL of the side-by-side view
	History   string
}

// SplitRow is one row of a side-by-side diff: a line of the old version
// and a line of the new, either possibly empty.
type SplitRow struct {
	Old, New       textdiff.Line
	HasOld, HasNew bool
}

// handleDiff serves GET /-/diff/*?from=&to=&view=split: the changes to a
// page between two commits, unified or side by side. A missing to means
// the current version; a missing from means the version before to.
func (s *Server) handleDiff(c echo.Context) error {
	p, _, err := s.pathParam(c, "/-/diff/")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	from, err := s.resolveRev(ctx, p, c.QueryParam("from"))
	if err != nil {
		return err
	}
	to, err := s.resolveRev(ctx, p, c.QueryParam("to"))
	if err != nil {
		return err
	}
	if to == "" {
		to = s.catalog.Commit()
	}
	if from == "" {
		revs, err := s.history.PageHistory(ctx, p, 2, "")
		if err != nil {
			return err
		}
		if len(revs) < 2 {
			return wiki.Errorf(wiki.ENOTFOUND, "The page %s has only one version.", p.Name())
		}
		from, to = revs[1].ID, revs[0].ID
	}
	a, err := s.versionAt(c, from, p)
	if err != nil {
		return err
	}
	b, err := s.versionAt(c, to, p)
	if err != nil {
		return err
	}
	v := DiffView{Layout: s.layout("Changes to " + p.Name()), Path: p, From: from, To: to, Split: c.QueryParam("view") == "split",
		FromLabel: shortID(from), ToLabel: shortID(to), History: "/-/history/" + escapeName(p.Name())}
	v.Crumbs = s.subpageCrumbs(p, p.FileTitle(), "Changes")
	base := "/-/diff/" + escapeName(p.Name()) + "?"
	v.Unified = base + url.Values{"from": {from}, "to": {to}}.Encode()
	v.SideBy = base + url.Values{"from": {from}, "to": {to}, "view": {"split"}}.Encode()
	v.Hunks = textdiff.Diff(a, b, 3)
	v.Same = len(v.Hunks) == 0
	if v.Split {
		for _, h := range v.Hunks {
			v.Rows = append(v.Rows, splitRows(h.Lines))
		}
	}
	return s.html(c, http.StatusOK, "diff", v)
}

// versionAt reads a page at a commit; a page absent there is empty, so a
// diff can show its creation or deletion.
func (s *Server) versionAt(c echo.Context, commit string, p wiki.Path) ([]byte, error) {
	if _, err := s.store.GetCommit(c.Request().Context(), commit); err != nil {
		return nil, wiki.Errorf(wiki.ENOTFOUND, "There is no commit %q.", commit)
	}
	b, _, err := s.store.ReadFile(c.Request().Context(), commit, p)
	if wiki.ErrorCode(err) == wiki.ENOTFOUND {
		return nil, nil
	}
	return b, err
}

// splitRows pairs the deleted and inserted lines of each change so the
// side-by-side view shows them next to each other.
func splitRows(lines []textdiff.Line) []SplitRow {
	var rows []SplitRow
	for i := 0; i < len(lines); {
		if lines[i].Op == textdiff.Equal {
			rows = append(rows, SplitRow{Old: lines[i], New: lines[i], HasOld: true, HasNew: true})
			i++
			continue
		}
		var dels, ins []textdiff.Line
		for i < len(lines) && lines[i].Op == textdiff.Delete {
			dels = append(dels, lines[i])
			i++
		}
		for i < len(lines) && lines[i].Op == textdiff.Insert {
			ins = append(ins, lines[i])
			i++
		}
		for j := 0; j < max(len(dels), len(ins)); j++ {
			var r SplitRow
			if j < len(dels) {
				r.Old, r.HasOld = dels[j], true
			}
			if j < len(ins) {
				r.New, r.HasNew = ins[j], true
			}
			rows = append(rows, r)
		}
	}
	return rows
}
