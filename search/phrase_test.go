package search_test

import (
	"slices"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

// TestSearch_Phrase checks quoted phrases in body text, searched through
// the buckets of their word pairs and then their word positions.
func TestSearch_Phrase(t *testing.T) {
	ix := MustOpenTemp(t)
	r := repo{}
	MustApply(t, ix, r.update("", "c1", r.put(wiki.Added,
		page("run.md", "One", "The replica lag alarm fired twice."),
		page("pairs.md", "Two", "The replica lag grew. Then lag alarm rules changed."),
		page("order.md", "Three", "An alarm about lag on a replica."),
		page("stop.md", "Four", "When the disk is full, writes stop."),
		page("stop2.md", "Five", "Yesterday the disk was full again."),
		page("nostop.md", "Six", "A disk full of logs; the disk nearly full later."),
		page("gap.md", "Seven", "Keep the disk out of it and of the cache."),
		page("stems.md", "Eight", "Both replicas lagged behind."),
	)))
	for _, tt := range []struct {
		name, query string
		want        []string
	}{
		{"TwoWords", `"replica lag"`, []string{"pairs.md", "run.md", "stems.md"}},
		{"ThreeWordsInOneRun", `"replica lag alarm"`, []string{"run.md"}},
		{"Order", `"lag replica"`, nil},
		{"Stemmed", `"replicas lagging"`, []string{"pairs.md", "run.md", "stems.md"}},
		// Stop words leave gaps: any stop word fills one, a word does not.
		{"StopWordGap", `"disk is full"`, []string{"stop.md", "stop2.md"}},
		{"NoGap", `"disk full"`, []string{"nostop.md"}},
		{"LongGap", `"out of it and of the cache"`, []string{"gap.md"}},
		{"WithWords", `alarm "replica lag" fired`, []string{"run.md"}},
		{"Excluded", `replica -"lag alarm"`, []string{"order.md", "stems.md"}},
		{"Two", `"replica lag" "alarm fired"`, []string{"run.md"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := paths(MustSearch(t, ix, tt.query))
			slices.Sort(got)
			if !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
				t.Errorf("Search(%s) = %v, want %v", tt.query, got, tt.want)
			}
		})
	}
}
