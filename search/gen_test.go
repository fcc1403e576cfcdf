package search_test

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/opswiki/opswiki/wiki"
)

// corpus generates a deterministic wiki of runbooks, postmortems, service
// pages and notes, with the identifiers, alert names and commands that ops
// documentation is full of, and a Zipf-distributed vocabulary of a few
// thousand words so term dictionaries look like real text.
type corpus struct {
	rng      *rand.Rand
	zipf     *rand.Zipf
	vocab    []string
	services []string
	alerts   []string
	codes    []string
}

var opsWords = strings.Fields(`the a to of and in is for on with when check if service pod node
disk memory cpu latency error errors request requests database replica primary connection
connections timeout retry restart deploy rollback traffic load balancer queue consumer lag
kafka redis postgres cache dns certificate expired tls alert page on-call escalate incident
customer impact mitigation root cause action item dashboard metric logs trace upstream
downstream cluster region zone failover backup restore snapshot volume full usage threshold
spike saturation throughput p99 slow query index lock contention deadlock vacuum migration
schema config flag feature release canary health probe liveness readiness oom killed evicted
throttled quota limit rate burst network packet loss partition gateway proxy ingress egress
secret rotate token auth login session user api endpoint status code response body header
job cron batch worker scheduler backlog drain cordon scale replicas autoscaler capacity plan
storage bucket object replication sync async write read stale consistency leader election
heartbeat monitor paging runbook postmortem timeline detection acknowledged resolved follow
verify confirm ensure run execute command output inspect investigate identify review owner`)

func newCorpus(seed uint64) *corpus {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c := &corpus{rng: rng}
	c.vocab = append(c.vocab, opsWords...)
	syl := strings.Fields("ka ri to ne mu sa lo vi de pa chi ro tu ba fe zo gi lu ma no")
	for len(c.vocab) < 5000 {
		var w strings.Builder
		for range 2 + rng.IntN(3) {
			w.WriteString(syl[rng.IntN(len(syl))])
		}
		c.vocab = append(c.vocab, w.String())
	}
	c.zipf = rand.NewZipf(rng, 1.1, 2, uint64(len(c.vocab)-1))
	pre := strings.Fields("payments checkout auth search catalog billing ledger inventory shipping notify edge gateway users orders media")
	for i := range 200 {
		c.services = append(c.services, fmt.Sprintf("%s-%s", pre[i%len(pre)], []string{"api", "worker", "db", "cache", "svc"}[i/len(pre)%5]+fmt.Sprint(i/75)))
	}
	for _, a := range strings.Fields("Kube Node Postgres Redis Kafka Http Api Disk Memory Cert Dns Queue") {
		for _, b := range strings.Fields("Pod Replica Consumer Request Volume Job") {
			for _, s := range strings.Fields("CrashLooping Down Full Expiring LagHigh ErrorRateHigh Saturated NotReady") {
				c.alerts = append(c.alerts, a+b+s)
			}
		}
	}
	for i := range 300 {
		switch i % 4 {
		case 0:
			c.codes = append(c.codes, fmt.Sprintf("ERR_%s_%s", strings.ToUpper(c.word()), strings.ToUpper(c.word())))
		case 1:
			c.codes = append(c.codes, fmt.Sprintf("0x8007%04X", rng.IntN(0xffff)))
		case 2:
			c.codes = append(c.codes, fmt.Sprintf("E%04d", rng.IntN(10000)))
		default:
			c.codes = append(c.codes, fmt.Sprintf("pg_stat_%s", c.word()))
		}
	}
	return c
}

func (c *corpus) word() string            { return c.vocab[c.zipf.Uint64()] }
func (c *corpus) pick(ss []string) string { return ss[c.rng.IntN(len(ss))] }
func (c *corpus) picks(ss []string, n int) []string {
	out := make([]string, 0, n)
	for range n {
		out = append(out, c.pick(ss))
	}
	return out
}

func (c *corpus) sentence() string {
	n := 6 + c.rng.IntN(14)
	ws := make([]string, n)
	for i := range ws {
		ws[i] = c.word()
	}
	switch c.rng.IntN(6) {
	case 0:
		ws[c.rng.IntN(n)] = c.pick(c.codes)
	case 1:
		ws[c.rng.IntN(n)] = c.pick(c.services)
	case 2:
		ws[c.rng.IntN(n)] = c.pick(c.alerts)
	}
	return strings.Join(ws, " ") + "."
}

