package responsetimes

import (
	"context"
	"maps"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections"
)

// Name is the response-times projection's consumer name and
// checkpoint key. Renaming it rebuilds the projection from the log.
const Name = "projection-response-times"

// View is the managers' view: per line and UTC hour, messages
// received, out-of-hours messages, time to first worker reply, time from
// page to acknowledgement, and first-reply target breaches. It is built
// from timestamps only: it never decodes a body, and never stores a client
// id, pseudonym or number.
type View struct {
	*projections.ReadModel[Tx, Snapshot, *Snapshot] // Name, Filter, Checkpoint, Reset, Apply, ApplyBatch, Scratch
	store                                           Store
	rules                                           rules
}

var _ projections.BatchProjection = (*View)(nil)

// NewView returns the projection over store. targets maps a line
// id to its first-reply target; a line without one has no breaches.
func NewView(store Store, targets map[string]time.Duration) *View {
	r := rules{targets: maps.Clone(targets)}
	return &View{store: store, rules: r, ReadModel: projections.NewReadModel[Tx, Snapshot](projections.Model[Tx, Snapshot]{
		Name: Name,
		// Every figure comes from conversation events.
		Filter:   events.AggregateSubjects(events.AggregateConversation),
		Relevant: relevant,
		Apply:    r.apply,
		Memory:   func() projections.CheckpointedStore[Tx, Snapshot] { return NewMemoryStore() },
	}, store)}
}

// relevant lists the event types the projection reads.
var relevant = map[string]bool{
	events.TypeMessageReceived:        true,
	events.TypeReplyRequested:         true,
	events.TypeMessageTriaged:         true,
	events.TypeEscalationRaised:       true,
	events.TypeEscalationPaged:        true,
	events.TypeEscalationAcknowledged: true,
	events.TypeEscalationExhausted:    true,
	events.TypeConversationClosed:     true,
}

// rules are the line settings the figures depend on.
type rules struct {
	targets map[string]time.Duration // first-reply target by line
}

// waitingBreaches counts, per hour the client wrote, the conversations of
// line that still wait for a first reply at now, longer than the line's
// target: a breach exists before any reply does.
func (r rules) waitingBreaches(waiting []time.Time, lineID string, now time.Time) map[time.Time]int64 {
	target, ok := r.targets[lineID]
	if !ok {
		return nil
	}
	out := map[time.Time]int64{}
	for _, at := range waiting {
		if now.Sub(at) > target {
			out[hourOf(at)]++
		}
	}
	return out
}

// apply changes the state for one event. Times are the events' own: a
// replay months later gives the same figures.
func (r rules) apply(ctx context.Context, tx Tx, e events.Envelope, p events.Payload) error {
	conv := e.AggregateID
	switch p := p.(type) {
	case events.MessageReceived:
		at := projections.Stamp(p.ReceivedAt)
		if at.IsZero() {
			at = projections.Stamp(e.OccurredAt)
		}
		if err := tx.AddCounts(ctx, p.LineID, at, Counts{Received: 1}); err != nil {
			return err
		}
		// Only a conversation's first message starts the first-reply clock.
		if _, ok, err := tx.PendingReply(ctx, conv); err != nil || ok {
			return err
		}
		return tx.PutPendingReply(ctx, conv, PendingReply{LineID: p.LineID, ReceivedAt: at})

	case events.ReplyRequested:
		pr, ok, err := tx.PendingReply(ctx, conv)
		if err != nil || !ok || pr.Replied {
			return err
		}
		wait := max(projections.Stamp(e.OccurredAt).Sub(pr.ReceivedAt), 0)
		if err := tx.Observe(ctx, pr.LineID, pr.ReceivedAt, MetricFirstReply, BucketOf(wait)); err != nil {
			return err
		}
		// A breach is a first reply later than the line's target, counted
		// in the hour the client wrote.
		if target, ok := r.targets[pr.LineID]; ok && wait > target {
			if err := tx.AddCounts(ctx, pr.LineID, pr.ReceivedAt, Counts{Breaches: 1}); err != nil {
				return err
			}
		}
		return tx.PutPendingReply(ctx, conv, PendingReply{LineID: pr.LineID, Replied: true})

	case events.MessageTriaged:
		// Every message gets exactly one verdict, which says whether it came
		// while the line was closed: crisis included, for which triage
		// raises an escalation instead of recording an out-of-hours contact.
		// So the verdict, not the contact record, is what is counted: each
		// out-of-hours message once. The line is the conversation's.
		if !p.OutOfHours {
			return nil
		}
		pr, ok, err := tx.PendingReply(ctx, conv)
		if err != nil || !ok {
			return err
		}
		return tx.AddCounts(ctx, pr.LineID, e.OccurredAt, Counts{OutOfHours: 1})

	case events.EscalationRaised:
		if _, ok, err := tx.PendingAck(ctx, p.EscalationID); err != nil || ok {
			return err
		}
		return tx.PutPendingAck(ctx, p.EscalationID, PendingAck{LineID: p.LineID})

	case events.EscalationPaged:
		// The clock starts at the first page; re-pages do not restart it.
		pa, ok, err := tx.PendingAck(ctx, p.EscalationID)
		if err != nil || !ok || !pa.PagedAt.IsZero() {
			return err
		}
		pa.PagedAt = projections.Stamp(e.OccurredAt)
		return tx.PutPendingAck(ctx, p.EscalationID, pa)

	case events.EscalationAcknowledged:
		pa, ok, err := tx.PendingAck(ctx, p.EscalationID)
		if err != nil || !ok {
			return err
		}
		if !pa.PagedAt.IsZero() {
			wait := max(projections.Stamp(e.OccurredAt).Sub(pa.PagedAt), 0)
			if err := tx.Observe(ctx, pa.LineID, pa.PagedAt, MetricAck, BucketOf(wait)); err != nil {
				return err
			}
		}
		return tx.DeletePendingAck(ctx, p.EscalationID)

	case events.EscalationExhausted:
		// Every round ran and nobody acknowledged: counted in the hour of
		// the first page (of the exhaustion if it was never paged).
		pa, ok, err := tx.PendingAck(ctx, p.EscalationID)
		if err != nil || !ok {
			return err
		}
		hour := pa.PagedAt
		if hour.IsZero() {
			hour = projections.Stamp(e.OccurredAt)
		}
		if err := tx.AddCounts(ctx, pa.LineID, hour, Counts{Exhausted: 1}); err != nil {
			return err
		}
		return tx.DeletePendingAck(ctx, p.EscalationID)

	case events.ConversationClosed:
		return tx.DeletePendingReply(ctx, conv)
	}
	return nil
}
