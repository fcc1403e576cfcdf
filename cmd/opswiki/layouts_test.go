package main_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// openshiftRunbook is a runbook as OpenShift's runbooks repository writes
// them: alerts/<operator>/<AlertName>.md, no front matter, the alert name
// as first heading (not always the file name), the usual four sections.
func openshiftRunbook(heading, component string) []byte {
	return []byte(fmt.Sprintf(`# %s

## Meaning

This alert fires when %s has not reported progress for 10 minutes.

## Impact

New workloads are not scheduled on the affected nodes until it recovers.

## Diagnosis

Check the pods of the operator:

`+"```console\n$ oc -n openshift-%s get pods\n```"+`

## Mitigation

Restart the operator pod if its logs show no progress; escalate to the
component owner if the alert persists after a restart.
`, heading, component, component))
}

// MustInitFrom imports a repository into a new wiki with opswiki init
// --from, as a new user would, and serves it.
func MustInitFrom(t *testing.T, files map[string][]byte) (*Server, string) {
	t.Helper()
	data, out := mustInit(t, MustHistoryRepo(t, files, len(files)))
	s := MustServe(t, data)
	s.WaitReady(t)
	return s, out
}

// mustInit runs opswiki init --from src into a new data folder and returns
// the folder and what init said.
func mustInit(t testing.TB, src string) (data, out string) {
	t.Helper()
	data = filepath.Join(t.TempDir(), "data")
	cfg := main.DefaultConfig()
	cfg.Data = data
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	m := &main.Main{Config: cfg, Stderr: io.Discard}
	if err := m.Init(context.Background(), src, &buf); err != nil {
		t.Fatalf("init --from: %v\n%s", err, buf.String())
	}
	return data, buf.String()
}

// A runbook repository laid out as OpenShift's, with runbooks in other
// places teams use, imported unchanged: every alert link lands on its
// runbook, by file name and by heading, in any letter case, and search
// knows them as runbooks.
func TestImportRunbookLayouts(t *testing.T) {
	runbooks := map[string]string{ // file → alert names it answers
		"alerts/cluster-monitoring-operator/PrometheusOperatorRejectedResources.md": "PrometheusOperatorRejectedResources",
		"alerts/cluster-network-operator/NorthboundStaleAlert.md":                   "NorthboundStaleAlert NorthboundStale",
		"alerts/cluster-etcd-operator/etcdMembersDown.md":                           "etcdMembersDown",
		"alerts/machine-config-operator/MCDRebootError.md":                          "MCDRebootError",
		"docs/checkout/runbooks/CheckoutHighLatency.md":                             "CheckoutHighLatency",
		"handbook/sops/PaymentsQueueBacklog.md":                                     "PaymentsQueueBacklog",
		"docs/payments/card-declines.md":                                            "", // a runbook by its sections only
	}
	files := map[string][]byte{
		"README.md":            []byte("# Runbooks\n\nOne file per alert, under alerts/<operator>/.\n"),
		"docs/architecture.md": []byte("# Architecture\n\n## Overview\n\nThe services and how they talk.\n"),
		"team/incidents/2026-10-01-etcd-quorum.md": []byte("# etcd lost quorum\n\n## Impact\n\nWrites failed for 12 minutes.\n\n## Root cause\n\nTwo members rebooted at once.\n"),
		"docs/on-call/escalation.md":               []byte("# Escalation\n\nPage the secondary after 15 minutes.\n"),
	}
	for name, alerts := range runbooks {
		heading := strings.TrimSuffix(filepath.Base(name), ".md")
		if fs := strings.Fields(alerts); len(fs) > 1 {
			heading = fs[1]
		}
		files[name] = openshiftRunbook(heading, filepath.Base(filepath.Dir(name)))
	}
	s, out := MustInitFrom(t, files)
	mustFindEveryPageByFileName(t, s, files)
	// Pages: README, architecture, the incident, escalation and seven
	// runbooks. Alerts: the file names written as alerts (not
	// card-declines), and NorthboundStale.
	for _, line := range []string{
		"Recognised 11 pages: 7 runbooks answering 7 alerts, 1 postmortem with 0 action items",
		"1 page looks like a runbook or a postmortem but is a plain page",
		"  docs/on-call/escalation.md: looks like a runbook (in folder on-call)",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("init --from says nothing like %q:\n%s", line, out)
		}
	}

	for name, alerts := range runbooks {
		want := "/" + strings.TrimSuffix(name, ".md")
		for _, alert := range strings.Fields(alerts) {
			for _, variant := range []string{alert, strings.ToLower(alert), strings.ToUpper(alert)} {
				code, h, body := s.Get(t, "/-/alerts/"+url.PathEscape(variant))
				if code != 302 || h.Get("Location") != want {
					t.Errorf("/-/alerts/%s = %d %q, want a redirect to %s\n%.300s", variant, code, h.Get("Location"), want, body)
				}
			}
			if r := s.Search(t, alert, 3); len(r.Hits) == 0 || "/"+r.Hits[0].Path != want {
				t.Errorf("search %q: %+v, want %s first", alert, r.Hits, name)
			}
		}
	}

	var got, want []string
	for _, h := range s.Search(t, "kind:runbook", 50).Hits {
		got = append(got, h.Path)
	}
	for name := range runbooks {
		want = append(want, strings.TrimSuffix(name, ".md")) // the API answers page names
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("kind:runbook finds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r := s.Search(t, "kind:postmortem", 10); len(r.Hits) != 1 || r.Hits[0].Path != "team/incidents/2026-10-01-etcd-quorum" {
		t.Errorf("kind:postmortem finds %+v, want the incident under team/incidents/", r.Hits)
	}
}

