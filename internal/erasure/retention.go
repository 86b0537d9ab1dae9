package erasure

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/helpline-org/helpline/events"
)

// Log is what the retention rule reads: the event log (*events.Store).
type Log interface {
	Read(ctx context.Context, subject string, from uint64, fn func(events.Envelope) error) (uint64, error)
}

// Periods are the retention periods by line id; a line without one keeps
// its clients.
type Periods map[string]time.Duration

// conversation is what the rule needs of one conversation.
type conversation struct {
	clientID, lineID string
	open             bool
	closedAt         time.Time
}

// Due returns the clients (opaque client ids, sorted) to erase at now:
// those not yet erased with at least one conversation, every one of them
// closed, each longer ago than its line's period. A conversation that a
// message followed after its close counts as open (the client came
// back), whatever the reopening rules: erasing too late is recoverable,
// too early is not.
func Due(ctx context.Context, log Log, periods Periods, now time.Time) ([]string, error) {
	convs := map[string]*conversation{}
	conv := func(id string) *conversation {
		c := convs[id]
		if c == nil {
			c = &conversation{open: true}
			convs[id] = c
		}
		return c
	}
	_, err := log.Read(ctx, events.AggregateSubjects(events.AggregateConversation), 0, func(e events.Envelope) error {
		p, err := e.DecodeIf(events.TypeConversationStarted, events.TypeMessageReceived, events.TypeConversationClosed)
		if p == nil || err != nil {
			return err
		}
		c := conv(e.AggregateID)
		switch p := p.(type) {
		case events.ConversationStarted:
			c.clientID, c.lineID = p.ClientID, p.LineID
		case events.MessageReceived:
			c.clientID, c.lineID, c.open = p.ClientID, p.LineID, true
		case events.ConversationClosed:
			c.open, c.closedAt = false, e.OccurredAt
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read conversations: %w", err)
	}
	erased := map[string]bool{}
	if _, err := log.Read(ctx, events.AggregateSubjects(events.AggregateClient), 0, func(e events.Envelope) error {
		if e.Type == events.TypeClientErased {
			erased[e.AggregateID] = true
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read clients: %w", err)
	}
	// A client is due until one conversation of theirs says otherwise.
	due := map[string]bool{}
	for _, c := range convs {
		if c.clientID == "" || erased[c.clientID] {
			continue
		}
		period, ok := periods[c.lineID]
		keep := !ok || period <= 0 || c.open || now.Sub(c.closedAt) <= period
		if v, seen := due[c.clientID]; !seen || v {
			due[c.clientID] = !keep
		}
	}
	var out []string
	for id, ok := range due {
		if ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Retention erases the clients that are due.
type Retention struct {
	log     Log
	eraser  *Eraser
	periods Periods
	now     func() time.Time
}

// NewRetention returns the retention job over log, erasing with eraser
// under periods, at the time now says.
func NewRetention(log Log, eraser *Eraser, periods Periods, now func() time.Time) *Retention {
	return &Retention{log: log, eraser: eraser, periods: periods, now: now}
}

// Due returns the clients that a run would erase now.
func (r *Retention) Due(ctx context.Context) ([]string, error) {
	return Due(ctx, r.log, r.periods, r.now())
}

// Run erases every client due now, recorded as by whom with reason
// ReasonRetention, and returns those it erased. It stops at the first
// failure; running it again finishes the work.
func (r *Retention) Run(ctx context.Context, by string) ([]string, error) {
	ids, err := r.Due(ctx)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		if err := r.eraser.Erase(ctx, id, by, ReasonRetention); err != nil {
			return ids[:i], err
		}
	}
	return ids, nil
}
