package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/loadtest/cluster"
)

// Rig is a process-shaped cluster with a Twilio-compatible fake in this
// process and a texter that spreads webhooks over the ingestion replicas:
// what the load generator and the fault drills run against.
type Rig struct {
	Cluster *cluster.Cluster
	Fake    *twiliofake.Fake
	Texter  *cluster.Texter
	DBURL   string
	srv     *http.Server
}

// StartRig builds the binaries into dir and starts the cluster on the
// (empty) database at dbURL, or, when embedded, one `helpline run`
// process (no database; replicas not used).
func StartRig(ctx context.Context, dir, dbURL string, replicas map[string]int, embedded bool) (*Rig, error) {
	if dbURL == "" && !embedded {
		return nil, errors.New("no database: pass -db or set HELPLINE_TEST_DATABASE_URL (run under ./.ci/with-postgres)")
	}
	// A directory an earlier run left would be started again as it is:
	// its log still holds that run's messages, so this run's texts (the
	// same MessageSids, loadtest.SID) would be answered as duplicates and
	// never triaged, and the figures would measure nothing.
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s holds an earlier run (%d entries): its log would answer this run's texts as duplicates; remove it or choose another -out", dir, len(entries))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	bin, err := cluster.Build(ctx, dir)
	if err != nil {
		return nil, err
	}
	r := &Rig{DBURL: dbURL, Fake: twiliofake.New(twiliofake.Config{AuthToken: "loadtoken0123456789"}, zerolog.Nop())}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.srv = &http.Server{Handler: r.Fake, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(l) }()
	r.Cluster, err = cluster.Start(ctx, cluster.Config{Dir: dir, Bin: bin, DatabaseURL: dbURL, TwilioAPIURL: "http://" + l.Addr().String(),
		TwilioAccountSID: r.Fake.AccountSID(), TwilioAuthToken: r.Fake.AuthToken(), Replicas: replicas, LogLevel: "warn", Embedded: embedded})
	if err != nil {
		r.srv.Close()
		return nil, fmt.Errorf("%w (logs in %s)", err, dir)
	}
	var urls []string
	for _, p := range r.Cluster.Role("ingestion") {
		urls = append(urls, "http://"+p.HTTPAddr)
	}
	tr := &http.Transport{MaxIdleConns: 2048, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}
	r.Texter = &cluster.Texter{AccountSID: r.Fake.AccountSID(), AuthToken: r.Fake.AuthToken(), Replicas: urls,
		Client: &http.Client{Timeout: 15 * time.Second, Transport: tr}}
	return r, nil
}

// Text is the rig's Texter for Run: message i goes to replica i first.
func (r *Rig) Text(ctx context.Context, i int, sid, from, body string) (Answer, error) {
	d, err := r.Texter.Send(ctx, i, sid, from, body)
	return Answer{Code: d.Code, Replica: d.Replica, Tries: d.Tries}, err
}

// AwaitPages waits until every crisis webhook answered 200 in sent has a
// page at the duty phone, or wait passes, and returns the pages.
func (r *Rig) AwaitPages(ctx context.Context, sent []Sent, wait time.Duration) map[string]time.Time {
	var pages map[string]time.Time
	_ = cluster.Eventually(ctx, wait, func() error {
		pages = Pages(r.Fake, cluster.DutyPhone)
		for _, s := range sent {
			if s.Crisis && s.Code == http.StatusOK {
				if _, ok := pages[r.Cluster.Pseudonym(s.From)]; !ok {
					return errors.New("pages missing")
				}
			}
		}
		return nil
	})
	return pages
}

// RSS is the resident memory of every process, in MiB.
func (r *Rig) RSS() map[string]float64 {
	out := map[string]float64{}
	for _, p := range append(append([]*cluster.Proc(nil), r.Cluster.NATS...), r.Cluster.Services...) {
		if b, err := p.RSS(); err == nil {
			out[p.Name] = float64(b) / (1 << 20)
		}
	}
	return out
}

// CPU is the CPU time every process has used so far (user and system).
func (r *Rig) CPU() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, p := range append(append([]*cluster.Proc(nil), r.Cluster.NATS...), r.Cluster.Services...) {
		if d, err := p.CPU(); err == nil {
			out[p.Name] = d
		}
	}
	return out
}

// AwaitIdle waits until the processes go idle (together less than a
// twentieth of a core over a second: the backlogs of the last load
// handled), or wait passes, and reports whether they did.
func (r *Rig) AwaitIdle(ctx context.Context, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	prev := r.CPU()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Second):
		}
		cur := r.CPU()
		var used time.Duration
		for name, d := range cur {
			used += d - prev[name]
		}
		if used < 50*time.Millisecond {
			return true
		}
		prev = cur
	}
	return false
}

// CPUPerMessage is the CPU each process used between two readings of
// CPU, in milliseconds per message of the n sent in between.
func CPUPerMessage(before, after map[string]time.Duration, n int) map[string]float64 {
	out := map[string]float64{}
	if n <= 0 {
		return out
	}
	for name, a := range after {
		if b, ok := before[name]; ok {
			out[name] = float64(a-b) / float64(time.Millisecond) / float64(n)
		}
	}
	return out
}

// Close kills the cluster and stops the fake.
func (r *Rig) Close() {
	r.Cluster.Close()
	r.srv.Close()
	r.Fake.Close()
}

// HandlerStats scrapes every service's /metrics and returns, per event
// handler, how many events it handled and their mean handling time in ms
// (cumulative since the process started).
func (r *Rig) HandlerStats(ctx context.Context) map[string][2]float64 {
	sums, counts := map[string]float64{}, map[string]float64{}
	client := &http.Client{Timeout: 5 * time.Second}
	for _, p := range r.Cluster.Services {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.HTTPAddr+"/metrics", nil)
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			for suffix, into := range map[string]map[string]float64{"_sum": sums, "_count": counts} {
				prefix := "helpline_event_handler_seconds" + suffix + `{handler="`
				if rest, ok := strings.CutPrefix(line, prefix); ok {
					name, val, _ := strings.Cut(rest, `"} `)
					if f, err := strconv.ParseFloat(val, 64); err == nil {
						into[name] += f
					}
				}
			}
		}
		resp.Body.Close()
	}
	out := map[string][2]float64{}
	for h, n := range counts {
		if n > 0 {
			out[h] = [2]float64{n, sums[h] / n * 1000}
		}
	}
	return out
}
