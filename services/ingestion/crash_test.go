package ingestion_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/services/ingestion"
)

// errCrashed stands for a process that died at a write: the caller never
// learns how the write went, and neither does anything after it.
var errCrashed = fmt.Errorf("%w: the process died here", events.ErrUnavailable)

// crashPoint counts a receiver's writes (events appended, index entries
// written) and fails the n-th: after it reached the log (the process
// died before it heard the answer) or before.
type crashPoint struct {
	mu     sync.Mutex
	n      int  // the write that fails (0: none)
	after  bool // it reaches the log first
	writes int  // writes so far
}

// write is called for each write; it reports whether this one fails,
// and what is left to write of it when it does (how many of its parts
// land before the crash).
func (c *crashPoint) write(parts int) (crash bool, land int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range parts {
		c.writes++
		if c.writes == c.n {
			if c.after {
				return true, i + 1
			}
			return true, i
		}
	}
	return false, parts
}

// crashingLog is the log as a receiver that dies at crashPoint sees it.
// A batch of events is written one by one (as events.Store.Append does),
// so the crash may fall between two events of one decision.
type crashingLog struct {
	*events.Store
	at *crashPoint
}

func (l crashingLog) Append(ctx context.Context, expect events.Expect, envs ...events.Envelope) ([]events.Appended, error) {
	crash, land := l.at.write(len(envs))
	if !crash {
		return l.Store.Append(ctx, expect, envs...)
	}
	if land > 0 {
		if _, err := l.Store.Append(ctx, expect, envs[:land]...); err != nil {
			return nil, err
		}
	}
	return nil, errCrashed
}

// crashingIndex is the index as that receiver sees it.
type crashingIndex struct {
	*ingestion.KVIndex
	at *crashPoint
}

func (x crashingIndex) Claim(ctx context.Context, clientID, conversationID string, rev uint64, first bool) (ingestion.IndexEntry, error) {
	crash, land := x.at.write(1)
	if !crash {
		return x.KVIndex.Claim(ctx, clientID, conversationID, rev, first)
	}
	if land > 0 {
		if _, err := x.KVIndex.Claim(ctx, clientID, conversationID, rev, first); err != nil {
			return ingestion.IndexEntry{}, err
		}
	}
	return ingestion.IndexEntry{}, errCrashed
}

func (x crashingIndex) RecordReceived(ctx context.Context, conversationID string, eventIDs []string) error {
	crash, land := x.at.write(1)
	if !crash {
		return x.KVIndex.RecordReceived(ctx, conversationID, eventIDs)
	}
	if land > 0 {
		if err := x.KVIndex.RecordReceived(ctx, conversationID, eventIDs); err != nil {
			return err
		}
	}
	return errCrashed
}

