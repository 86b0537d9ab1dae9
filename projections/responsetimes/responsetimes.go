package responsetimes

import (
	"context"
	"maps"
	"slices"
	"strings"
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

// Targets are a line's response targets, and how long its figures give a
// silent client; a zero target has no breaches.
type Targets struct {
	// FirstResponse is how long a conversation's first message may wait
	// for a worker's reply.
	FirstResponse time.Duration
	// NextResponse is how long a client's message after a worker's reply
	// may wait for the next one.
	NextResponse time.Duration
	// AbandonedAfter is how long the client of a conversation nobody has
	// answered may stay silent before it counts as never answered
	// (abandoned); zero counts only the closed ones.
	AbandonedAfter time.Duration
}

// NewView returns the projection over store, with each line's targets
// (by line id).
func NewView(store Store, targets map[string]Targets) *View {
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
	events.TypeConversationReopened:   true,
	events.TypeSurveyAnswered:         true,
	events.TypeResponseClockStarted:   true,
}

// rules are the line settings the figures depend on.
type rules struct {
	targets map[string]Targets // by line
}

// breach reports whether a wait broke a target (a zero target never is).
func breach(wait, target time.Duration) bool { return target > 0 && wait > target }

// apply changes the state for one event. Times are the events' own: a
// replay months later gives the same figures.
func (r rules) apply(ctx context.Context, tx Tx, e events.Envelope, p events.Payload) error {
	id := e.AggregateID
	at := projections.Stamp(e.OccurredAt)
	if m, ok := p.(events.MessageReceived); ok {
		if !m.ReceivedAt.IsZero() {
			at = projections.Stamp(m.ReceivedAt)
		}
		if err := tx.AddCounts(ctx, m.LineID, at, Counts{Received: 1}); err != nil {
			return err
		}
	}
	c, ok, err := tx.Conversation(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		m, first := p.(events.MessageReceived)
		if !first {
			// Nothing to count before a conversation's first message (an
			// escalation's acknowledgement is keyed by escalation, below).
			return r.applyEscalation(ctx, tx, at, p)
		}
		// Only a conversation's first message starts the first-reply clock;
		// its wait counts from the message until triage's clock says
		// otherwise (below).
		c = Conversation{LineID: m.LineID, OpenedAt: at, FirstFrom: at}
	}
	changed, err := r.applyConversation(ctx, tx, &c, at, p)
	if err != nil {
		return err
	}
	if changed {
		if err := tx.PutConversation(ctx, id, c); err != nil {
			return err
		}
	}
	return r.applyEscalation(ctx, tx, at, p)
}

// applyConversation folds one event into the conversation's figures and
// counts what it ends (a first or next reply, a breach); it reports
// whether c changed.
func (r rules) applyConversation(ctx context.Context, tx Tx, c *Conversation, at time.Time, p events.Payload) (bool, error) {
	target := r.targets[c.LineID]
	switch p := p.(type) {
	case events.MessageReceived:
		c.MessagesIn++
		c.LastInAt = at
		// After a worker's reply, the client's next message starts the
		// next-response clock; later ones do not restart it.
		if c.Replied && c.NextSince.IsZero() && !c.Closed {
			c.NextSince, c.NextFrom = at, at
		}
		return true, nil

	case events.ResponseClockStarted:
		// Triage's clock says when the wait counts from: the message, or
		// the line's next opening for one that came while it was closed.
		// The figures count from there too, so a wait, its breach and the
		// unanswered escalation agree. Without a clock (a line with no
		// target, a reply before triage, events older than clocks) the
		// wait counts from the message.
		switch {
		case p.Kind == events.ClockFirstResponse && !c.Replied:
			c.FirstFrom = p.From
		case p.Kind == events.ClockNextResponse && !c.NextSince.IsZero():
			c.NextFrom = p.From
		default:
			return false, nil
		}
		return true, nil

	case events.ReplyRequested:
		c.MessagesOut++
		if !c.Replied {
			wait := max(at.Sub(c.FirstFrom), 0)
			c.Replied, c.FirstReplyWait = true, wait
			if err := tx.Observe(ctx, c.LineID, c.OpenedAt, MetricFirstReply, BucketOf(wait)); err != nil {
				return false, err
			}
			// A breach is a first reply later than the line's target,
			// counted in the hour the client wrote.
			if breach(wait, target.FirstResponse) {
				return true, tx.AddCounts(ctx, c.LineID, c.OpenedAt, Counts{Breaches: 1})
			}
			return true, nil
		}
		if c.NextSince.IsZero() {
			return true, nil
		}
		since := c.NextSince
		wait := max(at.Sub(c.NextFrom), 0)
		c.NextSince, c.NextFrom = time.Time{}, time.Time{}
		if err := tx.Observe(ctx, c.LineID, since, MetricNextReply, BucketOf(wait)); err != nil {
			return false, err
		}
		if breach(wait, target.NextResponse) {
			return true, tx.AddCounts(ctx, c.LineID, since, Counts{NextBreaches: 1})
		}
		return true, nil

	case events.MessageTriaged:
		// Every message gets exactly one verdict, which says whether it came
		// while the line was closed: crisis included, for which triage
		// raises an escalation instead of recording an out-of-hours contact.
		// So the verdict, not the contact record, is what is counted: each
		// out-of-hours message once. The line is the conversation's.
		if !p.OutOfHours {
			return false, nil
		}
		return false, tx.AddCounts(ctx, c.LineID, at, Counts{OutOfHours: 1})

	case events.EscalationRaised:
		c.Escalated = true
		return true, nil

	case events.EscalationExhausted:
		c.Exhausted = true
		return true, nil

	case events.ConversationClosed:
		// Closing stops every clock; the wrap-up is the last close's. A
		// client whose next reply was owed past the target when the
		// conversation closed without it breached it, as a first reply
		// does (counted at read time, from the close).
		if !c.Closed && !c.NextSince.IsZero() && breach(at.Sub(c.NextFrom), target.NextResponse) {
			if err := tx.AddCounts(ctx, c.LineID, c.NextSince, Counts{NextBreaches: 1}); err != nil {
				return false, err
			}
		}
		c.Closed, c.ClosedAt, c.NextSince, c.NextFrom = true, at, time.Time{}, time.Time{}
		c.Outcome, c.Categories = p.Outcome, p.Categories
		return true, nil

	case events.SurveyAnswered:
		// One answer per question: a question is asked once.
		q := p.QuestionID + ":"
		if slices.ContainsFunc(c.Survey, func(code string) bool { return strings.HasPrefix(code, q) }) {
			return false, nil
		}
		c.Survey = append(slices.Clone(c.Survey), p.Code())
		return true, nil

	case events.ConversationReopened:
		// The client wrote again soon after the close: the message that
		// follows starts the clocks again, and the conversation counts as
		// open (its last wrap-up is kept until the next close).
		c.Closed, c.ClosedAt = false, time.Time{}
		return true, nil
	}
	return false, nil
}

// applyEscalation times an escalation from its first page to its
// acknowledgement, and counts those nobody acknowledged.
func (r rules) applyEscalation(ctx context.Context, tx Tx, at time.Time, p events.Payload) error {
	switch p := p.(type) {
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
		pa.PagedAt = at
		return tx.PutPendingAck(ctx, p.EscalationID, pa)

	case events.EscalationAcknowledged:
		pa, ok, err := tx.PendingAck(ctx, p.EscalationID)
		if err != nil || !ok {
			return err
		}
		if !pa.PagedAt.IsZero() {
			bucket := BucketOf(max(at.Sub(pa.PagedAt), 0))
			if err := tx.Observe(ctx, pa.LineID, pa.PagedAt, MetricAck, bucket); err != nil {
				return err
			}
			if err := tx.Observe(ctx, pa.LineID, pa.PagedAt, ackMetric(p.Via), bucket); err != nil {
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
			hour = at
		}
		if err := tx.AddCounts(ctx, pa.LineID, hour, Counts{Exhausted: 1}); err != nil {
			return err
		}
		return tx.DeletePendingAck(ctx, p.EscalationID)
	}
	return nil
}

// ackMetric is the histogram of acknowledgements that came via via: a
// page SMS answered, a page call answered, or the console (its button, or
// a reply to the client there).
func ackMetric(via string) Metric {
	switch via {
	case events.AckSMS:
		return MetricAckSMS
	case events.AckCall:
		return MetricAckCall
	}
	return MetricAckConsole
}
