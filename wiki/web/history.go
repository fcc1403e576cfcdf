package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// RevisionInfo describes the old version a page view shows.
type RevisionInfo struct {
	Commit        string
	Author        string
	When          string
	Message       string
	CurrentURL    string
	DiffURL       string
	RestoreAction string
	CurrentBlob   string
}

// HistoryView lists the revisions of one page.
type HistoryView struct {
	Layout
	Path      wiki.Path
	PageURL   string
	DiffURL   string
	Revisions []RevisionRow
	Next      string
}

// RevisionRow is one line of a page's history.
type RevisionRow struct {
	Commit  string
	Author  string
	Email   string
	When    string
	TimeISO string
	Message string
	Kind    string
	ViewURL string
	PrevURL string // diff with the revision before, when there is one
	Deleted bool
}

const historyPage = 100

// handleHistory serves GET /-/history/*: who changed a page, when and why,
// with links to each version and to diffs between any two.
func (s *Server) handleHistory(c echo.Context) error {
	p, _, err := s.pathParam(c, "/-/history/")
	if err != nil {
		return err
	}
	revs, err := s.history.PageHistory(c.Request().Context(), p, historyPage+1, c.QueryParam("before"))
	if err != nil {
		return err
	}
	if len(revs) == 0 {
		return wiki.Errorf(wiki.ENOTFOUND, "The page %s has no history: it was never in the wiki.", p.Name())
	}
	v := HistoryView{Layout: s.layout("History of " + p.Name()), Path: p, PageURL: p.URL(), DiffURL: "/-/diff/" + escapeName(p.Name())}
	title := p.FileTitle()
	if pi, ok := s.catalog.Page(p); ok {
		title = pi.Title
		v.Title = "History of " + title
	}
	v.Crumbs = s.subpageCrumbs(p, title, "History")
	if len(revs) > historyPage {
		v.Next = "/-/history/" + escapeName(p.Name()) + "?before=" + revs[historyPage-1].ID
	}
	now := s.cfg.Now()
	for i, r := range revs[:min(len(revs), historyPage)] {
		row := RevisionRow{Commit: r.ID, Author: r.Author.Name, Email: r.Author.Email, When: ago(now, r.Author.When),
			TimeISO: r.Author.When.Format(time.RFC3339), Message: strings.TrimSpace(r.Message), Kind: r.Kind.String(),
			Deleted: r.Kind == wiki.Deleted}
		if !row.Deleted {
			row.ViewURL = revisionURL(p, r.ID)
		}
		if i+1 < len(revs) {
			row.PrevURL = diffURL(p, revs[i+1].ID, r.ID)
		}
		v.Revisions = append(v.Revisions, row)
	}
	return s.html(c, http.StatusOK, "history", v)
}

func revisionURL(p wiki.Path, commit string) string {
	return "/-/revision/" + escapeName(p.Name()) + "?" + url.Values{"rev": {commit}}.Encode()
}

func diffURL(p wiki.Path, from, to string) string {
	return "/-/diff/" + escapeName(p.Name()) + "?" + url.Values{"from": {from}, "to": {to}}.Encode()
}

// apiRevision is one entry of GET /-/api/history.
type apiRevision struct {
	Commit  string    `json:"commit"`
	Author  string    `json:"author"`
	Email   string    `json:"email"`
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
	Change  string    `json:"change"`
	Blob    string    `json:"blob,omitempty"`
}

// handleAPIHistory serves GET /-/api/history/<path>?limit=&before=.
func (s *Server) handleAPIHistory(c echo.Context) error {
	p, _, err := s.pathParam(c, "/-/api/history/")
	if err != nil {
		return err
	}
	limit := 50
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return wiki.Errorf(wiki.EINVALID, "limit must be a number from 1 to 1000.")
		}
	}
	revs, err := s.history.PageHistory(c.Request().Context(), p, limit, c.QueryParam("before"))
	if err != nil {
		return err
	}
	out := make([]apiRevision, 0, len(revs))
	for _, r := range revs {
		out = append(out, apiRevision{Commit: r.ID, Author: r.Author.Name, Email: r.Author.Email, Time: r.Author.When,
			Message: strings.TrimSpace(r.Message), Change: r.Kind.String(), Blob: r.Blob})
	}
	return c.JSON(http.StatusOK, map[string]any{"path": p.Name(), "revisions": out})
}

