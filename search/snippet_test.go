package search_test

import (
	"strings"
	"testing"
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
