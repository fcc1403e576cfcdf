package web

import (
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// atomFeed is an Atom 1.0 feed (RFC 4287) of recent changes.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomEntry struct {
	Title   string     `xml:"title"`
	ID      string     `xml:"id"`
	Updated string     `xml:"updated"`
	Author  atomAuthor `xml:"author"`
	Link    atomLink   `xml:"link"`
	Content atomText   `xml:"content"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// handleChangesAtom serves GET /-/changes.atom: recent changes as a feed,
// one entry per commit, listing the files it changed.
func (s *Server) handleChangesAtom(c echo.Context) error {
	ctx := c.Request().Context()
	head, err := s.store.Head(ctx)
	if err != nil {
		return err
	}
	log, err := s.store.Log(ctx, head, 50)
	if err != nil {
		return err
	}
	base := baseURL(c)
	feed := atomFeed{Title: s.cfg.SiteName + ": recent changes", ID: base + "/-/changes",
		Links: []atomLink{{Href: base + "/-/changes.atom", Rel: "self", Type: "application/atom+xml"}, {Href: base + "/-/changes", Type: "text/html"}}}
	feed.Updated = time.Now().UTC().Format(time.RFC3339)
	if len(log) > 0 {
		feed.Updated = log[0].Author.When.UTC().Format(time.RFC3339)
	}
	for _, e := range log {
		var body strings.Builder
		body.WriteString(strings.TrimSpace(e.Message))
		body.WriteString("\n\n")
		for i, ch := range e.Changes {
			if i == maxFilesShown {
				body.WriteString("…\n")
				break
			}
			body.WriteString(ch.Kind.String() + " " + string(ch.Path) + "\n")
		}
		link := base + "/-/changes?from=" + e.ID
		if len(e.Changes) == 1 && e.Changes[0].Path.IsPage() {
			link = base + diffURL(e.Changes[0].Path, firstParent(e.Parents), e.ID)
			if len(e.Parents) == 0 {
				link = base + revisionURL(e.Changes[0].Path, e.ID)
			}
		}
		feed.Entries = append(feed.Entries, atomEntry{Title: firstLine(e.Message), ID: "urn:sha1:" + e.ID,
			Updated: e.Author.When.UTC().Format(time.RFC3339), Author: atomAuthor{Name: e.Author.Name},
			Link: atomLink{Href: link}, Content: atomText{Type: "text", Body: body.String()}})
	}
	out, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/atom+xml; charset=utf-8", append([]byte(xml.Header), out...))
}

func firstParent(parents []string) string {
	if len(parents) == 0 {
		return ""
	}
	return parents[0]
}

// baseURL is the wiki's address as the client reached it.
func baseURL(c echo.Context) string {
	scheme := "http"
	if c.IsTLS() || c.Request().Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + c.Request().Host
}
