package projections_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/projections/projectiontest"
	"github.com/helpline-org/helpline/projections/responsetimes"
)

// sliceLog is a projections.Log over a slice, for benchmarks without a
// server: the log's own read rate is not what is measured.
type sliceLog = projectiontest.SliceLog

// benchLog is synthetic traffic that every projection reads: per
// conversation a start, two messages with their triage verdicts, a reply
// sent and delivered, and a close; every tenth conversation an escalation
// paged and acknowledged, and its client texts STOP.
func benchLog(b *testing.B, conversations int) sliceLog {
	var log sliceLog
	add := func(agg string, at time.Time, p events.Payload) {
		e, err := events.New(agg, p, events.Meta{OccurredAt: at})
		if err != nil {
			b.Fatal(err)
		}
		e.Sequence = uint64(len(log) + 1)
		log = append(log, e)
	}
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for i := range conversations {
		conv, client := fmt.Sprintf("c%d", i), fmt.Sprintf("k%d", i)
		t0 := start.Add(time.Duration(i) * 7 * time.Second)
		add(conv, t0, events.ConversationStarted{LineID: "main", ClientID: client, Pseudonym: "C-" + client, Channel: events.ChannelSMS})
		for j, m := range []string{"m1", "m2"} {
			when := t0.Add(time.Duration(j) * time.Second)
			add(conv, when, events.MessageReceived{MessageID: m, LineID: "main", ClientID: client, ReceivedAt: when,
				Body: events.Sealed{KeyID: client, Data: []byte("ciphertext of " + m)}})
			add(conv, when, events.MessageTriaged{MessageID: m, Risk: events.RiskNone})
		}
		if i%10 == 0 {
			esc := "e" + conv
			add(conv, t0.Add(2*time.Second), events.EscalationRaised{EscalationID: esc, LineID: "main", Reason: events.ReasonCrisis, Risk: events.RiskCrisis})
			add(conv, t0.Add(3*time.Second), events.EscalationPaged{EscalationID: esc, StaffID: "sam", LevelName: "duty", Round: 1})
			add(conv, t0.Add(time.Duration(i%300)*time.Second+4*time.Second), events.EscalationAcknowledged{EscalationID: esc, StaffID: "sam"})
			add(client, t0.Add(2*time.Second), events.ConsentChanged{LineID: "main", Consent: events.ConsentOptedOut, Keyword: events.Sealed{KeyID: client, Data: []byte("sealed STOP")}})
		}
		add(conv, t0.Add(time.Duration(i%900)*time.Second+5*time.Second), events.ReplyRequested{ReplyID: "r", StaffID: "alex",
			Body: events.Sealed{KeyID: client, Data: []byte("ciphertext of r")}})
		add(conv, t0.Add(time.Duration(i%900)*time.Second+6*time.Second), events.MessageSent{SendID: "r", Kind: events.SendReply, Recipient: "client", ProviderMessageID: "SM" + conv})
		add(conv, t0.Add(time.Duration(i%900)*time.Second+7*time.Second), events.DeliveryStatusChanged{ProviderMessageID: "SM" + conv, Status: "delivered"})
		add(conv, t0.Add(time.Hour), events.ConversationClosed{ByStaffID: "alex"})
	}
	return log
}

