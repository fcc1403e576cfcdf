// Package wikitest generates the wiki that benchmarks and load tests run
// on (SPEC §9): pages of every kind written over many commits with git
// fast-import, so the same wiki can be rebuilt anywhere, byte for byte,
// from a seed.
package wikitest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
)

// Pages and Commits are the size of the wiki SPEC §9 holds opswiki to.
const (
	Pages   = 10000
	Commits = 3000
)

var (
	// Services are the services the pages are about; each has a service
	// page, and every other page names one of them.
	Services = []string{"checkout", "payments", "search", "auth", "catalog", "cart", "ledger", "notifications", "gateway", "inventory"}
	// ErrCodes are identifiers that appear in code blocks and text, as
	// error codes do in real runbooks.
	ErrCodes = []string{"ERR_CONN_RESET", "0x80070005", "E1234", "ECONNREFUSED", "ERR_POOL_TIMEOUT", "OOMKilled", "SIGSEGV"}
	// Words are the operations terms of the generated text, about one word
	// in eight of it; the rest is prose (see prose).
	Words = []string{"latency", "replica", "queue", "backlog", "saturation", "shard", "leader", "election", "timeout", "retry",
		"throttle", "certificate", "rotation", "deploy", "rollback", "canary", "quota", "disk", "memory", "connection", "pool",
		"upstream", "downstream", "cache", "eviction", "compaction", "index", "partition", "consumer", "producer", "lag"}
)

// Capitalize upper-cases the first letter of an ASCII word.
func Capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-32) + s[1:]
}

// IsRunbook says whether page i of the generated wiki is a runbook.
func IsRunbook(i int) bool { return i%4 < 2 }

// AlertName is the alert that runbook i answers (see IsRunbook), such as
// CheckoutHighLatencyRate0: CamelCase, as Prometheus alerts are named.
func AlertName(i int) string {
	svc := Services[i%len(Services)]
	return fmt.Sprintf("%sHigh%sRate%d", Capitalize(svc), Capitalize(Words[i%len(Words)]), i)
}

// ServicePath is the file of a service's page.
func ServicePath(svc string) string { return "services/" + svc + ".md" }

// GeneratePage returns the file path and content of page i, about 2-4 KB:
// a runbook with alerts, a postmortem with timestamps and an action item,
// or a page of notes, each naming one service. r makes the text.
func GeneratePage(r *rand.Rand, i int) (string, []byte) {
	svc := Services[i%len(Services)]
	sentence := func() string {
		var buf bytes.Buffer
		for j := range 12 + r.IntN(10) {
			if j > 0 {
				buf.WriteByte(' ')
			}
			// Prose, with the operations terms of Words about one word
			// in eight, as in a runbook.
			if r.IntN(8) == 0 {
				buf.WriteString(Words[r.IntN(len(Words))])
			} else {
				buf.WriteString(prose.pick(r))
			}
		}
		return buf.String() + "."
	}
	var b bytes.Buffer
	switch i % 4 {
	case 0, 1:
		alert := AlertName(i)
		fmt.Fprintf(&b, "---\nalerts: [%s]\nservices: [%s]\nseverity: critical\nowner: team-%s\nlast_reviewed: 2026-09-01\n---\n", alert, svc, svc)
		fmt.Fprintf(&b, "# %s\n\n## Meaning\n\n%s %s\n\n## Impact\n\n%s\n\n## Diagnosis\n\n", alert, sentence(), sentence(), sentence())
		fmt.Fprintf(&b, "```bash\nkubectl -n %s logs deploy/%s | grep %s\npsql -c 'select * from pg_stat_activity where wait_event is not null'\n```\n\n", svc, svc, ErrCodes[i%len(ErrCodes)])
		fmt.Fprintf(&b, "| check | command |\n|---|---|\n| pods | `kubectl get pods -n %s` |\n| errors | `grep %s` |\n\n", svc, ErrCodes[i%len(ErrCodes)])
		fmt.Fprintf(&b, "## Mitigation\n\n1. %s\n2. %s\n3. See [[services/%s]].\n\n## Escalation\n\n%s\n", sentence(), sentence(), svc, sentence())
		return fmt.Sprintf("runbooks/%s/%s.md", svc, alert), b.Bytes()
	case 2:
		fmt.Fprintf(&b, "---\nincident: INC-%d\nstatus: published\nseverity: SEV%d\nservices: [%s]\nstarted: 2026-%02d-%02dT09:00:00Z\ndetected: 2026-%02d-%02dT09:12:00Z\nresolved: 2026-%02d-%02dT11:30:00Z\n",
			i, 1+i%3, svc, 1+i%12, 1+i%28, 1+i%12, 1+i%28, 1+i%12, 1+i%28)
		fmt.Fprintf(&b, "action_items:\n  - {id: AI-1, title: Add an alert on %s, owner: team-%s, status: open, due: 2026-12-01}\n---\n", Words[i%len(Words)], svc)
		fmt.Fprintf(&b, "# INC-%d: %s %s\n\n## Summary\n\n%s %s\n\n## Timeline\n\n| time | event |\n|---|---|\n| 09:00 | %s |\n| 09:12 | %s |\n\n", i, svc, Words[i%len(Words)], sentence(), sentence(), sentence(), sentence())
		fmt.Fprintf(&b, "## Root causes\n\n%s Error %s appeared in the logs.\n\n## What went well\n\n- %s\n- %s\n", sentence(), ErrCodes[i%len(ErrCodes)], sentence(), sentence())
		return fmt.Sprintf("postmortems/2026/inc-%d-%s.md", i, svc), b.Bytes()
	default:
		fmt.Fprintf(&b, "# %s notes %d\n\n%s %s %s\n\n## Details\n\n%s\n\n```yaml\nreplicas: %d\nservice: %s\n```\n\n%s\n", Capitalize(svc), i, sentence(), sentence(), sentence(), sentence(), i%7, svc, sentence())
		return fmt.Sprintf("docs/%s/notes-%d.md", svc, i), b.Bytes()
	}
}

