package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// EditView is the editor, for a new page or an existing one.
type EditView struct {
	Layout
	IsNew              bool
	Name               string // page name, for the API
	Path               string // file path
	PageURL            string
	PageTitle          string
	Base               string
	Content            string
	Message            string
	MessagePlaceholder string
	Problems           []wiki.Problem
	Notice             string
	Conflict           *ConflictView
	Templates          []TemplateLink
	Action             string
	CancelURL          string
	DeleteAction       string
	MoveAction         string
	UploadURL          string
	MaxUpload          int64
	DraftKey           string
	// Locked says why the user may not change this path (CODEOWNERS);
	// the editor then says so and does not offer to save.
	Locked string
}

// ConflictView shows both sides of a conflicting edit.
type ConflictView struct {
	Yours  string
	Theirs string
	Author string
}

// TemplateLink offers one template on /-/new.
type TemplateLink struct {
	Label  string
	URL    string
	Active bool
}

// pathParam returns the page path named by the rest of a route such as
// /-/edit/<name>: the existing page it resolves to, or the file a new page
// of that name would have.
func (s *Server) pathParam(c echo.Context, prefix string) (wiki.Path, bool, error) {
	name := strings.Trim(strings.TrimPrefix(c.Request().URL.Path, prefix), "/")
	name = strings.TrimSuffix(name, ".md")
	if t := s.catalog.Lookup(name); t.Kind == wiki.TargetPage && (t.Exact || t.Alias || strings.EqualFold(t.Path.Name(), name)) {
		return t.Path, true, nil
	}
	if name == "" {
		return "README.md", false, nil
	}
	p, err := wiki.PathFromName(name)
	return p, false, err
}

func (s *Server) editView(r *http.Request, p wiki.Path, isNew bool) EditView {
	v := EditView{Locked: s.lockedReason(r, p), Layout: s.layout("Edit " + p.Name()), IsNew: isNew, Name: p.Name(), Path: string(p), PageURL: p.URL(),
		PageTitle: p.FileTitle(), CancelURL: p.URL(), UploadURL: "/-/api/attachments/" + escapeName(p.Name()),
		MaxUpload: s.cfg.MaxUploadBytes, DraftKey: "opswiki:draft:" + string(p)}
	v.Styles, v.Scripts = []string{"editor.css"}, []string{"editor.js"}
	v.Action = "/-/edit/" + escapeName(p.Name())
	v.DeleteAction = "/-/delete/" + escapeName(p.Name())
	v.MoveAction = "/-/move/" + escapeName(p.Name())
	v.MessagePlaceholder = "Update " + string(p)
	if isNew {
		v.Title = "New page"
		v.Action = "/-/new"
		v.CancelURL = "/"
		v.MessagePlaceholder = "Create the page"
	}
	if pi, ok := s.catalog.Page(p); ok {
		v.PageTitle = pi.Title
		v.Title = "Edit " + pi.Title
	}
	return v
}

// escapeName escapes a page name for a route, keeping its slashes.
func escapeName(name string) string { return strings.TrimPrefix(wiki.NameURL(name), "/") }

// handleEdit serves GET /-/edit/*: the editor on an existing page, or on a
// new one when the page does not exist yet.
func (s *Server) handleEdit(c echo.Context) error {
	p, exists, err := s.pathParam(c, "/-/edit/")
	if err != nil {
		return err
	}
	if !exists {
		return c.Redirect(http.StatusFound, "/-/new?"+url.Values{"path": {string(p)}}.Encode())
	}
	content, blob, err := s.store.ReadFile(c.Request().Context(), s.catalog.Commit(), p)
	if err != nil {
		return err
	}
	v := s.editView(c.Request(), p, false)
	v.Content, v.Base = string(content), blob
	if c.QueryParam("merged") != "" {
		v.Notice = "Your last save was merged with a change someone made meanwhile."
	}
	return s.html(c, http.StatusOK, "edit", v)
}

