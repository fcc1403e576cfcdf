package wiki_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

// graphModel is a wiki in memory that random edits change, for comparing
// the graph the catalog derives commit by commit with one derived from
// scratch.
type graphModel struct {
	r     *rand.Rand
	files map[wiki.Path]string
	blobs map[string]string
}

var (
	gmServices = []string{"checkout", "Payments", "ledger", "search", "auth"}
	gmAlerts   = []string{"CheckoutHighErrorRate", "DiskFull", "KubePodCrashLooping", "LedgerLag"}
	gmNames    = []string{"disk-full", "Disk Full", "checkout", "runbooks/disk-full", "docs/guide", "Guide", "old/name", "missing", "docs", "diagram.png", "README"}
	gmPaths    = []wiki.Path{"services/checkout.md", "services/payments.md", "services/ledger.md", "services/Checkout-api.md",
		"runbooks/disk-full.md", "runbooks/DiskFull.md", "runbooks/checkout-high-error-rate.md", "runbooks/README.md",
		"postmortems/2026/inc-1.md", "postmortems/2026/inc-2.md", "postmortems/inc-3.md", "docs/guide.md", "docs/README.md",
		"docs/sub/deep.md", "Disk-Full.md", "guide.md", "templates/runbook.md", "docs/diagram.png", "runbooks/diagram.png", "README.md",
		"catalog-info.yaml", "team/catalog-info.yaml", "services/ledger/catalog-info.yml", "teams/team-a.md", "teams/b/README.md", "teams/sre.md"}
)

func (m *graphModel) pick(list []string) string { return list[m.r.IntN(len(list))] }

// content writes a random page for a path, shaped by its folder.
func (m *graphModel) content(p wiki.Path) string {
	var fm []string
	switch {
	case strings.HasPrefix(string(p), "services/"):
		fm = append(fm, "kind: service", "name: "+m.pick(gmServices), "owner: team-a")
		if m.r.IntN(2) == 0 {
			fm = append(fm, fmt.Sprintf("depends_on: [%s, %s]", m.pick(gmServices), m.pick(gmServices)))
		}
	case strings.HasPrefix(string(p), "runbooks/"):
		fm = append(fm, fmt.Sprintf("services: [%s]", m.pick(gmServices)))
		if m.r.IntN(2) == 0 {
			fm = append(fm, "alerts: ["+m.pick(gmAlerts)+"]")
		}
	case strings.HasPrefix(string(p), "postmortems/"):
		fm = append(fm, fmt.Sprintf("incident: INC-%d", m.r.IntN(3)), fmt.Sprintf("services: [%s]", m.pick(gmServices)),
			"related: ["+m.pick(gmNames)+"]", "action_items:",
			fmt.Sprintf("  - {id: AI-%d, title: Fix it, owner: bo, status: open}", m.r.IntN(9)))
	case strings.HasPrefix(string(p), "templates/"):
		fm = append(fm, "kind: template", "services: [nowhere]")
	case strings.HasPrefix(string(p), "teams/"):
		fm = append(fm, "kind: team", "name: "+m.pick([]string{"team-a", "team-b", "SRE"}))
	default:
		if m.r.IntN(2) == 0 {
			fm = append(fm, "title: "+m.pick([]string{"Guide", "Disk Full", "Deep", "Home"}))
		}
		if m.r.IntN(3) == 0 {
			fm = append(fm, "aliases: ["+m.pick([]string{"old/name", "docs/old", "Legacy"})+"]")
		}
	}
	var b strings.Builder
	if len(fm) > 0 {
		b.WriteString("---\n" + strings.Join(fm, "\n") + "\n---\n")
	}
	fmt.Fprintf(&b, "# %s\n\n", m.pick(append([]string{"Disk Full", "Guide"}, gmAlerts...)))
	for range m.r.IntN(4) {
		switch m.r.IntN(3) {
		case 0:
			fmt.Fprintf(&b, "See [[%s]].\n\n", m.pick(gmNames))
		case 1:
			fmt.Fprintf(&b, "See [this](%s).\n\n", m.pick([]string{"../runbooks/disk-full.md", "guide.md", "diagram.png", "../docs/README.md", "sub/deep.md", "/docs/guide.md", "missing.md"}))
		default:
			fmt.Fprintf(&b, "Read [[%s|the page]] first.\n\n", m.pick(gmNames))
		}
	}
	return b.String()
}

// descriptor writes a random Backstage descriptor: components and systems
// named as the services are, depending on others, and groups owning them.
func (m *graphModel) descriptor() string {
	var docs []string
	for range 1 + m.r.IntN(3) {
		switch m.r.IntN(4) {
		case 0:
			docs = append(docs, fmt.Sprintf("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: %s\n  annotations:\n    opsgenie.com/team: %s\nspec:\n  type: team\n",
				m.pick([]string{"team-a", "team-b"}), m.pick([]string{"A", "B"})))
		default:
			deps := ""
			if m.r.IntN(2) == 0 {
				deps = fmt.Sprintf("  dependsOn: [component:%s, resource:%s]\n", strings.ToLower(m.pick(gmServices)), m.pick(gmServices))
			}
			docs = append(docs, fmt.Sprintf("apiVersion: backstage.io/v1alpha1\nkind: %s\nmetadata:\n  name: %s\nspec:\n  owner: group:%s\n%s",
				m.pick([]string{"Component", "System"}), m.pick(gmServices), m.pick([]string{"team-a", "team-b"}), deps))
		}
	}
	return strings.Join(docs, "---\n")
}

