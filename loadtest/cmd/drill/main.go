// Command drill runs Helpline's fault drills: under a steady open-loop
// load of signed webhooks against the process-shaped cluster, it kills -9
// each service process in turn and one NATS node, restarts it, and
// measures how long each takes to recover (ready again, and its durable
// consumer caught up). When the load has drained it checks that every
// webhook answered 200 is in the log exactly once and counted in the SQL
// projections, and that every crisis message led to a page. It prints a
// report, writes drills.json and drills.svg, and exits 1 on any lost or
// duplicated message or missed page.
//
//	./.ci/with-postgres go run ./loadtest/cmd/drill -rate 30
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/loadtest"
	"github.com/helpline-org/helpline/loadtest/cluster"
)

func main() { os.Exit(loadtest.Main("drill", run)) }

// drill is one fault: which process, and what it took to recover.
type drill struct {
	Target       string  `json:"target"`
	KilledAt     float64 `json:"killed_at_s"`
	ReadyAfter   float64 `json:"ready_after_s"`
	CaughtUp     float64 `json:"caught_up_after_s"`
	Restarts     int     `json:"extra_restarts"`
	FailedDuring int     `json:"webhooks_not_200_during"`
	MaxLatency   float64 `json:"max_webhook_ms_during"`
	Error        string  `json:"error,omitempty"`
}

type verdict struct {
	Accepted        int `json:"accepted"`
	InLog           int `json:"messages_in_log"`
	Lost            int `json:"lost"`
	Duplicated      int `json:"duplicated"`
	Projected       int `json:"counted_in_projections"`
	CrisisAccepted  int `json:"crisis_accepted"`
	MissedPages     int `json:"missed_pages"`
	DuplicatePages  int `json:"duplicate_pages"`
	LogEscalations  int `json:"escalations_in_log"`
	ProjEscalations int `json:"escalations_in_projection"`
	// LostMessages names each webhook answered 200 whose message is not
	// in the log, so that a loss can be traced (the replicas' logs, the
	// NATS nodes' stores kept in the cluster directory).
	LostMessages []lost `json:"lost_messages,omitempty"`
	// PagedTwice names each crisis paged more than once: every page the
	// provider accepted for it, its escalation, when, which notification
	// process was running then, and whether the log recorded it.
	PagedTwice []pagedTwice `json:"paged_more_than_once,omitempty"`
}

// pagedTwice is a client whose crisis the duty phone was paged about
// more than once.
type pagedTwice struct {
	Pseudonym string     `json:"pseudonym"`
	Pages     []sentPage `json:"pages"`
}

// sentPage is one page the Twilio fake accepted.
type sentPage struct {
	SID        string `json:"sid"`
	Escalation string `json:"escalation"`
	// At is when the fake accepted it, in seconds since the load began.
	At float64 `json:"sent_at_s"`
	// By names the notification processes running then (with their pid).
	By []string `json:"sent_by"`
	// Recorded says whether an escalation_paged event holds its sid.
	Recorded bool `json:"recorded_in_log"`
}

// life is one run of a service process, in seconds since the load began
// (To 0: still running at the end).
type life struct {
	Name     string
	Role     string
	PID      int
	From, To float64
}

// lost is one webhook answered 200 whose message the log does not hold.
type lost struct {
	SID string `json:"sid"`
	// At is when it was scheduled, in seconds since the load began.
	At     float64 `json:"scheduled_at_s"`
	Crisis bool    `json:"crisis"`
	// First is the ingestion replica it was sent to first; AnsweredBy the
	// one whose 200 counted, after Tries replicas were asked (more than
	// one: the first failed or answered 5xx).
	First      string  `json:"first_replica"`
	AnsweredBy string  `json:"answered_by"`
	Tries      int     `json:"tries"`
	LatencyMS  float64 `json:"latency_ms"`
	// Staff is who the sender's number belongs to when it is a staff work
	// phone: the text was a staff member's answer to a page, which is
	// recorded in no conversation (the load must never send one).
	Staff string `json:"staff_phone_of,omitempty"`
}

type output struct {
	Rate    float64         `json:"rate_per_s"`
	Drills  []drill         `json:"drills"`
	Verdict verdict         `json:"verdict"`
	Load    loadtest.Report `json:"load"`
}

// consumers are the durable consumers each role's recovery is measured by.
// The projector has none: it follows the log on consumers of its own, and
// is ready once its projections are at most a hundred events behind.
var consumers = map[string][]string{
	"triage":       {"triage"},
	"notification": {"notification"},
}

