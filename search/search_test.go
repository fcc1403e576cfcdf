package search_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/opswiki/opswiki/search"
	"github.com/opswiki/opswiki/wiki"
)

// fixture indexes a small wiki covering the cases the search must handle.
func fixture(t *testing.T) *search.Index {
	t.Helper()
	ix := MustOpenTemp(t)
	crash := runbook("runbooks/kube-pod-crashloop.md", "Pods restarting repeatedly",
		"When a pod restarts over and over, check its previous logs.", []string{"KubePodCrashLooping"}, "payments")
	crash.Code = []string{"kubectl -n payments get pods\nkubectl logs deploy/payments --previous\nkubectl -n kube-system get ds"}
	reset := runbook("runbooks/conn-reset.md", "Connection resets from upstream",
		"Clients see ERR_CONN_RESET when the load balancer drops idle connections.", []string{"UpstreamConnReset"}, "edge")
	locks := runbook("runbooks/locks.md", "Lock contention",
		"Find the blocking session and decide whether to terminate it.", nil, "db")
	locks.Code = []string{"SELECT pid FROM pg_locks JOIN pg_stat_activity USING (pid);"}
	disk := runbook("runbooks/disk-full.md", "Disk full on database hosts",
		"When the disk fills up, PostgreSQL stops accepting writes.", []string{"NodeDiskFull"}, "db")
	disk.Meta.Tags = []string{"storage"}
	win := runbook("runbooks/windows-access.md", "Access denied on Windows hosts",
		"The installer fails with 0x80070005 (access denied), logged as E1234.", nil, "desktop")
	pm := &wiki.Document{
		Path: "postmortems/2024-03-01-db.md", Title: "Database connection exhaustion",
		Text: "The primary ran out of connections; pg_stat_activity showed 500 idle sessions.",
		Code: []string{"SELECT count(*) FROM pg_stat_activity WHERE state = 'idle';"},
		Meta: wiki.Meta{Kind: wiki.KindPostmortem, Services: []string{"db"}, Status: "published",
			Incidents: []string{"INC-42"}, Severity: "SEV1", Owner: "team-db"},
	}
	svc := &wiki.Document{
		Path: "services/payments.md", Title: "Payments",
		Text: "The payments service handles card transactions for the shop.",
		Meta: wiki.Meta{Kind: wiki.KindService, Owner: "team-payments", Services: []string{"payments"}},
	}
	r := repo{}
	MustApply(t, ix, r.update("", "c1", r.put(wiki.Added, crash, reset, locks, disk, win, pm, svc,
		page("notes/kube.md", "Kubernetes notes", "Last week KubePodCrashLooping fired for the payments pods."),
		page("notes/xss.md", "Console safety", "Never paste <script>alert('x')</script> & friends; the certificate matters."),
		page("ops-handbook/Clients/UpstreamTimeouts.md", "When calls time out", "Raise the deadline only after checking the pool."),
	)))
	return ix
}

