package main_test

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"testing"
)

// BenchmarkSearchAPIMix measures /-/api/search over HTTP with 64 clients
// on the 10,000-page wiki with queries that mostly miss the cache of
// recent results (BenchmarkSearchAPI repeats eight): 2,000 different word
// pairs, alert names, error codes and phrases; and as-you-type suggestions
// for alert names (suggest=1, limit=8).
func BenchmarkSearchAPIMix(b *testing.B) {
	_, data := benchWiki(b)
	s := MustServe(b, data)
	s.WaitReady(b)
	r := rand.New(rand.NewPCG(7, 11))
	alert := func() string {
		i := r.IntN(benchPages)
		i -= i % 4 // runbooks are pages 0 and 1 of every 4
		svc := services[i%len(services)]
		return fmt.Sprintf("%sHigh%sRate%d", capitalize(svc), capitalize(words[i%len(words)]), i)
	}
	var mix, suggest []string
	for range 2000 {
		var q string
		switch r.IntN(5) {
		case 0:
			q = words[r.IntN(len(words))] + " " + words[r.IntN(len(words))] + " " + services[r.IntN(len(services))]
		case 1:
			q = alert()
		case 2:
			q = errCodes[r.IntN(len(errCodes))] + " " + services[r.IntN(len(services))]
		case 3:
			q = `"` + words[r.IntN(len(words))] + " " + words[r.IntN(len(words))] + `"`
		default:
			q = "kind:runbook service:" + services[r.IntN(len(services))] + " " + words[r.IntN(len(words))]
		}
		mix = append(mix, "/-/api/search?q="+url.QueryEscape(q))
		a := alert()
		suggest = append(suggest, "/-/api/search?suggest=1&limit=8&q="+url.QueryEscape(a[:len(a)-1-r.IntN(6)]))
	}
	b.Run("Distinct", func(b *testing.B) { load(b, s, mix, nil) })
	b.Run("Suggest", func(b *testing.B) { load(b, s, suggest, nil) })
}
