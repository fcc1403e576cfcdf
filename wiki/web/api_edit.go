package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// saveBody is the body of PUT /-/api/pages/<path>.
type saveBody struct {
	Content *string `json:"content"`
	Base    string  `json:"base"`
	Message string  `json:"message"`
}

// saveReply is the 200 answer to a save.
type saveReply struct {
	Commit    string `json:"commit"`
	Blob      string `json:"blob"`
	Merged    bool   `json:"merged"`
	Unchanged bool   `json:"unchanged,omitempty"`
	URL       string `json:"url"`
}

// conflictReply is the 409 answer: both sides and the merge with markers.
type conflictReply struct {
	Conflict          bool   `json:"conflict"`
	Message           string `json:"message"`
	Theirs            string `json:"theirs"`
	Yours             string `json:"yours"`
	MergedWithMarkers string `json:"merged_with_markers"`
	Base              string `json:"base"`
	Deleted           bool   `json:"deleted,omitempty"`
}

// problemsReply is the 422 answer: what is wrong, by line.
type problemsReply struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Problems []wiki.Problem `json:"problems"`
}

// readJSON decodes a JSON body of at most max bytes, strictly.
func (s *Server) readJSON(c echo.Context, max int64, v any) error {
	if err := s.limitBody(c, max); err != nil {
		return err
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return s.tooLarge()
		}
		if errors.Is(err, io.EOF) {
			return wiki.Errorf(wiki.EINVALID, "The request has no JSON body.")
		}
		return wiki.Errorf(wiki.EINVALID, "The request body is not valid JSON: %v.", err)
	}
	return nil
}

// editError answers the API's expected failures with their bodies: 409
// with both sides, 422 with the problems. Anything else goes to the one
// error handler.
func editError(c echo.Context, err error) error {
	var verr *wiki.ValidationError
	var conflict *wiki.ConflictError
	switch {
	case errors.As(err, &verr):
		var body problemsReply
		body.Error.Code, body.Error.Message = wiki.EDOCUMENT, wiki.ErrorMessage(err)
		body.Problems = verr.Problems
		return c.JSON(http.StatusUnprocessableEntity, body)
	case errors.As(err, &conflict):
		return c.JSON(http.StatusConflict, conflictReply{Conflict: true, Message: wiki.ErrorMessage(err),
			Theirs: string(conflict.Theirs), Yours: string(conflict.Yours), MergedWithMarkers: string(conflict.Merged),
			Base: conflict.Base, Deleted: conflict.Deleted})
	}
	return err
}

// handleAPISave serves PUT /-/api/pages/<path>: save a page.
func (s *Server) handleAPISave(c echo.Context) error {
	p, _, err := s.pathParam(c, "/-/api/pages/")
	if err != nil {
		return err
	}
	var body saveBody
	if err := s.readJSON(c, s.cfg.MaxPageBytes*2+64<<10, &body); err != nil {
		return err
	}
	if body.Content == nil {
		return wiki.Errorf(wiki.EINVALID, "The body needs a content field.")
	}
	res, err := s.editor.Save(c.Request().Context(), wiki.SaveRequest{Path: p, Content: []byte(normalizeNewlines(*body.Content)),
		Base: body.Base, Message: strings.TrimSpace(body.Message), Author: s.author(c.Request())})
	if err != nil {
		return editError(c, err)
	}
	return c.JSON(http.StatusOK, saveReply{Commit: res.Commit, Blob: res.Blob, Merged: res.Merged, Unchanged: res.Unchanged, URL: p.URL()})
}

// handleAPIDelete serves DELETE /-/api/pages/<path>?base=: delete a page.
func (s *Server) handleAPIDelete(c echo.Context) error {
	p, exists, err := s.pathParam(c, "/-/api/pages/")
	if err != nil {
		return err
	}
	if !exists {
		return wiki.Errorf(wiki.ENOTFOUND, "There is no page %s.", p.Name())
	}
	commit, err := s.editor.Delete(c.Request().Context(), p, c.QueryParam("base"), s.author(c.Request()), c.QueryParam("message"))
	if err != nil {
		return editError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]string{"commit": commit})
}

// moveBody is the body of POST /-/api/move/<path>.
type moveBody struct {
	To      string `json:"to"`
	Base    string `json:"base"`
	Message string `json:"message"`
}

