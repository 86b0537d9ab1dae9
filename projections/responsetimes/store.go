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
	// Waiting returns when the first message arrived of each of the
	// line's conversations that arrived in [from, to) and still wait for
	// a first worker reply (closed ones excluded).
	Waiting(ctx context.Context, lineID string, from, to time.Time) ([]time.Time, error)
}

// Tx is what applying one event may read and write.
type Tx interface {
	PendingReply(ctx context.Context, conversationID string) (PendingReply, bool, error)
	PutPendingReply(ctx context.Context, conversationID string, p PendingReply) error
	DeletePendingReply(ctx context.Context, conversationID string) error
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
	Checkpoint uint64
	Hours      []Hour
	Replies    map[string]PendingReply // by conversation id
	Acks       map[string]PendingAck   // by escalation id
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

// PendingReply is a conversation's working state until its first worker
// reply: when the first message arrived, and whether it has been answered.
//
// It is keyed by conversation id. A conversation id is a random id made by
// events.NewID when the conversation starts: it is not derived from the
// client's number, pseudonym or client id, and nothing in this projection
// links it to them. The row is deleted when the conversation closes.
type PendingReply struct {
	LineID     string
	ReceivedAt time.Time // zero once replied: no longer needed
	Replied    bool
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
}

// Add merges o into c.
func (c *Counts) Add(o Counts) {
	c.Received += o.Received
	c.OutOfHours += o.OutOfHours
	c.Breaches += o.Breaches
	c.Exhausted += o.Exhausted
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
)

// Hour is one line's figures for one UTC hour.
type Hour struct {
	LineID     string
	Start      time.Time // UTC, on the hour
	Counts     Counts
	FirstReply Histogram
	Ack        Histogram
}

// hourOf returns the UTC hour t falls in.
func hourOf(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }
