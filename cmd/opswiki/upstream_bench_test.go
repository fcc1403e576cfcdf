package main_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// upstreamBenchPages is the size of the git host's repository in
// BenchmarkUpstream: a team's runbooks.
const upstreamBenchPages = 300

// BenchmarkUpstream measures a wiki whose repository of record is a git
// host on loopback (git http-backend): how long a save takes when it is
// pushed to the host before it is answered (save, against save-local
// without a host), and how long a push to the host takes to be searchable
// on the wiki, told by the host's webhook or found by the poll (every
// second, the shortest --upstream-poll). Reported as p50 and p99 ms.
func BenchmarkUpstream(b *testing.B) {
	files := map[string][]byte{}
	for i := range upstreamBenchPages {
		files[fmt.Sprintf("runbooks/service-%03d.md", i)] = fmt.Appendf(nil,
			"---\nalerts: [Service%03dDown]\nowner: team-%d\n---\n# Service %03d down\n\n## Mitigation\n\nRestart the service.\n", i, i%12, i)
	}
	report := func(b *testing.B, lat []float64) {
		slices.Sort(lat)
		b.ReportMetric(lat[len(lat)/2], "p50-ms")
		b.ReportMetric(lat[(len(lat)*99)/100], "p99-ms")
		b.ReportMetric(0, "ns/op")
	}
	saves := func(b *testing.B, s *Server) {
		var lat []float64
		for i := range b.N {
			name := fmt.Sprintf("runbooks/service-%03d", i%upstreamBenchPages)
			p := s.Page(b, name)
			start := time.Now()
			if code, out := s.Put(b, name, p.Content+fmt.Sprintf("\nChecked %d.\n", i), p.Blob, "check"); code != http.StatusOK {
				b.Fatalf("save = %d %v", code, out)
			}
			lat = append(lat, float64(time.Since(start).Microseconds())/1000)
		}
		report(b, lat)
	}
	b.Run("save", func(b *testing.B) {
		host := mustGitHost(b, files)
		saves(b, serveWithUpstream(b, host, nil))
		if got, want := host.Main(b), Git(b, host.Dir, "rev-parse", "master"); got != want {
			b.Fatal("host moved")
		}
	})
	b.Run("save-local", func(b *testing.B) {
		host := mustGitHost(b, files)
		data, _ := mustInit(b, host.Repo)
		saves(b, MustServe(b, data))
	})
	b.Run("git-push", func(b *testing.B) {
		// The same change pushed by git itself to the same host: what
		// the host's side of a push costs.
		host := mustGitHost(b, files)
		work := filepath.Join(b.TempDir(), "work")
		Git(b, "", "clone", "-q", host.Repo, work)
		var lat []float64
		for i := range b.N {
			name := filepath.Join(work, "runbooks", fmt.Sprintf("service-%03d.md", i%upstreamBenchPages))
			b.StopTimer()
			old, err := os.ReadFile(name)
			if err != nil {
				b.Fatal(err)
			}
			mustWrite(b, name, string(old)+fmt.Sprintf("\nChecked %d.\n", i))
			commitAll(b, work, "check")
			b.StartTimer()
			start := time.Now()
			Git(b, work, "push", "-q", "origin", "HEAD:master")
			lat = append(lat, float64(time.Since(start).Microseconds())/1000)
		}
		report(b, lat)
	})
	searchable := func(b *testing.B, webhook bool) {
		host := mustGitHost(b, files)
		secret := filepath.Join(b.TempDir(), "hook-secret")
		mustWrite(b, secret, hookSecret)
		s := serveWithUpstream(b, host, func(c *main.Config) {
			c.UpstreamHookSecretFile = secret
			if !webhook {
				c.UpstreamPoll = time.Second
			}
		})
		s.WaitReady(b)
		work := filepath.Join(b.TempDir(), "work")
		Git(b, "", "clone", "-q", host.Dir, work)
		var lat []float64
		for i := range b.N {
			word := fmt.Sprintf("hostpush%dmarker", i)
			mustWrite(b, filepath.Join(work, "runbooks", fmt.Sprintf("pushed-%d.md", i)), "# Pushed\n\nNoted: "+word+".\n")
			commitAll(b, work, word)
			if !webhook {
				// Each wait ends just after a poll; push at a random
				// moment of the next second, as people do.
				time.Sleep(time.Duration(rand.Int64N(int64(time.Second))))
			}
			Git(b, work, "push", "-q", "origin", "HEAD:master")
			start := time.Now()
			if webhook {
				req, _ := http.NewRequest("POST", s.URL+"/-/api/upstream/hook", strings.NewReader("{}"))
				req.Header.Set("X-Gitlab-Token", hookSecret)
				req.Header.Set("X-Gitlab-Event-UUID", word)
				if code, _, out := do(b, req); code != http.StatusAccepted {
					b.Fatalf("hook = %d %s", code, out)
				}
			}
			want := fmt.Sprintf("runbooks/pushed-%d", i)
			found := func() bool {
				// Fuzzy matching finds the pages pushed before; only this
				// one counts.
				for _, h := range s.Search(b, word, 5).Hits {
					if strings.TrimSuffix(strings.TrimPrefix(h.Path, "/"), ".md") == want {
						return true
					}
				}
				return false
			}
			for !found() {
				if time.Since(start) > 30*time.Second {
					b.Fatalf("%s not searchable after 30 s", word)
				}
				time.Sleep(2 * time.Millisecond)
			}
			lat = append(lat, float64(time.Since(start).Microseconds())/1000)
		}
		report(b, lat)
	}
	b.Run("searchable-webhook", func(b *testing.B) { searchable(b, true) })
	b.Run("searchable-poll", func(b *testing.B) { searchable(b, false) })
}
