package main_test

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

var (
	formBase   = regexp.MustCompile(`name="base" value="([0-9a-f]*)"`)
	rulesCount = regexp.MustCompile(`<span class="count">(\d+)</span>`)
)

// ruleCount returns the pages the first rule of a table on /-/settings
// matched.
func ruleCount(page, table string) string {
	m := rulesCount.FindStringSubmatch(between(page, `id="`+table+`"`, "</table>"))
	if m == nil {
		return ""
	}
	return m[1]
}

// gitlabRunbooks is a runbook repository laid out as GitLab's: one folder
// per service under docs/, its README.md the service's overview, runbooks
// beside it named for what they fix (no front matter, sections as
// GitLab writes them), alert runbooks under docs/<service>/alerts/.
var gitlabRunbooks = map[string]string{
	"README.md": "# GitLab.com runbooks\n\nOne folder per service under [docs](docs/).\n",
	".opswiki.yaml": `# Our layout
services:
  - "docs/{service}/**"
kinds:
  "docs/*/howto/**": runbook
keys:
  tier_name: tier
redirects:
  "https://gitlab.com/gitlab-com/runbooks/-/blob/master/": /
  /old-runbooks/: /
`,
	"docs/patroni/README.md": "<!-- MARKER: do not edit this section directly. -->\n\n# Patroni Service\n\n* [Service Overview](https://dashboards.gitlab.net/d/patroni-main/patroni-overview)\n* **Alerts**: https://alerts.gitlab.net/#/alerts?filter=%7Btype%3D%22patroni%22%7D\n\n## Summary\n\nPostgres clusters managed by Patroni.\n",
	"docs/patroni/alerts/PatroniLongRunningTransactionDetected.md": "# PatroniLongRunningTransactionDetected\n\n## Overview\n\nA transaction has been open for over 10 minutes.\n\n## Impact\n\nVacuum cannot reclaim dead tuples.\n\n## Diagnosis\n\nSee [the management runbook](https://gitlab.com/gitlab-com/runbooks/-/blob/master/docs/patroni/patroni-management.md#switchover).\n\n## Resolution\n\nCancel the backend after asking its owner.\n",
	"docs/patroni/patroni-management.md":                           "---\ntier_name: db\n---\n# Patroni management\n\n## Switchover\n\n```shell\ngitlab-patronictl switchover\n```\n",
	"docs/patroni/howto/rotate-replicas.md":                        "# Rotate the replicas\n\nOne at a time.\n",
	"docs/redis/README.md":                                         "# Redis Service\n\n## Summary\n\nThe persistent and cache clusters.\n",
	"docs/redis/alerts/RedisReplicasFlapping.md":                   "# RedisReplicasFlapping\n\n## Overview\n\nReplicas reconnect repeatedly.\n\n## Impact\n\nReads served stale.\n\n## Remediation\n\nCheck the network between the nodes.\n",
	"docs/redis/redis-survival-guide-for-sres.md":                  "# A survival guide for SREs to working with Redis at GitLab\n\n## Impact\n\nEvery request touches Redis.\n\n## Diagnosis\n\n`redis-cli --latency`\n",
	"docs/ci-runners/README.md":                                    "# CI Runners Service\n",
	"docs/ci-runners/ci_pending_builds.md":                         "# CI pending builds\n\n## Meaning\n\nJobs wait for a runner.\n\n## Mitigation\n\nAdd runner capacity.\n",
	"docs/frontend/haproxy.md":                                     "# HAProxy management at GitLab\n",
}

