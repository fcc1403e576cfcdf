package web

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/rules"
)

// ruleCache keeps the parsed rule files committed in the wiki, by blob.
type ruleCache struct {
	mu     sync.Mutex
	byBlob map[string]parsedRules
	// The last answer, for the commit and the --rules files it was for:
	// page views of runbooks ask on every request.
	key      string
	rules    []rules.Rule
	problems []rules.Problem

	// The rules each runbook answers, for the graph and rules of
	// answersKey: runbook views ask on every request.
	answersKey string
	answers    map[wiki.Path][]rules.Rule
}

type parsedRules struct {
	rules    []rules.Rule
	problems []rules.Problem
}

// allRules returns the alerting rules the wiki knows: the files given with
// --rules, and those committed in the repository where its settings say
// (rules: in .opswiki.yaml).
// The key changes whenever the rules may have.
func (s *Server) allRules(ctx context.Context) ([]rules.Rule, []rules.Problem, string) {
	out, problems, stamp := s.rules.LoadStamped()
	settings := s.catalog.Settings()
	if settings == nil || len(settings.Rules) == 0 {
		return out, problems, stamp
	}
	key := s.catalog.Commit() + "\x00" + stamp
	s.ruleFiles.mu.Lock()
	defer s.ruleFiles.mu.Unlock()
	if s.ruleFiles.key == key {
		return s.ruleFiles.rules, s.ruleFiles.problems, key
	}
	out = append([]rules.Rule(nil), out...)
	problems = append([]rules.Problem(nil), problems...)
	files := s.catalog.FilesWhere(settings.IsRuleFile)
	if s.ruleFiles.byBlob == nil {
		s.ruleFiles.byBlob = map[string]parsedRules{}
	}
	seen := map[string]bool{}
	paths := make([]wiki.Path, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool { return paths[i] < paths[j] })
	for _, p := range paths {
		blob := files[p]
		key := string(p) + "\x00" + blob
		seen[key] = true
		pr, ok := s.ruleFiles.byBlob[key]
		if !ok {
			b, err := s.store.ReadBlob(ctx, blob)
			if err != nil {
				problems = append(problems, rules.Problem{File: string(p), Message: err.Error()})
				continue
			}
			pr.rules, pr.problems = rules.Parse(string(p), b)
			s.ruleFiles.byBlob[key] = pr
		}
		out = append(out, pr.rules...)
		problems = append(problems, pr.problems...)
	}
	for k := range s.ruleFiles.byBlob {
		if !seen[k] {
			delete(s.ruleFiles.byBlob, k) // a file changed or went
		}
	}
	rules.Sort(out)
	s.ruleFiles.key, s.ruleFiles.rules, s.ruleFiles.problems = key, out, problems
	return out, problems, key
}

// AlertRow is one alerting rule on /-/alerts and on its runbook.
type AlertRow struct {
	Name, Expr, For, Severity, Summary string
	Labels                             []LabelPair
	Source                             string // file:line
	Runbooks                           []PageLink
	WriteURL                           string // a new runbook for it, when none answers it
	Firing                             int
}

// AlertsView is /-/alerts.
type AlertsView struct {
	Layout
	Alerts   []AlertRow
	Problems []rules.Problem
	Without  int
}

func (s *Server) alertRow(r rules.Rule, g *wiki.Graph) AlertRow {
	row := AlertRow{Name: r.Alert, Expr: r.Expr, For: r.For, Severity: r.Severity(), Summary: r.Annotations["summary"],
		Source: r.File + ":" + strconv.Itoa(r.Line), Runbooks: s.linkPages(g.RunbooksForAlert(r.Alert)), Firing: len(s.firing.Named(r.Alert))}
	for _, k := range sortedLabelNames(r.Labels) {
		if k != "severity" {
			row.Labels = append(row.Labels, LabelPair{k, r.Labels[k]})
		}
	}
	if len(row.Runbooks) == 0 {
		q := url.Values{"template": {"runbook"}, "alert": {r.Alert}, "title": {r.Alert}, "expr": {r.Expr}}
		if sum := r.Annotations["summary"]; sum != "" {
			q.Set("summary", sum)
		}
		if svc := r.Labels["service"]; svc != "" {
			q.Set("service", svc)
		}
		row.WriteURL = "/-/new?" + q.Encode()
	}
	return row
}

// handleAlerts serves GET /-/alerts: every alert the rules define, with
// its runbook or a link that writes one.
func (s *Server) handleAlerts(c echo.Context) error {
	rs, problems, _ := s.allRules(c.Request().Context())
	g := s.catalog.Graph()
	v := AlertsView{Layout: s.layout("Alerts"), Problems: problems}
	for _, r := range rs {
		row := s.alertRow(r, g)
		if len(row.Runbooks) == 0 {
			v.Without++
		}
		v.Alerts = append(v.Alerts, row)
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return s.html(c, http.StatusOK, "alerts", v)
}

// rulesFor returns the rules a runbook answers.
func (s *Server) rulesFor(ctx context.Context, p wiki.Path) []AlertRow {
	rs, _, key := s.allRules(ctx)
	if len(rs) == 0 {
		return nil
	}
	g := s.catalog.Graph()
	var out []AlertRow
	for _, r := range s.answeredBy(g, rs, key)[p] {
		out = append(out, s.alertRow(r, g))
	}
	return out
}

// answeredBy maps each runbook to the rules it answers, made once for a
// graph and a set of rules.
func (s *Server) answeredBy(g *wiki.Graph, rs []rules.Rule, rulesKey string) map[wiki.Path][]rules.Rule {
	key := g.Commit + "\x00" + rulesKey
	s.ruleFiles.mu.Lock()
	defer s.ruleFiles.mu.Unlock()
	if s.ruleFiles.answersKey == key {
		return s.ruleFiles.answers
	}
	m := map[wiki.Path][]rules.Rule{}
	for _, r := range rs {
		for _, rb := range g.RunbooksForAlert(r.Alert) {
			m[rb] = append(m[rb], r)
		}
	}
	s.ruleFiles.answersKey, s.ruleFiles.answers = key, m
	return m
}