// handleNew serves GET /-/new: the editor on a new page, from a template,
// prefilled from the query string (template, incident, service, alert,
// title, path, date, author).
func (s *Server) handleNew(c echo.Context) error {
	params := wiki.NewPageParams{Template: c.QueryParam("template"), Incident: c.QueryParam("incident"),
		Service: c.QueryParam("service"), Alert: c.QueryParam("alert"), Title: c.QueryParam("title"),
		Expr: c.QueryParam("expr"), Summary: c.QueryParam("summary"),
		Path: c.QueryParam("path"), Author: c.QueryParam("author"), Date: s.cfg.Now()}
	if params.Author == "" {
		params.Author = s.author(c.Request()).Name
	}
	if d := c.QueryParam("date"); d != "" {
		t, err := wiki.ParseDate(d)
		if err != nil {
			return wiki.Errorf(wiki.EINVALID, "date: %v", err)
		}
		params.Date = t
	}
	var content, kind string
	links := []TemplateLink{}
	for _, t := range s.catalog.Templates() {
		q := c.QueryParams()
		q.Set("template", t.Name)
		links = append(links, TemplateLink{Label: t.Name, URL: "/-/new?" + q.Encode(), Active: t.Name == params.Template})
		if t.Name == params.Template {
			pi, _ := s.catalog.Page(t.Path)
			b, err := s.store.ReadBlob(c.Request().Context(), pi.Blob)
			if err != nil {
				return err
			}
			content, kind = wiki.FillTemplate(string(b), params), t.Kind
			if content, err = fillIncident(content, kind, c.QueryParams()); err != nil {
				return err
			}
		}
	}
	q := c.QueryParams()
	q.Del("template")
	links = append(links, TemplateLink{Label: "blank", URL: "/-/new?" + q.Encode(), Active: params.Template == "" || params.Template == "blank"})
	if params.Template != "" && params.Template != "blank" && content == "" {
		return wiki.Errorf(wiki.ENOTFOUND, "There is no template %q; the wiki's templates are the pages under templates/.", params.Template)
	}
	if content == "" && params.Title != "" {
		content = "# " + params.Title + "\n\n"
	}
	path := params.Path
	if path == "" {
		path = wiki.DefaultPagePath(kind, params)
	} else if !strings.HasSuffix(strings.ToLower(path), ".md") {
		path += ".md"
	}
	p, err := wiki.ParsePath(path)
	if err != nil {
		return err
	}
	if t := s.catalog.Lookup(p.Name()); t.Kind == wiki.TargetPage && t.Exact {
		return c.Redirect(http.StatusFound, "/-/edit/"+escapeName(t.Path.Name()))
	}
	v := s.editView(c.Request(), p, true)
	v.Content, v.Templates = content, links
	return s.html(c, http.StatusOK, "edit", v)
}

// handleEditPost serves POST /-/edit/* and POST /-/new: the editor's form,
// for browsers without JavaScript. Errors and conflicts come back as the
// editor with the person's text in it.
func (s *Server) handleEditPost(c echo.Context) error {
	if err := s.limitBody(c, s.cfg.MaxPageBytes+64<<10); err != nil {
		return err
	}
	isNew := c.Request().URL.Path == "/-/new"
	p, err := wiki.ParsePath(c.FormValue("path"))
	if err != nil {
		return err
	}
	if !isNew {
		if p, _, err = s.pathParam(c, "/-/edit/"); err != nil {
			return err
		}
	} else if !p.IsPage() {
		p += ".md"
	}
	content := normalizeNewlines(c.FormValue("content"))
	req := wiki.SaveRequest{Path: p, Content: []byte(content), Base: c.FormValue("base"),
		Message: strings.TrimSpace(c.FormValue("message")), Author: s.author(c.Request())}
	res, err := s.editor.Save(c.Request().Context(), req)
	if err == nil {
		dest := p.URL()
		if res.Merged {
			dest += "?merged=1"
		}
		return c.Redirect(http.StatusSeeOther, dest)
	}
	f, ok := failedSave(err, content, req.Base)
	if !ok {
		return err
	}
	v := s.editView(c.Request(), p, isNew && req.Base == "")
	v.Content, v.Base, v.Message, v.Problems, v.Conflict, v.Notice = f.content, f.base, req.Message, f.problems, f.conflict, f.notice
	return s.html(c, f.status, "edit", v)
}

