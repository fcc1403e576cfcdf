//go:build unix

package markdown_test

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki/markdown"
	"github.com/opswiki/opswiki/wiki/markdown/markdowntest"
)

// BenchmarkPathological renders every shape of the pathological corpus at
// full size, uncached, as a page view does, and reports per shape the worst
// CPU time (process CPU, garbage collection included) and allocation of one
// render, and whether the page fell back to plain text. Default uses the
// default budgets, which hold every render under the target of SPEC §9
// (under 2 s of CPU and 64 MB for any request); AtBudget renders each shape
// at the largest size the default memory budget lets through, the worst
// case of a page that is rendered rather than shown as plain text;
// Unbounded removes the budgets, to show what the parser and renderer cost
// on their own. Run it with
//
//	go test ./wiki/markdown -run '^$' -bench Pathological -benchtime 1x
//
// (-v adds a line with the worst of Default).
func BenchmarkPathological(b *testing.B) {
	full := func(c markdowntest.Case) int { return c.Size }
	modes := []struct {
		name string
		opts markdown.Options
		size func(markdowntest.Case) int
	}{
		{"Default", markdown.Options{CacheBytes: -1}, full},
		{"AtBudget", markdown.Options{CacheBytes: -1}, largestWithinBudget},
		{"Unbounded", markdown.Options{CacheBytes: -1, Budget: -1, MemoryBudget: -1}, full},
	}
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) {
			var worst struct {
				cpu, alloc           float64
				cpuShape, allocShape string
			}
			for _, c := range markdowntest.Pathological {
				body := []byte(c.Body(mode.size(c)))
				b.Run(c.Name, func(b *testing.B) {
					r := markdown.New(mode.opts)
					res := newFakeResolver(defaultFiles...)
					var cpu, alloc, plain float64
					for b.Loop() {
						u, a, out := measure(b, func() (*markdown.Result, error) {
							return r.Render(context.Background(), "runbooks/db/page.md", "", body, res)
						})
						cpu, alloc = max(cpu, u), max(alloc, a)
						if out.Fallback != "" {
							plain = 1
						}
					}
					b.ReportMetric(cpu, "worst-cpu-ms")
					b.ReportMetric(alloc, "worst-alloc-MB")
					b.ReportMetric(float64(len(body))/1024, "input-KB")
					b.ReportMetric(plain, "plain-text")
					if cpu > worst.cpu {
						worst.cpu, worst.cpuShape = cpu, c.Name
					}
					if alloc > worst.alloc {
						worst.alloc, worst.allocShape = alloc, c.Name
					}
				})
			}
			b.Logf("worst CPU %.0f ms (%s), worst allocation %.1f MB (%s); target < 2000 ms, < 64 MB",
				worst.cpu, worst.cpuShape, worst.alloc, worst.allocShape)
		})
	}
}

// largestWithinBudget returns the largest size of c whose estimate the
// default memory budget lets through (at least 1).
func largestWithinBudget(c markdowntest.Case) int {
	fits := func(n int) bool { return markdown.Estimate([]byte(c.Body(n))) <= markdown.DefaultMemoryBudget }
	lo, hi := 1, c.Size
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// measure runs fn and returns the process CPU time it took in
// milliseconds and the memory allocated meanwhile in MB (2^20 bytes).
func measure(tb testing.TB, fn func() (*markdown.Result, error)) (float64, float64, *markdown.Result) {
	tb.Helper()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c0 := processCPU(tb)
	res, err := fn()
	c1 := processCPU(tb)
	runtime.ReadMemStats(&m1)
	if err != nil {
		tb.Fatal(err)
	}
	return float64(c1-c0) / float64(time.Millisecond), float64(m1.TotalAlloc-m0.TotalAlloc) / (1 << 20), res
}

// processCPU returns the CPU time the process has used, user and system.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