// A GitLab-style repository (docs/<service>/…) imported with its
// .opswiki.yaml: the catalog lists the services the folders name, with
// their overviews as service pages and their runbooks; alert links land;
// search finds pages by file name; the settings page shows each rule and
// what it matched; old links to the repository's previous home lead here.
func TestImportGitLabDocs(t *testing.T) {
	files := asFiles(gitlabRunbooks)
	s, out := MustInitFrom(t, files)
	if !strings.Contains(out, "4 services") {
		t.Errorf("init --from does not count the 4 service folders:\n%s", out)
	}

	_, _, services := s.Get(t, "/-/services")
	for _, want := range []string{`href="/docs/patroni"`, `href="/docs/redis"`, `href="/docs/ci-runners"`, `frontend`} {
		if !strings.Contains(services, want) {
			t.Errorf("/-/services lacks %s", want)
		}
	}
	mustLandInAnyCase(t, s, map[string]string{
		"PatroniLongRunningTransactionDetected": "/docs/patroni/alerts/PatroniLongRunningTransactionDetected",
		"RedisReplicasFlapping":                 "/docs/redis/alerts/RedisReplicasFlapping",
		"ci_pending_builds":                     "/docs/ci-runners/ci_pending_builds",
	})
	mustFindEveryPageByFileName(t, s, files)
	for q, want := range map[string]string{
		"service:patroni kind:runbook rotate": "docs/patroni/howto/rotate-replicas",
		"survival guide":                      "docs/redis/redis-survival-guide-for-sres",
		"haproxy":                             "docs/frontend/haproxy",
		"ci_pending_builds":                   "docs/ci-runners/ci_pending_builds",
		"pending builds":                      "docs/ci-runners/ci_pending_builds",
		"patroni management":                  "docs/patroni/patroni-management",
	} {
		if r := s.Search(t, q, 3); len(r.Hits) == 0 || r.Hits[0].Path != want {
			t.Errorf("search %q = %+v, want %s first", q, r.Hits, want)
		}
	}
	// The link to the old home of the runbooks is a link to the page here.
	_, _, page := s.Get(t, "/docs/patroni/alerts/PatroniLongRunningTransactionDetected")
	if !strings.Contains(page, `href="/docs/patroni/patroni-management#switchover"`) {
		t.Errorf("the old address is not rewritten:\n%s", between(page, "<h2", "Resolution"))
	}
	// Requests to the old path prefix (the wiki took over the old
	// name) redirect to the page.
	if code, h, _ := s.Get(t, "/old-runbooks/docs/patroni/patroni-management.md"); code != 301 || h.Get("Location") != "/docs/patroni/patroni-management" {
		t.Errorf("old address = %d %q", code, h.Get("Location"))
	}
	if code, _, _ := s.Get(t, "/old-runbooks/docs/nowhere.md"); code != 404 {
		t.Errorf("old address of no page = %d, want 404", code)
	}

	code, _, settings := s.Get(t, "/-/settings")
	if code != 200 {
		t.Fatalf("/-/settings = %d", code)
	}
	for _, want := range []string{
		`<code>docs/{service}/**</code>`, `<a href="/docs/patroni">patroni</a>`, `<a href="/docs/redis">redis</a>`, `<a href="/-/services#frontend">frontend</a>`,
		`<code>docs/*/howto/**</code>`, `<code>tier_name</code>`,
		`<code>https://gitlab.com/gitlab-com/runbooks/-/blob/master/</code>`,
	} {
		if !strings.Contains(settings, want) {
			t.Errorf("/-/settings lacks %s", want)
		}
	}
	counts := map[string]string{"service-rules": "10", "kind-rules": "1", "key-rules": "1", "redirect-rules": "1"}
	for table, want := range counts {
		if got := ruleCount(settings, table); got != want {
			t.Errorf("%s matched %q, want %s", table, got, want)
		}
	}
}

