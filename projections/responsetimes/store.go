package responsetimes

import (
	"context"
	"fmt"
	"time"

	"github.com/helpline-org/helpline/projections"
)

// Store keeps the response-times projection: its hourly figures, its
// working state and its checkpoint. Two implementations pass one shared
// suite: MemoryStore (the embedded default) and SQLStore
// (PostgreSQL/CockroachDB).
//
// None of its types has a field for a message body, a phone number, a
// pseudonym or a client id, and none of its tables a column: what is not
// stored cannot leak to a manager's screen. An invalid snapshot to Import
// has a line's hour twice.
type Store interface {
	projections.CheckpointedStore[Tx, Snapshot]
	// Hours returns the figures of one line for the UTC hours starting in
	// [from, to), in time order; hours with nothing recorded are left out.
	Hours(ctx context.Context, lineID string, from, to time.Time) ([]Hour, error)
	// Conversations returns the line's conversations opened in [from,
	// to), in the order they opened (ties in no particular order).
	Conversations(ctx context.Context, lineID string, from, to time.Time) ([]Conversation, error)
}

// Tx is what applying one event may read and write.
type Tx interface {
	Conversation(ctx context.Context, conversationID string) (Conversation, bool, error)
	PutConversation(ctx context.Context, conversationID string, c Conversation) error
	PendingAck(ctx context.Context, escalationID string) (PendingAck, bool, error)
	PutPendingAck(ctx context.Context, escalationID string, p PendingAck) error
	DeletePendingAck(ctx context.Context, escalationID string) error
	// AddCounts adds c to the line's figures for the hour starting at hour.
	AddCounts(ctx context.Context, lineID string, hour time.Time, c Counts) error
	// Observe counts one observation of metric in bucket for that hour.
	Observe(ctx context.Context, lineID string, hour time.Time, m Metric, bucket int) error
}

// Snapshot is the projection's whole state: what a rebuild builds in
// memory and swaps into SQL, and what tests compare. Hours are sorted by
// line then start; the maps are nil when empty.
type Snapshot struct {
	Checkpoint    uint64
	Hours         []Hour
	Conversations map[string]Conversation // by conversation id
	Acks          map[string]PendingAck   // by escalation id
}

// CheckpointRef implements projections.Snapshot.
func (s *Snapshot) CheckpointRef() *uint64 { return &s.Checkpoint }

// Validate implements projections.Snapshot: it rejects one line's hour
// twice.
func (s *Snapshot) Validate() error {
	seen := make(map[hourKey]bool, len(s.Hours))
	for _, h := range s.Hours {
		k := hourKey{h.LineID, h.Start.Unix()}
		if seen[k] {
			return fmt.Errorf("snapshot: line %s hour %s twice", h.LineID, h.Start.UTC().Format(time.RFC3339))
		}
		seen[k] = true
	}
	return nil
}

// Conversation is one conversation's figures and the working state its
// clocks need: timestamps, counts, and the wrap-up's outcome and
// categories (codes of the line's taxonomy), never a word of its
// messages. It is what the per-conversation export lists.
//
// It is keyed by conversation id. A conversation id is a random id made by
// events.NewID when the conversation starts: it is not derived from the
// client's number, pseudonym or client id, and nothing in this projection
// links it to them. It is never shown: the export numbers its rows.
type Conversation struct {
	LineID string
	// OpenedAt is when its first message arrived; LastInAt when the
	// latest did.
	OpenedAt, LastInAt time.Time
	// FirstFrom is when the wait for a first reply counts from: the
	// first-response clock's start (the line's next opening for a message
	// that came while it was closed), else OpenedAt.
	FirstFrom time.Time
	// Replied is set by the first worker reply; FirstReplyWait is how
	// long the client waited for it, from FirstFrom.
	Replied        bool
	FirstReplyWait time.Duration
	// NextSince is when the client's first message since the last worker
	// reply arrived (zero: no next reply owed), the hour its figures count
	// in; NextFrom is when that wait counts from: the next-response
	// clock's start, else NextSince.
	NextSince, NextFrom time.Time
	// MessagesIn are the client's messages, MessagesOut the workers'
	// replies.
	MessagesIn, MessagesOut int64
	// Escalated is set by any escalation raised in it; Exhausted by one
	// that ran every round with nobody acknowledging.
	Escalated, Exhausted bool
	// Closed and ClosedAt (zero while open) follow closing and
	// reopening; Outcome and Categories are the last wrap-up's.
	Closed     bool
	ClosedAt   time.Time
	Outcome    string
	Categories []string
	// Survey holds the client's answers to the post-contact survey, as
	// "question:option" codes (events.SurveyAnswered.Code), one per
	// question: numbers from the line's configuration, no reply's text.
	Survey []string
}

