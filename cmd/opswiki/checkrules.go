package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/rules"
)

// RulesCheck is `opswiki check --rules`: Prometheus alerting rules checked
// against a wiki, for the CI of a rules repository.
type RulesCheck struct {
	Rules []string // rule files and folders of them
	Wiki  string   // a running wiki's URL, or a folder (a checkout of its repository)
	// Bases are old or other homes of the runbooks, "PREFIX" or
	// "PREFIX=/folder/": a runbook_url under PREFIX names the page at the
	// rest of the URL, under folder.
	Bases  []string
	FailOn []string // severities whose alerts must have a runbook; "any" for all
	Format string
	// Token is a personal access token for a wiki with access control.
	Token string
}

// ruleFinding is one thing the check found, with its place.
type ruleFinding struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Alert    string `json:"alert,omitempty"`
	Severity string `json:"severity,omitempty"`
	Kind     string `json:"kind"` // no-runbook, broken-url, unchecked-url, orphan-runbook, rule-file
	Message  string `json:"message"`
	Fails    bool   `json:"fails"`
}

// rulesWiki is what the check asks of a wiki.
type rulesWiki interface {
	// Runbooks answering an alert name, as /-/alerts/<name> finds them.
	RunbooksFor(ctx context.Context, alert string) ([]string, error)
	// Page resolves a wiki name or path ("runbooks/disk-full", "-/alerts/X")
	// to the page it shows; "" when nothing is there.
	Page(ctx context.Context, name string) (string, error)
	// Runbooks lists every runbook with the alert names it answers.
	Runbooks(ctx context.Context) (map[string][]string, error)
	// Base is the wiki's own address, "" for a folder; OldURL maps an
	// address under the wiki's settings' redirects to a wiki name.
	Base() string
	OldURL(u string) (string, bool)
}

