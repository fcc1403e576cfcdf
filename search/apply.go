package search

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"unicode"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/opswiki/opswiki/wiki"
)

// Name identifies the view in logs and readiness reports.
func (ix *Index) Name() string { return "search" }

// Commit returns the commit the index reflects, or "" when it must be
// rebuilt.
func (ix *Index) Commit() string { return *ix.commit.Load() }

func (ix *Index) setCommit(c string) { ix.commit.Store(&c) }

// FollowsSettings tells the follower to index every page again when the
// repository settings change: they decide pages' kinds and services.
func (ix *Index) FollowsSettings() bool { return true }

// Apply brings the index up to u.To. Documents and the new commit land in
// the same batch, so a single-batch update is atomic. An update needing
// several batches first records commit "" with its first batch: if it fails
// or the process dies half way, Commit reports "" and the follower rebuilds
// rather than trusting a half-applied diff. A rebuild (u.From == "") keeps
// serving the old documents until each is replaced, and removes the ones no
// longer in the tree with the last batch.
func (ix *Index) Apply(ctx context.Context, u wiki.Update) (err error) {
	var stale map[string]bool
	if u.From == "" {
		if stale, err = ix.allIDs(ctx); err != nil {
			return err
		}
	}
	multi := u.From == "" || len(u.Changes) > ix.batchSize
	defer func() {
		if err != nil && multi {
			ix.setCommit("")
		}
	}()
	if multi {
		ix.setCommit("")
	}

	b := ix.idx.NewBatch()
	if multi {
		b.DeleteInternal(keyCommit)
	}
	for i, c := range u.Changes {
		if !c.Path.IsPage() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		id := string(c.Path)
		delete(stale, id)
		if c.Kind == wiki.Deleted {
			b.Delete(id)
		} else {
			doc, err := u.Load(ctx, c)
			if wiki.ErrorCode(err) == wiki.ENOTFOUND || err == nil && doc == nil {
				b.Delete(id)
			} else if err != nil {
				return fmt.Errorf("search: load %s: %w", c.Path, err)
			} else if err := b.Index(id, toIndexDoc(c.Path, doc)); err != nil {
				return fmt.Errorf("search: map %s: %w", c.Path, err)
			}
		}
		if b.Size() >= ix.batchSize {
			err := ix.idx.Batch(b)
			ix.gen.Add(1)
			if err != nil {
				return fmt.Errorf("search: index batch: %w", err)
			}
			b.Reset()
			if u.Progress != nil {
				u.Progress(i + 1)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for id := range stale {
		b.Delete(id)
	}
	b.SetInternal(keyCommit, []byte(u.To))
	err = ix.idx.Batch(b)
	ix.gen.Add(1) // cached results are stale once a batch is searchable
	if err != nil {
		return fmt.Errorf("search: index batch: %w", err)
	}
	ix.setCommit(u.To)
	if u.Progress != nil {
		u.Progress(len(u.Changes))
	}
	return nil
}

// allIDs returns the ids of every document in the index.
func (ix *Index) allIDs(ctx context.Context) (map[string]bool, error) {
	n, err := ix.idx.DocCount()
	if err != nil {
		return nil, fmt.Errorf("search: count documents: %w", err)
	}
	ids := make(map[string]bool, n)
	if n == 0 {
		return ids, nil
	}
	req := bleve.NewSearchRequestOptions(query.NewMatchAllQuery(), int(n), 0, false)
	req.Score = "none"
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: list documents: %w", err)
	}
	for _, h := range res.Hits {
		ids[h.ID] = true
	}
	return ids, nil
}

// toIndexDoc maps a parsed page to the fields of the index.
func toIndexDoc(p wiki.Path, d *wiki.Document) *indexDoc {
	m := &d.Meta
	hs := make([]string, 0, len(d.Headings))
	for _, h := range d.Headings {
		hs = append(hs, h.Text)
	}
	// Text that is searchable but never shown in a snippet: front matter,
	// including keys opswiki does not know (an imported postmortem's
	// summary, company or product).
	extra := []string{m.Name, m.Description, m.Oncall, m.Repo, m.Owner}
	extra = append(extra, m.Authors...)
	extra = append(extra, m.DependsOn...)
	extra = append(extra, m.Services...)
	extra = append(extra, m.Tags...)
	for _, a := range m.ActionItems {
		extra = append(extra, a.Title, a.Ticket)
	}
	for _, s := range m.SLOs {
		extra = append(extra, s.Name)
	}
	for _, l := range m.Links {
		extra = append(extra, l.Title)
	}
	for _, f := range m.Extra {
		extra = appendStrings(extra, f.Value, 0)
	}
	extra = append(extra, pathWords(p)...)
	title := d.Title
	if title == "" {
		title = m.Title
	}
	kind := m.Kind
	if kind == "" {
		kind = wiki.KindPage
	}
	alerts := m.Alerts
	if len(alerts) == 0 && kind == wiki.KindRunbook {
		alerts = alertCandidates(p, d)
	}
	var fs []string
	add := func(name string, vs ...string) {
		for _, v := range vs {
			if v = normKeyword(v); v != "" {
				fs = append(fs, name+":"+v)
			}
		}
	}
	add("kind", kind)
	services := m.Services
	if kind == wiki.KindService && m.Name != "" {
		// A service's own page is one of its pages.
		services = append(slices.Clip(services), m.Name)
	}
	add("service", services...)
	add("tag", m.Tags...)
	add("owner", m.Owner)
	add("severity", m.Severity)
	add("status", m.Status)
	extraText := strings.Join(nonEmpty(extra), "\n")
	code := strings.Join(d.Code, "\n\n")
	names := pageNames(p, title, firstH1(d), alerts)
	return &indexDoc{
		Facets:    fs,
		Title:     title,
		Names:     names,
		Headings:  hs,
		Body:      d.Text,
		BodyPairs: d.Text,
		Code:      code,
		Extra:     extraText,
		Words:     strings.Join([]string{title, strings.Join(hs, "\n"), d.Text, code, extraText, strings.Join(alerts, "\n"), strings.Join(names, "\n")}, "\n"),
		Alerts:    alerts,
		Kind:      kind,
		Services:  services,
		Tags:      m.Tags,
		Owner:     m.Owner,
		Severity:  m.Severity,
		Status:    m.Status,
		Incidents: m.Incidents,
		Path:      string(p),
	}
}

// alertCandidates returns the alert names a runbook without an alerts key
// answers, as SPEC §4 looks them up for /-/alerts: its file name, then its
// first heading, each when it reads as one identifier (KubePodCrashLooping,
// etcdNoLeader), not as a sentence.
func alertCandidates(p wiki.Path, d *wiki.Document) []string {
	if p.IsIndex() {
		return nil
	}
	var out []string
	for _, s := range []string{p.FileTitle(), firstH1(d)} {
		if isIdentifier(s) && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, s) }) {
			out = append(out, s)
		}
	}
	return out
}