// The settings are validated like a page wherever they are written: a
// push with a broken rule is refused with the file and line, a save in the
// browser too, with the text kept; a good push re-derives every page.
func TestSettingsPushAndSave(t *testing.T) {
	files := asFiles(gitlabRunbooks)
	delete(files, ".opswiki.yaml")
	s, _ := MustInitFrom(t, files)
	if code, _, _ := s.Get(t, "/-/alerts/RedisReplicasFlapping"); code != 302 {
		t.Fatalf("runbook by shape not found: %d", code)
	}
	if r := s.Search(t, "service:redis", 10); len(r.Hits) != 0 {
		t.Fatalf("service:redis before the settings: %+v", r.Hits)
	}
	code, _, body := s.Get(t, "/-/settings")
	if code != 200 || !strings.Contains(body, "has no <code>.opswiki.yaml</code>") || !strings.Contains(body, "# Repository settings") {
		t.Errorf("settings page without settings: %d", code)
	}

	work := s.Clone(t)
	head := s.MainCommit(t)
	mustWrite(t, filepath.Join(work, ".opswiki.yaml"), "services:\n  - \"docs/{service}/**\"\nkinds:\n  docs/redis: playbook\n")
	commitAll(t, work, "Settings with a mistake")
	out, err := GitErr(t, work, "push", "origin", "main")
	if err == nil || !strings.Contains(out, `remote: error: .opswiki.yaml:4: unknown kind "playbook"`) {
		t.Fatalf("push of broken settings: %v\n%s", err, out)
	}
	if s.MainCommit(t) != head {
		t.Fatal("main moved")
	}
	mustWrite(t, filepath.Join(work, ".opswiki.yaml"), "services:\n  - \"docs/{service}/**\"\nkinds:\n  docs/redis: runbook\n")
	commitAll(t, work, "Settings")
	if out, err := GitErr(t, work, "push", "origin", "main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	// Pushed, in force at once: pages have their services and kinds.
	if r := s.Search(t, "service:redis", 10); len(r.Hits) != 3 {
		t.Errorf("service:redis after the settings = %+v, want the 3 pages of docs/redis", r.Hits)
	}
	if r := s.Search(t, "kind:runbook path:docs/redis", 10); len(r.Hits) != 2 {
		t.Errorf("runbooks under docs/redis = %+v; the folder page stays the service's page", r.Hits)
	}
	_, _, services := s.Get(t, "/-/services")
	if !strings.Contains(services, `href="/docs/redis"`) {
		t.Error("docs/redis is no service after the push")
	}

	// A save in the browser with an error is refused, the text kept.
	_, _, body = s.Get(t, "/-/settings")
	base := formBase.FindStringSubmatch(body)
	if base == nil {
		t.Fatal("the settings form has no base")
	}
	bad := "services:\n  - docs/*/**\n"
	req, _ := http.NewRequest("POST", s.URL+"/-/settings", strings.NewReader(url.Values{"content": {bad}, "base": {base[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.URL)
	code, _, body = do(t, req)
	if code != 422 || !strings.Contains(body, "line 2") || !strings.Contains(body, "does not say which folder") || !strings.Contains(body, "docs/*/**") {
		t.Errorf("save of broken settings = %d\n%.2000s", code, between(body, "<main", "</form>"))
	}
	good := "services:\n  - \"docs/{service}/**\"\nkinds:\n  docs/redis: runbook\nkeys:\n  team: owner\n"
	req, _ = http.NewRequest("POST", s.URL+"/-/settings", strings.NewReader(url.Values{"content": {good}, "base": {base[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.URL)
	if code, h, body := do(t, req); code != 303 || h.Get("Location") != "/-/settings" {
		t.Fatalf("save of settings = %d %q\n%.1000s", code, h.Get("Location"), body)
	}
	if _, _, body := s.Get(t, "/-/settings"); !strings.Contains(body, "<code>team</code>") {
		t.Error("saved key alias not in force")
	}
}

// The icco/postmortems collection imported as it is, files unchanged:
// public postmortems as data/<uuid>.md with their own front matter keys
// (company, product, start_time, end_time). One line of .opswiki.yaml
// says they are postmortems; then every one is in the catalog, with its
// product as its service and its times as the incident's.
func TestImportIccoPostmortemsAsTheyAre(t *testing.T) {
	files := readCorpus(t, "icco-postmortems", "data")
	if len(files) < 200 {
		t.Fatalf("only %d postmortems in the corpus", len(files))
	}
	files[".opswiki.yaml"] = []byte("kinds:\n  \"data/*.md\": postmortem\n")
	s, out := MustInitFrom(t, files)
	if want := fmt.Sprintf("%d postmortems", len(files)-1); !strings.Contains(out, want) {
		t.Errorf("init --from does not count %s:\n%s", want, out)
	}
	if r := s.Search(t, "kind:postmortem", 1); int(r.Total) != len(files)-1 {
		t.Errorf("kind:postmortem finds %d, want %d", r.Total, len(files)-1)
	}
	if code, _, body := s.Get(t, "/-/settings"); code != 200 || ruleCount(body, "kind-rules") != fmt.Sprint(len(files)-1) {
		t.Errorf("/-/settings: %d, kind rule matched %s", code, ruleCount(body, "kind-rules"))
	}
	// The product a postmortem names is its service.
	if r := s.Search(t, "kind:postmortem service:simpledb", 5); len(r.Hits) == 0 {
		t.Error("no postmortem of the product SimpleDB")
	}
	_, _, rel := s.Get(t, "/-/reliability")
	if !strings.Contains(rel, "SimpleDB") {
		t.Error("/-/reliability does not list the SimpleDB incident")
	}
}

// mustFindEveryPageByFileName searches for every page of files by its file
// name as written and fails unless the page is among the results.
func mustFindEveryPageByFileName(t *testing.T, s *Server, files map[string][]byte) {
	t.Helper()
	checked := 0
	for name := range files {
		if !strings.HasSuffix(name, ".md") {
			continue
		}
		q := strings.TrimSuffix(filepath.Base(name), ".md")
		want := wiki.Path(name).Name() // the API answers page names
		found := false
		for _, h := range s.Search(t, q, 50).Hits {
			found = found || h.Path == want
		}
		if !found {
			t.Errorf("search %q does not find %s", q, name)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no pages to search for")
	}
}

// mustLandInAnyCase checks that each alert link, as written, lower-cased
// and upper-cased, redirects to its runbook.
func mustLandInAnyCase(t *testing.T, s *Server, alerts map[string]string) {
	t.Helper()
	for alert, want := range alerts {
		for _, variant := range []string{alert, strings.ToLower(alert), strings.ToUpper(alert)} {
			if code, h, _ := s.Get(t, "/-/alerts/"+url.PathEscape(variant)); code != 302 || h.Get("Location") != want {
				t.Errorf("/-/alerts/%s = %d %q, want %s", variant, code, h.Get("Location"), want)
			}
		}
	}
}

// asFiles turns a repository written as text into the files MustInitFrom
// takes.
func asFiles(text map[string]string) map[string][]byte {
	files := make(map[string][]byte, len(text))
	for p, c := range text {
		files[p] = []byte(c)
	}
	return files
}
