package responsetimes

import (
	"context"
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
	store   Store
	targets map[string]time.Duration
}

var (
	_ projections.Projection = (*View)(nil)
	_ projections.Batcher    = (*View)(nil)
)

// NewView returns the projection over store. targets maps a line
// id to its first-reply target; a line without one has no breaches.
func NewView(store Store, targets map[string]time.Duration) *View {
	t := make(map[string]time.Duration, len(targets))
	for k, v := range targets {
		t[k] = v
	}
	return &View{store: store, targets: t}
}

// Name implements projections.Projection.
func (r *View) Name() string { return Name }

// Filter implements Projection: every figure comes from conversation
// events.
func (r *View) Filter() string {
	return events.AggregateSubjects(events.AggregateConversation)
}

// Checkpoint implements projections.Projection.
func (r *View) Checkpoint(ctx context.Context) (uint64, error) {
	return r.store.Checkpoint(ctx, Name)
}

// Reset empties the projection's state and its checkpoint.
func (r *View) Reset(ctx context.Context) error {
	return r.store.Reset(ctx, Name)
}

// projections.Scratch implements Projection: the same targets over an empty memory
// store.
func (r *View) Scratch() projections.Scratch {
	mem := NewMemoryStore()
	return projections.NewMemoryScratch(NewView(mem, r.targets), mem, r.store, func(s *Snapshot, seq uint64) { s.Checkpoint = seq })
}

// stamp is an event's time as both stores keep it: UTC, to the
// microsecond (PostgreSQL's precision). Without it a rebuild in memory
// would keep nanoseconds that the same events applied in SQL lose, and
// the two could differ by a breach at the target's edge.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// relevant lists the event types the projection reads. Others are passed
// over without a transaction: they change nothing, so re-reading them
// after a crash is harmless.
var relevant = map[string]bool{
	events.TypeMessageReceived:           true,
	events.TypeReplyRequested:            true,
	events.TypeOutOfHoursContactRecorded: true,
	events.TypeEscalationRaised:          true,
	events.TypeEscalationPaged:           true,
	events.TypeEscalationAcknowledged:    true,
	events.TypeEscalationExhausted:       true,
	events.TypeConversationClosed:        true,
}

// Apply implements projections.Projection.
func (r *View) Apply(ctx context.Context, e events.Envelope) (bool, error) {
	n, err := r.ApplyBatch(ctx, []events.Envelope{e})
	return n > 0, err
}

// projections.ApplyBatch implements projections.Batcher.
func (r *View) ApplyBatch(ctx context.Context, es []events.Envelope) (int, error) {
	return projections.ApplyBatch(ctx, es, relevant, Name, r.store.UpdateBatch, r.apply)
}

// apply changes the state for one event. Times are the events' own: a
// replay months later gives the same figures.
func (r *View) apply(ctx context.Context, tx Tx, e events.Envelope, p events.Payload) error {
	conv := e.AggregateID
	switch p := p.(type) {
	case events.MessageReceived:
		at := stamp(p.ReceivedAt)
		if at.IsZero() {
			at = stamp(e.OccurredAt)
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
		wait := max(stamp(e.OccurredAt).Sub(pr.ReceivedAt), 0)
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

	case events.OutOfHoursContactRecorded:
		return tx.AddCounts(ctx, p.LineID, e.OccurredAt, Counts{OutOfHours: 1})

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
		pa.PagedAt = stamp(e.OccurredAt)
		return tx.PutPendingAck(ctx, p.EscalationID, pa)

	case events.EscalationAcknowledged:
		pa, ok, err := tx.PendingAck(ctx, p.EscalationID)
		if err != nil || !ok {
			return err
		}
		if !pa.PagedAt.IsZero() {
			wait := max(stamp(e.OccurredAt).Sub(pa.PagedAt), 0)
			if err := tx.Observe(ctx, pa.LineID, pa.PagedAt, MetricAck, BucketOf(wait)); err != nil {
				return err
			}
		}
		return tx.DeletePendingAck(ctx, p.EscalationID)

	case events.EscalationExhausted:
		return tx.DeletePendingAck(ctx, p.EscalationID)

	case events.ConversationClosed:
		return tx.DeletePendingReply(ctx, conv)
	}
	return nil
}
