package search_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/opswiki/opswiki/search"
	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/wikitest"
)

// TestPlan_SameAsBleve checks that a query finds the same pages with the
// same scores as bleve's searchers find with a query of the same shape:
// the plan is run on sets of pages and decoded postings (eval.go), and
// ranking must not change with it. The index is written in several
// batches with pages changed and deleted, so that searches span segments
// with deleted pages.
func TestPlan_SameAsBleve(t *testing.T) {
	gen := newCorpus(7)
	genDocs := gen.docs(1500)
	wikiDocs := generatedWiki(1200, 400)
	for _, tt := range []struct {
		name    string
		docs    []*wiki.Document
		queries []string
	}{
		{"Fixture", nil, []string{
			"ERR_CONN_RESET", "err_conn_reset", "0x80070005", "pg_stat_activity", "pg_locks", "activity pid",
			"kube-system", "pg_stat", "KubePodCrashLooping", "kubepodcrashlooping", "crash looping",
			"disk postgresql", "the disk is full", "connection resetting", `"idle sessions"`, "database",
			"postgr", "kubect", "kind:runbook service:db", "service:edge service:desktop", "kind:runbook payments",
			"alert:kubepodcrashlooping", "path:/notes", "payments -kubectl", "payments -kind:runbook -kind:service",
			"-kind:runbook", "owner:team-db severity:sev1 status:published", "tag:storage", "payments ",
			`"kubectl logs"`, `"disk full"`, `"access denied"`, `"pg_stat_activity showed"`, `"payments --previous"`,
			`kubectl -"kube-system"`, "CPUThrottlingHigh", "crash loop",
		}},
		{"Generated", genDocs, genQueries(gen)},
		{"GeneratedWiki", wikiDocs, wikiQueries()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var ix *search.Index
			if tt.docs == nil {
				ix = fixture(t)
			} else {
				ix = MustOpenTemp(t)
				applyInBatches(t, ix, tt.docs)
			}
			found := 0
			for _, q := range tt.queries {
				ours, theirs, ourTotal, theirTotal, byPath, err := search.PlanAgainstBleveForTest(ix, q, 30)
				if err != nil {
					t.Fatalf("%q: %v", q, err)
				}
				if theirTotal > 0 {
					found++
				}
				if ourTotal != theirTotal {
					t.Errorf("%q: %d pages, bleve %d", q, ourTotal, theirTotal)
				}
				if byPath {
					if a, b := ids(ours), ids(theirs); !slices.Equal(a, b) {
						t.Errorf("%q: listed %v, bleve %v", q, a, b)
					}
					continue
				}
				if msg := sameRanking(ours, theirs); msg != "" {
					t.Errorf("%q: %s\nours:  %v\nbleve: %v", q, msg, ours, theirs)
				}
			}
			if found*2 < len(tt.queries) {
				t.Errorf("only %d of %d queries find anything: a useless comparison", found, len(tt.queries))
			}
			t.Logf("%d queries, %d finding pages", len(tt.queries), found)
		})
	}
}

// TestPlan_SameAsBleveOnCorpora compares the pages found and their scores
// with bleve's on the shared corpora of real runbooks and postmortems:
// alert names, distinctive words, phrases and the queries of
// TestRelevance_Incident.
func TestPlan_SameAsBleveOnCorpora(t *testing.T) {
	w := MustRealWiki(t)
	var queries []string
	for i, d := range w.runbooks() {
		if i%3 == 0 {
			queries = append(queries, d.Path.FileTitle(), strings.ToLower(d.Path.FileTitle())+" ")
		}
	}
	for i, d := range w.docs {
		if i%4 != 0 {
			continue
		}
		if word := w.distinctiveWord(d); word != "" {
			queries = append(queries, word, "kubectl "+word)
		}
		if ph, _ := w.distinctivePhrase(d, 3); ph != "" && !hasStopWord(ph) {
			queries = append(queries, `"`+ph+`"`, ph)
		}
	}
	queries = append(queries, "crash looping", "etcd no leader", "cpu throttling", "too many pods", "remote write behind",
		"alertmanager config inconsistent", "filesystem space filling up", "cloudflare regex", "leap second futex",
		"CLOCK_REALTIME", "kinesis us-east-1", "production database deleted by accident", "kubectl -pod", "outage -database",
		"kind:postmortem tag:security", "path:runbooks/etcd", "kind:runbook -path:runbooks/kubernetes")
	for _, q := range queries {
		ours, theirs, ourTotal, theirTotal, byPath, err := search.PlanAgainstBleveForTest(w.ix, q, 20)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if ourTotal != theirTotal {
			t.Errorf("%q: %d pages, bleve %d", q, ourTotal, theirTotal)
		}
		if byPath {
			if a, b := ids(ours), ids(theirs); !slices.Equal(a, b) {
				t.Errorf("%q: listed %v, bleve %v", q, a, b)
			}
		} else if msg := sameRanking(ours, theirs); msg != "" {
			t.Errorf("%q: %s\nours:  %v\nbleve: %v", q, msg, ours, theirs)
		}
	}
	t.Logf("%d queries", len(queries))
}

