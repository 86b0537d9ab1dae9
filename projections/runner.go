package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
)

// Projection is a read model the Runner drives.
type Projection interface {
	// Name is the projection's durable consumer name and checkpoint key.
	Name() string
	// Filter is the subject filter of the events it is built from.
	Filter() string
	// Checkpoint returns the last stream sequence applied (0: none).
	Checkpoint(ctx context.Context) (uint64, error)
	// Apply applies one event in one transaction with the checkpoint. An
	// event at or below the checkpoint changes nothing and reports false.
	Apply(ctx context.Context, e events.Envelope) (applied bool, err error)
	// Scratch returns an empty copy of the projection in memory, with the
	// same configuration: what Rebuild replays the log into before
	// swapping it in.
	Scratch() Scratch
}

// Scratch is an empty copy of a projection, kept in memory, that a rebuild
// replays the whole log into (the memory store is the fast path, proven by
// the same store suite as the SQL one) and then swaps into the projection
// it was made from.
type Scratch interface {
	Projection
	// Swap replaces the original projection's whole state with this
	// copy's and sets its checkpoint to seq, in one transaction: readers
	// of the original see the old state until it commits, then the new
	// one; a crash before the commit leaves the old one intact. The
	// original's checkpoint must still be expect (its value when the
	// rebuild began) or at most seq, else ErrMovedOn and nothing changes.
	Swap(ctx context.Context, seq, expect uint64) error
}

// Batcher is a projection that applies several events, in log order, in
// one transaction with its checkpoint (set to the last one's sequence);
// events at or below the checkpoint as read inside that transaction are
// passed over, so a batch overlapping what another runner applied
// meanwhile applies the rest once. It returns how many it applied. The
// Runner's replays use it: catching up far behind costs one transaction
// per batch instead of one per event.
type Batcher interface {
	ApplyBatch(ctx context.Context, es []events.Envelope) (applied int, err error)
}

// Decoded is an event with its decoded payload.
type Decoded struct {
	events.Envelope
	Payload events.Payload
}

// DecodeRelevant returns the events of es whose type relevant lists,
// decoded, in order. An event without a stream sequence or that does not
// decode is a permanent error (consume.Permanent): no retry mends it.
func DecodeRelevant(es []events.Envelope, relevant map[string]bool) ([]Decoded, error) {
	var out []Decoded
	for _, e := range es {
		if !relevant[e.Type] {
			continue
		}
		if e.Sequence == 0 {
			return nil, consume.Permanent(fmt.Errorf("event %s has no stream sequence", e.ID))
		}
		p, err := e.Decode()
		if err != nil {
			return nil, consume.Permanent(err)
		}
		out = append(out, Decoded{Envelope: e, Payload: p})
	}
	return out, nil
}

// Log is the part of the event store the runner reads: events.Store.
type Log interface {
	Read(ctx context.Context, subject string, from uint64, fn func(events.Envelope) error) (uint64, error)
}

var _ Log = (*events.Store)(nil)

