package wiki

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The readiness checks: what an incident should have changed and did not.
// The names are the ones .opswiki.yaml's readiness.block_close lists.
const (
	// CheckRunbooksNotUpdated: a runbook the postmortem names in runbooks
	// or links to has no commit after the incident was resolved (after it
	// started, while it is not resolved).
	CheckRunbooksNotUpdated = "runbooks_not_updated"
	// CheckUntrackedItems: a prevent or detect action item, not done or
	// dropped, with neither an owner nor a ticket: nobody is tracking it.
	CheckUntrackedItems = "untracked_items"
	// CheckOpenItems: a closed postmortem with action items still open or
	// in progress.
	CheckOpenItems = "open_items"
)

// FindingUnknownRunbook is the finding of a runbooks entry that names no
// page and no alert a runbook answers: always a warning, not a check the
// settings can make block closing.
const FindingUnknownRunbook = "unknown_runbook"

// ReadinessChecks lists every readiness check by name.
var ReadinessChecks = []string{CheckRunbooksNotUpdated, CheckUntrackedItems, CheckOpenItems}

// StatusClosed is the postmortem status readiness.block_close guards.
const StatusClosed = "closed"

// Finding is one thing an incident should have changed and did not.
type Finding struct {
	Check   string
	Problem Problem
	// Runbook is the runbook not updated, with when it last changed.
	Runbook     *IncidentPage
	LastChanged time.Time
	// Item is the action item's id, for the item checks.
	Item string
	// Named is the runbooks entry, for FindingUnknownRunbook.
	Named string
}

// Readiness is what a postmortem's incident should have changed and did
// not, each finding a warning unless the repository settings make it an
// error that blocks closing the postmortem.
type Readiness struct {
	Findings []Finding
	// Since is the moment runbooks must have changed after: when the
	// incident was resolved, or when it started while it is not resolved;
	// SinceBasis names the timestamp. Zero when the postmortem has none.
	Since      time.Time
	SinceBasis string
	// Runbooks counts the runbooks checked; RunbooksUnchecked says why
	// they were not, "" when they were.
	Runbooks          int
	RunbooksUnchecked string
	// unavailable is the history's error when it could not answer.
	unavailable error
}

// SincePhrase says what Since is, after "since the incident": "was
// resolved", or "started, and it is not resolved".
func (r Readiness) SincePhrase() string {
	switch r.SinceBasis {
	case "resolved":
		return "was resolved"
	case "started":
		return "started, and it is not resolved"
	}
	return "was " + r.SinceBasis + ", and it is not resolved"
}

// Errors returns the findings that block closing the postmortem, as
// problems.
func (r Readiness) Errors() []Problem {
	return filterProblems(r.Problems(), SeverityError)
}

// Problems returns every finding as the problem it is.
func (r Readiness) Problems() []Problem {
	out := make([]Problem, 0, len(r.Findings))
	for _, f := range r.Findings {
		out = append(out, f.Problem)
	}
	return out
}

// CheckReadiness checks postmortem d against the wiki (c) and the history
// of main (tl; nil leaves runbooks unchecked) under settings s. updated
// holds files the same change writes, which count as changed now: a push
// that updates a runbook and closes the postmortem in one go. Other
// documents have no findings.
func CheckReadiness(ctx context.Context, c *Catalog, tl Timeline, d *Document, s *Settings, updated map[Path]bool) Readiness {
	var r Readiness
	if d == nil || d.Meta.Kind != KindPostmortem || d.Path.Top() == "templates" {
		return r
	}
	r.Since, r.SinceBasis = d.Meta.Resolved, "resolved"
	if r.Since.IsZero() {
		r.Since, r.SinceBasis = IncidentStart(d.Meta)
	}
	var pages []IncidentPage
	if c != nil {
		var unknown []string
		pages, unknown = c.IncidentPages(d)
		for _, name := range unknown {
			msg := fmt.Sprintf("runbooks: %q names no page and no alert a runbook answers", name)
			r.Findings = append(r.Findings, Finding{Check: FindingUnknownRunbook, Named: name,
				Problem: Problem{Path: d.Path, Line: d.KeyLine("runbooks"), Severity: SeverityWarning, Field: "runbooks", Message: msg}})
		}
	}
	switch {
	case c == nil || tl == nil:
		r.RunbooksUnchecked = "the runbooks are checked against the wiki's history, which only the wiki has"
	case !slices.ContainsFunc(pages, func(ip IncidentPage) bool { return ip.Kind == KindRunbook }):
		// Nothing to check.
	case r.Since.IsZero():
		r.RunbooksUnchecked = "the postmortem has no resolved or started time to compare the runbooks' changes with"
	default:
		r.checkRunbooks(ctx, tl, d, s, pages, updated)
	}
	r.checkItems(d, s)
	return r
}

