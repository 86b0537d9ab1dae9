package triage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/services/triage"
	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// wholeLoads is the real store with tail reads refused, so the
// conversation cache loads every conversation whole: triage as it was
// before the cache.
type wholeLoads struct{ *events.Store }

func (wholeLoads) Since(context.Context, string, string, uint64, int) ([]events.Envelope, uint64, error) {
	return nil, 0, events.ErrTooFarBehind
}

// benchConv is one conversation of the benchmark and the sequence of the
// last message handed to triage.
type benchConv struct {
	from string
	id   string
	seq  uint64
}

// BenchmarkTriageCachedVsWhole times the triage handler for one received
// message (decrypt, classify, load the conversation, append the verdict,
// set the first-response timer) with the conversation cache and, in the
// same run and interleaved, with every conversation loaded whole, on an
// in-process fsync-always server. Each side has 64 conversations of the
// given number of events, all in its cache (the steady state of a line);
// each timed message adds two (the message and its verdict), so with
// -benchtime 64x every conversation gets one timed message at exactly
// that size. It reports both handler times and their ratio. Texting the
// message in is not timed.
//
//	go test -run '^$' -bench TriageCachedVsWhole -benchtime 64x ./services/triage/
func BenchmarkTriageCachedVsWhole(b *testing.B) {
	const convs = 64
	for _, size := range []int{5, 100} {
		b.Run(fmt.Sprintf("events=%d", size), func(b *testing.B) {
			bed := testbed.New(b, cfg, inHours)
			tm := bed.Timers(b, "bench_triage")
			lex, err := lexicon.Default()
			if err != nil {
				b.Fatal(err)
			}
			cachedConvs, err := events.NewConversations(bed.Store, events.DefaultConversationCacheSize)
			if err != nil {
				b.Fatal(err)
			}
			wholeConvs, err := events.NewConversations(wholeLoads{bed.Store}, events.DefaultConversationCacheSize)
			if err != nil {
				b.Fatal(err)
			}
			cached, err := triage.New(bed.File, lexicon.NewClassifier(lex), bed.Keys, cachedConvs, tm, bed.Clock.Now, zerolog.Nop())
			if err != nil {
				b.Fatal(err)
			}
			whole, err := triage.New(bed.File, lexicon.NewClassifier(lex), bed.Keys, wholeConvs, tm, bed.Clock.Now, zerolog.Nop())
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			// next texts one message into c and returns its envelope.
			next := func(c *benchConv) events.Envelope {
				rc := bed.Text(b, c.from, dayLine, "hello, just checking in")
				c.id = rc.ConversationID
				tail, _, err := bed.Store.Since(ctx, events.AggregateConversation, c.id, c.seq, 1<<20)
				if err != nil {
					b.Fatal(err)
				}
				for i := len(tail) - 1; i >= 0; i-- {
					if tail[i].ID == rc.EventID {
						c.seq = tail[i].Sequence
						return tail[i]
					}
				}
				b.Fatalf("message %s not in its conversation", rc.EventID)
				return events.Envelope{}
			}
			sides := []struct {
				svc   *triage.Service
				convs []*benchConv
				ns    time.Duration
			}{{svc: cached}, {svc: whole}}
			for s := range sides {
				for j := range convs {
					c := &benchConv{from: fmt.Sprintf("+44770092%d%03d", s, j)}
					for range size - 3 { // the start, size-3 messages, the warm-up message and its verdict
						next(c)
					}
					// Warm up: the cache holds every conversation, as in a
					// line's steady state.
					if err := sides[s].svc.Handle(ctx, next(c)); err != nil {
						b.Fatal(err)
					}
					sides[s].convs = append(sides[s].convs, c)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				for s := range sides {
					e := next(sides[s].convs[i%convs])
					t := time.Now()
					if err := sides[s].svc.Handle(ctx, e); err != nil {
						b.Fatal(err)
					}
					sides[s].ns += time.Since(t)
				}
			}
			b.StopTimer()
			cachedNs := float64(sides[0].ns.Nanoseconds()) / float64(b.N)
			wholeNs := float64(sides[1].ns.Nanoseconds()) / float64(b.N)
			b.ReportMetric(cachedNs/1e6, "cached_ms/msg")
			b.ReportMetric(wholeNs/1e6, "whole_ms/msg")
			b.ReportMetric(cachedNs/wholeNs, "cached/whole")
		})
	}
}
