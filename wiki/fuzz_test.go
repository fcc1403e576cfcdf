package wiki_test

import (
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

// FuzzParsePath checks that every accepted path is clean: it parses to
// itself, never leaves the repository and never names .git.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"a.md", "runbooks/x.md", "../x", "a/./b", ".git/config", "a\\b", "ü/页.md", "a/.GIT./b", "/abs", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := wiki.ParsePath(s)
		if err != nil {
			return
		}
		again, err := wiki.ParsePath(string(p))
		if err != nil || again != p {
			t.Fatalf("ParsePath(%q) = %q, which parses to %q, %v", s, p, again, err)
		}
		for _, seg := range strings.Split(string(p), "/") {
			if seg == ".." || seg == "." || seg == "" || strings.EqualFold(strings.TrimRight(seg, ". "), ".git") {
				t.Fatalf("ParsePath(%q) = %q has segment %q", s, p, seg)
			}
		}
		if _, ok := p.Resolve("../../../../x"); !ok {
			t.Fatalf("Resolve from %q failed on a clamped path", p)
		}
	})
}

// FuzzParseDocument checks that no input makes parsing panic and that every
// problem points at a line of the file.
func FuzzParseDocument(f *testing.F) {
	for _, s := range []string{
		"---\ntitle: a\n---\n# b\n",
		"---\naction_items:\n  - {id: A, due: 2026-01-01}\n---\n",
		"---\n[\n---\n",
		"---\nkind: 3\nservices: {a: b}\n---\n```\n# x\n",
		"# t\n===\n",
		"---\nstarted: 2026-10-14 09:30 Europe/Berlin\nresolved: 2026-10-14T08:00:00Z\n---\n",
		"+++\ntitle = \"a\"\ndate = 2026-10-01\n[[action_items]]\nid = \"A\"\n+++\n# b\n",
		"{\n  \"title\": \"a\",\n  \"tags\": [\"x\"]\n}\n# b\n",
		// SLOs, error budgets and drills.
		"---\nslos:\n  - {name: a, objective: 99.9%, window: 30d, events: 10}\n  - {name: a/b, objective: 100%, window: 2y}\n  - name: c\n    objective: [1]\n" +
			"slo_impact:\n  - {slo: a, minutes: 1h 30m}\n  - {slo: svc/a, bad_events: 3, total_events: 2}\n  - {minutes: -1}\ndrill_every: off\nlast_exercised: x\n---\n",
		"---\nkind: drill\ndate: 2026-13-45\nrunbooks: [\"[[runbooks/a]]\", DiskFull]\nparticipants: {a: b}\nstarted: 2026-11-01T10:00:00Z\nresolved: 2026-11-01T09:00:00Z\n" +
			"slo_impact: 5\naction_items:\n  - {id: D-1, title: x}\n---\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := wiki.ParseDocument("postmortems/x.md", b)
		lines := strings.Count(string(b), "\n") + 1
		for _, p := range d.Problems {
			if p.Line < 0 || p.Line > lines {
				t.Fatalf("problem %+v at line %d of a %d-line file", p, p.Line, lines)
			}
		}
		if d.Title == "" || d.Meta.Kind == "" {
			t.Fatalf("no title or kind: %q %q", d.Title, d.Meta.Kind)
		}
	})
}
