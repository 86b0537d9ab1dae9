package projections

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
)

// benchLog is a day's worth of synthetic traffic: per conversation two
// messages, a reply and a close; every tenth an escalation paged and
// acknowledged.
func benchLog(b *testing.B, conversations int) sliceLog {
	s := &script{t: b}
	start := at(2, 0, 0, 0)
	for i := range conversations {
		conv := fmt.Sprintf("c%d", i)
		t0 := start.Add(time.Duration(i) * 7 * time.Second)
		s.add(conv, t0, events.MessageReceived{MessageID: "m", LineID: "main", ReceivedAt: t0})
		s.add(conv, t0.Add(time.Second), events.MessageReceived{MessageID: "m", LineID: "main", ReceivedAt: t0.Add(time.Second)})
		if i%10 == 0 {
			esc := "e" + conv
			s.add(conv, t0.Add(2*time.Second), events.EscalationRaised{EscalationID: esc, LineID: "main"})
			s.add(conv, t0.Add(3*time.Second), events.EscalationPaged{EscalationID: esc, StaffID: "sam"})
			s.add(conv, t0.Add(time.Duration(i%300)*time.Second+4*time.Second), events.EscalationAcknowledged{EscalationID: esc, StaffID: "sam"})
		}
		s.add(conv, t0.Add(time.Duration(i%900)*time.Second+5*time.Second), events.ReplyRequested{ReplyID: "r", StaffID: "alex"})
		s.add(conv, t0.Add(time.Hour), events.ConversationClosed{ByStaffID: "alex"})
	}
	return s.envs
}

// BenchmarkRebuild measures a rebuild's rate (events/s) into each store,
// each event in its own transaction with the checkpoint. Against
// PostgreSQL it also times a raw batched insert (COPY) of one row per
// event into a bare table in the same run, and reports the ratio.
func BenchmarkRebuild(b *testing.B) {
	log := benchLog(b, 2000)
	ctx := context.Background()
	rebuild := func(b *testing.B, s Store) float64 {
		r := NewRunner(log, NewResponseTimes(s, map[string]time.Duration{"main": 5 * time.Minute}), zerolog.Nop())
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			if _, err := r.Rebuild(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
		rate := float64(b.N*len(log)) / time.Since(start).Seconds()
		b.ReportMetric(rate, "events/s")
		return rate
	}
	b.Run("memory", func(b *testing.B) { rebuild(b, NewMemoryStore()) })
	b.Run("postgres", func(b *testing.B) {
		pool := migratedPool(b)
		rate := rebuild(b, NewSQLStore(pool))
		b.StopTimer()
		if _, err := pool.Exec(ctx, `CREATE TABLE bench_raw (seq INT8 PRIMARY KEY, line_id TEXT NOT NULL, hour TIMESTAMPTZ NOT NULL, kind TEXT NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		rows := make([][]any, len(log))
		for i, e := range log {
			rows[i] = []any{int64(e.Sequence), "main", hourOf(e.OccurredAt), e.Type}
		}
		start := time.Now()
		const rounds = 3
		for range rounds {
			if _, err := pool.Exec(ctx, `DELETE FROM bench_raw WHERE true`); err != nil {
				b.Fatal(err)
			}
			for i := 0; i < len(rows); i += 1000 {
				if _, err := pool.CopyFrom(ctx, pgx.Identifier{"bench_raw"}, []string{"seq", "line_id", "hour", "kind"},
					pgx.CopyFromRows(rows[i:min(i+1000, len(rows))])); err != nil {
					b.Fatal(err)
				}
			}
		}
		raw := float64(rounds*len(rows)) / time.Since(start).Seconds()
		b.ReportMetric(raw, "raw-events/s")
		b.ReportMetric(rate/raw, "ratio-to-raw")
	})
}