// PendingAck is an escalation's working state until it is acknowledged:
// its line, and when it was first paged (zero until then).
type PendingAck struct {
	LineID  string
	PagedAt time.Time
}

// Counts are the additive figures of one line and hour.
type Counts struct {
	Received   int64 // messages received
	OutOfHours int64 // messages received while the line was closed
	Breaches   int64 // first replies later than the line's target
	// Exhausted counts escalations that ran every round with nobody
	// acknowledging, in the hour of their first page.
	Exhausted int64
	// NextBreaches are next replies later than the line's next-response
	// target, in the hour the client's message started the clock.
	NextBreaches int64
}

// Add merges o into c.
func (c *Counts) Add(o Counts) {
	c.Received += o.Received
	c.OutOfHours += o.OutOfHours
	c.Breaches += o.Breaches
	c.Exhausted += o.Exhausted
	c.NextBreaches += o.NextBreaches
}

// Metric names a histogram of the projection.
type Metric string

// Metrics of the response-times projection.
const (
	// MetricFirstReply is the time from a conversation's first message to
	// its first worker reply, counted in the hour the message arrived.
	MetricFirstReply Metric = "first_reply"
	// MetricAck is the time from an escalation's first page to its
	// acknowledgement, counted in the hour of the page.
	MetricAck Metric = "ack"
	// MetricNextReply is the time from a client's first message after a
	// worker's reply to the next worker reply, counted in the hour that
	// message arrived.
	MetricNextReply Metric = "next_reply"
	// MetricAckSMS, MetricAckCall and MetricAckConsole split MetricAck by
	// how the acknowledgement came: a "1" texted back to a page SMS, a 1
	// pressed on a page call, or the console (its button, or a reply to
	// the client).
	MetricAckSMS     Metric = "ack_sms"
	MetricAckCall    Metric = "ack_call"
	MetricAckConsole Metric = "ack_console"
)

// metrics are every histogram of an Hour, in the order rows and
// snapshots list them.
var metrics = []Metric{MetricFirstReply, MetricAck, MetricNextReply, MetricAckSMS, MetricAckCall, MetricAckConsole}

// histogram returns the histogram of h that m names, nil for an unknown
// metric.
func (h *Hour) histogram(m Metric) *Histogram {
	switch m {
	case MetricFirstReply:
		return &h.FirstReply
	case MetricAck:
		return &h.Ack
	case MetricNextReply:
		return &h.NextReply
	case MetricAckSMS:
		return &h.AckSMS
	case MetricAckCall:
		return &h.AckCall
	case MetricAckConsole:
		return &h.AckConsole
	}
	return nil
}

// add merges o's counts and histograms into h.
func (h *Hour) add(o Hour) {
	h.Counts.Add(o.Counts)
	for _, m := range metrics {
		h.histogram(m).Add(*o.histogram(m))
	}
}

// Hour is one line's figures for one UTC hour.
type Hour struct {
	LineID     string
	Start      time.Time // UTC, on the hour
	Counts     Counts
	FirstReply Histogram
	Ack        Histogram
	NextReply  Histogram
	// AckSMS, AckCall and AckConsole split Ack by how it came.
	AckSMS, AckCall, AckConsole Histogram
}

// hourOf returns the UTC hour t falls in.
func hourOf(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }
