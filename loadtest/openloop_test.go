package loadtest

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/loadtest/cluster"
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

// TestLoadTextsFromNoStaffPhone checks that no webhook of a load comes
// from a staff work phone of a configuration the load runs against: a
// text from a work phone is a staff member's answer to a page (answered
// 200, with how to answer a page), never a client's message, so the
// drill found each such 200 missing from the log. Until 7 December 2026
// the returning clients' numbers +447700900000-999 included the work
// phones +447700900101 and +447700900102: 24 of 12,000 webhooks of the
// 100/s drill, 2 of every 1,000.
func TestLoadTextsFromNoStaffPhone(t *testing.T) {
	staff := map[string][]string{}
	for name, yaml := range map[string]string{"the cluster's lines": cluster.DefaultLines, "the stack's lines": stackConfig} {
		f, err := config.ParseFile([]byte(yaml))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, st := range f.Staff {
			staff[st.WorkPhone] = append(staff[st.WorkPhone], name+": "+st.ID)
		}
	}
	example, err := config.LoadFile(filepath.Join("..", "deploy", "helpline.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range example.Staff {
		staff[st.WorkPhone] = append(staff[st.WorkPhone], "the example configuration: "+st.ID)
	}
	var mu sync.Mutex
	froms := map[string]bool{}
	text := func(ctx context.Context, i int, sid, from, body string) (Answer, error) {
		mu.Lock()
		defer mu.Unlock()
		froms[from] = true
		return Answer{Code: 200, Tries: 1}, nil
	}
	// Every returning client's number (1,000 by default) and a few
	// thousand crisis texts' new ones.
	Run(context.Background(), Load{Rate: 100_000, Duration: 50 * time.Millisecond, CrisisEvery: 25, FirstID: 1}, text)
	if len(froms) < 1000 {
		t.Fatalf("%d numbers texted, want at least 1,000", len(froms))
	}
	for from := range froms {
		if who := staff[from]; len(who) > 0 {
			t.Errorf("the load texts from %s, a staff work phone (%s)", from, strings.Join(who, "; "))
		}
	}
}