// Runner applies the log to one projection, in stream order, exactly once.
//
// Catching up (Replay, Rebuild) reads the log from the checkpoint in
// batches. Live, the runner applies each event its consumer hands it, as
// it is: the consumer is ordered (consume.InOrder, or a Local follower: one event in
// flight across every process, a failed one redelivered before any later
// one), so an event arrives only once every earlier one was applied, and
// the checkpoint can never pass an event that was not. The checkpoint is
// read and written inside each event's transaction, so a redelivery, or
// an event another replica or a catch-up already applied, changes nothing.
//
// A process follows the log into its projections on a consumer of its
// own that saves nothing on the server (LocalSpec), from the runner's
// position: a projection in memory belongs to the process, which rebuilds
// it at start; a projection in SQL is shared by the processes that follow
// it (projector and console replicas), each applying every event, and the
// checkpoint in each event's transaction has the first apply it and the
// others change nothing. Spec, an ordered durable consumer shared by the
// replicas, is what tests drive a runner with; the processes no longer use
// it: it cost the log about four replicated, fsynced writes per event with
// one event in flight (loadtest/README.md, issue 17).
type Runner struct {
	log  Log
	p    Projection
	logz zerolog.Logger

	mu sync.Mutex // one replay at a time in this process
	// batch is how many events a replay applies per transaction when the
	// projection is a Batcher.
	batch int
	// position is the last sequence this runner has read and applied (or
	// found irrelevant); it may lag the store's checkpoint, never lead it
	// for a relevant event.
	position uint64
	// caughtUp is set once a replay from the checkpoint has reached the
	// end of the log in this process: from then on the live consumer's
	// events are applied as they come.
	caughtUp bool

	// seen mirrors position for Await, under its own lock (mu is held
	// through a whole replay); moved is closed, and forgotten, each time
	// it advances.
	seenMu sync.Mutex
	seen   uint64
	moved  chan struct{}
}

// NewRunner returns a runner of p over log.
func NewRunner(log Log, p Projection, logger zerolog.Logger) *Runner {
	return &Runner{log: log, p: p, batch: defaultBatch, logz: logger.With().Str("projection", p.Name()).Logger()}
}

// defaultBatch is how many events a replay applies per transaction: big
// enough that a catch-up is not one round trip per event, small enough to
// keep a transaction short (CockroachDB prefers them so) and its retry
// cheap.
const defaultBatch = 256

// WithBatch sets how many events a replay applies per transaction (1: one
// each, as the live path mostly does anyway) and returns r.
func (r *Runner) WithBatch(n int) *Runner {
	r.batch = max(n, 1)
	return r
}

// Replay applies every event after the projection's checkpoint, up to the
// end of the log as it is now, and returns how many it applied.
func (r *Runner) Replay(ctx context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.replayLocked(ctx, nil)
}

// Progress is called during a rebuild with the last sequence applied.
type Progress func(seq uint64, applied int)

// maxSwaps bounds how often a rebuild catches up and swaps again when a
// live runner keeps moving the projection on (ErrMovedOn).
const maxSwaps = 5

// Rebuild builds the projection again from the whole log: it replays the
// log into an empty Scratch copy in memory, calling progress (when not
// nil) every 1,000 events, then swaps the copy into the projection in one
// transaction, with the checkpoint at the last sequence read. Readers see
// the old projection until the swap commits; a kill before leaves it
// intact. It returns how many events it applied.
//
// A live runner (another process) may apply events to the projection
// meanwhile. If it applied some the copy has not read, the swap would
// move the projection back, so it is refused (ErrMovedOn): the copy reads
// the rest of the log and swaps again, up to maxSwaps times.
func (r *Runner) Rebuild(ctx context.Context, progress Progress) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	expect, err := r.p.Checkpoint(ctx)
	if err != nil {
		return 0, fmt.Errorf("checkpoint %s: %w", r.p.Name(), err)
	}
	scratch := r.p.Scratch()
	sr := &Runner{log: r.log, p: scratch, batch: r.batch, logz: r.logz}
	total := 0
	for attempt := 1; ; attempt++ {
		n, err := sr.replayLocked(ctx, progress)
		total += n
		if err != nil {
			return total, err
		}
		err = scratch.Swap(ctx, sr.position, expect)
		if err == nil {
			r.advance(sr.position)
			r.caughtUp = true
			return total, nil
		}
		if !errors.Is(err, ErrMovedOn) || attempt == maxSwaps {
			return total, fmt.Errorf("swap %s: %w", r.p.Name(), err)
		}
		r.logz.Info().Err(err).Msg("projection moved on during the rebuild: catching up the copy")
	}
}

