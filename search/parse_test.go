package search_test

import (
	"reflect"
	"testing"

	"github.com/opswiki/opswiki/search"
)

func TestParseQuery(t *testing.T) {
	type F = search.Filter
	for _, tt := range []struct {
		in   string
		want search.Query
	}{
		{"", search.Query{}},
		{"   ", search.Query{}},
		{"disk full", search.Query{Words: []string{"disk", "full"}, Prefix: true}},
		{"disk full ", search.Query{Words: []string{"disk", "full"}}},
		{"ERR_CONN_RESET", search.Query{Words: []string{"ERR_CONN_RESET"}, Prefix: true}},
		{"error, 0x80070005.", search.Query{Words: []string{"error", "0x80070005"}, Prefix: true}},
		{`"connection reset by peer"`, search.Query{Phrases: []string{"connection reset by peer"}}},
		{`"  spaced   out "`, search.Query{Phrases: []string{"spaced out"}}},
		{`""`, search.Query{}},
		{`pod "crash loop" backoff`, search.Query{Words: []string{"pod", "backoff"}, Phrases: []string{"crash loop"}, Prefix: true}},
		{"kind:runbook service:payments", search.Query{Filters: []F{{Field: "kind", Value: "runbook"}, {Field: "service", Value: "payments"}}}},
		{"Kind:Runbook services:api tags:db", search.Query{Filters: []F{{Field: "kind", Value: "Runbook"}, {Field: "service", Value: "api"}, {Field: "tag", Value: "db"}}}},
		{"owner:team-sre severity:critical status:open alert:KubePodCrashLooping incident:INC-42 path:runbooks/db",
			search.Query{Filters: []F{
				{Field: "owner", Value: "team-sre"}, {Field: "severity", Value: "critical"},
				{Field: "status", Value: "open"}, {Field: "alert", Value: "KubePodCrashLooping"},
				{Field: "incident", Value: "INC-42"}, {Field: "path", Value: "runbooks/db"}}}},
		{`service:"payment gateway" latency`, search.Query{Words: []string{"latency"}, Filters: []F{{Field: "service", Value: "payment gateway"}}, Prefix: true}},
		{"disk -kubernetes", search.Query{Words: []string{"disk"}, Exclude: []string{"kubernetes"}}},
		{`disk -"read only"`, search.Query{Words: []string{"disk"}, Exclude: []string{"read only"}}},
		{"disk -kind:postmortem", search.Query{Words: []string{"disk"}, Filters: []F{{Field: "kind", Value: "postmortem", Negate: true}}}},
		{"a - b", search.Query{Words: []string{"a", "b"}, Prefix: true}},
		// Degrade to plain text rather than fail.
		{`"unbalanced quote`, search.Query{Words: []string{"unbalanced", "quote"}, Prefix: true}},
		{`disk "full`, search.Query{Words: []string{"disk", "full"}, Prefix: true}},
		{`service:"unclosed value`, search.Query{Words: []string{"value"}, Filters: []F{{Field: "service", Value: "unclosed"}}, Prefix: true}},
		{"kind:", search.Query{Words: []string{"kind"}, Prefix: true}},
		{"kind: runbook", search.Query{Words: []string{"kind", "runbook"}, Prefix: true}},
		{"unknown:field", search.Query{Words: []string{"unknown:field"}, Prefix: true}},
		{"https://example.com/x", search.Query{Words: []string{"https://example.com/x"}, Prefix: true}},
		{"-", search.Query{}},
		{"&& ||", search.Query{}},
	} {
		t.Run(tt.in, func(t *testing.T) {
			if got := search.ParseQuery(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseQuery(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
			}
		})
	}
}