// rebuildRate rebuilds p from log b.N times and reports events/s (every
// event of the log, read and applied or passed over).
func rebuildRate(b *testing.B, log sliceLog, p projections.Projection) float64 {
	ctx := context.Background()
	r := projections.NewRunner(log, p, zerolog.Nop())
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := r.Rebuild(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
	rate := float64(b.N*len(log)) / time.Since(start).Seconds()
	b.StopTimer()
	b.ReportMetric(rate, "events/s")
	return rate
}

// rawCopyRate times a raw COPY of one row per event of log into a bare
// table, 1,000 rows a statement, three times: the floor a rebuild into
// PostgreSQL is compared with, in the same run.
func rawCopyRate(b *testing.B, pool *pgxpool.Pool, log sliceLog) float64 {
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_raw (seq INT8 PRIMARY KEY, agg TEXT NOT NULL, at TIMESTAMPTZ NOT NULL, kind TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	rows := make([][]any, len(log))
	for i, e := range log {
		rows[i] = []any{int64(e.Sequence), e.AggregateID, e.OccurredAt.UTC(), e.Type}
	}
	const rounds = 3
	start := time.Now()
	for range rounds {
		if _, err := pool.Exec(ctx, `DELETE FROM bench_raw WHERE true`); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(rows); i += 1000 {
			if _, err := pool.CopyFrom(ctx, pgx.Identifier{"bench_raw"}, []string{"seq", "agg", "at", "kind"},
				pgx.CopyFromRows(rows[i:min(i+1000, len(rows))])); err != nil {
				b.Fatal(err)
			}
		}
	}
	return float64(rounds*len(rows)) / time.Since(start).Seconds()
}

// BenchmarkRebuild measures each projection's rebuild (replay into memory,
// then one swap transaction) in events/s: into memory, and into
// PostgreSQL with the ratio to a raw COPY of one row per event in the
// same run.
func BenchmarkRebuild(b *testing.B) {
	log := benchLog(b, 2000)
	targets := map[string]responsetimes.Targets{"main": {FirstResponse: 5 * time.Minute}}
	kinds := []struct {
		name string
		mem  func() projections.Projection
		sql  func(*pgxpool.Pool) projections.Projection
	}{
		{"response-times",
			func() projections.Projection {
				return responsetimes.NewView(responsetimes.NewMemoryStore(), targets)
			},
			func(p *pgxpool.Pool) projections.Projection {
				return responsetimes.NewView(responsetimes.NewSQLStore(p), targets)
			}},
		{"escalations",
			func() projections.Projection { return escalations.NewQueue(escalations.NewMemoryStore()) },
			func(p *pgxpool.Pool) projections.Projection { return escalations.NewQueue(escalations.NewSQLStore(p)) }},
		{"inbox",
			func() projections.Projection { return inbox.NewView(inbox.NewMemoryStore()) },
			func(p *pgxpool.Pool) projections.Projection { return inbox.NewView(inbox.NewSQLStore(p)) }},
	}
	for _, k := range kinds {
		b.Run(k.name+"/memory", func(b *testing.B) { rebuildRate(b, log, k.mem()) })
		b.Run(k.name+"/postgres", func(b *testing.B) {
			pool := projectiontest.MigratedPool(b)
			rate := rebuildRate(b, log, k.sql(pool))
			raw := rawCopyRate(b, pool, log)
			b.ReportMetric(raw, "raw-events/s")
			b.ReportMetric(rate/raw, "ratio-to-raw")
		})
	}
}

// BenchmarkCatchUp measures a catch-up from an empty SQL projection (the
// Runner's Replay, as `helpline run` does at start), in events/s, one
// transaction per event and in batches.
func BenchmarkCatchUp(b *testing.B) {
	log := benchLog(b, 500)
	ctx := context.Background()
	targets := map[string]responsetimes.Targets{"main": {FirstResponse: 5 * time.Minute}}
	type resetter interface {
		Reset(ctx context.Context, name string) error
	}
	kinds := []struct {
		name string
		make func(*pgxpool.Pool) (projections.Projection, resetter)
	}{
		{"response-times", func(p *pgxpool.Pool) (projections.Projection, resetter) {
			s := responsetimes.NewSQLStore(p)
			return responsetimes.NewView(s, targets), s
		}},
		{"escalations", func(p *pgxpool.Pool) (projections.Projection, resetter) {
			s := escalations.NewSQLStore(p)
			return escalations.NewQueue(s), s
		}},
		{"inbox", func(p *pgxpool.Pool) (projections.Projection, resetter) {
			s := inbox.NewSQLStore(p)
			return inbox.NewView(s), s
		}},
	}
	for _, k := range kinds {
		for _, batch := range []int{1, 256} {
			b.Run(fmt.Sprintf("%s/batch=%d", k.name, batch), func(b *testing.B) {
				p, store := k.make(projectiontest.MigratedPool(b))
				var took time.Duration
				for range b.N {
					if err := store.Reset(ctx, p.Name()); err != nil {
						b.Fatal(err)
					}
					start := time.Now()
					if _, err := projections.NewRunner(log, p, zerolog.Nop()).WithBatch(batch).Replay(ctx); err != nil {
						b.Fatal(err)
					}
					took += time.Since(start)
				}
				b.ReportMetric(float64(b.N*len(log))/took.Seconds(), "events/s")
			})
		}
	}
}