// formFailure is a refused form save as the form shows it again: the
// person's text (merged, after a conflict), the problems or both sides.
type formFailure struct {
	status        int
	content, base string
	problems      []wiki.Problem
	conflict      *ConflictView
	notice        string
}

// failedSave reads the error of a save of content from base; ok is false
// for errors a form does not show itself (they become error pages).
func failedSave(err error, content, base string) (formFailure, bool) {
	var verr *wiki.ValidationError
	var conflict *wiki.ConflictError
	switch {
	case errors.As(err, &verr):
		return formFailure{status: http.StatusUnprocessableEntity, content: content, base: base, problems: verr.Problems}, true
	case errors.As(err, &conflict):
		return formFailure{status: http.StatusConflict, content: string(conflict.Merged), base: conflict.Base,
			conflict: &ConflictView{Yours: string(conflict.Yours), Theirs: string(conflict.Theirs)}, notice: wiki.ErrorMessage(err)}, true
	case wiki.ErrorCode(err) == wiki.EFORBIDDEN:
		// Refused by CODEOWNERS: the text comes back, to be kept
		// elsewhere or handed to an owner.
		return formFailure{status: http.StatusForbidden, content: content, base: base,
			notice: "Not saved: " + wiki.ErrorMessage(err) + " Your text is below."}, true
	}
	return formFailure{}, false
}

// limitBody caps the request body; reading past it fails with ETOOLARGE.
func (s *Server) limitBody(c echo.Context, max int64) error {
	r := c.Request()
	if r.ContentLength > max {
		return s.tooLarge()
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, max)
	return nil
}

func (s *Server) tooLarge() error {
	return wiki.Errorf(wiki.ETOOLARGE, "The page is larger than %s; split it into several pages.", wiki.ByteSize(s.cfg.MaxPageBytes))
}

// normalizeNewlines turns the CRLF browsers send in form fields into LF.
func normalizeNewlines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// handleDeletePost serves POST /-/delete/*: the editor's delete button.
func (s *Server) handleDeletePost(c echo.Context) error {
	p, exists, err := s.pathParam(c, "/-/delete/")
	if err != nil {
		return err
	}
	if !exists {
		return wiki.Errorf(wiki.ENOTFOUND, "There is no page %s to delete.", p)
	}
	if _, err := s.editor.Delete(c.Request().Context(), p, c.FormValue("base"), s.author(c.Request()), ""); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, wiki.NameURL(string(p.Dir())))
}

// handleMovePost serves POST /-/move/*: the editor's move button.
func (s *Server) handleMovePost(c echo.Context) error {
	p, exists, err := s.pathParam(c, "/-/move/")
	if err != nil {
		return err
	}
	if !exists {
		return wiki.Errorf(wiki.ENOTFOUND, "There is no page %s to move.", p)
	}
	to, err := wiki.PathFromName(strings.TrimSpace(c.FormValue("to")))
	if err != nil {
		return err
	}
	if _, err := s.editor.Move(c.Request().Context(), p, to, c.FormValue("base"), s.author(c.Request()), ""); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to.URL())
}

// fillIncident sets what a firing alert knows of an incident in a new
// postmortem's front matter: when it started (the alert's startsAt), when
// it was detected, and the alert. Values must be RFC 3339 times.
func fillIncident(content, kind string, q url.Values) (string, error) {
	if kind != wiki.KindPostmortem {
		return content, nil
	}
	out := []byte(content)
	for _, key := range []string{"started", "detected"} {
		v := q.Get(key)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return "", wiki.Errorf(wiki.EINVALID, "%s must be a time as 2026-11-28T03:12:00Z, not %q.", key, v)
		}
		if out, err = wiki.SetKey(out, key, t.UTC().Format(time.RFC3339)); err != nil {
			return content, nil // front matter this template keeps otherwise
		}
	}
	if a := strings.TrimSpace(q.Get("alert")); a != "" && wiki.ParseDocument("new.md", out).KeyLine("alerts") == 0 {
		if next, err := wiki.SetKey(out, "alerts", a); err == nil {
			out = next
		}
	}
	return string(out), nil
}
