package search_test

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/opswiki/opswiki/search"
	"github.com/opswiki/opswiki/wiki"
)

// corporaDir holds real operations content shared between projects (see
// its README): the prometheus-operator runbooks and the icco postmortems.
const corporaDir = "../../shared/corpora"

// realWiki is the shared corpora as the server would index them.
type realWiki struct {
	ix   *search.Index
	docs []*wiki.Document
	byP  map[wiki.Path]*wiki.Document
	df   map[string]int // lower-cased word → pages containing it
	low  []string       // each page's body text, lower-cased
	dir  string
}

var (
	realOnce sync.Once
	realW    *realWiki
	realErr  error
)

// MustRealWiki indexes the shared corpora once per test binary, or skips
// the test when they are absent.
func MustRealWiki(t *testing.T) *realWiki {
	t.Helper()
	if _, err := os.Stat(corporaDir); err != nil {
		t.Skipf("shared corpora not found at %s (relevance tests need ../shared/corpora): %v", corporaDir, err)
	}
	realOnce.Do(func() { realW, realErr = loadRealWiki() })
	if realErr != nil {
		t.Fatal(realErr)
	}
	return realW
}

// loadRealWiki reads every markdown file of the corpora under the path it
// would have in a wiki: runbooks/<group>/<Alert>.md and
// postmortems/public/<uuid>.md.
func loadRealWiki() (*realWiki, error) {
	w := &realWiki{byP: map[wiki.Path]*wiki.Document{}, df: map[string]int{}}
	add := func(root, prefix string) error {
		return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(p) != ".md" {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			doc := wiki.ParseDocument(wiki.Path(prefix+filepath.ToSlash(rel)), b)
			w.docs = append(w.docs, doc)
			w.byP[doc.Path] = doc
			return nil
		})
	}
	if err := add(filepath.Join(corporaDir, "prometheus-operator-runbooks", "content"), ""); err != nil {
		return nil, err
	}
	if err := add(filepath.Join(corporaDir, "icco-postmortems", "data"), "postmortems/public/"); err != nil {
		return nil, err
	}
	for _, d := range w.docs {
		w.low = append(w.low, strings.ToLower(d.Text))
		seen := map[string]bool{}
		for _, word := range words(allText(d)) {
			if !seen[word] {
				seen[word] = true
				w.df[word]++
			}
		}
	}
	dir, err := os.MkdirTemp("", "opswiki-relevance-")
	if err != nil {
		return nil, err
	}
	w.dir = dir
	ix, err := search.Open(filepath.Join(dir, "index"), search.Options{})
	if err != nil {
		return nil, err
	}
	r := repo{}
	if err := ix.Apply(context.Background(), r.update("", "c1", r.put(wiki.Added, w.docs...))); err != nil {
		return nil, err
	}
	w.ix = ix
	return w, nil
}

// TestMain removes the index of the corpora, which outlives single tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if realW != nil {
		_ = realW.ix.Close()
		_ = os.RemoveAll(realW.dir)
	}
	os.Exit(code)
}

// allText is everything of a page a person might remember: title,
// headings, body, code and front matter.
func allText(d *wiki.Document) string {
	var b strings.Builder
	b.WriteString(d.Title)
	for _, h := range d.Headings {
		b.WriteString("\n" + h.Text)
	}
	b.WriteString("\n" + d.Text)
	for _, c := range d.Code {
		b.WriteString("\n" + c)
	}
	for _, f := range d.Meta.Extra {
		b.WriteString("\n" + fmt.Sprint(f.Value))
	}
	b.WriteString("\n" + strings.Join(d.Meta.Tags, "\n"))
	return b.String()
}

// words splits text into lower-cased runs of letters.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
}

// searchAll returns every hit of a query, page by page.
func (w *realWiki) searchAll(t *testing.T, q string) ([]string, *search.Result) {
	t.Helper()
	var out []string
	var first *search.Result
	for off := 0; ; off += search.MaxLimit {
		res, err := w.ix.Search(context.Background(), search.Request{Query: q, Limit: search.MaxLimit, Offset: off})
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		if first == nil {
			first = res
		}
		out = append(out, paths(res)...)
		if len(res.Hits) < search.MaxLimit {
			break
		}
	}
	if uint64(len(out)) != first.Total {
		t.Errorf("Search(%q): Total %d, %d hits paged through", q, first.Total, len(out))
	}
	return out, first
}