// handleRevision serves GET /-/revision/*?rev=COMMIT: the page as it was.
func (s *Server) handleRevision(c echo.Context) error {
	p, _, err := s.pathParam(c, "/-/revision/")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rev, err := s.resolveRev(ctx, p, c.QueryParam("rev"))
	if err != nil {
		return err
	}
	commit, err := s.store.GetCommit(ctx, rev)
	if err != nil {
		return err
	}
	_, blob, err := s.store.ReadFile(ctx, rev, p)
	if err != nil {
		return wiki.Errorf(wiki.ENOTFOUND, "The page %s did not exist at %s.", p.Name(), shortID(rev))
	}
	v, err := s.pageView(c, p, blob, s.cfg.Now())
	if err != nil {
		return err
	}
	info := &RevisionInfo{Commit: commit.ID, Author: commit.Author.Name, When: commit.Author.When.UTC().Format("2006-01-02 15:04 UTC"),
		Message: firstLine(commit.Message), CurrentURL: p.URL(), DiffURL: diffURL(p, commit.ID, s.catalog.Commit())}
	current, hasCurrent := s.catalog.Blob(p)
	if current != blob {
		info.RestoreAction = "/-/restore/" + escapeName(p.Name())
		info.CurrentBlob = current
	}
	if !hasCurrent {
		info.CurrentURL, info.DiffURL = "/-/history/"+escapeName(p.Name()), ""
	}
	v.Revision = info
	v.Title = v.Doc.Title + " (" + shortID(commit.ID) + ")"
	c.Response().Header().Set("Cache-Control", "private, max-age=3600")
	return s.html(c, http.StatusOK, "page", v)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// handleRestore serves POST /-/restore/*: an old revision saved as a new
// commit, checked against the version the person saw.
func (s *Server) handleRestore(c echo.Context) error {
	p, _, err := s.pathParam(c, "/-/restore/")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rev := c.FormValue("rev")
	content, _, err := s.store.ReadFile(ctx, rev, p)
	if err != nil {
		return wiki.Errorf(wiki.ENOTFOUND, "The page %s did not exist at %s.", p.Name(), shortID(rev))
	}
	res, err := s.editor.Save(ctx, wiki.SaveRequest{Path: p, Content: content, Base: c.FormValue("base"),
		Message: "Restore " + string(p) + " as of " + shortID(rev), Author: s.author(c.Request())})
	if err != nil {
		return err
	}
	dest := p.URL()
	if res.Merged {
		dest += "?merged=1"
	}
	return c.Redirect(http.StatusSeeOther, dest)
}

// subpageCrumbs returns the breadcrumbs of a page's history or diff: the
// page's own, with the page linked and the view's label last.
func (s *Server) subpageCrumbs(p wiki.Path, title, label string) []Crumb {
	cr := s.crumbs(p, title)
	if len(cr) == 0 {
		cr = []Crumb{{Label: "Home", URL: "/"}}
	} else {
		cr[len(cr)-1].URL = p.URL()
	}
	return append(cr, Crumb{Label: label})
}

// resolveRev turns a commit id as the pages show it (its first characters,
// as git abbreviates) into the full id, among the commits that changed
// page p. A full id is returned as it is.
func (s *Server) resolveRev(ctx context.Context, p wiki.Path, rev string) (string, error) {
	rev = strings.ToLower(strings.TrimSpace(rev))
	if len(rev) == 40 || rev == "" {
		return rev, nil
	}
	if len(rev) < 4 || strings.Trim(rev, "0123456789abcdef") != "" {
		return "", wiki.Errorf(wiki.ENOTFOUND, "%q is not a version of %s: give a commit id, at least its first 4 characters.", rev, p.Name())
	}
	revs, err := s.history.PageHistory(ctx, p, 1<<20, "")
	if err != nil {
		return "", err
	}
	found := ""
	for _, r := range revs {
		if strings.HasPrefix(r.ID, rev) {
			if found != "" && found != r.ID {
				return "", wiki.Errorf(wiki.EINVALID, "%q names more than one version of %s; give more of the commit id.", rev, p.Name())
			}
			found = r.ID
		}
	}
	if found == "" {
		return "", wiki.Errorf(wiki.ENOTFOUND, "No version of %s has a commit id starting with %q.", p.Name(), rev)
	}
	return found, nil
}