// isIdentifier reports whether s is one identifier with a letter in it.
func isIdentifier(s string) bool {
	sp := identSpans(s)
	return len(sp) == 1 && sp[0].start == 0 && sp[0].end == len(s) && len(s) <= maxTokenBytes &&
		strings.IndexFunc(s, unicode.IsLetter) >= 0
}

func firstH1(d *wiki.Document) string {
	for _, h := range d.Headings {
		if h.Level == 1 {
			return h.Text
		}
	}
	return ""
}

// pageNames returns the whole names a query may equal: title, file name,
// first heading and alerts, normalised by normName, each also with its
// identifier parts spaced out ("kube pod crash looping").
func pageNames(p wiki.Path, title, h1 string, alerts []string) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range append([]string{title, p.FileTitle(), h1}, alerts...) {
		add(normName(s))
		add(splitName(s))
	}
	return out
}

// pathWords are the words of a page's folders and file name, with
// CamelCase and kebab-case names split ("alerts/ClusterNetworkOperator/
// NorthboundStale.md" gives "alerts", "clusternetworkoperator", "cluster
// network operator", "northboundstale" and "northbound stale"):
// searchable, so a page is found by where it lives and what its file is
// called as well as by its title, whatever its kind, without outranking
// pages that say the words.
func pathWords(p wiki.Path) []string {
	// A folder's page (README.md, _index.md) is found by its folder's
	// words and, like every page, by its file name.
	segs := append(strings.Split(string(p.Dir()), "/"), strings.TrimSuffix(p.Base(), path.Ext(p.Base())))
	var out []string
	for _, seg := range segs {
		for _, w := range []string{normName(seg), splitName(seg)} {
			if w != "" && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	return out
}

// normName lower-cases s and turns every run of other characters than
// letters and digits into one space: "Disk full!" and "disk-full" are both
// "disk full".
func normName(s string) string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	return strings.Join(f, " ")
}

// splitName is normName with identifiers split into their parts:
// "KubePodCrashLooping" is "kube pod crash looping".
func splitName(s string) string {
	var ws []string
	for _, sp := range identSpans(s) {
		w := s[sp.start:sp.end]
		pp := identParts(w)
		if len(pp) > maxIdentParts {
			pp = []span{{0, len(w)}}
		}
		for _, p := range pp {
			ws = append(ws, w[p.start:p.end])
		}
	}
	return normName(strings.Join(ws, " "))
}

// appendStrings appends the strings in a decoded YAML value.
func appendStrings(out []string, v any, depth int) []string {
	if depth > 4 {
		return out
	}
	switch v := v.(type) {
	case string:
		out = append(out, v)
	case []any:
		for _, x := range v {
			out = appendStrings(out, x, depth+1)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out = appendStrings(out, v[k], depth+1)
		}
	}
	return out
}

func nonEmpty(ss []string) []string {
	out := ss[:0]
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
