package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// apiPage is the body of GET /-/api/pages/<path>.
type apiPage struct {
	Path     string         `json:"path"`
	File     wiki.Path      `json:"file"`
	Title    string         `json:"title"`
	Content  string         `json:"content"`
	Blob     string         `json:"blob"`
	Commit   string         `json:"commit"`
	Meta     wiki.Meta      `json:"meta"`
	Problems []wiki.Problem `json:"problems"`
}

// handleAPIPage serves GET /-/api/pages/<path>: a page's markdown, the blob
// an edit starts from, its front matter and its problems.
func (s *Server) handleAPIPage(c echo.Context) error {
	name := strings.Trim(strings.TrimPrefix(c.Request().URL.Path, "/-/api/pages"), "/")
	name = strings.TrimSuffix(name, ".md")
	t := s.catalog.Lookup(name)
	if t.Kind != wiki.TargetPage {
		return wiki.Errorf(wiki.ENOTFOUND, "There is no page %q.", name)
	}
	pi, ok := s.catalog.Page(t.Path)
	if !ok {
		return wiki.ErrNotFound
	}
	content, err := s.store.ReadBlob(c.Request().Context(), pi.Blob)
	if err != nil {
		return err
	}
	doc := wiki.ParseDocumentWith(pi.Path, content, s.catalog.Settings())
	problems := wiki.Problems(doc, s.catalog.Graph().BrokenOf(pi.Path), s.cfg.Now())
	return c.JSON(http.StatusOK, apiPage{Path: pi.Path.Name(), File: pi.Path, Title: doc.Title, Content: string(content),
		Blob: pi.Blob, Commit: s.catalog.Commit(), Meta: doc.Meta, Problems: problems})
}