func (w *realWiki) top(t *testing.T, q string, n int) []string {
	t.Helper()
	res, err := w.ix.Search(context.Background(), search.Request{Query: q, Limit: n, NoFacets: true})
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	return paths(res)
}

// runbooks returns the alert runbooks: runbooks/<group>/<Alert>.md.
func (w *realWiki) runbooks() []*wiki.Document {
	var out []*wiki.Document
	for _, d := range w.docs {
		if d.Meta.Kind == wiki.KindRunbook && !d.Path.IsIndex() {
			out = append(out, d)
		}
	}
	return out
}

// TestRelevance_AlertName checks that an alert's name, as the alerting
// system sends it or lower-cased, finds its runbook first.
func TestRelevance_AlertName(t *testing.T) {
	w := MustRealWiki(t)
	rbs := w.runbooks()
	if len(rbs) < 100 {
		t.Fatalf("only %d runbooks in the corpora", len(rbs))
	}
	for _, form := range []struct {
		name string
		f    func(string) string
	}{
		{"AsSent", func(a string) string { return a }},
		{"LowerCase", strings.ToLower},
		{"Typed", func(a string) string { return a + " " }},
		{"Filter", func(a string) string { return "alert:" + strings.ToLower(a) }},
	} {
		t.Run(form.name, func(t *testing.T) {
			failed := 0
			for _, d := range rbs {
				alert := d.Path.FileTitle()
				q := form.f(alert)
				if got := w.top(t, q, 3); len(got) == 0 || got[0] != string(d.Path) {
					failed++
					t.Errorf("Search(%q) = %v, want %s first", q, got, d.Path)
				}
			}
			t.Logf("%d of %d runbooks first for their alert name", len(rbs)-failed, len(rbs))
		})
	}
}

// distinctivePhrase returns an n-word window of a page's body text whose
// words are rare across the corpora, a phrase someone would remember or
// paste, and the pages whose text has it: of the windows with the rarest
// words, the one on the fewest pages (some runbooks share paragraphs).
// Only windows of plain words separated by single spaces qualify.
func (w *realWiki) distinctivePhrase(d *wiki.Document, n int) (string, []string) {
	type window struct {
		text  string
		score float64
	}
	var ws []window
	total := float64(len(w.docs))
	for _, line := range strings.Split(d.Text, "\n") {
		var run []string
		flush := func() {
			for i := 0; i+n <= len(run); i++ {
				score := 0.0
				for _, word := range run[i : i+n] {
					score += math.Log(total / float64(max(1, w.df[strings.ToLower(word)])))
				}
				ws = append(ws, window{strings.Join(run[i:i+n], " "), score})
			}
			run = run[:0]
		}
		for _, tok := range strings.Split(line, " ") {
			if len(tok) > 1 && strings.IndexFunc(tok, func(r rune) bool { return !unicode.IsLetter(r) }) < 0 {
				run = append(run, tok)
			} else {
				flush()
			}
		}
		flush()
	}
	slices.SortStableFunc(ws, func(a, b window) int { return cmp.Compare(b.score, a.score) })
	best, bestOn := "", []string(nil)
	for _, c := range ws[:min(len(ws), 5)] {
		var on []string
		for i, o := range w.docs {
			if strings.Contains(w.low[i], strings.ToLower(c.text)) {
				on = append(on, string(o.Path))
			}
		}
		if best == "" || len(on) < len(bestOn) {
			best, bestOn = c.text, on
		}
	}
	return best, bestOn
}

