package wiki

import (
	"time"

	"github.com/opswiki/opswiki/wiki/oncall"
)

// Kinds of page. A page's kind comes from its front matter, else from its top
// folder, else it is KindPage.
const (
	KindPage       = "page"
	KindRunbook    = "runbook"
	KindService    = "service"
	KindPostmortem = "postmortem"
	KindTemplate   = "template"
	// KindTeam is a team: its members, channels, on-call and escalation.
	KindTeam = "team"
	// KindDrill records an exercise of a runbook; it never counts as an
	// incident.
	KindDrill = "drill"
)

// Kinds lists every kind a page may declare.
var Kinds = []string{KindPage, KindRunbook, KindService, KindPostmortem, KindTemplate, KindTeam, KindDrill}

// Severity says whether a problem blocks a save or push.
type Severity string

// Problem severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Problem is one thing wrong with a document, at a line of its file (1-based;
// 0 when it concerns the whole file).
type Problem struct {
	Path     Path     `json:"path"`
	Line     int      `json:"line"`
	Severity Severity `json:"severity"`
	Field    string   `json:"field,omitempty"`
	Message  string   `json:"message"`
}

// Link is a titled URL from front matter (dashboards, links).
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// SLO is one service level objective of a service. Objective and Window
// are as written; Target and Span are what they say (0 when they say
// nothing usable, and then the SLO has no error budget).
type SLO struct {
	Name      string `json:"name"`
	Objective string `json:"objective"`
	Window    string `json:"window"`
	Indicator string `json:"indicator,omitempty"`
	// Events, when set, makes the budget a number of events: how many the
	// indicator counts in one window.
	Events int64         `json:"events,omitempty"`
	Target float64       `json:"target,omitempty"` // 0.999 for "99.9%"
	Span   time.Duration `json:"-"`
	Line   int           `json:"line"`
}

// ActionItem is one follow-up of a postmortem.
type ActionItem struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Owner    string    `json:"owner,omitempty"`
	Type     string    `json:"type,omitempty"`
	Priority string    `json:"priority,omitempty"`
	Status   string    `json:"status"`
	Due      time.Time `json:"due,omitzero"`
	Ticket   string    `json:"ticket,omitempty"`
	Line     int       `json:"line"` // where the item starts in the file
}

// Field is one front matter key with its value as written, for showing keys
// the model does not know and for keeping their order.
type Field struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
	Line  int    `json:"line"`
}

