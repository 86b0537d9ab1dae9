// Command loadgen is Helpline's open-loop load generator. It brings up
// the process-shaped cluster (loadtest/cluster: three NATS nodes with
// fsync on every write, each service a process, two ingestion replicas)
// and sends signed Twilio webhooks at scheduled times, ordinary texts
// with a share of crisis texts, for each rate of a sweep. It measures
// webhook latency and crisis-to-page latency (webhook scheduled -> page
// request at the Twilio-compatible fake) with HDR histograms, from the
// scheduled time, prints a report, and writes report.json and
// latency.svg.
//
//	./.ci/with-postgres go run ./loadtest/cmd/loadgen -rates 100,200,400 -duration 20s
//
// With -embedded it runs against one `helpline run` process instead (its
// NATS in process with fsync on every write, memory projections: what the
// README's first command starts), and needs no database:
//
//	go run ./loadtest/cmd/loadgen -embedded -rates 100,200,300 -duration 20s
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/helpline-org/helpline/loadtest"
)

func main() { os.Exit(loadtest.Main("loadgen", run)) }

type step struct {
	loadtest.Report
	RSS map[string]float64 `json:"rss_mib"`
	// Handlers: per event handler, events handled so far and mean ms.
	Handlers map[string][2]float64 `json:"handlers_events_mean_ms"`
	// CPU: per process, CPU time (user and system) from the step's start
	// until its crisis texts were paged, in ms per webhook sent.
	CPU map[string]float64 `json:"cpu_ms_per_message"`
}

type output struct {
	Started   time.Time      `json:"started"`
	Steps     []step         `json:"steps"`
	Replicas  map[string]int `json:"replicas,omitempty"`
	Embedded  bool           `json:"embedded,omitempty"`
	Sustained float64        `json:"sustained_rate_p99_under_100ms"`
	// CPU: per process, CPU time of the whole run (warm-up and steps,
	// then until the processes settled: Settled) in ms per webhook sent.
	CPU     map[string]float64 `json:"cpu_ms_per_message_whole_run"`
	Settled bool               `json:"settled"`
	Note    string             `json:"note"`
}

