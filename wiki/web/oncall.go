package web

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/oncall"
	"github.com/opswiki/opswiki/wiki/oncall/schedule"
)

// scheduleWait is how long a page view waits for a schedule that is not
// fetched yet; the fetch goes on, and the next view has it. /-/oncall,
// which exists to answer the question, waits longer.
const (
	scheduleWait       = 250 * time.Millisecond
	scheduleWaitOncall = 3 * time.Second
)

// WhoToCall is the Who to call card: for each service a page is about,
// the team that owns it and who is on call there now.
type WhoToCall struct {
	Teams []TeamCall `json:"teams"`
}

// TeamCall is one team on the card or on /-/oncall.
type TeamCall struct {
	// Services are the services of the page the team owns (empty on
	// /-/oncall and on the team's own page).
	Services []string `json:"services,omitempty"`
	Team     string   `json:"team"`
	TeamURL  string   `json:"team_url,omitempty"`
	// Now and Next are who is on call now and in the next shift.
	Now  []oncall.Person `json:"now"`
	Next []oncall.Person `json:"next,omitempty"`
	// Until is when the current shift ends; NextFrom when the next begins.
	Until    time.Time `json:"until,omitzero"`
	NextFrom time.Time `json:"next_from,omitzero"`
	Override bool      `json:"override,omitempty"`
	// Source says where the answer comes from: "rotation", "schedule",
	// "words" (an on-call given as text) or "backstage".
	Source      string `json:"source"`
	ScheduleURL string `json:"schedule_url,omitempty"`
	// Text is an on-call given in words, shown as written.
	Text string `json:"text,omitempty"`
	// Stale says the answer is the last one known, why, and how old.
	Stale string `json:"stale,omitempty"`
	// Problem says why no one can be named (no on-call, a schedule that
	// was never fetched).
	Problem    string           `json:"problem,omitempty"`
	Channels   []wiki.Channel   `json:"channels,omitempty"`
	Escalation []EscalationStep `json:"escalation,omitempty"`
	Links      []Link           `json:"links,omitempty"`
	Members    []wiki.Member    `json:"members,omitempty"`
	TimeZone   string           `json:"time_zone,omitempty"`
}

// EscalationStep is one level of a team's escalation, resolved now.
type EscalationStep struct {
	After string             `json:"after"`
	How   string             `json:"how"`
	To    []EscalationTarget `json:"to"`
}

// EscalationTarget is a team, person or schedule a level reaches, and who
// that is now.
type EscalationTarget struct {
	Name string          `json:"name"`
	URL  string          `json:"url,omitempty"`
	Who  []oncall.Person `json:"who,omitempty"`
	Note string          `json:"note,omitempty"`
}

// Link is a labelled link.
type Link struct {
	Text string `json:"text"`
	URL  string `json:"url"`
}

// NowNames and NextNames are the names on call, for templates.
func (t TeamCall) NowNames() string  { return names(t.Now) }
func (t TeamCall) NextNames() string { return names(t.Next) }

func names(ps []oncall.Person) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return strings.Join(out, ", ")
}

// cardTTL is how long a page's card is reused: page views ask for it on
// every request (it is part of the page cache key), and it changes only
// at a handoff, when a schedule is fetched again, or with the graph.
const cardTTL = 5 * time.Second

// cardCache keeps each page's card for cardTTL, or until the page
// changes. A commit changing a team or an owner shows within cardTTL;
// computing every card again after each commit would cost a busy wiki
// more than the cards themselves.
type cardCache struct {
	mu    sync.Mutex
	cards map[wiki.Path]cachedCard
}

type cachedCard struct {
	card        *WhoToCall
	fingerprint string
	blob        string    // of the page it was made for
	from, until time.Time // reused between these
}

