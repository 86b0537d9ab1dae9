package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/helpline-org/helpline/internal/twiliofake"
)

// BenchmarkCrisisToPage measures, in one run, the time from a crisis SMS
// webhook being posted to the page's request arriving at the Twilio fake:
// first alone, then under background loads of ordinary messages (open
// loop). Each crisis text comes from a new client, so each raises its own
// escalation. A crisis text not paged within pageWait, or whose webhook is
// refused, ends its run: the run reports missed=1 and the figures of the
// pages before it.
//
//	go test -run '^$' -bench CrisisToPage -benchtime 200x ./loadtest/
//	go test -run '^$' -bench 'CrisisToPage/background=500' -benchtime 200x ./loadtest/
func BenchmarkCrisisToPage(b *testing.B) {
	for _, bg := range []int{0, 100, 250, 500, 1000} {
		b.Run(fmt.Sprintf("background=%d_per_s", bg), func(b *testing.B) { crisisToPage(b, bg, false) })
	}
}

// BenchmarkCrisisToPageReturning is BenchmarkCrisisToPage with returning
// clients in the background: each of the background's numbers texts once
// before (16 at a time, every one answered 200 and handled), so the open loop's texts
// are each one fsynced append and a verdict instead of a new client's
// registration (nine writes: loadtest/README.md, issue 17's fourth
// session). In BenchmarkCrisisToPage the first 2,000 background texts
// are all first texts.
//
//	go test -run '^$' -bench 'CrisisToPageReturning/background=500' -benchtime 10x ./loadtest/
func BenchmarkCrisisToPageReturning(b *testing.B) {
	for _, bg := range []int{250, 500, 1000} {
		b.Run(fmt.Sprintf("background=%d_per_s", bg), func(b *testing.B) { crisisToPage(b, bg, true) })
	}
}

// backgroundNumbers is how many numbers the background texts come from, in
// turn.
const backgroundNumbers = 2000

// backgroundNumber is the background's i-th number.
func backgroundNumber(i int) string { return ClientNumber(i % backgroundNumbers) }

// crisisToPage measures crisis texts to pages beside bg background texts a
// second; with returning, every background number has texted once before.
func crisisToPage(b *testing.B, bg int, returning bool) {
	ctx := context.Background()
	s := startStack(b, Options{})
	var n atomic.Int64
	n.Store(time.Now().UnixNano())
	if returning {
		if err := textEach(ctx, s, &n); err != nil {
			b.Fatal(err)
		}
		settle(b, s.JS) // and every handler is done with them
	}
	pages, cancel := dutyPages(s.Fake)
	defer cancel()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	if bg > 0 {
		wg.Add(1)
		go func() { // open loop: a message every 1/bg seconds, whatever the answers
			defer wg.Done()
			tick := time.NewTicker(time.Second / time.Duration(bg))
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
					go func() {
						_, _ = s.Text(ctx, SID(n.Add(1)), backgroundNumber(i), backgroundText)
					}()
				}
			}
		}()
		time.Sleep(time.Second) // reach steady state before measuring
	}
	h := hdrhistogram.New(1, 60_000_000, 3) // microseconds
	missed := 0
	b.ResetTimer()
	for i := 0; i < b.N && missed == 0; i++ {
		from := fmt.Sprintf("+4477008%05d", i)
		start := time.Now()
		if code, err := s.Text(ctx, SID(n.Add(1)), from, "i took 30 paracetamol and i want to die"); err != nil || code != http.StatusOK {
			// Twilio would retry it on the fallback URL; here the
			// overload ends the run, as a missed page does.
			b.Logf("crisis text %d of %d at %d/s: webhook %d %v", i+1, b.N, bg, code, err)
			missed++
			continue
		}
		if err := awaitPage(pages, pageWait); err != nil {
			b.Logf("crisis text %d of %d at %d/s: %v", i+1, b.N, bg, err)
			missed++
			continue
		}
		_ = h.RecordValue(time.Since(start).Microseconds())
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	if rss, err := residentMiB(); err == nil {
		b.ReportMetric(rss, "rss_MiB") // the whole test process: the helpline run stack, the fake and the generator
	}
	b.ReportMetric(float64(missed), "missed")
	b.ReportMetric(float64(h.TotalCount()), "paged")
	b.ReportMetric(float64(h.ValueAtQuantile(50))/1000, "p50_ms")
	b.ReportMetric(float64(h.ValueAtQuantile(99))/1000, "p99_ms")
	b.ReportMetric(float64(h.Max())/1000, "max_ms")
}

// backgroundText is what the background's clients text: no risk.
const backgroundText = "just checking in about my appointment next week"

// textEach has every background number text once, 16 at a time, and
// returns an error unless every text was answered 200.
func textEach(ctx context.Context, s *Stack, n *atomic.Int64) error {
	if f := textAll(ctx, s, n, backgroundNumbers, backgroundNumber, backgroundText); f > 0 {
		return fmt.Errorf("%d of the %d background numbers' first texts not answered 200", f, backgroundNumbers)
	}
	return nil
}

// textersAtOnce is how many numbers textAll has text at once.
const textersAtOnce = 16

// textAll has count numbers (from(0) to from(count-1)) text body once
// each, textersAtOnce at a time, each under the next sid of n, and returns
// how many were not answered 200.
func textAll(ctx context.Context, s *Stack, n *atomic.Int64, count int, from func(int) string, body string) int64 {
	var wg sync.WaitGroup
	var failed atomic.Int64
	sem := make(chan struct{}, textersAtOnce)
	for i := range count {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if code, err := s.Text(ctx, SID(n.Add(1)), from(i), body); err != nil || code != http.StatusOK {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	return failed.Load()
}

// residentMiB is this process's resident memory (VmRSS).
func residentMiB() (float64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb float64
			if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb); err != nil {
				return 0, err
			}
			return kb / 1024, nil
		}
	}
	return 0, errors.New("no VmRSS")
}

// dutyPages subscribes to what fake sends and hands on the pages to the
// duty phone alone, read as they come: the fake closes a subscriber that
// falls a buffer behind, and the background's own sends (a first text's
// welcome, replies) would fill it between the crisis texts, while the
// benchmark is not reading, and end the run with a page it never missed.
// The channel closes when the subscription does.
func dutyPages(fake *twiliofake.Fake) (<-chan twiliofake.SentMessage, func()) {
	all, cancel := fake.Subscribe()
	pages := make(chan twiliofake.SentMessage, 1<<16) // pages are few: it never fills
	go func() {
		defer close(pages)
		for m := range all {
			if m.To == DutyPhone && m.Status == "queued" {
				pages <- m
			}
		}
	}()
	return pages, cancel
}

// pageWait is how long a crisis text may wait for its page before the
// benchmark counts it missed.
const pageWait = 30 * time.Second

func awaitPage(pages <-chan twiliofake.SentMessage, wait time.Duration) error {
	deadline := time.After(wait)
	for {
		select {
		case m, ok := <-pages:
			if !ok {
				return fmt.Errorf("subscription closed")
			}
			if m.To == DutyPhone && m.Status == "queued" {
				return nil
			}
		case <-deadline:
			return fmt.Errorf("no page within %s", wait)
		}
	}
}