// TestAMessageAnsweredAfterACrashIsInTheLog kills a receiver at each of
// the writes of a webhook in turn (after the write reached the log, and
// before), then brings the same webhook (the same MessageSid) to another
// replica, as Twilio's fallback does, and to the crashed one's caches
// again, as Twilio's retry may: every answer of success must mean the
// message is in the log, exactly once, in one conversation. This is the
// loss the 100/s drill of 7 December 2026 was first suspected of (it was
// not: its 24 were texts from staff work phones; see loadtest's
// TestLoadTextsFromNoStaffPhone). Each kind of text is tried: a new
// client's first, a returning client's, and one that starts the client's
// next conversation after a close.
func TestAMessageAnsweredAfterACrashIsInTheLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nsrv := natstest.Server(t, "")
	_, js := natstest.Connect(t, nsrv.ClientURL())
	log := zerolog.Nop()
	store, keys, identities := openLogAndKeys(t, js, log)
	index, err := ingestion.NewKVIndex(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := config.ParseFile([]byte(`
lines:
  - {id: main, number: "` + lineNum + `", timezone: Europe/London, always_open: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	// receiver is one ingestion process: its own caches, over the shared
	// log, index and keys; at, when set, is where it dies.
	receiver := func(at *crashPoint) *ingestion.Receiver {
		var (
			l  ingestion.Log   = store
			ix ingestion.Index = index
		)
		if at != nil {
			l, ix = crashingLog{store, at}, crashingIndex{index, at}
		}
		convs, err := events.NewConversations(l, events.DefaultConversationCacheSize)
		if err != nil {
			t.Fatal(err)
		}
		return ingestion.NewReceiver(lines, identities, keys, l, convs, ix, nil, time.Now, log)
	}
	var numbers int
	newNumber := func() string { numbers++; return fmt.Sprintf("+4477008%05d", numbers) }
	receive := func(r *ingestion.Receiver, sid, from string) (ingestion.Receipt, error) {
		return r.ReceiveSMS(ctx, ingestion.InboundSMS{MessageSid: sid, From: from, To: lineNum, Body: "are you there"})
	}
	// held counts the message's events in the log, and names the
	// conversation of the last.
	held := func(sid string) (received int, conv string) {
		id := "sms-" + strings.ToLower(sid)
		for _, e := range allEvents(t, store) {
			if e.Type == events.TypeMessageReceived && e.ID == id {
				received++
				conv = e.AggregateID
			}
		}
		return received, conv
	}
	kinds := []struct {
		name string
		// before readies the client (with a receiver that does not die)
		// for the text under test.
		before func(t *testing.T, from string)
	}{
		{"a new client's first text", func(*testing.T, string) {}},
		{"a returning client's text", func(t *testing.T, from string) {
			if _, err := receive(receiver(nil), newSid(), from); err != nil {
				t.Fatal(err)
			}
		}},
		{"a text after the client's conversation closed", func(t *testing.T, from string) {
			rc, err := receive(receiver(nil), newSid(), from)
			if err != nil {
				t.Fatal(err)
			}
			convs, err := events.NewConversations(store, 16)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := convs.Update(ctx, rc.ConversationID, func(c *events.Conversation) error {
				return c.Close("sam", events.WrapUp{Outcome: "supported", Categories: []string{"reason:other", "risk:none"}, SeenSeq: c.LastInboundSeq},
					config.DefaultTaxonomy(), events.Meta{OccurredAt: time.Now().Add(-closedLongAgo)})
			}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, kind := range kinds {
		for _, after := range []bool{true, false} {
			for n := 1; ; n++ {
				from, sid := newNumber(), newSid()
				kind.before(t, from)
				at := &crashPoint{n: n, after: after}
				crashed := receiver(at)
				_, err := receive(crashed, sid, from)
				if err == nil {
					if at.writes < n {
						t.Logf("%s: died at each of its %d writes (after they landed: %v), answered after", kind.name, at.writes, after)
						break // fewer writes than n: every one was tried
					}
					t.Fatalf("%s, write %d failing (after it landed: %v): answered success", kind.name, n, after)
				}
				if !errors.Is(err, errCrashed) {
					t.Fatalf("%s, write %d failing: %v, want the crash", kind.name, n, err)
				}
				what := fmt.Sprintf("%s, the receiver dead at write %d of %d (after it landed: %v)", kind.name, n, at.writes, after)
				// The retry on another replica, then on the crashed one
				// (its caches as the failure left them; it dies no more).
				at.n = 0
				var conv string
				for _, r := range []*ingestion.Receiver{receiver(nil), crashed} {
					rc, err := receive(r, sid, from)
					if err != nil {
						t.Fatalf("%s: the retry failed: %v", what, err)
					}
					got, c := held(sid)
					if got != 1 {
						t.Fatalf("%s: the retry answered success (conversation %s) with the message %d times in the log", what, rc.ConversationID, got)
					}
					if conv == "" {
						conv = c
					}
					if rc.ConversationID != conv || c != conv {
						t.Fatalf("%s: the retry placed the message in %s, the log holds it in %s (first answer: %s)", what, rc.ConversationID, c, conv)
					}
				}
			}
		}
	}
}
