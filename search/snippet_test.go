package search_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opswiki/opswiki/wiki"
)

func TestSearch_Snippet(t *testing.T) {
	ix := fixture(t)
	for _, q := range []string{"certificate", "script", "friends"} {
		t.Run(q, func(t *testing.T) {
			res := MustSearch(t, ix, q)
			if len(res.Hits) != 1 {
				t.Fatalf("hits = %v", paths(res))
			}
			s := string(res.Hits[0].Snippet)
			if !strings.Contains(strings.ToLower(s), "<mark>"+q+"</mark>") {
				t.Errorf("snippet %q lacks <mark>%s</mark>", s, q)
			}
			bare := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(s)
			if strings.ContainsAny(bare, "<>'\"") {
				t.Errorf("snippet %q has unescaped markup", s)
			}
			if !strings.Contains(s, "&lt;") || !strings.Contains(s, "&amp;") {
				t.Errorf("snippet %q does not escape the body", s)
			}
		})
	}
	t.Run("FromCode", func(t *testing.T) {
		res := MustSearch(t, ix, "pg_locks")
		if len(res.Hits) != 1 || !strings.Contains(string(res.Hits[0].Snippet), "<mark>pg_locks</mark>") {
			t.Errorf("hits = %+v", res.Hits)
		}
	})
	t.Run("Fallback", func(t *testing.T) {
		res := MustSearch(t, ix, "kind:service")
		if len(res.Hits) != 1 || !strings.HasPrefix(string(res.Hits[0].Snippet), "The payments service") {
			t.Errorf("hits = %+v", res.Hits)
		}
	})
}

// TestSearch_SnippetWindow checks the fragment a snippet shows of a long
// page: around the most marked words, cut with an ellipsis, whole UTF-8.
func TestSearch_SnippetWindow(t *testing.T) {
	ix := MustOpenTemp(t)
	filler := strings.Repeat("Lorem ipsum dolor sit amet, café überall naïve. ", 20) // 980 bytes, 960 runes
	r := repo{}
	MustApply(t, ix, r.update("", "c1", r.put(wiki.Added,
		page("long.md", "Long", filler+"the needle is here. "+filler+"a needle and another needle together. "+filler),
		page("start.md", "Start", "needle first. "+filler),
		runbook("rb.md", "Runbook", "Only body text here.", nil),
	)))
	for _, tt := range []struct {
		query, path string
		prefix      string // the snippet starts with it
		has         []string
		cut         bool // an ellipsis at both ends
	}{
		{"needle", "long.md", "…", []string{"a <mark>needle</mark> and another <mark>needle</mark> together"}, true},
		{"needle", "start.md", "<mark>needle</mark> first.", nil, false},
		{"needl", "start.md", "<mark>needle</mark> first.", nil, false},                 // a prefix as typed
		{"mitigation", "rb.md", "<mark>Mitigation</mark> · Only body text", nil, false}, // a heading, then the body
	} {
		t.Run(tt.query+"/"+tt.path, func(t *testing.T) {
			var s string
			for _, h := range MustSearch(t, ix, tt.query).Hits {
				if string(h.File) == tt.path {
					s = string(h.Snippet)
				}
			}
			if !strings.HasPrefix(s, tt.prefix) {
				t.Errorf("snippet %q does not start with %q", s, tt.prefix)
			}
			for _, want := range tt.has {
				if !strings.Contains(s, want) {
					t.Errorf("snippet %q lacks %q", s, want)
				}
			}
			if !utf8.ValidString(s) {
				t.Errorf("snippet %q is not valid UTF-8", s)
			}
			bare := strings.NewReplacer("<mark>", "", "</mark>", "", "…", "").Replace(s)
			if n := utf8.RuneCountInString(bare); n > 200+len(" · Only body text here.") {
				t.Errorf("snippet of %d characters: %q", n, s)
			}
			if cut := strings.HasPrefix(s, "…") && strings.HasSuffix(s, "…"); cut != tt.cut {
				t.Errorf("snippet %q: cut at both ends %v, want %v", s, cut, tt.cut)
			}
		})
	}
}