// Meta is a page's front matter, parsed into the model of SPEC §3. Fields a
// kind does not use stay zero. Extra keeps every key the model does not know,
// in file order, so nothing written is lost or hidden.
type Meta struct {
	Title        string    `json:"title,omitempty"`
	Kind         string    `json:"kind"`
	Tags         []string  `json:"tags,omitempty"`
	Owner        string    `json:"owner,omitempty"`
	Services     []string  `json:"services,omitempty"`
	LastReviewed time.Time `json:"last_reviewed,omitzero"`
	// Aliases are former page names that redirect here (set when a page moves).
	Aliases     []string      `json:"aliases,omitempty"`
	ReviewEvery time.Duration `json:"review_every,omitempty"`

	// Service pages.
	Name        string   `json:"name,omitempty"`
	Description string   `json:"description,omitempty"`
	Tier        string   `json:"tier,omitempty"`
	Lifecycle   string   `json:"lifecycle,omitempty"`
	Oncall      string   `json:"oncall,omitempty"`
	Contacts    []string `json:"contacts,omitempty"`
	DependsOn   []string `json:"depends_on,omitempty"`
	SLOs        []SLO    `json:"slos,omitempty"`
	Links       []Link   `json:"links,omitempty"`
	Repo        string   `json:"repo,omitempty"`

	// Runbooks (and postmortems, for Severity).
	Alerts   []string `json:"alerts,omitempty"`
	Severity string   `json:"severity,omitempty"`

	// Postmortems.
	Incidents    []string     `json:"incidents,omitempty"`
	Status       string       `json:"status,omitempty"`
	Authors      []string     `json:"authors,omitempty"`
	Started      time.Time    `json:"started,omitzero"`
	Detected     time.Time    `json:"detected,omitzero"`
	Acknowledged time.Time    `json:"acknowledged,omitzero"`
	Mitigated    time.Time    `json:"mitigated,omitzero"`
	Resolved     time.Time    `json:"resolved,omitzero"`
	ActionItems  []ActionItem `json:"action_items,omitempty"`
	Related      []string     `json:"related,omitempty"`

	// SLOs and drills. SLOImpact is what an incident cost its services'
	// SLOs; DrillEvery a service's own interval between drills (DrillsOff:
	// none expected); LastExercised a runbook's last exercise as its front
	// matter says (a drill naming it may be newer); Date and Participants
	// describe a drill.
	SLOImpact     []SLOImpact   `json:"slo_impact,omitempty"`
	DrillEvery    time.Duration `json:"drill_every,omitempty"`
	LastExercised time.Time     `json:"last_exercised,omitzero"`
	Date          time.Time     `json:"date,omitzero"`
	Participants  []string      `json:"participants,omitempty"`

	// Learning from incidents. Runbooks are, on a postmortem, the runbooks
	// the incident used, as written: paths, page names or alert names.
	Runbooks []string `json:"runbooks,omitempty"`

	// Teams (and services, for oncall). OncallPlan is the on-call as the
	// engine reads it: a schedule URL, a rotation, or words (Oncall, as
	// shown, is the URL or the words).
	Members    []Member       `json:"members,omitempty"`
	Channels   []Channel      `json:"channels,omitempty"`
	OncallPlan *oncall.Oncall `json:"oncall_plan,omitempty"`
	Escalation []oncall.Level `json:"escalation,omitempty"`

	// Extra holds keys the model does not know, in file order.
	Extra []Field `json:"extra,omitempty"`
}

// RawLink is a link target as written in a page: a wiki link's target, or
// an inline or reference link's destination.
type RawLink struct {
	Target string
	Wiki   bool
	Line   int
}

// Heading is one heading of a document's body.
type Heading struct {
	Level int
	Text  string
	Line  int // 1-based line in the file
}

// Document is a page file parsed: its front matter, its body and what was
// found wrong with it. Parsing never fails; problems are reported instead.
type Document struct {
	Path  Path
	Title string // resolved: front matter, first heading, file name
	Meta  Meta
	// TemplateOf is, for a template, the kind of page it makes.
	TemplateOf string
	// HasFrontMatter says whether the file starts with a front matter block.
	HasFrontMatter bool
	// Body is the markdown after the front matter.
	Body []byte
	// BodyLine is the file line on which Body starts (1-based).
	BodyLine int
	Headings []Heading
	// Code holds the contents of the body's code blocks.
	Code []string
	// Links are the link targets written in the body, as written.
	Links []RawLink
	// Text is the body as plain text: markup removed, code blocks excluded.
	Text     string
	Problems []Problem
	// AliasedKeys lists the front matter keys read as another key by the
	// repository settings' key aliases.
	AliasedKeys []string

	// Entities are a Backstage descriptor's entities, Nav an MkDocs
	// configuration's navigation, CodeOwners a CODEOWNERS file's rules
	// (see ParseFile); pages have none of them.
	Entities   []Entity
	Nav        *MkdocsNav
	CodeOwners *CodeOwners

	keyLines    map[string]int // front matter key -> file line
	metaInvalid bool           // the front matter could not be read at all
}

// KeyLine returns the file line of a front matter key, or 0 if absent.
func (d *Document) KeyLine(key string) int { return d.keyLines[key] }

// Errors returns the problems that block a save or push.
func (d *Document) Errors() []Problem { return filterProblems(d.Problems, SeverityError) }

// Warnings returns the problems that are shown but never block.
func (d *Document) Warnings() []Problem { return filterProblems(d.Problems, SeverityWarning) }

func filterProblems(ps []Problem, s Severity) []Problem {
	var out []Problem
	for _, p := range ps {
		if p.Severity == s {
			out = append(out, p)
		}
	}
	return out
}
