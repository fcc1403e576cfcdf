package wiki_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

func TestParsePath(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want wiki.Path
		bad  bool
	}{
		{in: "runbooks/disk-full.md", want: "runbooks/disk-full.md"},
		{in: "/runbooks/disk-full.md", want: "runbooks/disk-full.md"},
		{in: "runbooks/", want: "runbooks"},
		{in: "a b/c d.md", want: "a b/c d.md"},
		{in: "ünïcode/页面.md", want: "ünïcode/页面.md"},
		{in: "", bad: true},
		{in: "../etc/passwd", bad: true},
		{in: "a/../../b", bad: true},
		{in: "a/./b", bad: true},
		{in: "a//b", bad: true},
		{in: "//etc/passwd", bad: true},
		{in: ".git/config", bad: true},
		{in: "x/.GIT/HEAD", bad: true},
		{in: "x/.git./HEAD", bad: true},
		{in: "a\\b", bad: true},
		{in: "a\x00b", bad: true},
		{in: "a\nb", bad: true},
		{in: "\xff\xfe", bad: true},
		{in: strings.Repeat("a", 1025), bad: true},
	} {
		got, err := wiki.ParsePath(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParsePath(%q) = %q, want error", tt.in, got)
			} else if wiki.ErrorCode(err) != wiki.EINVALID {
				t.Errorf("ParsePath(%q) error code = %q, want %q", tt.in, wiki.ErrorCode(err), wiki.EINVALID)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParsePath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestPathNames(t *testing.T) {
	for _, tt := range []struct {
		path                        wiki.Path
		name, url, title, top, kind string
		page, index                 bool
	}{
		{"runbooks/disk-full.md", "runbooks/disk-full", "/runbooks/disk-full", "disk-full", "runbooks", "runbook", true, false},
		{"runbooks/README.md", "runbooks", "/runbooks", "runbooks", "runbooks", "page", true, true},
		{"README.md", "", "/", "Home", "", "page", true, true},
		{"services/db/_index.md", "services/db", "/services/db", "db", "services", "service", true, true},
		{"img/a b.png", "img/a b.png", "/img/a%20b.png", "a b.png", "img", "page", false, false},
		{"postmortems/2026/x?y.md", "postmortems/2026/x?y", "/postmortems/2026/x%3Fy", "x?y", "postmortems", "postmortem", true, false},
		{"Notes.MD", "Notes", "/Notes", "Notes", "", "page", true, false},
		{"alerts/cluster-monitoring-operator/NorthboundStaleAlert.md", "alerts/cluster-monitoring-operator/NorthboundStaleAlert", "/alerts/cluster-monitoring-operator/NorthboundStaleAlert", "NorthboundStaleAlert", "alerts", "runbook", true, false},
		{"docs/ops/Runbooks/disk.md", "docs/ops/Runbooks/disk", "/docs/ops/Runbooks/disk", "disk", "docs", "runbook", true, false},
		{"handbook/sops/restart.md", "handbook/sops/restart", "/handbook/sops/restart", "restart", "handbook", "runbook", true, false},
		{"team/incidents/2026/db.md", "team/incidents/2026/db", "/team/incidents/2026/db", "db", "team", "postmortem", true, false},
		{"docs/retros/playbooks/x.md", "docs/retros/playbooks/x", "/docs/retros/playbooks/x", "x", "docs", "runbook", true, false},
		{"docs/alerts.md", "docs/alerts", "/docs/alerts", "alerts", "docs", "page", true, false},
		{"content/runbooks/node/_index.md", "content/runbooks/node", "/content/runbooks/node", "node", "content", "page", true, true},
	} {
		t.Run(string(tt.path), func(t *testing.T) {
			if got := tt.path.Name(); got != tt.name {
				t.Errorf("Name = %q, want %q", got, tt.name)
			}
			if got := tt.path.URL(); got != tt.url {
				t.Errorf("URL = %q, want %q", got, tt.url)
			}
			if got := tt.path.FileTitle(); got != tt.title {
				t.Errorf("FileTitle = %q, want %q", got, tt.title)
			}
			if got := tt.path.Top(); got != tt.top {
				t.Errorf("Top = %q, want %q", got, tt.top)
			}
			if got := wiki.KindFromPath(tt.path); got != tt.kind {
				t.Errorf("KindFromPath = %q, want %q", got, tt.kind)
			}
			if tt.path.IsPage() != tt.page || tt.path.IsIndex() != tt.index {
				t.Errorf("IsPage, IsIndex = %v, %v; want %v, %v", tt.path.IsPage(), tt.path.IsIndex(), tt.page, tt.index)
			}
		})
	}
}

func TestPathResolve(t *testing.T) {
	from := wiki.Path("runbooks/db/disk.md")
	for _, tt := range []struct {
		ref  string
		want wiki.Path
		ok   bool
	}{
		{"other.md", "runbooks/db/other.md", true},
		{"../net/dns.md", "runbooks/net/dns.md", true},
		{"/services/x.md", "services/x.md", true},
		{"../../README.md", "README.md", true},
		{"../../../etc/passwd", "etc/passwd", true}, // clamped at the root, like a browser
		{"../../.git/config", "", false},
		{"./img/a.png", "runbooks/db/img/a.png", true},
	} {
		got, ok := from.Resolve(tt.ref)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q, %v", tt.ref, got, ok, tt.want, tt.ok)
		}
	}
}

// TestPathRoundTrip checks that any valid path survives name -> path and
// that URL() never yields something that parses to a different path.
func TestPathRoundTrip(t *testing.T) {
	alphabet := []rune("abcXYZ09-_. ?#%&+éü/页")
	r := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for range 20000 {
		n := 1 + r.IntN(24)
		var b strings.Builder
		for range n {
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		p, err := wiki.ParsePath(b.String() + ".md")
		if err != nil {
			continue
		}
		checked++
		if p.IsIndex() || !p.IsPage() {
			continue
		}
		back, err := wiki.PathFromName(p.Name())
		if err != nil || back != p {
			t.Fatalf("PathFromName(%q) = %q, %v; want %q", p.Name(), back, err, p)
		}
		if strings.ContainsAny(p.URL(), " ?#") {
			t.Fatalf("URL(%q) = %q is not escaped", p, p.URL())
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d random paths were valid; the generator is broken", checked)
	}
}
