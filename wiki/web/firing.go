package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/firing"
)

// firingRoutes registers Alertmanager's webhook and the view of what is
// firing now.
func (s *Server) firingRoutes(open, read routeGroup) {
	open.POST("/-/api/alertmanager", s.handleAlertmanager)
	read.GET("/-/firing", s.handleFiring)
	read.GET("/-/alerts", s.handleAlerts)
}

// handleAlertmanager serves POST /-/api/alertmanager: Alertmanager's
// webhook (webhook_configs with http_config.authorization credentials).
// Firing alerts are kept, resolved ones forgotten; repeats change nothing.
func (s *Server) handleAlertmanager(c echo.Context) error {
	if s.cfg.AlertmanagerToken == "" || s.firing == nil {
		return wiki.Errorf(wiki.ENOTFOUND, "The Alertmanager webhook is off: start the wiki with --alertmanager-token-file.")
	}
	got, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.AlertmanagerToken)) != 1 {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="opswiki alertmanager"`)
		return wiki.Errorf(wiki.EUNAUTHORIZED, "Send the webhook's token as Authorization: Bearer (http_config.authorization in webhook_configs).")
	}
	r := c.Request()
	if r.ContentLength > firing.MaxPayloadBytes {
		return wiki.Errorf(wiki.ETOOLARGE, "The notification is larger than %s; lower max_alerts in webhook_configs.", wiki.ByteSize(firing.MaxPayloadBytes))
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, firing.MaxPayloadBytes)
	p, err := firing.Decode(r.Body)
	var tooLarge *http.MaxBytesError
	var bad *firing.ErrPayload
	switch {
	case errors.As(err, &tooLarge):
		return wiki.Errorf(wiki.ETOOLARGE, "The notification is larger than %s; lower max_alerts in webhook_configs.", wiki.ByteSize(firing.MaxPayloadBytes))
	case errors.As(err, &bad):
		return wiki.Errorf(wiki.EINVALID, "%s", bad.Reason)
	case err != nil:
		return err
	}
	changed, err := s.firing.Apply(p, s.cfg.Now())
	if errors.As(err, &bad) {
		return wiki.Errorf(wiki.EUNAVAILABLE, "%s", bad.Reason)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"changed": changed, "firing": s.firing.Count()})
}

// FiringAlert is a firing alert as the wiki shows it.
type FiringAlert struct {
	Name         string
	Labels       []LabelPair
	Summary      string
	Since        string
	SinceISO     string
	For          string
	GeneratorURL string
	SilenceURL   string
	Runbook      *PageLink
	StartURL     string // a postmortem for the alert's group, from the template
}

// LabelPair is one label of an alert.
type LabelPair struct{ Name, Value string }

// FiringView is /-/firing.
type FiringView struct {
	Layout
	Alerts []FiringAlert
}

// groupStarts returns, for each notification group, when its first alert
// began to fire: an incident started then.
func groupStarts(list []firing.Alert) map[string]time.Time {
	out := map[string]time.Time{}
	for _, a := range list {
		if t, ok := out[a.GroupKey]; !a.StartsAt.IsZero() && (!ok || a.StartsAt.Before(t)) {
			out[a.GroupKey] = a.StartsAt
		}
	}
	return out
}

func (s *Server) firingAlert(a firing.Alert, now time.Time, starts map[string]time.Time) FiringAlert {
	f := FiringAlert{Name: a.Name, Summary: a.Annotations["summary"], GeneratorURL: a.GeneratorURL, SilenceURL: a.SilenceURL()}
	if f.Summary == "" {
		f.Summary = a.Annotations["description"]
	}
	if !a.StartsAt.IsZero() {
		f.Since, f.SinceISO, f.For = formatTime(a.StartsAt), a.StartsAt.Format(time.RFC3339), duration(now.Sub(a.StartsAt))
	}
	for _, k := range sortedLabelNames(a.Labels) {
		if k != "alertname" {
			f.Labels = append(f.Labels, LabelPair{k, a.Labels[k]})
		}
	}
	if rb := s.catalog.Graph().RunbooksForAlert(a.Name); len(rb) > 0 {
		links := s.linkPages(rb[:1])
		f.Runbook = &links[0]
		q := url.Values{}
		for k, v := range a.Labels {
			q.Set(k, v)
		}
		f.Runbook.URL += "?" + q.Encode()
	}
	f.StartURL = startIncidentURL(a, starts[a.GroupKey], now)
	return f
}

func sortedLabelNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// startIncidentURL opens a new postmortem for an alert's group from the
// template, with what the alert knows filled in: started is when the
// group's first alert began to fire.
func startIncidentURL(a firing.Alert, started, now time.Time) string {
	q := url.Values{"template": {"postmortem"}, "alert": {a.Name}, "title": {a.Name}}
	if svc := a.Labels["service"]; svc != "" {
		q.Set("service", svc)
	}
	if started.IsZero() {
		started = a.StartsAt
	}
	if !started.IsZero() {
		q.Set("started", started.UTC().Format(time.RFC3339))
	}
	q.Set("detected", now.UTC().Format(time.RFC3339))
	return "/-/new?" + q.Encode()
}

// handleFiring serves GET /-/firing: every alert firing now, oldest first.
func (s *Server) handleFiring(c echo.Context) error {
	v := FiringView{Layout: s.layout("Firing")}
	now := s.cfg.Now()
	list := s.firing.List()
	starts := groupStarts(list)
	for _, a := range list {
		v.Alerts = append(v.Alerts, s.firingAlert(a, now, starts))
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return s.html(c, http.StatusOK, "firing", v)
}

// firingFor returns the firing alerts a page shows: on a runbook, the
// alerts it answers; on a service's page, the alerts of its runbooks and
// those labelled with its name.
func (s *Server) firingFor(pi *wiki.PageInfo, service *wiki.ServiceNode, now time.Time) []FiringAlert {
	if s.firing.Count() == 0 {
		return nil
	}
	g := s.catalog.Graph()
	var out []FiringAlert
	list := s.firing.List()
	starts := groupStarts(list)
	for _, a := range list {
		shown := false
		for _, rb := range g.RunbooksForAlert(a.Name) {
			shown = shown || rb == pi.Path || service != nil && containsPath(service.Runbooks, rb)
		}
		if service != nil && (strings.EqualFold(a.Labels["service"], service.Name) || strings.EqualFold(a.Labels["job"], service.Name)) {
			shown = true
		}
		if shown {
			out = append(out, s.firingAlert(a, now, starts))
		}
	}
	return out
}

func containsPath(list []wiki.Path, p wiki.Path) bool {
	for _, q := range list {
		if q == p {
			return true
		}
	}
	return false
}