func run(ctx context.Context) error {
	rate := flag.Float64("rate", 30, "steady webhook rate per second")
	spacing := flag.Duration("spacing", 20*time.Second, "time between faults")
	down := flag.Duration("down", time.Second, "how long a killed process stays down before it is restarted")
	out := flag.String("out", filepath.Join("loadtest", "results", "drill-"+time.Now().UTC().Format("20060102-150405")), "where to write drills.json and drills.svg")
	db := flag.String("db", os.Getenv("HELPLINE_TEST_DATABASE_URL"), "PostgreSQL URL of an empty database (default HELPLINE_TEST_DATABASE_URL)")
	flag.Parse()

	rig, err := loadtest.StartRig(ctx, filepath.Join(*out, "cluster"), *db, nil, false)
	if err != nil {
		return err
	}
	defer rig.Close()
	c := rig.Cluster
	nc, err := c.Connect("helpline-drill")
	if err != nil {
		return err
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)

	targets := []*cluster.Proc{c.Role("ingestion")[0], c.Role("triage")[0], c.Role("notification")[0], c.Role("projector")[0], c.NATS[1]}
	total := *spacing * time.Duration(len(targets)+1)
	l := loadtest.Load{Rate: *rate, Duration: total, CrisisEvery: 25, FirstID: 1}
	fmt.Fprintf(os.Stderr, "steady load %g/s for %s; a fault every %s\n", *rate, total, *spacing)

	start := time.Now()
	sentc := make(chan []loadtest.Sent, 1)
	go func() { sentc <- loadtest.Run(ctx, l, rig.Text) }()
	var drills []drill
	var lives []life
	for _, p := range c.Services {
		lives = append(lives, life{Name: p.Name, Role: p.Role, PID: p.PID(), From: -1})
	}
	for i, p := range targets {
		at := start.Add(*spacing*time.Duration(i) + *spacing/2)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(at)):
		}
		d := drill{Target: p.Name, KilledAt: time.Since(start).Seconds()}
		fmt.Fprintf(os.Stderr, "kill -9 %s (pid %d)\n", p.Name, p.PID())
		killed := time.Now()
		if err := p.Kill(); err != nil {
			return err
		}
		for k := range lives {
			if lives[k].Name == p.Name && lives[k].To == 0 {
				lives[k].To = d.KilledAt
			}
		}
		time.Sleep(*down) // the crash's outage, before the supervisor restarts it
		if err := p.Start(); err != nil {
			return err
		}
		if p.Role != "nats" {
			lives = append(lives, life{Name: p.Name, Role: p.Role, PID: p.PID(), From: time.Since(start).Seconds()})
		}
		// Like a supervisor, start it again if it exits before it is ready.
		for try := 1; ; try++ {
			err := c.WaitReady(ctx, p, 2*time.Minute)
			if err == nil {
				break
			}
			if p.Running() || try == 3 {
				d.Error = err.Error()
				break
			}
			d.Restarts++
			fmt.Fprintf(os.Stderr, "  %s exited before it was ready (%v); restarting\n", p.Name, err)
			if err := p.Start(); err != nil {
				return err
			}
		}
		d.ReadyAfter = time.Since(killed).Seconds()
		if err := caughtUp(ctx, js, consumers[p.Role]); err != nil && d.Error == "" {
			d.Error = err.Error()
		}
		d.CaughtUp = time.Since(killed).Seconds()
		fmt.Fprintf(os.Stderr, "  %s ready after %.2fs, caught up after %.2fs\n", p.Name, d.ReadyAfter, d.CaughtUp)
		drills = append(drills, d)
	}
	sent := <-sentc
	fmt.Fprintln(os.Stderr, "load done; waiting for the pipeline to drain")
	pages := rig.AwaitPages(ctx, sent, 2*time.Minute)

	res := output{Rate: *rate, Drills: drills, Load: loadtest.Analyse(l, sent, pages, c.Pseudonym)}
	for i := range res.Drills {
		d := &res.Drills[i]
		from, to := start.Add(time.Duration(d.KilledAt*float64(time.Second))), start.Add(time.Duration((d.KilledAt+d.CaughtUp)*float64(time.Second)))
		for _, s := range sent {
			if s.Scheduled.Before(from) || s.Scheduled.After(to) {
				continue
			}
			if s.Code != http.StatusOK {
				d.FailedDuring++
			}
			d.MaxLatency = max(d.MaxLatency, float64(s.Latency.Microseconds())/1000)
		}
	}
	res.Verdict, err = check(ctx, rig, sent)
	if err != nil {
		return err
	}
	if res.Verdict.DuplicatePages > 0 {
		if res.Verdict.PagedTwice, err = pagedAgain(ctx, rig, start, lives); err != nil {
			return err
		}
	}
	report(res)
	if err := write(*out, res, start, drills); err != nil {
		return err
	}
	v := res.Verdict
	if v.Lost > 0 || v.Duplicated > 0 || v.MissedPages > 0 || v.Projected != v.InLog || v.LogEscalations != v.ProjEscalations {
		return errors.New("the drills lost, duplicated or missed something: see above")
	}
	return nil
}