func run(ctx context.Context) error {
	rates := flag.String("rates", "30,40,50,60,70,80", "comma-separated webhook rates per second, one step each")
	duration := flag.Duration("duration", 20*time.Second, "length of each step")
	crisisEvery := flag.Int("crisis-every", 50, "every n-th message is a crisis text from a new client")
	out := flag.String("out", filepath.Join("loadtest", "results", time.Now().UTC().Format("20060102-150405")), "where to write report.json and latency.svg")
	db := flag.String("db", os.Getenv("HELPLINE_TEST_DATABASE_URL"), "PostgreSQL URL of an empty database (default HELPLINE_TEST_DATABASE_URL)")
	warmup := flag.Duration("warmup", 10*time.Second, "an unreported first step at the first rate (caches, first clients' keys)")
	replicas := flag.String("replicas", "", "replicas per service, e.g. triage=2,notification=2 (default: ingestion 2, the others 1)")
	embedded := flag.Bool("embedded", false, "one `helpline run` process (embedded NATS, memory projections) instead of the cluster; no database, no -replicas")
	settle := flag.Duration("settle", 60*time.Second, "after the last step, how long to wait at most for the processes to go idle (the backlogs handled) before reading the whole run's CPU")
	flag.Parse()
	if *embedded && *replicas != "" {
		return fmt.Errorf("-replicas does not apply to -embedded (one process runs every service)")
	}
	reps := map[string]int{}
	for _, kv := range strings.Split(*replicas, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		name, n, _ := strings.Cut(kv, "=")
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 {
			return fmt.Errorf("-replicas: %q: want service=N", kv)
		}
		reps[name] = v
	}
	var steps []float64
	for _, f := range strings.Split(*rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || r <= 0 {
			return fmt.Errorf("-rates: %q is not a positive number", f)
		}
		steps = append(steps, r)
	}
	rig, err := loadtest.StartRig(ctx, filepath.Join(*out, "cluster"), *db, reps, *embedded)
	if err != nil {
		return err
	}
	defer rig.Close()

	if *embedded {
		reps = nil
	}
	res := output{Started: time.Now().UTC(), Replicas: reps, Embedded: *embedded, Note: "latencies from the scheduled send time; crisis_to_page ends when the page request reaches the Twilio fake"}
	var (
		timeline []loadtest.Second
		marks    []loadtest.Mark
		offset   float64
		next     int64 = 1
		total    int
	)
	cpu0 := rig.CPU()
	if *warmup > 0 {
		fmt.Fprintf(os.Stderr, "warm-up: %g webhooks/s for %s (not reported)\n", steps[0], *warmup)
		l := loadtest.Load{Rate: steps[0], Duration: *warmup, CrisisEvery: *crisisEvery, FirstID: next}
		next += int64(steps[0]*warmup.Seconds()) + 1
		sent := loadtest.Run(ctx, l, rig.Text)
		total += len(sent)
		rig.AwaitPages(ctx, sent, 60*time.Second)
	}
	passing := true
	for _, rate := range steps {
		l := loadtest.Load{Rate: rate, Duration: *duration, CrisisEvery: *crisisEvery, FirstID: next}
		next += int64(rate*duration.Seconds()) + 1
		fmt.Fprintf(os.Stderr, "step: %g webhooks/s for %s\n", rate, *duration)
		before := rig.CPU()
		sent := loadtest.Run(ctx, l, rig.Text)
		total += len(sent)
		rss := rig.RSS() // at the end of the step, under load
		handlers := rig.HandlerStats(ctx)
		pages := rig.AwaitPages(ctx, sent, 60*time.Second)
		cpu := loadtest.CPUPerMessage(before, rig.CPU(), len(sent))
		rep := loadtest.Analyse(l, sent, pages, rig.Cluster.Pseudonym)
		res.Steps = append(res.Steps, step{Report: rep, RSS: rss, Handlers: handlers, CPU: cpu})
		for h, v := range handlers {
			fmt.Fprintf(os.Stderr, "  handler %-28s %8.0f events (so far), mean %6.2f ms\n", h, v[0], v[1])
		}
		fmt.Fprintf(os.Stderr, "  CPU ms per message (step start to its pages): %s\n", cpuLine(cpu))
		marks = append(marks, loadtest.Mark{At: offset, Label: fmt.Sprintf("%g/s", rate)})
		for _, s := range rep.Timeline {
			s.At += offset
			timeline = append(timeline, s)
		}
		offset += duration.Seconds() + 2
		// Sustained: the highest rate of the sweep up to which every step
		// kept p99 under 100 ms, answered everything and paged every crisis.
		passing = passing && rep.Webhook.P99 < 100 && rep.Failed == 0 && rep.Paged == rep.Crisis
		if passing {
			res.Sustained = rate
		}
		if ctx.Err() != nil {
			break
		}
	}
	res.Settled = rig.AwaitIdle(ctx, *settle)
	res.CPU = loadtest.CPUPerMessage(cpu0, rig.CPU(), total)
	print(res)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	data, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "report.json"), data, 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(*out, "latency.svg"))
	if err != nil {
		return err
	}
	defer f.Close()
	title := "Helpline webhook latency, open loop, 3-node NATS R3 sync always"
	if *embedded {
		title = "Helpline webhook latency, open loop, helpline run (embedded NATS, sync always)"
	}
	if err := loadtest.WriteSVG(f, title, timeline, marks); err != nil {
		return err
	}
	fmt.Printf("wrote %s and %s\n", filepath.Join(*out, "report.json"), filepath.Join(*out, "latency.svg"))
	return nil
}

func print(res output) {
	fmt.Printf("%-8s %6s %6s %6s | %-34s | %-28s\n", "rate/s", "sent", "ok", "fail", "webhook ms p50 / p99 / p99.9 / max", "crisis->page ms p50 / p99 / max")
	for _, s := range res.Steps {
		fmt.Printf("%-8g %6d %6d %6d | %7.1f %7.1f %7.1f %8.1f  | %5d/%-4d %7.1f %7.1f %7.1f\n", s.Rate, s.Sent, s.OK, s.Failed,
			s.Webhook.P50, s.Webhook.P99, s.Webhook.P999, s.Webhook.Max, s.Paged, s.Crisis, s.CrisisToPage.P50, s.CrisisToPage.P99, s.CrisisToPage.Max)
	}
	if len(res.Steps) > 0 {
		last := res.Steps[len(res.Steps)-1]
		names := make([]string, 0, len(last.RSS))
		for n := range last.RSS {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Printf("resident memory at the end of the last step (MiB):")
		for _, n := range names {
			fmt.Printf(" %s %.1f", n, last.RSS[n])
		}
		fmt.Println()
	}
	fmt.Printf("CPU ms per message, whole run (%s): %s\n", map[bool]string{true: "settled", false: "not settled: backlogs left"}[res.Settled], cpuLine(res.CPU))
	fmt.Printf("sustained rate (every step up to it: webhook p99 < 100 ms, all answered 200, every crisis paged): %g/s\n", res.Sustained)
}

// cpuLine is the processes' CPU ms per message by name, then their sum.
func cpuLine(cpu map[string]float64) string {
	names := make([]string, 0, len(cpu))
	var sum float64
	for n, v := range cpu {
		names = append(names, n)
		sum += v
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s %.2f ", n, cpu[n])
	}
	fmt.Fprintf(&b, "total %.2f", sum)
	return b.String()
}