// card returns a page's card and its fingerprint, computed again when
// cardTTL passed or a shift it shows ended.
func (s *Server) card(ctx context.Context, pi *wiki.PageInfo, now time.Time) (*WhoToCall, string) {
	cc := &s.cards
	cc.mu.Lock()
	if cc.cards == nil || len(cc.cards) > 10000 {
		cc.cards = map[wiki.Path]cachedCard{}
	}
	c, ok := cc.cards[pi.Path]
	cc.mu.Unlock()
	if ok && c.blob == pi.Blob && !now.Before(c.from) && now.Before(c.until) {
		return c.card, c.fingerprint
	}
	card := s.whoToCall(ctx, pi, now)
	c = cachedCard{card: card, fingerprint: card.fingerprint(), blob: pi.Blob, from: now, until: now.Add(cardTTL)}
	if card != nil {
		for _, t := range card.Teams {
			if !t.Until.IsZero() && t.Until.Before(c.until) {
				c.until = t.Until
			}
		}
	}
	cc.mu.Lock()
	cc.cards[pi.Path] = c
	cc.mu.Unlock()
	return c.card, c.fingerprint
}

// whoToCall resolves the card of a page: a team's own page shows the team;
// any other page the teams owning its services. nil when there is nobody
// to name.
func (s *Server) whoToCall(ctx context.Context, pi *wiki.PageInfo, now time.Time) *WhoToCall {
	ctx, cancel := context.WithTimeout(ctx, scheduleWait)
	defer cancel()
	g := s.catalog.Graph()
	if pi.Meta.Kind == wiki.KindTeam {
		tc := s.teamCall(ctx, g, pi, now)
		return &WhoToCall{Teams: []TeamCall{tc}}
	}
	var card WhoToCall
	byTeam := map[string]int{}
	for _, n := range g.ServicesOf(pi) {
		team, ok := g.OwnerTeam(n)
		key := ""
		switch {
		case ok:
			key = string(team.Path)
		case n.Page != nil && n.Page.Meta.OncallPlan != nil:
			key = "service:" + n.Name
		case len(n.OnCall()) > 0:
			key = "backstage:" + n.Name
		default:
			continue
		}
		if i, seen := byTeam[key]; seen {
			card.Teams[i].Services = append(card.Teams[i].Services, n.Name)
			continue
		}
		var tc TeamCall
		switch {
		case ok:
			tc = s.teamCall(ctx, g, team, now)
		case n.Page != nil && n.Page.Meta.OncallPlan != nil:
			tc = s.planCall(ctx, n.Name, n.Page.Meta.OncallPlan, now)
			tc.TeamURL = n.Page.Path.URL()
			if o := n.Owner(); o != "" {
				tc.Team = o
			}
		default:
			tc = TeamCall{Team: n.Owner(), Source: "backstage"}
			if tc.Team == "" {
				tc.Team = n.Name
			}
			for _, oc := range n.OnCall() {
				if !oc.Secret() {
					tc.Links = append(tc.Links, Link{Text: oc.Provider + " " + oc.Label + " " + oc.Value, URL: oc.URL})
				}
			}
		}
		tc.Services = []string{n.Name}
		byTeam[key] = len(card.Teams)
		card.Teams = append(card.Teams, tc)
	}
	if len(card.Teams) == 0 {
		return nil
	}
	return &card
}

// teamCall says who is on call for a team page, with its channels and its
// escalation resolved now. Schedules not fetched yet are waited for until
// ctx ends.
func (s *Server) teamCall(ctx context.Context, g *wiki.Graph, team *wiki.PageInfo, now time.Time) TeamCall {
	m := team.Meta
	name := m.Name
	if name == "" {
		name = team.Title
	}
	tc := s.planCall(ctx, name, m.OncallPlan, now)
	tc.TeamURL = team.Path.URL()
	tc.Channels = m.Channels
	tc.Members = m.Members
	if len(m.Escalation) > 0 {
		reach := oncall.Resolve(m.Escalation, now, func(target string, at time.Time) ([]oncall.Person, bool, error) {
			t, ok := g.Team(target)
			if !ok {
				if oncall.CheckScheduleURL(target) == nil {
					st, err := s.schedules().Status(ctx, &oncall.Oncall{Schedule: target}, at)
					return st.Now.Who, true, err
				}
				return nil, false, nil
			}
			if t.Meta.OncallPlan == nil {
				return nil, true, errors.New("the team has no on-call")
			}
			st, err := s.schedules().Status(ctx, t.Meta.OncallPlan, at)
			return st.Now.Who, true, err
		})
		for _, r := range reach {
			step := EscalationStep{After: duration(r.Level.After), How: strings.Join(r.Level.How, ", ")}
			for _, tg := range r.Targets {
				to := EscalationTarget{Name: tg.Target, Who: tg.Who}
				if t, ok := g.Team(tg.Target); ok {
					to.URL = t.Path.URL()
				}
				if tg.Err != nil {
					to.Note = oncall.ErrorMessage(tg.Err)
				}
				step.To = append(step.To, to)
			}
			tc.Escalation = append(tc.Escalation, step)
		}
	}
	return tc
}

