package main_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	main "github.com/opswiki/opswiki/cmd/opswiki"
)

// BenchmarkAlertmanagerWebhook: notifications of 10 alerts each posted by 8
// senders at once, every one changing what fires (kept on disk before the
// answer); and, one at a time, how long from a notification accepted to
// its banner on the runbook. Reports notifications/s and the median and
// p99 latency of the banner.
//
//	go test ./cmd/opswiki -run '^$' -bench AlertmanagerWebhook -benchtime 400x
func BenchmarkAlertmanagerWebhook(b *testing.B) {
	tokenFile := filepath.Join(b.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(amToken), 0o600); err != nil {
		b.Fatal(err)
	}
	s := MustServeWith(b, "", func(c *main.Config) { c.AlertmanagerTokenFile = tokenFile })
	notification := func(i int, status string) string {
		var alerts []string
		for j := range 10 {
			alerts = append(alerts, amAlert(status, fmt.Sprintf("fp-%d-%d", i%64, j), "checkout", fmt.Sprintf("api-%d", j), ""))
		}
		return amPayload(status, alerts...)
	}
	post := func(body string) {
		req, _ := http.NewRequest("POST", s.URL+"/-/api/alertmanager", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+amToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Errorf("webhook = %d", resp.StatusCode)
		}
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				status := "firing"
				if (i/64)%2 == 1 {
					status = "resolved"
				}
				post(notification(i, status))
			}
		}()
	}
	for i := range b.N {
		work <- i
	}
	close(work)
	wg.Wait()
	rate := float64(b.N) / time.Since(start).Seconds()
	b.StopTimer()

	// Banner latency: resolve everything, then fire one alert and poll the
	// runbook until its banner shows.
	var lat []float64
	client := &http.Client{}
	for i := range 20 {
		post(amPayload("resolved", amAlert("resolved", "latency", "checkout", "api", "")))
		t0 := time.Now()
		post(amPayload("firing", amAlert("firing", "latency", "checkout", fmt.Sprintf("api-%d", i), "")))
		for {
			resp, err := client.Get(s.URL + "/runbooks/checkout-high-error-rate")
			if err != nil {
				b.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			if strings.Contains(string(body), fmt.Sprintf(`pod=&#34;api-%d&#34;`, i)) || strings.Contains(string(body), fmt.Sprintf(`pod="api-%d"`, i)) {
				break
			}
			if time.Since(t0) > 10*time.Second {
				b.Fatal("the banner never showed the alert")
			}
		}
		lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
	}
	slices.Sort(lat)
	b.ReportMetric(rate, "notifications/s")
	b.ReportMetric(lat[len(lat)/2], "banner-p50-ms")
	b.ReportMetric(lat[len(lat)*99/100], "banner-max-ms")
	b.ReportMetric(0, "ns/op")
}