// checkRunbooks finds the runbooks among pages, named or linked, with no
// commit after r.Since.
func (r *Readiness) checkRunbooks(ctx context.Context, tl Timeline, d *Document, s *Settings, pages []IncidentPage, updated map[Path]bool) {
	when, phrase := r.Since.UTC().Format("2006-01-02 15:04 UTC"), r.SincePhrase()
	for i := range pages {
		ip := &pages[i]
		if ip.Kind != KindRunbook {
			continue
		}
		r.Runbooks++
		if updated[ip.Path] {
			continue
		}
		at, err := tl.PageAt(ctx, ip.Path, r.Since)
		if err != nil {
			r.RunbooksUnchecked, r.unavailable, r.Runbooks = ErrorMessage(err), err, 0
			r.Findings = slices.DeleteFunc(r.Findings, func(f Finding) bool { return f.Check == CheckRunbooksNotUpdated })
			return
		}
		if at.Since > 0 || at.Latest.ID == "" {
			continue
		}
		msg := fmt.Sprintf("runbook %s has not changed since the incident %s (%s); last changed %s",
			ip.Path.Name(), phrase, when, at.LatestAt.UTC().Format(time.DateOnly))
		r.add(d, s, CheckRunbooksNotUpdated, ip.Line, "runbooks", msg, Finding{Runbook: ip, LastChanged: at.LatestAt})
	}
}

// checkItems finds untracked prevent and detect items, and open items of a
// closed postmortem.
func (r *Readiness) checkItems(d *Document, s *Settings) {
	for _, a := range d.Meta.ActionItems {
		done := a.Status == "done" || a.Status == "wontfix"
		if (a.Type == "prevent" || a.Type == "detect") && !done && a.Owner == "" && a.Ticket == "" {
			msg := fmt.Sprintf("action item %q (%s) has neither an owner nor a ticket: nobody is tracking it", a.ID, a.Type)
			r.add(d, s, CheckUntrackedItems, a.Line, "action_items", msg, Finding{Item: a.ID})
		}
		if d.Meta.Status == StatusClosed && !done {
			msg := fmt.Sprintf("the postmortem is closed, but action item %q is still %s", a.ID, a.Status)
			r.add(d, s, CheckOpenItems, a.Line, "action_items", msg, Finding{Item: a.ID})
		}
	}
}

// add records a finding: a warning, or an error when the settings block
// closing on its check and the postmortem says it is closed.
func (r *Readiness) add(d *Document, s *Settings, check string, line int, field, msg string, f Finding) {
	sev := SeverityWarning
	if d.Meta.Status == StatusClosed && s.BlocksClose(check) {
		sev = SeverityError
		msg += fmt.Sprintf(" (.opswiki.yaml: readiness.block_close lists %s, so the postmortem cannot be closed until this is fixed)", check)
	}
	f.Check = check
	f.Problem = Problem{Path: d.Path, Line: line, Severity: sev, Field: field, Message: msg}
	r.Findings = append(r.Findings, f)
}

// ReadinessRule is one check the settings make block closing a postmortem.
type ReadinessRule struct {
	Check string `json:"check"`
	Line  int    `json:"line"`
}

// BlocksClose reports whether the settings make check block closing a
// postmortem.
func (s *Settings) BlocksClose(check string) bool {
	if s == nil {
		return false
	}
	return slices.ContainsFunc(s.BlockClose, func(r ReadinessRule) bool { return r.Check == check })
}

// readinessSection reads the readiness section of the settings file:
// block_close, the checks that block closing a postmortem.
func (s *Settings) readinessSection(section string, v *yaml.Node) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return
	}
	if v.Kind != yaml.MappingNode {
		s.errorf(v.Line, section, "readiness must be a mapping (%s)", settingsExample[section])
		return
	}
	seen := false
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		if k.Value != "block_close" {
			s.warnf(k.Line, section, "unknown key %q in readiness, ignored: the only key is block_close", k.Value)
			continue
		}
		if seen {
			s.errorf(k.Line, section, "block_close appears more than once in readiness")
			continue
		}
		seen = true
		s.eachString(section+".block_close", val, func(n *yaml.Node) {
			check := strings.ToLower(strings.TrimSpace(n.Value))
			switch {
			case !slices.Contains(ReadinessChecks, check):
				s.errorf(n.Line, section, "%q is not a readiness check: use %s", n.Value, strings.Join(ReadinessChecks, ", "))
			case s.BlocksClose(check):
				s.warnf(n.Line, section, "%s is listed twice in block_close", check)
			default:
				s.BlockClose = append(s.BlockClose, ReadinessRule{Check: check, Line: n.Line})
			}
		})
	}
}