// TestRelevance_Phrase checks that a distinctive five-word phrase from a
// page's body finds the page in the top 3, quoted or as plain words. When
// more than three pages have the phrase, the top 3 must be among them.
func TestRelevance_Phrase(t *testing.T) {
	w := MustRealWiki(t)
	for _, quoted := range []bool{true, false} {
		t.Run(map[bool]string{true: "Quoted", false: "Words"}[quoted], func(t *testing.T) {
			tried, found, shared := 0, 0, 0
			for _, d := range w.docs {
				ph, on := w.distinctivePhrase(d, 5)
				if ph == "" {
					continue
				}
				tried++
				q := ph
				if quoted {
					q = `"` + ph + `"`
				}
				got := w.top(t, q, 3)
				switch {
				case slices.Contains(got, string(d.Path)):
					found++
				case len(on) > 3 && len(got) == 3 && !slices.ContainsFunc(got, func(p string) bool { return !slices.Contains(on, p) }):
					shared++
				default:
					t.Errorf("Search(%q) = %v, want %s in the top 3", q, got, d.Path)
				}
			}
			t.Logf("phrases for %d of %d pages; %d found in the top 3, %d more on over 3 pages answered by 3 of them", tried, len(w.docs), found, shared)
			if tried*10 < len(w.docs)*9 {
				t.Errorf("only %d of %d pages have a phrase to test", tried, len(w.docs))
			}
		})
	}
}

// distinctiveWord returns a word of at least 7 letters from the page's
// body found in the fewest pages (longest, then first in order on ties).
func (w *realWiki) distinctiveWord(d *wiki.Document) string {
	best := ""
	for _, word := range words(d.Text) {
		if len(word) < 7 || w.df[word] > 3 {
			continue
		}
		if best == "" || w.df[word] < w.df[best] || w.df[word] == w.df[best] && (len(word) > len(best) || len(word) == len(best) && word < best) {
			best = word
		}
	}
	return best
}

// oneLetterTypo makes a typing mistake in a word, of the kind k: a
// dropped letter, a wrong letter, a doubled letter or two neighbours
// swapped, away from the ends.
func oneLetterTypo(word string, k int) string {
	i := len(word) / 2
	switch k % 4 {
	case 0:
		return word[:i] + word[i+1:]
	case 1:
		c := byte('e')
		if word[i] == 'e' {
			c = 'a'
		}
		return word[:i] + string(c) + word[i+1:]
	case 2:
		return word[:i] + string(word[i]) + word[i:]
	default:
		if word[i-1] == word[i] {
			i++ // swapping equal letters changes nothing
		}
		return word[:i-1] + string(word[i]) + string(word[i-1]) + word[i+1:]
	}
}

