package loadtest

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/helpline-org/helpline/internal/twiliofake"
)

// Texter sends one inbound-SMS webhook and returns how it was finally
// answered. i numbers the message; a texter with several ingestion
// replicas spreads them by it.
type Texter func(ctx context.Context, i int, sid, from, body string) (Answer, error)

// Answer is how one webhook was finally answered.
type Answer struct {
	// Code is the last HTTP status (0: no answer).
	Code int
	// Replica is the index of the ingestion replica that gave it, Tries
	// how many replicas were asked: more than one when the first gave no
	// answer or a 5xx and the same MessageSid went to the next, as Twilio
	// goes to its fallback URL.
	Replica, Tries int
}

// Load is an open-loop load: webhooks are sent at scheduled times, Rate
// per second, whether or not earlier ones were answered, and latency is
// measured from the scheduled time, so a stall shows as the latency every
// message scheduled during it suffers (no coordinated omission).
type Load struct {
	Rate     float64
	Duration time.Duration
	// CrisisEvery makes every n-th message a crisis text from a new
	// client (so each raises its own escalation and page); 0: none.
	CrisisEvery int
	// Clients is how many numbers ordinary messages come from.
	Clients int
	// FirstID numbers the messages' sids; runs sharing a cluster use
	// disjoint ranges.
	FirstID int64
}

// Sent is one webhook of a run.
type Sent struct {
	SID       string        `json:"sid"`
	Scheduled time.Time     `json:"scheduled"`
	Latency   time.Duration `json:"latency_ns"`
	Code      int           `json:"code"`
	Replica   int           `json:"replica"` // the ingestion replica that answered last
	Tries     int           `json:"tries"`   // replicas asked
	Crisis    bool          `json:"crisis"`
	From      string        `json:"-"` // a phone number: never written out
}

var ordinaryTexts = []string{
	"can we move my appointment to thursday",
	"thanks for yesterday, it helped to talk",
	"what time are you open on saturday",
	"i had a rough week at work but im ok",
	"is there someone i can talk to about my landlord",
}

var crisisTexts = []string{
	"i took 30 paracetamol and i want to die",
	"i am going to kill myself tonight",
	"i cant go on, i have the pills ready to end it",
}

// ClientNumber is the phone number of the load's n-th returning client
// (n below 100,000). The numbers lie outside +447700900000-999, where
// the configurations' staff work phones are (+447700900101 and up): a
// text from a work phone is a staff member's answer to a page, answered
// 200 with how to answer one and recorded in no conversation, so a
// client load texting from one finds "accepted" messages missing from
// the log (TestLoadTextsFromNoStaffPhone).
func ClientNumber(n int) string { return fmt.Sprintf("+4477008%05d", n) }

// Run sends the load through text and returns every webhook's outcome, in
// the order they were scheduled.
func Run(ctx context.Context, l Load, text Texter) []Sent {
	n := int(l.Rate * l.Duration.Seconds())
	out := make([]Sent, n)
	if l.Clients <= 0 {
		l.Clients = 1000
	}
	interval := time.Duration(float64(time.Second) / l.Rate)
	start := time.Now().Add(50 * time.Millisecond)
	var wg sync.WaitGroup
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			select {
			case <-ctx.Done():
				out = out[:i]
				wg.Wait()
				return out
			case <-time.After(d):
			}
		}
		id := l.FirstID + int64(i)
		s := Sent{SID: SID(id), Scheduled: at}
		if l.CrisisEvery > 0 && i%l.CrisisEvery == l.CrisisEvery-1 {
			s.Crisis, s.From = true, fmt.Sprintf("+4477005%05d", id%100000)
		} else {
			s.From = ClientNumber(i % l.Clients)
		}
		body := ordinaryTexts[i%len(ordinaryTexts)]
		if s.Crisis {
			body = crisisTexts[i%len(crisisTexts)]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, _ := text(ctx, i, s.SID, s.From, body)
			s.Code, s.Replica, s.Tries, s.Latency = a.Code, a.Replica, a.Tries, time.Since(at)
			out[i] = s
		}()
	}
	wg.Wait()
	return out
}

// pagePseudonym finds the client in a page's text.
var pagePseudonym = regexp.MustCompile(`client (C-[0-9A-Z]+)`)

// PagePseudonym returns the client a page's text names ("": none).
func PagePseudonym(body string) string {
	if g := pagePseudonym.FindStringSubmatch(body); g != nil {
		return g[1]
	}
	return ""
}