// step changes one to three files and returns the update for it.
func (m *graphModel) step(from, to string) wiki.Update {
	var changes []wiki.Change
	seen := map[wiki.Path]bool{}
	for range 1 + m.r.IntN(3) {
		p := gmPaths[m.r.IntN(len(gmPaths))]
		if seen[p] {
			continue
		}
		seen[p] = true
		old, had := m.files[p]
		if had && m.r.IntN(3) == 0 {
			delete(m.files, p)
			changes = append(changes, wiki.Change{Kind: wiki.Deleted, Path: p, OldBlob: wiki.BlobID([]byte(old))})
			continue
		}
		text := "binary"
		if p.IsPage() {
			text = m.content(p)
		} else if wiki.IsBackstageDescriptor(p) {
			text = m.descriptor()
		} else {
			text = fmt.Sprintf("png %d", m.r.IntN(1000))
		}
		m.files[p] = text
		id := wiki.BlobID([]byte(text))
		m.blobs[id] = text
		kind := wiki.Added
		if had {
			kind = wiki.Modified
		}
		changes = append(changes, wiki.Change{Kind: kind, Path: p, Blob: id})
	}
	return m.update(from, to, changes)
}

func (m *graphModel) update(from, to string, changes []wiki.Change) wiki.Update {
	return wiki.Update{From: from, To: to, Changes: changes, Load: func(_ context.Context, c wiki.Change) (*wiki.Document, error) {
		if d := wiki.ParseFile(c.Path, []byte(m.blobs[c.Blob]), nil); d != nil {
			return d, nil
		}
		return nil, wiki.Errorf(wiki.ENOTFOUND, "not a page")
	}}
}

// all is the update that builds the whole wiki from nothing.
func (m *graphModel) all(to string) wiki.Update {
	var changes []wiki.Change
	for p, text := range m.files {
		changes = append(changes, wiki.Change{Kind: wiki.Added, Path: p, Blob: wiki.BlobID([]byte(text))})
	}
	slices.SortFunc(changes, func(a, b wiki.Change) int { return strings.Compare(string(a.Path), string(b.Path)) })
	return m.update("", to, changes)
}

// graphFacts is everything a graph says, in comparable form.
type graphFacts struct {
	Services  []string
	Backlinks map[wiki.Path][]wiki.Path
	Links     map[wiki.Path]uint64
	Incidents map[string][]wiki.Path
	Alerts    map[string][]wiki.Path
	Actions   []string
	Broken    []wiki.BrokenRef
	Teams     map[string]wiki.Path
}

func factsOf(g *wiki.Graph) graphFacts {
	f := graphFacts{Links: map[wiki.Path]uint64{}, Backlinks: map[wiki.Path][]wiki.Path{}, Incidents: map[string][]wiki.Path{}, Alerts: map[string][]wiki.Path{}}
	for _, n := range g.Services() {
		page := wiki.Path("-")
		if n.Page != nil {
			page = n.Page.Path
		}
		entity := "-"
		if n.Entity != nil {
			entity = fmt.Sprintf("%s@%s owner=%s oncall=%v", n.Entity.Ref(), n.EntityFile, n.Owner(), n.OnCall())
		}
		f.Services = append(f.Services, fmt.Sprintf("%s page=%s entity=%s deps=%v dependents=%v runbooks=%v postmortems=%v refs=%v version=%x",
			n.Name, page, entity, n.DependsOn, n.Dependents, n.Runbooks, n.Postmortems, n.ReferencedBy, n.Version))
	}
	for _, p := range gmPaths {
		if b := g.Backlinks(p); len(b) > 0 {
			f.Backlinks[p] = b
		}
		if v := g.LinksVersion(p); v != 0 {
			f.Links[p] = v
		}
	}
	for i := range 3 {
		id := fmt.Sprintf("inc-%d", i)
		if list := g.Incident(id); len(list) > 0 {
			f.Incidents[id] = list
		}
	}
	for _, a := range append(append([]string{"disk full", "guide", "checkout-high-error-rate", "diskfull"}, gmAlerts...), "disk-full") {
		if list := g.RunbooksForAlert(a); len(list) > 0 {
			f.Alerts[a] = list
		}
	}
	for _, a := range g.Actions() {
		f.Actions = append(f.Actions, fmt.Sprintf("%s %s %s", a.Postmortem.Path, a.Item.ID, a.Postmortem.Blob))
	}
	f.Broken = g.Broken()
	f.Teams = map[string]wiki.Path{}
	for _, name := range []string{"team-a", "team-b", "sre", "teams/b", "b", "Disk Full", "Guide", "teams/team-a"} {
		if pi, ok := g.Team(name); ok {
			f.Teams[name] = pi.Path
		}
	}
	for _, pi := range g.Teams() {
		f.Teams["list:"+string(pi.Path)] = pi.Path
	}
	return f
}

