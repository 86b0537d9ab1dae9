package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app"
	"github.com/helpline-org/helpline/internal/app/apptest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/services/ingestion"
	"github.com/helpline-org/helpline/services/notification"
)

// TestCrisisTextReadsNoConversation runs ingestion, triage and
// notification in one process, as `helpline run` does, and counts the
// server's message gets of conversation events while a returning client's
// crisis text is received, triaged and paged: none. The process's one
// follower of the log keeps the conversation it shares between them
// current, every decision is appended with the conversation's expected
// sequence (which proves the copy it was made on the log's), and every
// handler reads the conversation of the event it was handed from that
// copy. Before, triage read the conversation for each message and
// notification for each event it acted on. A few clients try, since a
// conflict between two handlers' appends, or a follower slower than a
// handler's short wait on a starved machine, rightly costs a read.
func TestCrisisTextReadsNoConversation(t *testing.T) {
	t.Parallel()
	b := testbed.New(t, yamlConfig, time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC))
	p := apptest.Serve(t, b, token, app.Config{Services: []app.Service{app.Ingestion, app.Triage, app.Notification}}, zerolog.Nop())
	fake, ctx := p.Fake, context.Background()
	text := func(sid, client, body string) {
		t.Helper()
		resp, err := fake.DeliverInboundWithSid(ctx, p.Server.URL+ingestion.SMSPath, sid, client, lineNumber, body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook: %v %v", resp, err)
		}
	}
	// handled waits until triage and notification acknowledged every
	// event, so every read their handlers made was sent, and, when
	// followed, until the conversations' follower handed over every
	// conversation event (reading them, which the count below must not
	// see).
	handled := func(followed bool) {
		t.Helper()
		var last []events.Envelope
		if followed {
			last = b.Events(t, events.AggregateConversation, "")
		}
		poll.Until(t, 30*time.Second, func() error {
			for _, name := range []string{"triage", notification.PagerConsumer, notification.BridgeConsumer} {
				c, err := b.JS.Consumer(ctx, b.Store.Config().Stream, name)
				if err != nil {
					return err
				}
				info, err := c.Info(ctx)
				if err != nil {
					return err
				}
				if info.NumPending+uint64(info.NumAckPending) > 0 {
					return fmt.Errorf("%s: %d pending, %d unacknowledged", name, info.NumPending, info.NumAckPending)
				}
			}
			if !followed {
				return nil
			}
			if got, want := p.Platform.Conversations().FollowedTo(), last[len(last)-1].Sequence; got < want {
				return fmt.Errorf("the follower handed over up to %d, the log's last conversation event is %d", got, want)
			}
			return nil
		})
	}
	pages := func() int {
		n := 0
		for _, m := range fake.Sent() {
			if m.To == dutyPhone {
				n++
			}
		}
		return n
	}

	// Every read of the stream by subject the process sends (its own
	// connection echoes them to this subscription), by what it asked for.
	nc := b.JS.Conn()
	var subs []*nats.Subscription
	for _, subj := range []string{"$JS.API.STREAM.MSG.GET.>", "$JS.API.DIRECT.GET.>"} {
		sub, err := nc.SubscribeSync(subj)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sub.Unsubscribe() })
		subs = append(subs, sub)
	}
	// drain counts the gets received since the last drain: of conversation
	// events, and of anything else by subject and request.
	drain := func(log bool) (conversation int, other map[string]int) {
		t.Helper()
		if err := nc.Flush(); err != nil { // every get sent before has reached the subscriptions
			t.Fatal(err)
		}
		other = map[string]int{}
		for _, sub := range subs {
			for {
				m, err := sub.NextMsg(0)
				if errors.Is(err, nats.ErrTimeout) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(m.Data), events.SubjectPrefix+"."+events.AggregateConversation+".") {
					conversation++
					if log {
						t.Logf("conversation get %s", m.Data)
					}
				} else {
					other[m.Subject+" "+string(m.Data)]++
				}
			}
		}
		return conversation, other
	}

	// A decision whose append met another handler's (a conflict), or a
	// follower slower than the handler's short wait for it on a starved
	// machine, reads the log as it should: so a few returning clients
	// try, and one crisis text handled with no read at all shows the
	// path; before the follower, every one read the conversation 14 times.
	var tries []int
	for i := range 4 {
		client := fmt.Sprintf("+4477009002%02d", 31+i)
		text(fmt.Sprintf("SM%029da%02d", 0, 2*i+1), client, "hello, is anyone there")
		handled(true)
		handled(true) // once more: the events the first text led to were handled too
		drain(false)
		before := pages()
		text(fmt.Sprintf("SM%029da%02d", 0, 2*i+2), client, "i took 30 paracetamol and i want to die")
		poll.Until(t, 30*time.Second, func() error {
			if pages() == before {
				return errors.New("no page reached the duty phone")
			}
			return nil
		})
		handled(false)
		conversation, other := drain(true)
		t.Logf("try %d: other gets while the crisis text was handled: %v", i+1, other)
		if conversation == 0 {
			return
		}
		tries = append(tries, conversation)
	}
	t.Fatalf("every crisis text read conversation events (%v times), want one that read none", tries)
}