// A GitHub wiki (flat Page-Name.md files, Home.md, _Sidebar.md and
// _Footer.md) imported unchanged: the home page is Home.md, [[Page Name]]
// links reach Page-Name.md, and every page shows the sidebar and footer,
// updated as soon as they are edited.
func TestImportGitHubWiki(t *testing.T) {
	files := map[string][]byte{
		"Home.md":                []byte("Welcome to the platform team's wiki. Start with the [[Deploy Checklist]].\n"),
		"Deploy-Checklist.md":    []byte("1. Freeze merges.\n2. Run the canary for 30 minutes.\n3. Promote.\n"),
		"On-Call-Handbook.md":    []byte("# On-call\n\nPage the secondary after 15 minutes without an acknowledgement.\n"),
		"_Sidebar.md":            []byte("* [[Home]]\n* [[Deploy Checklist]]\n* [[On Call Handbook]]\n"),
		"_Footer.md":             []byte("Questions go to #platform-help.\n"),
		"images/deploy-flow.png": []byte("\x89PNG\r\n\x1a\n"),
		// A diagram kept in Git LFS: the repository holds only its pointer.
		"images/architecture.png": []byte("version https://git-lfs.github.com/spec/v1\n" +
			"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 48213\n"),
	}
	s, _ := MustInitFrom(t, files)
	mustFindEveryPageByFileName(t, s, files)
	code, h, body := s.Get(t, "/images/architecture.png")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") || !strings.Contains(body, "stored with Git LFS") ||
		!strings.Contains(body, "48213 bytes") || h.Get("X-Git-LFS-Pointer") == "" {
		t.Errorf("LFS pointer served as %d %s %q:\n%s", code, h.Get("Content-Type"), h.Get("X-Git-LFS-Pointer"), body)
	}
	if code, h, _ := s.Get(t, "/images/deploy-flow.png"); code != 200 || h.Get("Content-Type") != "image/png" {
		t.Errorf("a real image served as %d %s", code, h.Get("Content-Type"))
	}

	code, _, home := s.Get(t, "/")
	if code != 200 || !strings.Contains(home, "Welcome to the platform team") || !strings.Contains(home, `href="/Deploy-Checklist"`) {
		t.Fatalf("home page = %d, want Home.md with a link to /Deploy-Checklist:\n%.2000s", code, home)
	}
	if strings.Contains(home, `missing"`) {
		t.Errorf("a link of the home page or its sidebar is marked missing:\n%.3000s", home)
	}
	code, _, page := s.Get(t, "/Deploy-Checklist")
	if code != 200 {
		t.Fatalf("/Deploy-Checklist = %d", code)
	}
	sidebar := between(page, `<aside class="wiki-sidebar`, `</aside>`)
	for _, want := range []string{`href="/On-Call-Handbook"`, `href="/Deploy-Checklist"`, `href="/"`} {
		if !strings.Contains(sidebar, want) {
			t.Errorf("sidebar lacks %s:\n%s", want, sidebar)
		}
	}
	if footer := between(page, `<aside class="wiki-footer`, `</aside>`); !strings.Contains(footer, "#platform-help") {
		t.Errorf("footer = %q", footer)
	}

	// Editing the sidebar shows at once on the pages around it.
	sb := s.Page(t, "_Sidebar")
	if code, m := s.Put(t, "_Sidebar", sb.Content+"* [[Escalation Policy]]\n", sb.Blob, "Add escalation"); code != 200 {
		t.Fatalf("save sidebar: %d %v", code, m)
	}
	_, _, page = s.Get(t, "/Deploy-Checklist")
	if sidebar := between(page, `<aside class="wiki-sidebar`, `</aside>`); !strings.Contains(sidebar, "Escalation Policy") || !strings.Contains(sidebar, `missing"`) {
		t.Errorf("sidebar after the edit does not show the new, missing link:\n%s", sidebar)
	}
	// Creating the page it names makes the link whole, on the cached page too.
	if code, m := s.Put(t, "Escalation-Policy", "Call the incident commander.\n", "", "Create"); code != 200 {
		t.Fatalf("create: %d %v", code, m)
	}
	_, _, page = s.Get(t, "/Deploy-Checklist")
	if sidebar := between(page, `<aside class="wiki-sidebar`, `</aside>`); !strings.Contains(sidebar, `href="/Escalation-Policy"`) || strings.Contains(sidebar, `missing"`) {
		t.Errorf("sidebar after the page was created:\n%s", sidebar)
	}
	// The sidebar's own page has no sidebar around it.
	if _, _, own := s.Get(t, "/_Sidebar"); strings.Contains(own, `<aside class="wiki-sidebar`) {
		t.Error("the sidebar page shows a sidebar")
	}
}