// Pages maps each client pseudonym paged at phone to the time the first
// page for it reached the fake.
func Pages(fake *twiliofake.Fake, phone string) map[string]time.Time {
	out := map[string]time.Time{}
	for _, m := range fake.Sent() {
		if m.To != phone {
			continue
		}
		if g := pagePseudonym.FindStringSubmatch(m.Body); g != nil {
			if t, ok := out[g[1]]; !ok || m.SentAt.Before(t) {
				out[g[1]] = m.SentAt
			}
		}
	}
	return out
}

// PageCounts counts the pages per pseudonym at phone.
func PageCounts(fake *twiliofake.Fake, phone string) map[string]int {
	out := map[string]int{}
	for _, m := range fake.Sent() {
		if m.To != phone {
			continue
		}
		if g := pagePseudonym.FindStringSubmatch(m.Body); g != nil {
			out[g[1]]++
		}
	}
	return out
}

// Percentiles of a latency histogram, in milliseconds.
type Percentiles struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}

// NewHistogram records microseconds from 1 µs to 10 minutes, 3 digits.
func NewHistogram() *hdrhistogram.Histogram { return hdrhistogram.New(1, 600_000_000, 3) }

// Record adds d to h.
func Record(h *hdrhistogram.Histogram, d time.Duration) { _ = h.RecordValue(max(1, d.Microseconds())) }

// Summary reads the percentiles of h.
func Summary(h *hdrhistogram.Histogram) Percentiles {
	ms := func(q float64) float64 { return float64(h.ValueAtQuantile(q)) / 1000 }
	return Percentiles{Count: h.TotalCount(), P50: ms(50), P90: ms(90), P99: ms(99), P999: ms(99.9), Max: float64(h.Max()) / 1000}
}

// Second is one second of a run: the webhooks scheduled in it.
type Second struct {
	At      float64 `json:"t_s"` // seconds since the run's start
	Sent    int     `json:"sent"`
	Failed  int     `json:"failed"` // not answered 200
	P50     float64 `json:"p50_ms"`
	P99     float64 `json:"p99_ms"`
	Max     float64 `json:"max_ms"`
	Crisis  float64 `json:"crisis_to_page_max_ms,omitempty"`
	Unpaged int     `json:"unpaged,omitempty"`
}

// Report is a run's figures.
type Report struct {
	Rate         float64     `json:"rate_per_s"`
	Duration     float64     `json:"duration_s"`
	Sent         int         `json:"sent"`
	OK           int         `json:"ok"`
	Failed       int         `json:"failed"`
	Webhook      Percentiles `json:"webhook"`
	Crisis       int         `json:"crisis_sent"`
	Paged        int         `json:"crisis_paged"`
	CrisisToPage Percentiles `json:"crisis_to_page"`
	Timeline     []Second    `json:"timeline"`
}

// Analyse builds the report of a run from its webhooks and the pages that
// reached the fake (pseudonym -> arrival); pseudonym maps a number to the
// label its client gets.
func Analyse(l Load, sent []Sent, pages map[string]time.Time, pseudonym func(string) string) Report {
	r := Report{Rate: l.Rate, Duration: l.Duration.Seconds(), Sent: len(sent)}
	wh, cp := NewHistogram(), NewHistogram()
	if len(sent) == 0 {
		return r
	}
	t0 := sent[0].Scheduled
	secs := map[int]*struct {
		h      *hdrhistogram.Histogram
		s      Second
		crisis time.Duration
	}{}
	for _, s := range sent {
		k := int(s.Scheduled.Sub(t0) / time.Second)
		b := secs[k]
		if b == nil {
			b = &struct {
				h      *hdrhistogram.Histogram
				s      Second
				crisis time.Duration
			}{h: NewHistogram(), s: Second{At: float64(k)}}
			secs[k] = b
		}
		b.s.Sent++
		Record(b.h, s.Latency)
		Record(wh, s.Latency)
		if s.Code != 200 {
			r.Failed++
			b.s.Failed++
			continue
		}
		r.OK++
		if !s.Crisis {
			continue
		}
		r.Crisis++
		at, ok := pages[pseudonym(s.From)]
		if !ok {
			b.s.Unpaged++
			continue
		}
		r.Paged++
		d := at.Sub(s.Scheduled)
		Record(cp, d)
		b.crisis = max(b.crisis, d)
	}
	r.Webhook, r.CrisisToPage = Summary(wh), Summary(cp)
	keys := make([]int, 0, len(secs))
	for k := range secs {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		b := secs[k]
		p := Summary(b.h)
		b.s.P50, b.s.P99, b.s.Max = p.P50, p.P99, p.Max
		b.s.Crisis = float64(b.crisis.Microseconds()) / 1000
		r.Timeline = append(r.Timeline, b.s)
	}
	return r
}