// caughtUp waits until each named durable consumer has at most 50 events
// pending or unacknowledged.
func caughtUp(ctx context.Context, js jetstream.JetStream, names []string) error {
	return cluster.Eventually(ctx, 90*time.Second, func() error {
		for _, n := range names {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			cons, err := js.Consumer(cctx, events.DefaultStream, n)
			if err == nil {
				var info *jetstream.ConsumerInfo
				if info, err = cons.Info(cctx); err == nil && info.NumPending+uint64(info.NumAckPending) > 50 {
					err = fmt.Errorf("%s: %d behind", n, info.NumPending+uint64(info.NumAckPending))
				}
			}
			cancel()
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// check compares what was accepted with the log, the projections and the
// pages, once the pipeline has drained.
func check(ctx context.Context, rig *loadtest.Rig, sent []loadtest.Sent) (verdict, error) {
	var v verdict
	var lastErr error
	staff, err := staffPhones()
	if err != nil {
		return v, err
	}
	err = cluster.Eventually(ctx, 2*time.Minute, func() error {
		log, err := rig.Cluster.ReadLog(ctx)
		if err != nil {
			lastErr = err
			return err
		}
		proj, err := cluster.ReadProjections(ctx, rig.DBURL)
		if err != nil {
			lastErr = err
			return err
		}
		v = verdict{InLog: len(log.Received), Projected: int(proj.Received), LogEscalations: log.Escalations, ProjEscalations: int(proj.Escalations)}
		for _, n := range log.Received {
			if n > 1 {
				v.Duplicated++
			}
		}
		pageCounts := loadtest.PageCounts(rig.Fake, cluster.DutyPhone)
		for i, s := range sent {
			if s.Code != http.StatusOK {
				continue
			}
			v.Accepted++
			if log.Received[s.SID] == 0 {
				v.Lost++
				v.LostMessages = append(v.LostMessages, lostMessage(rig, sent, i, staff))
			}
			if s.Crisis {
				v.CrisisAccepted++
				switch n := pageCounts[rig.Cluster.Pseudonym(s.From)]; {
				case n == 0:
					v.MissedPages++
				case n > 1:
					v.DuplicatePages++
				}
			}
		}
		if v.Lost > 0 || v.MissedPages > 0 || v.Projected != v.InLog || v.LogEscalations != v.ProjEscalations {
			return fmt.Errorf("not settled: %+v", v)
		}
		return nil
	})
	if lastErr != nil && err != nil && v.Accepted == 0 {
		return v, lastErr
	}
	return v, nil
}

// queueLink finds the escalation in a page's link to the console's queue.
var queueLink = regexp.MustCompile(`/queue/([^ ]+)`)

// pagedAgain lists every page the duty phone got for each client paged
// there more than once, with the process that sent it (by time: the
// notification processes running when the fake accepted it) and whether
// the log recorded its sid.
func pagedAgain(ctx context.Context, rig *loadtest.Rig, start time.Time, lives []life) ([]pagedTwice, error) {
	log, err := rig.Cluster.ReadLog(ctx)
	if err != nil {
		return nil, err
	}
	byClient := map[string][]sentPage{}
	for _, m := range rig.Fake.Sent() {
		g := loadtest.PagePseudonym(m.Body)
		if m.To != cluster.DutyPhone || g == "" {
			continue
		}
		p := sentPage{SID: m.SID, At: m.SentAt.Sub(start).Seconds()}
		if e := queueLink.FindStringSubmatch(m.Body); e != nil {
			p.Escalation = e[1]
		}
		_, p.Recorded = log.PageSIDs[m.SID]
		for _, l := range lives {
			if l.Role == "notification" && l.From <= p.At && (l.To == 0 || p.At < l.To) {
				p.By = append(p.By, fmt.Sprintf("%s pid %d (from %.1f s)", l.Name, l.PID, l.From))
			}
		}
		byClient[g] = append(byClient[g], p)
	}
	var out []pagedTwice
	for _, g := range slices.Sorted(maps.Keys(byClient)) {
		if pages := byClient[g]; len(pages) > 1 {
			out = append(out, pagedTwice{Pseudonym: g, Pages: pages})
		}
	}
	return out, nil
}

// lostMessage describes sent[i], a webhook answered 200 whose message the
// log does not hold. Message i went to ingestion replica i first (Rig.Text).
func lostMessage(rig *loadtest.Rig, sent []loadtest.Sent, i int, staff map[string]string) lost {
	s, replicas := sent[i], rig.Cluster.Role("ingestion")
	name := func(k int) string {
		if k < 0 || k >= len(replicas) {
			return fmt.Sprintf("replica %d", k)
		}
		return replicas[k].Name
	}
	return lost{SID: s.SID, At: s.Scheduled.Sub(sent[0].Scheduled).Seconds(), Crisis: s.Crisis, First: name(i % max(1, len(replicas))),
		AnsweredBy: name(s.Replica), Tries: s.Tries, LatencyMS: float64(s.Latency.Microseconds()) / 1000, Staff: staff[s.From]}
}

// staffPhones maps the work phones of the drill's configuration (the
// cluster's default lines) to their staff ids.
func staffPhones() (map[string]string, error) {
	f, err := config.ParseFile([]byte(cluster.DefaultLines))
	if err != nil {
		return nil, fmt.Errorf("the cluster's lines: %w", err)
	}
	out := map[string]string{}
	for _, st := range f.Staff {
		if st.WorkPhone != "" {
			out[st.WorkPhone] = st.ID
		}
	}
	return out, nil
}

// maxLostShown is how many lost messages the report lists.
const maxLostShown = 40

func report(res output) {
	fmt.Printf("fault drills at %g webhooks/s (open loop)\n", res.Rate)
	fmt.Printf("%-16s %8s %10s %12s %10s %12s %s\n", "killed", "at s", "ready s", "caught up s", "not 200", "max ms", "restarts")
	for _, d := range res.Drills {
		fmt.Printf("%-16s %8.1f %10.2f %12.2f %10d %12.1f %d %s\n", d.Target, d.KilledAt, d.ReadyAfter, d.CaughtUp, d.FailedDuring, d.MaxLatency, d.Restarts, d.Error)
	}
	v, l := res.Verdict, res.Load
	fmt.Printf("webhooks: %d sent, %d answered 200, %d not; p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", l.Sent, l.OK, l.Failed, l.Webhook.P50, l.Webhook.P99, l.Webhook.Max)
	fmt.Printf("log: %d of %d accepted messages present, %d lost, %d duplicated (%d messages in the log)\n", v.Accepted-v.Lost, v.Accepted, v.Lost, v.Duplicated, v.InLog)
	for k, m := range v.LostMessages {
		if k == maxLostShown {
			fmt.Printf("  ... and %d more (drills.json lists them all)\n", len(v.LostMessages)-k)
			break
		}
		staff := ""
		if m.Staff != "" {
			staff = " from the work phone of staff " + m.Staff
		}
		fmt.Printf("  lost %s at %.2f s%s: sent to %s, answered 200 by %s after %d tries in %.1f ms%s\n", m.SID, m.At,
			map[bool]string{true: " (crisis)"}[m.Crisis], m.First, m.AnsweredBy, m.Tries, m.LatencyMS, staff)
	}
	fmt.Printf("projections: %d messages counted (log has %d); escalations %d (log has %d)\n", v.Projected, v.InLog, v.ProjEscalations, v.LogEscalations)
	fmt.Printf("pages: %d crisis messages accepted, %d missed pages, %d paged more than once; crisis->page p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
		v.CrisisAccepted, v.MissedPages, v.DuplicatePages, l.CrisisToPage.P50, l.CrisisToPage.P99, l.CrisisToPage.Max)
	for _, d := range v.PagedTwice {
		fmt.Printf("  client %s paged %d times:\n", d.Pseudonym, len(d.Pages))
		for _, p := range d.Pages {
			fmt.Printf("    %s escalation %s at %.2f s by %s, recorded in the log: %t\n", p.SID, p.Escalation, p.At, strings.Join(p.By, " or "), p.Recorded)
		}
	}
}

func write(dir string, res output, start time.Time, drills []drill) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "drills.json"), data, 0o644); err != nil {
		return err
	}
	var marks []loadtest.Mark
	for _, d := range drills {
		marks = append(marks, loadtest.Mark{At: d.KilledAt, Label: "kill -9 " + d.Target})
	}
	f, err := os.Create(filepath.Join(dir, "drills.svg"))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := loadtest.WriteSVG(f, fmt.Sprintf("Fault drills under %g webhooks/s", res.Rate), res.Load.Timeline, marks); err != nil {
		return err
	}
	fmt.Printf("wrote %s and %s\n", filepath.Join(dir, "drills.json"), filepath.Join(dir, "drills.svg"))
	return nil
}
