package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// ChangesView lists recent commits on main.
type ChangesView struct {
	Layout
	Entries []ChangeEntry
	Next    string
}

// ChangeEntry is one commit in recent changes.
type ChangeEntry struct {
	Commit  string
	Author  string
	When    string
	TimeISO string
	Message string
	Files   []ChangedFile
	More    int
}

// ChangedFile is one file a commit touched.
type ChangedFile struct {
	Kind string
	Path wiki.Path
	URL  string
}

// maxFilesShown bounds the files listed per commit, so a bulk import does
// not produce a page of thousands of lines.
const maxFilesShown = 20

// handleChanges serves GET /-/changes?from=COMMIT: recent commits on main.
func (s *Server) handleChanges(c echo.Context) error {
	ctx := c.Request().Context()
	from := c.QueryParam("from")
	if from == "" {
		head, err := s.store.Head(ctx)
		if err != nil {
			return err
		}
		from = head
	}
	limit := 50
	if n, err := strconv.Atoi(c.QueryParam("limit")); err == nil && n > 0 && n <= 500 {
		limit = n
	}
	log, err := s.store.Log(ctx, from, limit+1)
	if err != nil {
		return err
	}
	v := ChangesView{Layout: s.layout("Recent changes")}
	now := s.cfg.Now()
	if len(log) > limit {
		v.Next = "/-/changes?from=" + log[limit].ID
		log = log[:limit]
	}
	for _, e := range log {
		ce := ChangeEntry{Commit: e.ID, Author: e.Author.Name, When: ago(now, e.Author.When),
			TimeISO: e.Author.When.Format(time.RFC3339), Message: strings.TrimSpace(e.Message)}
		for i, ch := range e.Changes {
			if i == maxFilesShown {
				ce.More = len(e.Changes) - i
				break
			}
			f := ChangedFile{Kind: ch.Kind.String(), Path: ch.Path}
			if ch.Kind != wiki.Deleted {
				f.URL = ch.Path.URL()
			}
			ce.Files = append(ce.Files, f)
		}
		v.Entries = append(v.Entries, ce)
	}
	return s.html(c, http.StatusOK, "changes", v)
}
