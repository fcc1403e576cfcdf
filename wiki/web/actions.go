package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// ActionsView is the list of action items across postmortems.
type ActionsView struct {
	Layout
	Filter   wiki.ActionFilter
	Items    []ActionItemRow
	Owners   []string
	Services []string
	Statuses []string
	CSVURL   string
	JSONURL  string
	Query    string
	Total    int
	Saved    string // what the last change from this list did
}

// ActionItemRow is one action item with its postmortem.
type ActionItemRow struct {
	wiki.ActionItem
	Due        string
	Overdue    bool
	Postmortem PageLink
	Services   []string
	Action     string // form action to change it
	TicketURL  string
	// FromDrill says the item comes from a drill, not a postmortem.
	FromDrill bool
}

// actionJSON is one action item in the API.
type actionJSON struct {
	wiki.ActionItem
	Due        string   `json:"due,omitempty"`
	Overdue    bool     `json:"overdue"`
	Postmortem string   `json:"postmortem"`
	Title      string   `json:"postmortem_title"`
	Services   []string `json:"services"`
	// From is the kind of page the item comes from: postmortem or drill.
	From string `json:"from"`
}

func actionFilter(c echo.Context) wiki.ActionFilter {
	f := wiki.ActionFilter{Status: c.QueryParam("status"), Owner: c.QueryParam("owner"), Service: c.QueryParam("service")}
	if f.Status == "all" {
		f.Status = ""
	}
	f.Overdue = c.QueryParam("overdue") == "1" || c.QueryParam("overdue") == "true"
	return f
}

func (s *Server) filteredActions(c echo.Context) (wiki.ActionFilter, []wiki.ActionRef) {
	f := actionFilter(c)
	return f, wiki.FilterActions(s.catalog.Graph().Actions(), f, s.cfg.Now())
}

func (s *Server) actionRow(a wiki.ActionRef, now time.Time) ActionItemRow {
	r := ActionItemRow{ActionItem: a.Item, Overdue: a.Item.Overdue(now), Services: a.Postmortem.Meta.Services,
		Postmortem: PageLink{Path: a.Postmortem.Path, URL: a.Postmortem.Path.URL(), Title: a.Postmortem.Title},
		Action:     "/-/actions/" + escapeName(a.Postmortem.Path.Name()) + "/" + url.PathEscape(a.Item.ID),
		FromDrill:  a.Postmortem.Meta.Kind == wiki.KindDrill}
	if !a.Item.Due.IsZero() {
		r.Due = a.Item.Due.Format(time.DateOnly)
	}
	if wiki.SafeURL(a.Item.Ticket) && strings.Contains(a.Item.Ticket, "://") {
		r.TicketURL = a.Item.Ticket
	}
	return r
}

// handleActions serves GET /-/actions?status=&owner=&service=&overdue=:
// every action item across postmortems, by due date, each changeable in
// place.
func (s *Server) handleActions(c echo.Context) error {
	// The list is for what is still to do: open and in-progress items,
	// unless a status (or all) is asked for.
	if !c.QueryParams().Has("status") {
		q := c.QueryParams()
		q.Set("status", "open")
		c.Request().URL.RawQuery = q.Encode()
	}
	f, items := s.filteredActions(c)
	now := s.cfg.Now()
	v := ActionsView{Layout: s.layout("Action items"), Filter: f, Statuses: wiki.ActionStatuses, Total: len(items)}
	if id := c.QueryParam("saved"); id != "" {
		v.Saved = fmt.Sprintf("Saved %s of %s: %s.", id, c.QueryParam("in"), c.QueryParam("change"))
	}
	owners, services := map[string]bool{}, map[string]bool{}
	for _, a := range s.catalog.Graph().Actions() {
		if a.Item.Owner != "" {
			owners[a.Item.Owner] = true
		}
		for _, svc := range a.Postmortem.Meta.Services {
			services[svc] = true
		}
	}
	v.Owners, v.Services = sortedKeys(owners), sortedKeys(services)
	for _, a := range items {
		v.Items = append(v.Items, s.actionRow(a, now))
	}
	params := c.QueryParams()
	for _, k := range []string{"saved", "in", "change"} {
		params.Del(k)
	}
	q := params.Encode()
	v.CSVURL, v.JSONURL, v.Query = "/-/actions.csv?"+q, "/-/api/actions?"+q, q
	return s.html(c, http.StatusOK, "actions", v)
}

// handleAPIActions serves GET /-/api/actions?status=&owner=&service=&overdue=.
func (s *Server) handleAPIActions(c echo.Context) error {
	_, items := s.filteredActions(c)
	now := s.cfg.Now()
	out := make([]actionJSON, 0, len(items))
	for _, a := range items {
		j := actionJSON{ActionItem: a.Item, Overdue: a.Item.Overdue(now), Postmortem: a.Postmortem.Path.Name(),
			Title: a.Postmortem.Title, Services: a.Postmortem.Meta.Services, From: a.Postmortem.Meta.Kind}
		if !a.Item.Due.IsZero() {
			j.Due = a.Item.Due.Format(time.DateOnly)
		}
		out = append(out, j)
	}
	return c.JSON(http.StatusOK, map[string]any{"total": len(out), "items": out})
}