// Run checks the rules and writes the report; errCheckFailed when an alert
// of a failing severity has no runbook it can reach.
func (rc RulesCheck) Run(ctx context.Context, stdout io.Writer) error {
	var w rulesWiki
	if strings.HasPrefix(rc.Wiki, "http://") || strings.HasPrefix(rc.Wiki, "https://") {
		w = &remoteWiki{base: strings.TrimRight(rc.Wiki, "/"), token: rc.Token, client: &http.Client{Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	} else {
		cat, err := loadFolder(ctx, rc.Wiki)
		if err != nil {
			return err
		}
		w = localWiki{cat}
	}
	bases, err := parseBases(rc.Bases)
	if err != nil {
		return err
	}
	var findings []ruleFinding
	var all []rules.Rule
	files, err := rules.Files(rc.Rules)
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		rs, problems := rules.Parse(f, b)
		for _, p := range problems {
			findings = append(findings, ruleFinding{File: p.File, Line: p.Line, Kind: "rule-file", Message: p.Message})
		}
		all = append(all, rs...)
	}
	rules.Sort(all)
	defined := map[string]bool{}
	for _, r := range all {
		defined[strings.ToLower(r.Alert)] = true
		fs, err := rc.checkRule(ctx, w, bases, r)
		if err != nil {
			return err
		}
		findings = append(findings, fs...)
	}
	runbooks, err := w.Runbooks(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(runbooks))
	for p := range runbooks {
		names = append(names, p)
	}
	sort.Strings(names)
	orphans := 0
	for _, p := range names {
		answers := false
		for _, a := range runbooks[p] {
			answers = answers || defined[strings.ToLower(a)]
		}
		if !answers && len(runbooks[p]) > 0 {
			orphans++
			findings = append(findings, ruleFinding{File: p, Kind: "orphan-runbook",
				Message: fmt.Sprintf("runbook %s answers %s, which no rule defines", p, strings.Join(runbooks[p], ", "))})
		}
	}
	failing := 0
	for _, f := range findings {
		if f.Fails {
			failing++
		}
	}
	if err := rc.report(stdout, findings, len(all), len(files), orphans, failing); err != nil {
		return err
	}
	if failing > 0 {
		return errCheckFailed
	}
	return nil
}

// fails reports whether an alert of this severity must have a runbook.
func (rc RulesCheck) fails(severity string) bool {
	for _, s := range rc.FailOn {
		if s == "any" || strings.EqualFold(s, severity) {
			return true
		}
	}
	return false
}

// checkRule finds the runbook of one alert: its runbook_url when it has
// one (which must lead to a page), else a runbook answering its name.
func (rc RulesCheck) checkRule(ctx context.Context, w rulesWiki, bases []base, r rules.Rule) ([]ruleFinding, error) {
	at := ruleFinding{File: r.File, Line: r.Line, Alert: r.Alert, Severity: r.Severity()}
	fails := rc.fails(r.Severity())
	raw := r.RunbookURL()
	if raw == "" {
		found, err := w.RunbooksFor(ctx, r.Alert)
		if err != nil || len(found) > 0 {
			return nil, err
		}
		f := at
		f.Kind, f.Fails = "no-runbook", fails
		f.Message = fmt.Sprintf("alert %s has no runbook: no runbook_url, and no runbook answers its name", r.Alert)
		return []ruleFinding{f}, nil
	}
	f := at
	if r.RunbookLine > 0 {
		f.Line = r.RunbookLine
	}
	u, left := r.Expand(raw)
	if len(left) > 0 {
		f.Kind = "unchecked-url"
		f.Message = fmt.Sprintf("runbook_url of %s depends on labels only the firing alert has (%s); not checked", r.Alert, strings.Join(left, ", "))
		return []ruleFinding{f}, nil
	}
	name, ours := rc.wikiName(w, bases, u)
	if !ours {
		f.Kind = "unchecked-url"
		f.Message = fmt.Sprintf("runbook_url of %s is not an address of this wiki (%s); give --runbook-base if it is an old home of the runbooks", r.Alert, u)
		return []ruleFinding{f}, nil
	}
	page, err := w.Page(ctx, name)
	if err != nil || page != "" {
		return nil, err
	}
	f.Kind, f.Fails = "broken-url", fails
	f.Message = fmt.Sprintf("runbook_url of %s leads to no page here: %s", r.Alert, u)
	return []ruleFinding{f}, nil
}

// wikiName turns a runbook URL into a wiki name, when the URL is one of
// the wiki's: under its own address, a --runbook-base, a redirect of its
// settings, or a path relative to the repository (as GitLab's runbook
// annotations are written).
func (rc RulesCheck) wikiName(w rulesWiki, bases []base, u string) (string, bool) {
	for _, b := range bases {
		if len(u) >= len(b.prefix) && strings.EqualFold(u[:len(b.prefix)], b.prefix) {
			return cleanName(path.Join(b.folder, u[len(b.prefix):])), true
		}
	}
	if wb := w.Base(); wb != "" && strings.HasPrefix(u, wb+"/") {
		return cleanName(u[len(wb):]), true
	}
	if name, ok := w.OldURL(u); ok {
		return name, true
	}
	if pu, err := url.Parse(u); err == nil && pu.Scheme == "" && pu.Host == "" && pu.Path != "" {
		return cleanName(pu.Path), true
	}
	return "", false
}

// cleanName drops what a page's address may carry besides its name.
func cleanName(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if un, err := url.PathUnescape(s); err == nil {
		s = un
	}
	return strings.Trim(s, "/")
}

// base is one --runbook-base.
type base struct{ prefix, folder string }

func parseBases(list []string) ([]base, error) {
	var out []base
	for _, b := range list {
		prefix, folder, _ := strings.Cut(b, "=")
		if !strings.Contains(prefix, "://") {
			return nil, usageError{fmt.Errorf("--runbook-base %q must start with an address (https://…), optionally =/folder/", b)}
		}
		out = append(out, base{prefix: prefix, folder: "/" + strings.Trim(folder, "/")})
	}
	slices.SortFunc(out, func(a, b base) int { return len(b.prefix) - len(a.prefix) })
	return out, nil
}

func (rc RulesCheck) report(w io.Writer, findings []ruleFinding, alerts, files, orphans, failing int) error {
	counts := map[string]int{}
	for _, f := range findings {
		counts[f.Kind]++
	}
	if rc.Format == "json" {
		if findings == nil {
			findings = []ruleFinding{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"files": files, "alerts": alerts, "failing": failing, "counts": counts, "findings": findings})
	}
	for _, f := range findings {
		sev := "warning"
		if f.Fails || f.Kind == "rule-file" {
			sev = "error"
		}
		if f.Line > 0 {
			fmt.Fprintf(w, "%s:%d: %s: %s\n", f.File, f.Line, sev, f.Message)
		} else {
			fmt.Fprintf(w, "%s: %s: %s\n", f.File, sev, f.Message)
		}
	}
	_, err := fmt.Fprintf(w, "%d alerts in %d rule files: %d without a runbook, %d runbook_urls leading nowhere, %d not checked, %d runbooks answering no alert; %d failing (severity %s)\n",
		alerts, files, counts["no-runbook"], counts["broken-url"], counts["unchecked-url"], orphans, failing, strings.Join(rc.FailOn, ", "))
	return err
}

// localWiki is a folder read as the wiki would read it.
type localWiki struct{ cat *wiki.Catalog }

func (l localWiki) RunbooksFor(_ context.Context, alert string) ([]string, error) {
	var out []string
	for _, p := range l.cat.Graph().RunbooksForAlert(alert) {
		out = append(out, string(p))
	}
	return out, nil
}

func (l localWiki) Page(ctx context.Context, name string) (string, error) {
	if rest, ok := strings.CutPrefix(name, "-/alerts/"); ok {
		found, err := l.RunbooksFor(ctx, rest)
		if len(found) > 0 {
			return found[0], err
		}
		return "", err
	}
	for _, n := range []string{name, strings.TrimSuffix(name, ".md"), strings.TrimSuffix(name, ".html")} {
		if t := l.cat.Lookup(n); t.Kind == wiki.TargetPage {
			return string(t.Path), nil
		}
	}
	return "", nil
}

func (l localWiki) Runbooks(context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	for _, pi := range l.cat.Pages() {
		if pi.Meta.Kind == wiki.KindRunbook {
			out[string(pi.Path)] = wiki.RunbookAlerts(pi)
		}
	}
	return out, nil
}

func (l localWiki) Base() string { return "" }

func (l localWiki) OldURL(u string) (string, bool) {
	name, _, ok := l.cat.Settings().OldURL(u)
	return name, ok
}

// remoteWiki is a running wiki asked over HTTP.
type remoteWiki struct {
	base   string
	token  string
	client *http.Client
}

func (r *remoteWiki) get(ctx context.Context, p string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", r.base+p, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ask the wiki: %w", err)
	}
	return resp, nil
}

