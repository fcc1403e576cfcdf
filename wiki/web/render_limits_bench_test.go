//go:build unix

package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki/markdown"
	"github.com/opswiki/opswiki/wiki/markdown/markdowntest"
)

// BenchmarkPreviewPathological sends every shape of the pathological corpus
// at full size to POST /-/api/preview of a real server and reports, per
// request, the worst process CPU time (client, server and garbage
// collection) and allocation, whether the page came back as plain text or
// was refused as over the page size limit (413), against the target of
// SPEC §9: under 2 s of CPU and 64 MB for any request. Run it with
//
//	go test ./wiki/web -run '^$' -bench PreviewPathological -benchtime 1x
func BenchmarkPreviewPathological(b *testing.B) {
	ts := mustRenderServer(b, home, markdown.Options{})
	var worstCPU, worstAlloc float64
	var cpuShape, allocShape string
	for _, c := range markdowntest.Pathological {
		body, _ := json.Marshal(map[string]string{"path": "docs/x", "content": c.Body(c.Size)})
		b.Run(c.Name, func(b *testing.B) {
			var cpu, alloc, plain, refused float64
			for b.Loop() {
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				c0 := processCPU(b)
				resp, reply := send(b, ts, "POST", "/-/api/preview", "application/json", bytes.NewReader(body))
				c1 := processCPU(b)
				runtime.ReadMemStats(&m1)
				switch resp.StatusCode {
				case http.StatusOK:
				case http.StatusRequestEntityTooLarge:
					refused = 1 // over the page size limit
				default:
					b.Fatalf("%d %.200s", resp.StatusCode, reply)
				}
				cpu = max(cpu, float64(c1-c0)/float64(time.Millisecond))
				alloc = max(alloc, float64(m1.TotalAlloc-m0.TotalAlloc)/(1<<20))
				if strings.Contains(reply, `"fallback":`) {
					plain = 1
				}
			}
			b.ReportMetric(cpu, "worst-cpu-ms")
			b.ReportMetric(alloc, "worst-alloc-MB")
			b.ReportMetric(float64(len(body))/1024, "request-KB")
			b.ReportMetric(plain, "plain-text")
			b.ReportMetric(refused, "refused")
			if cpu > worstCPU {
				worstCPU, cpuShape = cpu, c.Name
			}
			if alloc > worstAlloc {
				worstAlloc, allocShape = alloc, c.Name
			}
		})
	}
	b.Logf("worst CPU %.0f ms (%s), worst allocation %.1f MB (%s); target < 2000 ms, < 64 MB",
		worstCPU, cpuShape, worstAlloc, allocShape)
}

// processCPU returns the CPU time the process has used, user and system.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
