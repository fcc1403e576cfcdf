package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opswiki/opswiki/wiki/web"
)

// The on-call gauges, one series per team page.
var (
	oncallPeopleDesc = prometheus.NewDesc("opswiki_oncall_people",
		"People on call now in the team, by its rotation or schedule (0: nobody, or it cannot be told).", []string{"team"}, nil)
	oncallEndDesc = prometheus.NewDesc("opswiki_oncall_shift_end_timestamp_seconds",
		"When the team's current on-call shift ends (Unix time).", []string{"team"}, nil)
	oncallStaleDesc = prometheus.NewDesc("opswiki_oncall_stale",
		"1 when who is on call in the team cannot be told, or comes from a copy of its schedule that could not be refreshed.", []string{"team"}, nil)
)

// oncallCollector reports who is on call in every team at each scrape.
type oncallCollector struct{ server *web.Server }

func (oncallCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- oncallPeopleDesc
	ch <- oncallEndDesc
	ch <- oncallStaleDesc
}

func (c oncallCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, t := range c.server.Oncall(ctx, time.Now()) {
		ch <- prometheus.MustNewConstMetric(oncallPeopleDesc, prometheus.GaugeValue, float64(len(t.Now)), t.Team)
		if !t.Until.IsZero() {
			ch <- prometheus.MustNewConstMetric(oncallEndDesc, prometheus.GaugeValue, float64(t.Until.Unix()), t.Team)
		}
		stale := 0.0
		if t.Stale != "" || (t.Problem != "" && t.Source != "words") {
			stale = 1
		}
		ch <- prometheus.MustNewConstMetric(oncallStaleDesc, prometheus.GaugeValue, stale, t.Team)
	}
}