// PageText returns page i of the generated wiki as it is first written:
// the same for the same i, whatever else is generated, so a query can be
// made of words a page really has.
func PageText(i int) (string, []byte) {
	return GeneratePage(rand.New(rand.NewPCG(7, uint64(i))), i)
}

// edited is page i as commit c edits it: its text, and a line saying so.
func edited(i, c int) (string, []byte) {
	p, b := PageText(i)
	return p, append(b, fmt.Sprintf("\nEdited in change %d.\n", c)...)
}

// ServicePage returns the page of service n of Services: owner, tier and
// on-call, and a dependency on the next service, so the catalog has a
// chain of dependencies and every service page lists the runbooks and
// postmortems that name it.
func ServicePage(n int) (string, []byte) {
	svc := Services[n%len(Services)]
	dep := Services[(n+1)%len(Services)]
	var b bytes.Buffer
	fmt.Fprintf(&b, "---\nname: %s\ndescription: The %s service.\nowner: team-%s\ntier: \"%d\"\nlifecycle: production\n", svc, svc, svc, 1+n%3)
	fmt.Fprintf(&b, "oncall: \"PagerDuty schedule: %s-primary\"\ndepends_on: [%s]\nlast_reviewed: 2026-09-01\n---\n", svc, dep)
	fmt.Fprintf(&b, "# %s\n\n%s runs in Kubernetes, namespace `%s`, and depends on [[services/%s]].\n\n", Capitalize(svc), Capitalize(svc), svc, dep)
	fmt.Fprintf(&b, "## Runbooks\n\nSearch `kind:runbook service:%s`.\n", svc)
	return ServicePath(svc), b.Bytes()
}

// GenerateWiki creates a bare repository at dir holding a page for every
// service (in the first commit) and pages pages over commits commits:
// pages are added in order, and once all are there later commits edit
// earlier pages. The same arguments always give the same repository.
func GenerateWiki(dir string, pages, commits int) error {
	if pages < 1 || commits < 1 {
		return fmt.Errorf("generate a wiki of %d pages over %d commits: both must be at least 1", pages, commits)
	}
	if out, err := exec.Command("git", "init", "-q", "--bare", "-b", "main", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("git init %s: %v: %s", dir, err, bytes.TrimSpace(out))
	}
	var stream bytes.Buffer
	last := -1
	eachFile(pages, commits, func(c int, path string, content []byte) {
		if c != last {
			msg := fmt.Sprintf("Change %d", c)
			fmt.Fprintf(&stream, "commit refs/heads/main\ncommitter Ops <ops@example.com> %d +0000\ndata %d\n%s\n", 1750000000+c*600, len(msg), msg)
			last = c
		}
		fmt.Fprintf(&stream, "M 100644 inline %s\ndata %d\n%s\n", path, len(content), content)
	})
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = dir
	cmd.Stdin = &stream
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git fast-import into %s: %v: %s", dir, err, bytes.TrimSpace(out))
	}
	return nil
}

// eachFile calls fn with every file every commit of the generated wiki
// writes, commit by commit.
func eachFile(pages, commits int, fn func(c int, path string, content []byte)) {
	r := rand.New(rand.NewPCG(7, 11))
	perCommit := (pages + commits - 1) / commits
	next := 0
	for c := range commits {
		if c == 0 {
			for n := range Services {
				p, b := ServicePage(n)
				fn(c, p, b)
			}
		}
		for range perCommit {
			if next < pages {
				p, b := PageText(next)
				fn(c, p, b)
			} else {
				p, b := edited(r.IntN(pages), c)
				fn(c, p, b)
			}
			next++
		}
	}
}

// Files returns the files of the generated wiki as its last commit has
// them, by path.
func Files(pages, commits int) map[string][]byte {
	out := map[string][]byte{}
	eachFile(pages, commits, func(_ int, p string, b []byte) { out[p] = b })
	return out
}

// Paths returns the URLs (without .md) of n pages picked at random, with
// repeats, from a generated wiki of pages pages; the same n and pages
// always give the same URLs.
func Paths(n, pages int) []string {
	r := rand.New(rand.NewPCG(3, 5))
	out := make([]string, 0, n)
	for len(out) < n {
		path, _ := PageText(r.IntN(pages))
		out = append(out, "/"+strings.TrimSuffix(path, ".md"))
	}
	return out
}