func TestSearch(t *testing.T) {
	ix := fixture(t)
	for _, tt := range []struct {
		name, query string
		want        []string // hits, in order when ordered
		ordered     bool
	}{
		{"IdentUpper", "ERR_CONN_RESET", []string{"runbooks/conn-reset.md"}, false},
		{"IdentLower", "err_conn_reset", []string{"runbooks/conn-reset.md"}, false},
		{"HexCode", "0x80070005", []string{"runbooks/windows-access.md"}, false},
		{"ShortCode", "e1234", []string{"runbooks/windows-access.md"}, false},
		{"IdentInCodeAndBody", "pg_stat_activity", []string{"postmortems/2024-03-01-db.md", "runbooks/locks.md"}, false},
		{"IdentOnlyInCode", "pg_locks", []string{"runbooks/locks.md"}, false},
		{"IdentPart", "activity pid", []string{"runbooks/locks.md"}, false},
		{"IdentDashed", "kube-system", []string{"runbooks/kube-pod-crashloop.md"}, false},
		{"IdentPrefixOfParts", "pg_stat", []string{"postmortems/2024-03-01-db.md", "runbooks/locks.md"}, false},
		{"AlertExactRanksFirst", "KubePodCrashLooping", []string{"runbooks/kube-pod-crashloop.md", "notes/kube.md"}, true},
		{"AlertLowerCase", "kubepodcrashlooping", []string{"runbooks/kube-pod-crashloop.md", "notes/kube.md"}, true},
		{"AlertByParts", "crash looping", []string{"runbooks/kube-pod-crashloop.md"}, false},
		{"AllWordsRequired", "disk postgresql", []string{"runbooks/disk-full.md"}, false},
		{"StopWords", "the disk is full", []string{"runbooks/disk-full.md"}, false},
		{"Stemming", "connection resetting", []string{"runbooks/conn-reset.md"}, false},
		{"Phrase", `"idle sessions"`, []string{"postmortems/2024-03-01-db.md"}, false},
		{"PhraseOrder", `"sessions idle"`, nil, false},
		{"TitleOutranksBody", "database", []string{"postmortems/2024-03-01-db.md", "runbooks/disk-full.md"}, false},
		{"FuzzyTypo", "conection", []string{"postmortems/2024-03-01-db.md", "runbooks/conn-reset.md"}, false},
		{"FuzzyTypoLong", "postgrsql", []string{"runbooks/disk-full.md"}, false},
		{"PrefixLastWord", "postgr", []string{"runbooks/disk-full.md"}, false},
		{"PrefixInCode", "kubect", []string{"runbooks/kube-pod-crashloop.md"}, false},
		{"FilterKindService", "kind:runbook service:db", []string{"runbooks/disk-full.md", "runbooks/locks.md"}, true},
		{"FilterCaseInsensitive", "service:DB kind:Postmortem", []string{"postmortems/2024-03-01-db.md"}, false},
		{"FilterSameFieldIsOr", "service:edge service:desktop", []string{"runbooks/conn-reset.md", "runbooks/windows-access.md"}, true},
		{"FilterWithText", "kind:runbook payments", []string{"runbooks/kube-pod-crashloop.md"}, false},
		{"FilterAlert", "alert:kubepodcrashlooping", []string{"runbooks/kube-pod-crashloop.md"}, false},
		{"FilterIncident", "incident:inc-42", []string{"postmortems/2024-03-01-db.md"}, false},
		{"FilterOwnerSeverityStatus", "owner:team-db severity:sev1 status:published", []string{"postmortems/2024-03-01-db.md"}, false},
		{"FilterTag", "tag:storage", []string{"runbooks/disk-full.md"}, false},
		{"FilterPathPrefix", "path:/notes", []string{"notes/kube.md", "notes/xss.md"}, true},
		{"ExcludeWord", "payments -kubectl", []string{"notes/kube.md", "services/payments.md"}, false},
		{"ExcludeFilter", "payments -kind:runbook -kind:service", []string{"notes/kube.md"}, false},
		{"ExcludeOnly", "-kind:runbook", []string{"notes/kube.md", "notes/xss.md", "ops-handbook/Clients/UpstreamTimeouts.md", "postmortems/2024-03-01-db.md", "services/payments.md"}, true},
		{"BrokenQuoteDegrades", `"idle sessions`, []string{"postmortems/2024-03-01-db.md"}, false},
		{"FolderWord", "handbook", []string{"ops-handbook/Clients/UpstreamTimeouts.md"}, false},
		{"FolderAndFileNameWords", "clients upstream timeouts", []string{"ops-handbook/Clients/UpstreamTimeouts.md"}, false},
		{"Empty", "", nil, false},
		{"NoMatch", "zzzqqqxxx", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := paths(MustSearch(t, ix, tt.query))
			if !tt.ordered {
				slices.Sort(got)
			}
			want := append([]string{}, tt.want...)
			if !tt.ordered {
				slices.Sort(want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("Search(%q) = %v, want %v", tt.query, got, want)
			}
		})
	}
}

