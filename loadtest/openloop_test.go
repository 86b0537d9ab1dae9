package loadtest

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpline-org/helpline/internal/poll"
)

// TestRunIsOpenLoop checks that a slow answer does not hold back the
// sends scheduled after it, and that latency counts from the scheduled
// time: the generator does not wait for replies (no coordinated omission).
func TestRunIsOpenLoop(t *testing.T) {
	release := make(chan struct{})
	var started atomic.Int32
	text := func(ctx context.Context, i int, sid, from, body string) (Answer, error) {
		started.Add(1)
		if i == 0 {
			<-release // the first answer stalls until every other was sent
		}
		return Answer{Code: 200, Tries: 1}, nil
	}
	l := Load{Rate: 200, Duration: 250 * time.Millisecond, CrisisEvery: 10, FirstID: 1}
	done := make(chan []Sent)
	go func() { done <- Run(context.Background(), l, text) }()
	poll.Until(t, 10*time.Second, func() error {
		if n := started.Load(); n < 50 {
			return fmt.Errorf("%d of 50 sent", n)
		}
		return nil
	})
	close(release)
	sent := <-done
	if len(sent) != 50 {
		t.Fatalf("%d sends, want 50", len(sent))
	}
	if sent[0].Latency < sent[49].Scheduled.Sub(sent[0].Scheduled) {
		t.Errorf("the stalled first send's latency %s is shorter than the time the others took to be scheduled", sent[0].Latency)
	}
	crisis := 0
	for i, s := range sent {
		if i > 0 && !s.Scheduled.After(sent[i-1].Scheduled) {
			t.Fatalf("send %d is not scheduled after send %d", i, i-1)
		}
		if s.Crisis {
			crisis++
		}
	}
	if crisis != 5 {
		t.Errorf("%d crisis texts, want 5", crisis)
	}

	// Pages for all but one crisis text, 300 ms after it was scheduled.
	pages := map[string]time.Time{}
	for _, s := range sent {
		if s.Crisis && s.SID != sent[9].SID {
			pages["P"+s.From] = s.Scheduled.Add(300 * time.Millisecond)
		}
	}
	r := Analyse(l, sent, pages, func(from string) string { return "P" + from })
	if r.OK != 50 || r.Crisis != 5 || r.Paged != 4 {
		t.Fatalf("report: %d ok, %d crisis, %d paged; want 50, 5, 4", r.OK, r.Crisis, r.Paged)
	}
	if r.CrisisToPage.P50 < 299 || r.CrisisToPage.P50 > 301 {
		t.Errorf("crisis to page p50 %.1f ms, want 300", r.CrisisToPage.P50)
	}
	var buf bytes.Buffer
	if err := WriteSVG(&buf, "test <run>", r.Timeline, []Mark{{At: 0.1, Label: "kill -9 x"}}); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&buf)
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("chart is not well-formed XML: %v", err)
		}
	}
}

// startStack starts the shipped composition in tb's own directory with o
// and closes it when tb ends.
func startStack(tb testing.TB, o Options) *Stack {
	tb.Helper()
	s, err := StartWith(context.Background(), tb.TempDir(), o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}