// TestRelevance_Typo checks that a typo in a page's most distinctive word
// (a letter dropped, wrong, doubled, or two swapped) still finds the page
// in the top 3 for most pages.
func TestRelevance_Typo(t *testing.T) {
	w := MustRealWiki(t)
	tried, found, fuzzy := 0, 0, 0
	for i, d := range w.docs {
		word := w.distinctiveWord(d)
		if word == "" {
			continue
		}
		typo := oneLetterTypo(word, i)
		if w.df[typo] > 0 {
			continue // not a typo: a word of its own
		}
		tried++
		res, err := w.ix.Search(context.Background(), search.Request{Query: typo, Limit: 3, NoFacets: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Fuzzy {
			fuzzy++
		}
		if slices.Contains(paths(res), string(d.Path)) {
			found++
		} else {
			t.Logf("miss: %q (for %q) = %v, want %s", typo, word, paths(res), d.Path)
		}
	}
	share := float64(found) / float64(max(tried, 1))
	t.Logf("typos for %d of %d pages; %d (%.0f%%) found in the top 3; %d answered by the fuzzy fallback", tried, len(w.docs), found, share*100, fuzzy)
	if tried*2 < len(w.docs) {
		t.Errorf("only %d of %d pages have a distinctive word", tried, len(w.docs))
	}
	if share < minTypoShare {
		t.Errorf("typos found %.0f%% of pages, want at least %.0f%%", share*100, minTypoShare*100)
	}
}

// minTypoShare is the share of pages a one-letter typo must still find
// (98% when last measured: 331 of 337, transpositions included).
const minTypoShare = 0.90

// TestRelevance_Filters checks filters and exclusions against a scan of the
// documents.
func TestRelevance_Filters(t *testing.T) {
	w := MustRealWiki(t)
	count := func(keep func(d *wiki.Document) bool) int {
		n := 0
		for _, d := range w.docs {
			if keep(d) {
				n++
			}
		}
		return n
	}
	hasTag := func(d *wiki.Document, tag string) bool {
		return slices.ContainsFunc(d.Meta.Tags, func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), tag) })
	}
	for _, tt := range []struct {
		query string
		keep  func(d *wiki.Document) bool
	}{
		{"kind:runbook", func(d *wiki.Document) bool { return d.Meta.Kind == wiki.KindRunbook }},
		{"kind:postmortem", func(d *wiki.Document) bool { return d.Meta.Kind == wiki.KindPostmortem }},
		{"kind:Page", func(d *wiki.Document) bool { return d.Meta.Kind == wiki.KindPage }},
		{"-kind:postmortem", func(d *wiki.Document) bool { return d.Meta.Kind != wiki.KindPostmortem }},
		{"kind:runbook kind:page", func(d *wiki.Document) bool { return d.Meta.Kind != wiki.KindPostmortem }},
		{"path:runbooks/etcd", func(d *wiki.Document) bool { return strings.HasPrefix(string(d.Path), "runbooks/etcd") }},
		{"path:/runbooks/kubernetes/", func(d *wiki.Document) bool { return strings.HasPrefix(string(d.Path), "runbooks/kubernetes/") }},
		{"kind:runbook -path:runbooks/kubernetes", func(d *wiki.Document) bool {
			return d.Meta.Kind == wiki.KindRunbook && !strings.HasPrefix(string(d.Path), "runbooks/kubernetes")
		}},
		{"tag:config-change", func(d *wiki.Document) bool { return hasTag(d, "config-change") }},
		{"tag:hardware tag:time", func(d *wiki.Document) bool { return hasTag(d, "hardware") || hasTag(d, "time") }},
		{"tag:cloud -tag:automation", func(d *wiki.Document) bool { return hasTag(d, "cloud") && !hasTag(d, "automation") }},
		{"kind:postmortem tag:security", func(d *wiki.Document) bool { return d.Meta.Kind == wiki.KindPostmortem && hasTag(d, "security") }},
		{`tag:"load balancer"`, func(d *wiki.Document) bool { return hasTag(d, "load balancer") }},
		{"service:github", func(d *wiki.Document) bool {
			return slices.ContainsFunc(d.Meta.Services, func(s string) bool { return strings.EqualFold(s, "github") })
		}},
	} {
		t.Run(tt.query, func(t *testing.T) {
			want := count(tt.keep)
			if want == 0 {
				t.Fatalf("nothing in the corpora for %q: a useless case", tt.query)
			}
			got, res := w.searchAll(t, tt.query)
			if len(got) != want {
				t.Errorf("Search(%q): %d pages, want %d", tt.query, len(got), want)
			}
			for _, p := range got {
				if !tt.keep(w.byP[wiki.Path(p)]) {
					t.Errorf("Search(%q) returned %s", tt.query, p)
				}
			}
			// The facet of a filtered field agrees with the filter.
			if strings.HasPrefix(tt.query, "kind:postmortem") && !strings.Contains(tt.query, " ") {
				if k := res.Facets["kind"]; len(k) != 1 || k[0].Count != want {
					t.Errorf("kind facet %v, want postmortem %d", k, want)
				}
			}
		})
	}

	// -word leaves out exactly the pages that have the word.
	for _, tt := range []struct{ query, without string }{
		{"kubectl", "pod"},
		{"outage", "database"},
		{"alertmanager", "prometheus"},
		{"kind:postmortem", "dns"},
	} {
		q := tt.query + " -" + tt.without
		t.Run(q, func(t *testing.T) {
			all, _ := w.searchAll(t, tt.query)
			with, _ := w.searchAll(t, tt.query+" "+tt.without+" ")
			without, _ := w.searchAll(t, q)
			if len(without) == 0 || len(with) == 0 {
				t.Fatalf("a useless case: %d with, %d without", len(with), len(without))
			}
			if len(without)+len(with) != len(all) {
				t.Errorf("%d pages without %q + %d with != %d in all", len(without), tt.without, len(with), len(all))
			}
			for _, p := range without {
				if slices.Contains(with, p) {
					t.Errorf("%s both with and without %q", p, tt.without)
				}
				// The word, as a whole word in any form the stemmer joins.
				for _, word := range words(allText(w.byP[wiki.Path(p)])) {
					if word == tt.without || word == tt.without+"s" {
						t.Errorf("Search(%q) returned %s, which has %q", q, p, word)
						break
					}
				}
			}
		})
	}
}