// applyInBatches indexes docs in four updates, then changes every tenth
// page and deletes every seventh.
func applyInBatches(t *testing.T, ix *search.Index, docs []*wiki.Document) {
	t.Helper()
	r := repo{}
	commit := ""
	for i := 0; i < 4; i++ {
		part := docs[i*len(docs)/4 : (i+1)*len(docs)/4]
		next := fmt.Sprintf("c%d", i+1)
		MustApply(t, ix, r.update(commit, next, r.put(wiki.Added, part...)))
		commit = next
	}
	var cs []wiki.Change
	for i, d := range docs {
		switch {
		case i%7 == 3:
			delete(r, d.Path)
			cs = append(cs, wiki.Change{Kind: wiki.Deleted, Path: d.Path})
		case i%10 == 5:
			c := *d
			c.Text += " revised later"
			cs = append(cs, r.put(wiki.Modified, &c)...)
		}
	}
	MustApply(t, ix, r.update(commit, "c5", cs))
}

// sameRanking compares two rankings, allowing pages whose scores differ
// by rounding only to come in either order, and the last of them to
// differ where the lists are cut. Scores are computed from frequencies
// and norms kept as float32 (postings.go): they agree to about 1e-7.
func sameRanking(ours, theirs []search.ScoredForTest) string {
	if len(ours) != len(theirs) {
		return fmt.Sprintf("%d hits, bleve %d", len(ours), len(theirs))
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(math.Abs(a), math.Abs(b)) }
	for i := range ours {
		if !near(ours[i].Score, theirs[i].Score) {
			return fmt.Sprintf("hit %d scores %g, bleve %g", i, ours[i].Score, theirs[i].Score)
		}
	}
	// Pages of one score, in any order; the group the lists end in may
	// have been cut differently.
	for i := 0; i < len(ours); {
		j := i
		for j < len(ours) && near(ours[j].Score, ours[i].Score) {
			j++
		}
		if j < len(ours) {
			a, b := sortedIDs(ours[i:j]), sortedIDs(theirs[i:j])
			if !slices.Equal(a, b) {
				return fmt.Sprintf("hits %d..%d are %v, bleve %v", i, j-1, a, b)
			}
		}
		i = j
	}
	return ""
}

// ids returns the pages of hs in order; sortedIDs sorted.
func ids(hs []search.ScoredForTest) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out
}

func sortedIDs(hs []search.ScoredForTest) []string {
	out := ids(hs)
	slices.Sort(out)
	return out
}

// genQueries returns queries of every kind for the generated corpus,
// phrases without stop words (see PlanAgainstBleveForTest).
func genQueries(c *corpus) []string {
	var out []string
	for kind, qs := range benchQueries(c) {
		for i, q := range qs {
			if i%5 != 0 || kind == "phrase" && hasStopWord(q.q) {
				continue
			}
			out = append(out, q.q)
		}
	}
	slices.Sort(out)
	return append(out, "kind:runbook", "path:runbooks/", "-kind:runbook", "latency -kind:postmortem")
}

func wikiQueries() []string {
	var out []string
	for _, q := range wikitest.Queries(400, 1200) {
		if q.Kind == "phrase" && hasStopWord(q.Text) {
			continue
		}
		out = append(out, q.Text)
	}
	return out
}

func hasStopWord(q string) bool {
	for _, w := range strings.Fields(strings.Trim(q, `"`)) {
		if slices.Contains([]string{"the", "a", "to", "of", "and", "in", "is", "for", "on", "with", "when", "if", "it", "be", "as", "at", "by", "or", "an", "no", "not", "this", "that", "are", "was", "will", "then", "there", "these", "they", "such", "into", "but", "their"}, strings.ToLower(w)) {
			return true
		}
	}
	return false
}