func (r *Runner) replayLocked(ctx context.Context, progress Progress) (int, error) {
	from, err := r.p.Checkpoint(ctx)
	if err != nil {
		return 0, fmt.Errorf("checkpoint %s: %w", r.p.Name(), err)
	}
	from = max(from, r.position)
	b, batching := r.p.(Batcher)
	batching = batching && r.batch > 1
	applied := 0
	var buf []events.Envelope
	// flush applies the buffered events in one transaction. Only then does
	// the position pass them.
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		n, err := b.ApplyBatch(ctx, buf)
		if err != nil {
			return fmt.Errorf("apply seq %d to %d: %w", buf[0].Sequence, buf[len(buf)-1].Sequence, err)
		}
		before := applied
		applied += n
		r.advance(buf[len(buf)-1].Sequence)
		buf = buf[:0]
		if progress != nil && applied/1000 > before/1000 {
			progress(r.position, applied)
		}
		return nil
	}
	last, err := r.log.Read(ctx, r.p.Filter(), from, func(e events.Envelope) error {
		if batching {
			buf = append(buf, e)
			if len(buf) >= r.batch {
				return flush()
			}
			return nil
		}
		ok, err := r.p.Apply(ctx, e)
		if err != nil {
			return fmt.Errorf("apply seq %d (%s): %w", e.Sequence, e.Type, err)
		}
		if ok {
			applied++
		}
		r.advance(e.Sequence)
		if progress != nil && applied%1000 == 0 && ok {
			progress(e.Sequence, applied)
		}
		return nil
	})
	// What was read before a failed read is still in order: apply it.
	if ferr := flush(); ferr != nil && err == nil {
		err = ferr
	}
	if len(buf) == 0 {
		// Everything read was applied (or is irrelevant): the position may
		// pass the irrelevant events at the end too.
		r.advance(max(r.position, last))
	}
	if err != nil {
		return applied, fmt.Errorf("replay %s: %w", r.p.Name(), err)
	}
	r.caughtUp = true
	return applied, nil
}

// Position returns the last sequence this runner has caught up to.
func (r *Runner) Position() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.position
}

// Spec returns the live handler for a consume.Router on an ordered
// durable consumer named after the projection, shared by every process
// that uses it.
func (r *Runner) Spec() consume.Shared {
	return consume.Shared{Name: r.p.Name(), Filter: r.p.Filter(), Handler: r.handle, Order: consume.InOrder{}}
}

// LocalSpec returns the live handler a process follows the log with: a
// consumer of its own (consume.Local), in stream order, with nothing
// acknowledged and nothing saved, starting after the runner's position.
// Each process then sees every event, and the log's disk is not written
// per event. For a projection in memory (this process's alone, rebuilt
// at every start) and in SQL (shared: the checkpoint makes an event
// another process applied first a no-op).
func (r *Runner) LocalSpec() consume.Local {
	return consume.Local{Name: r.p.Name(), Filter: r.p.Filter(), Handler: r.handle, Batch: r.handleBatch, From: r.Position}
}

// handle applies one event handed over by the ordered consumer. The first
// one in a process first catches up from the checkpoint through the log
// (Replay, if nobody called it): the consumer's position may be ahead of
// the projection's (a memory projection after a restart), and the events
// between would otherwise be skipped.
func (r *Runner) handle(ctx context.Context, e events.Envelope) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.caughtUp {
		if _, err := r.replayLocked(ctx, nil); err != nil {
			return err
		}
	}
	if e.Sequence != 0 && e.Sequence <= r.position {
		return nil
	}
	if _, err := r.p.Apply(ctx, e); err != nil {
		return fmt.Errorf("apply seq %d (%s) to %s: %w", e.Sequence, e.Type, r.p.Name(), err)
	}
	r.advance(max(r.position, e.Sequence))
	return nil
}