// handleAPIMove serves POST /-/api/move/<path>: move a page and rewrite the
// links to it.
func (s *Server) handleAPIMove(c echo.Context) error {
	p, exists, err := s.pathParam(c, "/-/api/move/")
	if err != nil {
		return err
	}
	if !exists {
		return wiki.Errorf(wiki.ENOTFOUND, "There is no page %s.", p.Name())
	}
	var body moveBody
	if err := s.readJSON(c, 64<<10, &body); err != nil {
		return err
	}
	to, err := wiki.PathFromName(strings.TrimSpace(body.To))
	if err != nil {
		return err
	}
	res, err := s.editor.Move(c.Request().Context(), p, to, body.Base, s.author(c.Request()), body.Message)
	if err != nil {
		return editError(c, err)
	}
	updated := make([]string, len(res.Updated))
	for i, u := range res.Updated {
		updated[i] = u.Name()
	}
	return c.JSON(http.StatusOK, map[string]any{"commit": res.Commit, "url": to.URL(), "updated": updated})
}

// previewBody is the body of POST /-/api/preview.
type previewBody struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// previewReply is the rendered page and its problems, as the editor shows them.
type previewReply struct {
	HTML     string         `json:"html"`
	Title    string         `json:"title"`
	Kind     string         `json:"kind"`
	Problems []wiki.Problem `json:"problems"`
	// Fallback is set when the page is shown as plain text because it
	// would take too long ("slow") or too much memory ("complex") to
	// render; a warning among the problems says so too.
	Fallback string `json:"fallback,omitempty"`
}

// handleAPIPreview serves POST /-/api/preview: the editor's live preview,
// rendered by the same renderer as page views, and the document's problems.
// Rendering stops when the editor goes away or asks again, and is bounded
// like a page view's.
func (s *Server) handleAPIPreview(c echo.Context) error {
	var body previewBody
	if err := s.readJSON(c, s.cfg.MaxPageBytes*2+64<<10, &body); err != nil {
		return err
	}
	if int64(len(body.Content)) > s.cfg.MaxPageBytes {
		return wiki.Errorf(wiki.ETOOLARGE, "The page is larger than %s; split it into several pages.", wiki.ByteSize(s.cfg.MaxPageBytes))
	}
	p, err := wiki.ParsePath(body.Path)
	if err != nil {
		return err
	}
	if !p.IsPage() {
		p += ".md"
	}
	content := []byte(normalizeNewlines(body.Content))
	doc := wiki.ParseDocumentWith(p, content, s.catalog.Settings())
	res, err := s.renderer.Render(c.Request().Context(), p, "", doc.Body, s.catalog)
	if err != nil {
		return err // a client that went away is answered by handleError
	}
	problems := wiki.Problems(doc, s.catalog.Broken(doc), s.cfg.Now())
	if res.Fallback != "" {
		problems = append(problems, wiki.Problem{Path: p, Line: doc.BodyLine, Severity: wiki.SeverityWarning, Message: res.Notice})
	}
	return c.JSON(http.StatusOK, previewReply{HTML: string(res.HTML), Title: doc.Title, Kind: doc.Meta.Kind, Problems: problems, Fallback: res.Fallback})
}

// handleAPIAttach serves POST /-/api/attachments/<page>: a file pasted or
// dropped into the editor, committed next to the page.
func (s *Server) handleAPIAttach(c echo.Context) error {
	p, _, err := s.pathParam(c, "/-/api/attachments/")
	if err != nil {
		return err
	}
	r := c.Request()
	if r.ContentLength > s.cfg.MaxUploadBytes+1<<20 {
		return wiki.Errorf(wiki.ETOOLARGE, "The file is larger than %s.", wiki.ByteSize(s.cfg.MaxUploadBytes))
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, s.cfg.MaxUploadBytes+1<<20)
	fh, err := c.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return wiki.Errorf(wiki.ETOOLARGE, "The file is larger than %s.", wiki.ByteSize(s.cfg.MaxUploadBytes))
		}
		return wiki.Errorf(wiki.EINVALID, "Send the file as multipart form data in a field named file.")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	content, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	saved, err := s.editor.Attach(r.Context(), p, fh.Filename, content, s.author(r))
	if err != nil {
		return err
	}
	link := wiki.RelativePath(p.Dir(), saved)
	md := "[" + saved.Base() + "](" + link + ")"
	if isImage(saved) {
		md = "!" + md
	}
	return c.JSON(http.StatusOK, map[string]string{"path": string(saved), "url": saved.RawURL(), "markdown": md})
}

func isImage(p wiki.Path) bool {
	switch p.Ext() {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif":
		return true
	}
	return false
}
