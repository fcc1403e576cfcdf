package search_test

import (
	"context"
	"testing"

	"github.com/opswiki/opswiki/search"
)

func TestDbg(t *testing.T) {
	w := MustRealWiki(t)
	for _, q := range []string{"caused multiple services to fail", `"caused multiple services to fail"`} {
		res, _ := w.ix.Search(context.Background(), search.Request{Query: q, Limit: 8, NoFacets: true})
		for _, h := range res.Hits {
			t.Logf("%s %.3f %s", q, h.Score, h.File)
		}
	}
}