// between returns the part of s from the first start to the end after it.
func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], end)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j]
}

// init --from a source with a side branch that misses an object: the wiki
// is created from the default branch and every whole ref, and says which
// ref it left out and why.
func TestInitFromDamagedSideBranch(t *testing.T) {
	src := MustHistoryRepo(t, map[string][]byte{"README.md": []byte("# Runbooks\n"), "runbooks/disk.md": []byte("# Disk full\n")}, 4)
	Git(t, src, "checkout", "-q", "-b", "experiment")
	mustWrite(t, filepath.Join(src, "draft.md"), "# A draft whose blob is lost\n")
	Git(t, src, "add", "draft.md")
	Git(t, src, "-c", "user.name=Ops", "-c", "user.email=ops@example.com", "commit", "-q", "-m", "draft")
	blob := Git(t, src, "rev-parse", "HEAD:draft.md")
	Git(t, src, "checkout", "-q", "master")
	if err := os.Remove(filepath.Join(src, ".git", "objects", blob[:2], blob[2:])); err != nil {
		t.Fatal(err)
	}
	data, out := mustInit(t, src)
	for _, want := range []string{"Left out 1 branch or tag the source cannot give whole", "refs/heads/experiment: object " + blob} {
		if !strings.Contains(out, want) {
			t.Errorf("init says nothing like %q:\n%s", want, out)
		}
	}
	Git(t, filepath.Join(data, "wiki.git"), "fsck", "--strict")
	if got, want := Git(t, filepath.Join(data, "wiki.git"), "rev-parse", "main"), Git(t, src, "rev-parse", "master"); got != want {
		t.Errorf("main is %s, want master's %s", got, want)
	}
}

