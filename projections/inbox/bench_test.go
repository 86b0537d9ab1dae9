package inbox

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections"
)

// benchLog is synthetic traffic: per conversation a start, two messages
// with their triage verdicts, a reply sent and delivered, and a close;
// every tenth conversation's client texts STOP.
func benchLog(b *testing.B, conversations int) sliceLog {
	s := &script{t: b}
	start := at(2, 0, 0)
	for i := range conversations {
		conv, client := fmt.Sprintf("c%d", i), fmt.Sprintf("k%d", i)
		t0 := start.Add(time.Duration(i) * 7 * time.Second)
		s.add(conv, t0, events.ConversationStarted{LineID: "main", ClientID: client, Pseudonym: "C-" + client, Channel: events.ChannelSMS})
		for j, m := range []string{"m1", "m2"} {
			when := t0.Add(time.Duration(j) * time.Second)
			s.add(conv, when, events.MessageReceived{MessageID: m, LineID: "main", ClientID: client, Body: sealed(client, m), ReceivedAt: when})
			s.add(conv, when, events.MessageTriaged{MessageID: m, Risk: events.RiskNone})
		}
		if i%10 == 0 {
			s.add(client, t0.Add(2*time.Second), events.ConsentChanged{LineID: "main", Consent: events.ConsentOptedOut, Keyword: "STOP"})
		}
		s.add(conv, t0.Add(5*time.Second), events.ReplyRequested{ReplyID: "r", StaffID: "alex", Body: sealed(client, "r")})
		s.add(conv, t0.Add(6*time.Second), events.MessageSent{SendID: "r", Kind: events.SendReply, Recipient: "client", ProviderMessageID: "SM" + conv})
		s.add(conv, t0.Add(7*time.Second), events.DeliveryStatusChanged{ProviderMessageID: "SM" + conv, Status: "delivered"})
		s.add(conv, t0.Add(time.Hour), events.ConversationClosed{ByStaffID: "alex"})
	}
	return s.envs
}

// BenchmarkRebuild measures a rebuild's rate (events/s) into each store,
// each event in its own transaction with the checkpoint.
func BenchmarkRebuild(b *testing.B) {
	log := benchLog(b, 1000)
	ctx := context.Background()
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			r := projections.NewRunner(log, NewView(s.make(b)), zerolog.Nop())
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if _, err := r.Rebuild(ctx, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(log))/time.Since(start).Seconds(), "events/s")
		})
	}
}