func TestSearch_Ranking(t *testing.T) {
	ix := fixture(t)
	res := MustSearch(t, ix, "database")
	if len(res.Hits) < 2 || res.Hits[0].File != "postmortems/2024-03-01-db.md" && res.Hits[0].File != "runbooks/disk-full.md" {
		t.Errorf("a title match should come first: %v", paths(res))
	}
	res = MustSearch(t, ix, "payments ")
	if len(res.Hits) < 3 || res.Hits[0].File != "services/payments.md" {
		t.Errorf("the page titled Payments should come first: %v", paths(res))
	}
	res = MustSearch(t, ix, "KubePodCrashLooping")
	if len(res.Hits) != 2 || res.Hits[0].Score <= res.Hits[1].Score {
		t.Errorf("alert runbook should outrank a mention: %+v", res.Hits)
	}
}

func TestSearch_Fuzzy(t *testing.T) {
	ix := fixture(t)
	if res := MustSearch(t, ix, "conection"); !res.Fuzzy || res.Total == 0 {
		t.Errorf("typo: Fuzzy=%v Total=%d", res.Fuzzy, res.Total)
	}
	if res := MustSearch(t, ix, "connection"); res.Fuzzy {
		t.Error("exact match reported as fuzzy")
	}
	// Only the last word is a prefix: with a space after it, "kubect" is
	// found through the typo fallback instead.
	if res := MustSearch(t, ix, "pods kubect"); res.Fuzzy || res.Total != 1 {
		t.Errorf("prefix: Fuzzy=%v Total=%d", res.Fuzzy, res.Total)
	}
	if res := MustSearch(t, ix, "kubect pods "); !res.Fuzzy || res.Total != 1 {
		t.Errorf("not last: Fuzzy=%v Total=%d", res.Fuzzy, res.Total)
	}
}

func TestSearch_Result(t *testing.T) {
	ix := fixture(t)
	res := MustSearch(t, ix, "kind:runbook")
	if res.Total != 5 {
		t.Errorf("Total = %d, want 5", res.Total)
	}
	if got := res.Facets["kind"]; len(got) != 1 || got[0] != (search.FacetCount{Term: "runbook", Count: 5}) {
		t.Errorf("kind facet = %v", got)
	}
	if got := res.Facets["service"]; len(got) == 0 || got[0] != (search.FacetCount{Term: "db", Count: 2}) {
		t.Errorf("service facet = %v", got)
	}
	h := res.Hits[0]
	if h.Path != "runbooks/conn-reset" || h.File != "runbooks/conn-reset.md" || h.Title != "Connection resets from upstream" || h.Kind != "runbook" {
		t.Errorf("first hit = %+v", h)
	}

	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"total", "took_ms", "hits", "facets"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	hit := m["hits"].([]any)[0].(map[string]any)
	for _, k := range []string{"path", "title", "kind", "score", "snippet"} {
		if _, ok := hit[k]; !ok {
			t.Errorf("hit JSON lacks %q: %v", k, hit)
		}
	}

	t.Run("Paging", func(t *testing.T) {
		all := paths(MustSearch(t, ix, "kind:runbook"))
		var paged []string
		for off := 0; off < 5; off += 2 {
			res, err := ix.Search(context.Background(), search.Request{Query: "kind:runbook", Limit: 2, Offset: off, NoFacets: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Facets) != 0 || res.Total != 5 {
				t.Errorf("offset %d: facets %v total %d", off, res.Facets, res.Total)
			}
			paged = append(paged, paths(res)...)
		}
		if !slices.Equal(all, paged) {
			t.Errorf("paged %v, want %v", paged, all)
		}
	})
}