func (c *corpus) text(paragraphs int) string {
	var b strings.Builder
	for range paragraphs {
		for range 3 + c.rng.IntN(5) {
			b.WriteString(c.sentence())
			b.WriteByte(' ')
		}
		b.WriteString("\n\n")
	}
	return b.String()
}

func (c *corpus) command(svc string) string {
	switch c.rng.IntN(5) {
	case 0:
		return fmt.Sprintf("kubectl -n %s get pods -o wide\nkubectl -n %s logs deploy/%s --previous | grep %s", svc, svc, svc, c.pick(c.codes))
	case 1:
		return fmt.Sprintf("psql -h %s.db.internal -c \"SELECT pid, state FROM %s WHERE state = 'idle';\"", svc, c.pick(c.codes))
	case 2:
		return fmt.Sprintf("systemctl restart %s\njournalctl -u %s --since -1h | grep -i %s", svc, svc, c.word())
	case 3:
		return fmt.Sprintf("curl -sS http://%s.internal:8080/healthz\ncurl -sS -XPOST http://%s.internal:8080/admin/drain", svc, svc)
	default:
		return fmt.Sprintf("aws s3 ls s3://%s-backups/ --recursive | tail -n 5\nexport RETRY_LIMIT=%d", svc, c.rng.IntN(10))
	}
}

// doc returns the i-th generated page.
func (c *corpus) doc(i int) *wiki.Document {
	svcs := c.picks(c.services, 1+c.rng.IntN(2))
	d := &wiki.Document{Meta: wiki.Meta{Services: svcs, Owner: "team-" + strings.SplitN(svcs[0], "-", 2)[0], Tags: c.picks(opsWords[40:80], 2)}}
	heads := []string{"Summary"}
	switch i % 10 {
	case 0, 1, 2, 3:
		alert := c.alerts[i%len(c.alerts)]
		d.Path = wiki.Path(fmt.Sprintf("runbooks/%s/%s-%d.md", svcs[0], strings.ToLower(alert), i))
		d.Title = fmt.Sprintf("%s on %s", alert, svcs[0])
		d.Meta.Kind, d.Meta.Alerts, d.Meta.Severity = wiki.KindRunbook, []string{alert}, c.pick([]string{"critical", "warning", "info"})
		heads = append(heads, "Symptoms", "Diagnosis", "Mitigation", "Escalation")
		d.Code = []string{c.command(svcs[0]), c.command(svcs[0])}
		d.Text = c.text(4)
	case 4, 5:
		d.Path = wiki.Path(fmt.Sprintf("postmortems/%d/inc-%05d.md", 2020+i%6, i))
		d.Title = fmt.Sprintf("%s %s of %s", c.word(), c.word(), svcs[0])
		d.Meta.Kind, d.Meta.Incidents = wiki.KindPostmortem, []string{fmt.Sprintf("INC-%d", i)}
		d.Meta.Status, d.Meta.Severity = c.pick([]string{"draft", "in-review", "published", "closed"}), c.pick([]string{"SEV1", "SEV2", "SEV3"})
		heads = append(heads, "Impact", "Timeline", "Root cause", "Action items")
		d.Code = []string{c.command(svcs[0])}
		d.Text = c.text(6)
	case 6, 7:
		d.Path = wiki.Path(fmt.Sprintf("services/%s-%d.md", svcs[0], i))
		d.Title = svcs[0]
		d.Meta.Kind, d.Meta.Description = wiki.KindService, c.sentence()
		heads = append(heads, "Architecture", "Dependencies", "SLOs", "Dashboards")
		d.Text = c.text(3)
	default:
		d.Path = wiki.Path(fmt.Sprintf("notes/%s/%s-%d.md", c.word(), c.word(), i))
		d.Title = c.word() + " " + c.word()
		d.Meta.Kind = wiki.KindPage
		d.Text = c.text(2 + c.rng.IntN(4))
	}
	for _, h := range heads {
		d.Headings = append(d.Headings, wiki.Heading{Level: 2, Text: h})
	}
	return d
}

// docs returns n generated pages.
func (c *corpus) docs(n int) []*wiki.Document {
	out := make([]*wiki.Document, n)
	for i := range out {
		out[i] = c.doc(i)
	}
	return out
}