// TestGraphIncremental drives a wiki through random commits and checks,
// after each, that the graph derived from the previous one and the commit
// says exactly what a graph derived from scratch says.
func TestGraphIncremental(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(8) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			m := &graphModel{r: rand.New(rand.NewPCG(seed, 7)), files: map[wiki.Path]string{}, blobs: map[string]string{}}
			cat := wiki.NewCatalog()
			commit := ""
			for step := range 150 {
				next := fmt.Sprintf("c%d", step)
				u := m.step(commit, next)
				if len(u.Changes) == 0 {
					continue
				}
				if err := cat.Apply(ctx, u); err != nil {
					t.Fatal(err)
				}
				commit = next
				fresh := wiki.NewCatalog()
				if err := fresh.Apply(ctx, m.all(commit)); err != nil {
					t.Fatal(err)
				}
				got, want := factsOf(cat.Graph()), factsOf(fresh.Graph())
				if !reflect.DeepEqual(got, want) {
					var changed []string
					for _, c := range u.Changes {
						changed = append(changed, fmt.Sprintf("%s %s", c.Kind, c.Path))
					}
					t.Fatalf("step %d (%v): incremental graph differs from one built from scratch\n got %+v\nwant %+v", step, changed, got, want)
				}
				if cat.Graph().Commit != commit {
					t.Fatalf("graph commit %q, want %q", cat.Graph().Commit, commit)
				}
			}
		})
	}
}

// TestGraphSnapshot checks that a graph once handed out never changes,
// while later commits build new ones, and that a service's version moves
// when a page it lists changes, and only then.
func TestGraphSnapshot(t *testing.T) {
	ctx := context.Background()
	m := &graphModel{r: rand.New(rand.NewPCG(1, 2)), files: map[wiki.Path]string{}, blobs: map[string]string{}}
	put := func(p wiki.Path, text string) wiki.Change {
		kind := wiki.Added
		if _, ok := m.files[p]; ok {
			kind = wiki.Modified
		}
		m.files[p] = text
		m.blobs[wiki.BlobID([]byte(text))] = text
		return wiki.Change{Kind: kind, Path: p, Blob: wiki.BlobID([]byte(text))}
	}
	cat := wiki.NewCatalog()
	svc := "---\nkind: service\nname: checkout\nowner: a\n---\n# Checkout\n"
	rb := "---\nservices: [checkout]\n---\n# Disk full\n\nSee [[services/checkout]].\n"
	if err := cat.Apply(ctx, m.update("", "c1", []wiki.Change{put("services/checkout.md", svc), put("runbooks/disk.md", rb)})); err != nil {
		t.Fatal(err)
	}
	g1 := cat.Graph()
	n1, ok := g1.Service("Checkout")
	if !ok || len(n1.Runbooks) != 1 || len(g1.Backlinks("services/checkout.md")) != 1 {
		t.Fatalf("service %+v, backlinks %v", n1, g1.Backlinks("services/checkout.md"))
	}
	rb2 := "---\nservices: [checkout]\n---\n# Disk full, again\n"
	if err := cat.Apply(ctx, m.update("c1", "c2", []wiki.Change{put("runbooks/disk.md", rb2)})); err != nil {
		t.Fatal(err)
	}
	g2 := cat.Graph()
	n2, _ := g2.Service("checkout")
	if n2.Version == n1.Version {
		t.Errorf("version %d unchanged after a runbook of the service changed", n2.Version)
	}
	if len(g2.Backlinks("services/checkout.md")) != 0 || len(g1.Backlinks("services/checkout.md")) != 1 {
		t.Errorf("backlinks: new graph %v, old graph %v (must be unchanged)", g2.Backlinks("services/checkout.md"), g1.Backlinks("services/checkout.md"))
	}
	if g1.Commit != "c1" || g2.Commit != "c2" {
		t.Errorf("commits %q, %q", g1.Commit, g2.Commit)
	}
	other := "# Unrelated\n"
	if err := cat.Apply(ctx, m.update("c2", "c3", []wiki.Change{put("docs/other.md", other)})); err != nil {
		t.Fatal(err)
	}
	if n3, _ := cat.Graph().Service("checkout"); n3 != n2 {
		t.Error("an unrelated page replaced the service's node")
	}
	// The version is derived from content: the same wiki built anew has
	// the same version.
	fresh := wiki.NewCatalog()
	if err := fresh.Apply(ctx, m.all("c3")); err != nil {
		t.Fatal(err)
	}
	if n4, _ := fresh.Graph().Service("checkout"); n4.Version != n2.Version {
		t.Errorf("version %d in a catalog built anew, %d in the one that followed the commits", n4.Version, n2.Version)
	}
}