// A Hugo site: pages under content/ with TOML, YAML and JSON front matter,
// folder pages as _index.md, Hugo's aliases as old URLs.
func TestImportHugoSite(t *testing.T) {
	files := map[string][]byte{
		"hugo.toml":                  []byte("baseURL = \"https://ops.example.com/\"\ntitle = \"Ops handbook\"\n"),
		"content/_index.md":          []byte("+++\ntitle = \"Ops handbook\"\n+++\nWhere the runbooks live.\n"),
		"content/runbooks/_index.md": []byte("---\ntitle: Runbooks\nkind: page\n---\nOne page per alert.\n"),
		"content/runbooks/disk-full.md": []byte("+++\ntitle = \"Disk full\"\nalerts = [\"NodeDiskFull\"]\naliases = [\"/old/disk-full/\"]\n" +
			"draft = false\nweight = 10\nowner = \"team-db\"\n+++\n## Meaning\n\nA volume is over 90 %.\n\n## Mitigation\n\nDelete old WAL segments.\n"),
		"content/runbooks/api-latency.md": []byte("---\ntitle: API latency\nalerts: [APILatencyHigh]\nowner: team-api\n---\n## Impact\n\nSlow checkouts.\n"),
		"content/postmortems/2026-09-db.md": []byte("{\n  \"title\": \"Primary database failover\",\n  \"incidents\": [\"INC-88\"],\n" +
			"  \"severity\": \"SEV2\",\n  \"owner\": \"team-db\"\n}\n## Summary\n\nThe primary failed over twice.\n"),
	}
	s, out := MustInitFrom(t, files)
	mustFindEveryPageByFileName(t, s, files)
	for alert, want := range map[string]string{"NodeDiskFull": "/content/runbooks/disk-full", "apilatencyhigh": "/content/runbooks/api-latency"} {
		if code, h, body := s.Get(t, "/-/alerts/"+alert); code != 302 || h.Get("Location") != want {
			t.Errorf("/-/alerts/%s = %d %q, want %s\n%.300s", alert, code, h.Get("Location"), want, body)
		}
	}
	if code, h, _ := s.Get(t, "/old/disk-full"); code/100 != 3 || h.Get("Location") != "/content/runbooks/disk-full" {
		t.Errorf("Hugo alias /old/disk-full = %d %q", code, h.Get("Location"))
	}
	code, _, page := s.Get(t, "/content/runbooks/disk-full")
	if code != 200 || !strings.Contains(page, "team-db") || !strings.Contains(page, "weight") || strings.Contains(page, "+++") {
		t.Errorf("TOML page = %d, want its front matter in the header, not in the text:\n%.3000s", code, page)
	}
	if r := s.Search(t, "kind:postmortem", 10); len(r.Hits) != 1 || r.Hits[0].Path != "content/postmortems/2026-09-db" || r.Hits[0].Title != "Primary database failover" {
		t.Errorf("kind:postmortem = %+v", r.Hits)
	}
	if r := s.Search(t, "incident:INC-88", 10); len(r.Hits) != 1 {
		t.Errorf("incident:INC-88 = %+v", r.Hits)
	}
	if !strings.Contains(out, "2 runbooks answering 2 alerts") || !strings.Contains(out, "1 postmortem") || !strings.Contains(out, " 0 errors") {
		t.Errorf("init --from says:\n%s", out)
	}
}

// The prometheus-operator runbooks imported as their repository lays them
// out (a Hugo site: content/runbooks/<component>/<Alert>.md, Hugo front
// matter, the alert name as file name and first heading): every alert link
// lands on its runbook.
func TestImportPrometheusOperatorRunbooksAsTheyAre(t *testing.T) {
	files := readCorpus(t, "prometheus-operator-runbooks", "content")
	s, out := MustInitFrom(t, files)
	alerts := 0
	for name := range files {
		if !strings.HasPrefix(name, "content/runbooks/") || filepath.Base(name) == "_index.md" {
			continue
		}
		alert := strings.TrimSuffix(filepath.Base(name), ".md")
		want := "/" + strings.TrimSuffix(name, ".md")
		for _, variant := range []string{alert, strings.ToLower(alert), strings.ToUpper(alert)} {
			if code, h, _ := s.Get(t, "/-/alerts/"+url.PathEscape(variant)); code != 302 || h.Get("Location") != want {
				t.Errorf("/-/alerts/%s = %d %q, want %s", variant, code, h.Get("Location"), want)
			}
		}
		alerts++
	}
	if alerts < 100 {
		t.Fatalf("only %d runbooks checked", alerts)
	}
	// The folder pages (_index.md) introduce the runbooks; they are not.
	if !strings.Contains(out, fmt.Sprintf("%d runbooks answering", alerts)) || !strings.Contains(out, " 0 errors") {
		t.Errorf("init --from does not count %d runbooks and no errors:\n%s", alerts, out)
	}
}

// readCorpus returns the markdown files under folder of a corpus in
// ../shared/corpora, by their path in the corpus, as they are; the test
// is skipped when the corpora are absent.
func readCorpus(t *testing.T, corpus, folder string) map[string][]byte {
	t.Helper()
	root := filepath.Join("..", "..", "..", "shared", "corpora", corpus)
	files := map[string][]byte{}
	err := filepath.WalkDir(filepath.Join(root, folder), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if os.IsNotExist(err) {
		t.Skipf("shared corpora not found at %s; this test imports them", root)
	} else if err != nil {
		t.Fatal(err)
	}
	return files
}