// planCall computes who an on-call plan puts on call now and next.
func (s *Server) planCall(ctx context.Context, team string, plan *oncall.Oncall, now time.Time) TeamCall {
	tc := TeamCall{Team: team}
	switch {
	case plan == nil:
		tc.Source = "none"
		tc.Problem = "No on-call is set: give the team an oncall rotation or schedule URL."
		return tc
	case plan.Text != "":
		tc.Source, tc.Text = "words", plan.Text
		return tc
	case plan.Schedule != "":
		tc.Source, tc.ScheduleURL = "schedule", plan.Schedule
	default:
		tc.Source = "rotation"
		if plan.Rotation != nil && plan.Rotation.Location != nil {
			tc.TimeZone = plan.Rotation.Location.String()
		}
	}
	st, err := s.schedules().Status(ctx, plan, now)
	if err != nil {
		tc.Problem = oncall.ErrorMessage(err)
		return tc
	}
	tc.Now, tc.Until, tc.Override = st.Now.Who, st.Now.End, st.Now.Override
	tc.Next, tc.NextFrom = st.Next.Who, st.Next.Start
	if sc := st.Schedule; sc != nil && sc.Err != nil {
		tc.Stale = fmt.Sprintf("The schedule could not be fetched (%s); this is the copy of %s ago.", oncall.ErrorMessage(sc.Err), duration(sc.Age))
	}
	return tc
}

// schedules returns the schedule fetcher.
func (s *Server) schedules() *schedule.Fetcher { return s.oncall }

// fingerprint sums what the card shows, for the page cache key: the card
// changes at every handoff and when a schedule's answer does.
func (w *WhoToCall) fingerprint() string {
	if w == nil {
		return ""
	}
	h := fnv.New64a()
	for _, t := range w.Teams {
		fmt.Fprintf(h, "%s|%s|%s|%s|%s|%s|%v|%s|%s|", t.Team, t.NowNames(), t.NextNames(), t.Until, t.NextFrom, t.Text, t.Override, t.Stale, t.Problem)
		for _, e := range t.Escalation {
			for _, to := range e.To {
				fmt.Fprintf(h, "%s>%s>%s;", to.Name, names(to.Who), to.Note)
			}
		}
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], h.Sum64())
	return fmt.Sprintf("%x", b)
}

// OncallView is /-/oncall: every team and who is on call there now.
type OncallView struct {
	Layout
	Now   time.Time
	Teams []TeamCall
}

// Oncall resolves every team page: who is on call now and next.
func (s *Server) Oncall(ctx context.Context, now time.Time) []TeamCall {
	ctx, cancel := context.WithTimeout(ctx, scheduleWaitOncall)
	defer cancel()
	g := s.catalog.Graph()
	var out []TeamCall
	for _, pi := range g.Teams() {
		out = append(out, s.teamCall(ctx, g, pi, now))
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Team) < strings.ToLower(out[j].Team) })
	return out
}

// handleOncall serves GET /-/oncall and GET /-/api/oncall.
func (s *Server) handleOncall(c echo.Context) error {
	now := s.cfg.Now()
	teams := s.Oncall(c.Request().Context(), now)
	c.Response().Header().Set("Cache-Control", "no-store")
	if isAPI(c.Request()) {
		return c.JSON(http.StatusOK, map[string]any{"at": now.UTC(), "teams": teams})
	}
	return s.html(c, http.StatusOK, "oncall", OncallView{Layout: s.layout("On call"), Now: now, Teams: teams})
}