// TestRelevance_Incident keeps the queries tuned on during development,
// searches an on-call engineer would type, each with the page that must be
// in the top 3 (first, when first is set).
func TestRelevance_Incident(t *testing.T) {
	w := MustRealWiki(t)
	const pm = "postmortems/public/"
	for _, tt := range []struct {
		query, want string
		first       bool
	}{
		{"KubePodCrashLoping", "runbooks/kubernetes/KubePodCrashLooping.md", true},
		{"kube-pod-crash-looping", "runbooks/kubernetes/KubePodCrashLooping.md", true},
		{"kube pod crash looping", "runbooks/kubernetes/KubePodCrashLooping.md", true},
		{"crash looping", "runbooks/kubernetes/KubePodCrashLooping.md", false},
		{"etcd no leader", "runbooks/etcd/etcdNoLeader.md", true},
		{"pleg", "runbooks/kubernetes/KubeletPlegDurationHigh.md", false},
		{"fsync", "runbooks/etcd/etcdHighFsyncDurations.md", false},
		{"conntrack", "runbooks/node/NodeHighNumberConntrackEntriesUsed.md", false},
		{"clock skew", "runbooks/node/NodeClockSkewDetected.md", false},
		{"cpu throttling", "runbooks/kubernetes/CPUThrottlingHigh.md", true},
		{"too many pods", "runbooks/kubernetes/KubeletTooManyPods.md", false},
		{"remote write behind", "runbooks/prometheus/PrometheusRemoteWriteBehind.md", true},
		{"alertmanager config inconsistent", "runbooks/alertmanager/AlertmanagerConfigInconsistent.md", true},
		{"Watchdog", "runbooks/general/Watchdog.md", true},
		{"targetdown", "runbooks/general/TargetDown.md", true},
		{"filesystem space filling up", "runbooks/node/NodeFilesystemSpaceFillingUp.md", true},
		{"persistent volume filling", "runbooks/kubernetes/KubePersistentVolumeFillingUp.md", true},
		{"cloudflare regex", pm + "a0e252d3-10a6-4345-84c3-f271124e2d7b.md", false},
		{"waf backtracking", pm + "a0e252d3-10a6-4345-84c3-f271124e2d7b.md", false},
		{"zookeeper kazoo", pm + "655ee350-a86f-424b-89c5-f80cc0fe527e.md", true},
		{"leap second futex", pm + "5bce5ed8-a675-4b38-8825-5ec0e41e0d1b.md", true},
		{"CLOCK_REALTIME", pm + "5bce5ed8-a675-4b38-8825-5ec0e41e0d1b.md", false},
		{"gentoo github", pm + "cd8e3b5f-7b97-4af5-8986-28e2bf663805.md", true},
		{"kinesis us-east-1", pm + "217ee689-0975-41e9-9080-0d89838812d7.md", false},
		{"production database deleted by accident", pm + "b4b5957d-2c5f-4db4-b866-8d82da25bd93.md", false},
		{"zookeper", pm + "655ee350-a86f-424b-89c5-f80cc0fe527e.md", false},
	} {
		t.Run(tt.query, func(t *testing.T) {
			got := w.top(t, tt.query, 3)
			if tt.first && (len(got) == 0 || got[0] != tt.want) || !slices.Contains(got, tt.want) {
				t.Errorf("Search(%q) = %v, want %s %s", tt.query, got, tt.want, map[bool]string{true: "first", false: "in the top 3"}[tt.first])
			}
		})
	}
}