// handleActionsCSV serves GET /-/actions.csv: the same list for a spreadsheet.
func (s *Server) handleActionsCSV(c echo.Context) error {
	_, items := s.filteredActions(c)
	now := s.cfg.Now()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"postmortem", "id", "title", "owner", "type", "priority", "status", "due", "overdue", "ticket", "services"})
	for _, a := range items {
		r := s.actionRow(a, now)
		overdue := ""
		if r.Overdue {
			overdue = "yes"
		}
		_ = w.Write(csvSafe([]string{a.Postmortem.Path.Name(), r.ID, r.Title, r.Owner, r.Type, r.Priority, r.Status, r.Due, overdue, r.Ticket, strings.Join(r.Services, " ")}))
	}
	w.Flush()
	c.Response().Header().Set("Content-Disposition", `attachment; filename="action-items.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// csvSafe defuses cells a spreadsheet would run as formulas.
func csvSafe(cells []string) []string {
	for i, v := range cells {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			cells[i] = "'" + v
		}
	}
	return cells
}

// actionPatch is the body of PATCH /-/api/actions/<postmortem>/<id>.
type actionPatch struct {
	Status *string `json:"status"`
	Owner  *string `json:"owner"`
	Due    *string `json:"due"`
}

// splitActionPath splits "<postmortem path>/<item id>" after a prefix.
func (s *Server) splitActionPath(c echo.Context, prefix string) (wiki.Path, string, error) {
	rest := strings.Trim(strings.TrimPrefix(c.Request().URL.Path, prefix), "/")
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", "", wiki.Errorf(wiki.EINVALID, "Name the postmortem and the item: %s<postmortem>/<item id>.", prefix)
	}
	p, err := wiki.PathFromName(rest[:i])
	if err != nil {
		return "", "", err
	}
	if t := s.catalog.Lookup(p.Name()); t.Kind == wiki.TargetPage {
		p = t.Path
	}
	return p, rest[i+1:], nil
}

// handleAPIActionPatch serves PATCH /-/api/actions/<postmortem>/<item id>:
// change status, owner or due in a commit that touches only that item.
func (s *Server) handleAPIActionPatch(c echo.Context) error {
	p, id, err := s.splitActionPath(c, "/-/api/actions/")
	if err != nil {
		return err
	}
	var body actionPatch
	if err := s.readJSON(c, 64<<10, &body); err != nil {
		return err
	}
	res, err := s.editor.UpdateAction(c.Request().Context(), p, id, wiki.ActionUpdate{Status: body.Status, Owner: body.Owner, Due: body.Due}, s.author(c.Request()))
	if err != nil {
		return editError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"commit": res.Commit, "merged": res.Merged, "unchanged": res.Unchanged})
}

// handleActionPost serves POST /-/actions/<postmortem>/<item id>: the
// list's change form, for browsers with or without JavaScript.
func (s *Server) handleActionPost(c echo.Context) error {
	p, id, err := s.splitActionPath(c, "/-/actions/")
	if err != nil {
		return err
	}
	if err := c.Request().ParseForm(); err != nil {
		return wiki.Errorf(wiki.EINVALID, "The form could not be read.")
	}
	form := c.Request().PostForm
	field := func(name string) *string {
		if !form.Has(name) {
			return nil
		}
		v := form.Get(name)
		return &v
	}
	u := wiki.ActionUpdate{Status: field("status"), Owner: field("owner"), Due: field("due")}
	var fields [][2]string
	for _, f := range []struct {
		name string
		v    *string
	}{{"status", u.Status}, {"owner", u.Owner}, {"due", u.Due}} {
		if f.v != nil {
			fields = append(fields, [2]string{f.name, strings.TrimSpace(*f.v)})
		}
	}
	changed := wiki.ActionChanges(s.catalog, p, id, fields)
	res, err := s.editor.UpdateAction(c.Request().Context(), p, id, u, s.author(c.Request()))
	if err != nil {
		return err
	}
	back, err := url.Parse(c.FormValue("back"))
	if err != nil || back.Path != "/-/actions" || back.Host != "" || back.Scheme != "" {
		back = &url.URL{Path: "/-/actions"}
	}
	// Say what was saved on the list the person comes back to.
	q := back.Query()
	q.Set("saved", id)
	q.Set("in", p.Name())
	if res.Unchanged || len(changed) == 0 {
		q.Set("change", "nothing changed")
	} else {
		q.Set("change", strings.Join(changed, ", "))
	}
	back.RawQuery = q.Encode()
	return c.Redirect(http.StatusSeeOther, back.String())
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