func (r *remoteWiki) RunbooksFor(ctx context.Context, alert string) ([]string, error) {
	resp, err := r.get(ctx, "/-/alerts/"+url.PathEscape(alert))
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther:
		return []string{resp.Header.Get("Location")}, nil
	case resp.StatusCode == http.StatusOK: // a chooser: several runbooks
		return []string{"/-/alerts/" + alert}, nil
	case resp.StatusCode == http.StatusNotFound:
		return nil, nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("the wiki answered /-/alerts/%s with %s: give a reader's token with --token-file", alert, resp.Status)
	}
	return nil, fmt.Errorf("the wiki answered /-/alerts/%s with %s", alert, resp.Status)
}

func (r *remoteWiki) Page(ctx context.Context, name string) (string, error) {
	p := "/" + name
	for range 5 { // follow the wiki's own redirects (aliases, letter case)
		resp, err := r.get(ctx, (&url.URL{Path: p}).EscapedPath())
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			return p, nil
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther:
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || loc.Host != "" {
				return "", nil
			}
			p = loc.Path
			continue
		case http.StatusNotFound:
			return "", nil
		}
		return "", fmt.Errorf("the wiki answered %s with %s", p, resp.Status)
	}
	return "", nil
}

func (r *remoteWiki) Runbooks(ctx context.Context) (map[string][]string, error) {
	resp, err := r.get(ctx, "/-/api/runbooks")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the wiki answered /-/api/runbooks with %s", resp.Status)
	}
	var body struct {
		Runbooks []struct {
			Path   string   `json:"path"`
			Alerts []string `json:"alerts"`
		} `json:"runbooks"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("read /-/api/runbooks: %w", err)
	}
	out := map[string][]string{}
	for _, rb := range body.Runbooks {
		out[rb.Path] = rb.Alerts
	}
	return out, nil
}

func (r *remoteWiki) Base() string { return r.base }

func (r *remoteWiki) OldURL(string) (string, bool) { return "", false }