// handleBatch applies events the follower had at hand at once, in stream
// order: those after the position, in transactions of up to the runner's
// batch with the checkpoint (Batcher), as a replay does. Behind the log,
// one transaction per event is what kept a projection behind.
func (r *Runner) handleBatch(ctx context.Context, es []events.Envelope) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.caughtUp {
		if _, err := r.replayLocked(ctx, nil); err != nil {
			return err
		}
	}
	for len(es) > 0 && es[0].Sequence != 0 && es[0].Sequence <= r.position {
		es = es[1:]
	}
	b, batching := r.p.(Batcher)
	for len(es) > 0 {
		n := len(es)
		if !batching {
			n = 1
		}
		n = min(n, r.batch)
		chunk := es[:n]
		es = es[n:]
		if batching {
			if _, err := b.ApplyBatch(ctx, chunk); err != nil {
				return fmt.Errorf("apply seq %d to %d to %s: %w", chunk[0].Sequence, chunk[n-1].Sequence, r.p.Name(), err)
			}
		} else if _, err := r.p.Apply(ctx, chunk[0]); err != nil {
			return fmt.Errorf("apply seq %d (%s) to %s: %w", chunk[0].Sequence, chunk[0].Type, r.p.Name(), err)
		}
		r.advance(max(r.position, chunk[n-1].Sequence))
	}
	return nil
}

// advance sets the position (r.mu held) and wakes whoever Awaits it.
func (r *Runner) advance(seq uint64) {
	r.position = seq
	r.seenMu.Lock()
	defer r.seenMu.Unlock()
	r.seen = seq
	if r.moved != nil {
		close(r.moved)
		r.moved = nil
	}
}

// checkpointPoll is how often Await reads the projection's checkpoint: a
// shared projection (SQL) may be moved on by another replica's runner,
// whose progress this one is not told of.
const checkpointPoll = 50 * time.Millisecond

// Await returns once the projection has applied the log up to seq: this
// runner has passed it, or the projection's checkpoint has (another
// replica applied it). It returns ctx's error when ctx ends first. A
// command's caller awaits the sequence it appended before reading the
// projection, so that it reads its own write.
//
// A shared projection's checkpoint moves only on events it applies: when
// it stays below seq, a projection that tells its Relevance is read from
// the log between the checkpoint and seq (at each poll, not at once: this
// runner usually gets there first), and when none of those events is one
// it reads, it shows all it would at seq already.
func (r *Runner) Await(ctx context.Context, seq uint64) error {
	t := time.NewTimer(checkpointPoll)
	defer t.Stop()
	polled := false
	for {
		r.seenMu.Lock()
		seen := r.seen
		if r.moved == nil {
			r.moved = make(chan struct{})
		}
		moved := r.moved
		r.seenMu.Unlock()
		if seen >= seq {
			return nil
		}
		cp, err := r.p.Checkpoint(ctx)
		if err == nil && (cp >= seq || polled && r.nothingRelevant(ctx, cp, seq)) {
			return nil
		}
		polled = false
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-moved:
		case <-t.C:
			t.Reset(checkpointPoll)
			polled = true
		}
	}
}

// Relevance is a projection that tells which event types it reads
// (ReadModel).
type Relevance interface {
	Relevant(eventType string) bool
}

// errPassed stops a read of the log once it has found what it looked for.
var errPassed = errors.New("passed")

// nothingRelevant reports whether no event after from and up to seq is
// one the projection reads: then its checkpoint, at from, is as good as
// seq. False when the projection does not tell, or the log cannot say.
func (r *Runner) nothingRelevant(ctx context.Context, from, seq uint64) bool {
	rel, ok := r.p.(Relevance)
	if !ok {
		return false
	}
	found := false
	_, err := r.log.Read(ctx, r.p.Filter(), from, func(e events.Envelope) error {
		if e.Sequence > seq {
			return errPassed
		}
		if rel.Relevant(e.Type) {
			found = true
			return errPassed
		}
		return nil
	})
	if err != nil && !errors.Is(err, errPassed) {
		return false
	}
	return !found
}
