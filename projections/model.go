package projections

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/helpline-org/helpline/events"
)

// Model describes one read model to the framework: what the Runner needs
// to drive it, apart from its store.
type Model[Tx, S any] struct {
	// Name is the projection's durable consumer name and checkpoint key.
	// Renaming it rebuilds the projection from the log.
	Name string
	// Filter is the subject filter of the events it is built from.
	Filter string
	// Relevant lists the event types it reads. Others are passed over
	// without a transaction: they change nothing, so re-reading them after
	// a crash is harmless.
	Relevant map[string]bool
	// Apply changes the state for one event inside tx. Times must be the
	// events' own (Stamp), so a replay gives the same state.
	Apply func(ctx context.Context, tx Tx, e events.Envelope, p events.Payload) error
	// Memory returns an empty memory store: where a rebuild replays the
	// log before swapping the state in.
	Memory func() CheckpointedStore[Tx, S]
}

// ReadModel is a Model over its store: the Projection and Batcher the
// Runner drives. A read model's type embeds one and adds its queries.
type ReadModel[Tx, S any, PS Snapshot[S]] struct {
	m     Model[Tx, S]
	store CheckpointedStore[Tx, S]
}

// NewReadModel returns m over store.
func NewReadModel[Tx, S any, PS Snapshot[S]](m Model[Tx, S], store CheckpointedStore[Tx, S]) *ReadModel[Tx, S, PS] {
	return &ReadModel[Tx, S, PS]{m: m, store: store}
}

// Name implements Projection.
func (r *ReadModel[Tx, S, PS]) Name() string { return r.m.Name }

// Filter implements Projection.
func (r *ReadModel[Tx, S, PS]) Filter() string { return r.m.Filter }

// Relevant reports whether the read model reads events of type t
// (Relevance).
func (r *ReadModel[Tx, S, PS]) Relevant(t string) bool { return r.m.Relevant[t] }

// Checkpoint implements Projection.
func (r *ReadModel[Tx, S, PS]) Checkpoint(ctx context.Context) (uint64, error) {
	return r.store.Checkpoint(ctx, r.m.Name)
}

// Reset empties the projection's state and its checkpoint.
func (r *ReadModel[Tx, S, PS]) Reset(ctx context.Context) error { return r.store.Reset(ctx, r.m.Name) }

// Apply implements Projection.
func (r *ReadModel[Tx, S, PS]) Apply(ctx context.Context, e events.Envelope) (bool, error) {
	n, err := r.ApplyBatch(ctx, []events.Envelope{e})
	return n > 0, err
}

// ApplyBatch implements Batcher.
func (r *ReadModel[Tx, S, PS]) ApplyBatch(ctx context.Context, es []events.Envelope) (int, error) {
	return ApplyBatch(ctx, es, r.m.Relevant, r.m.Name, r.store.UpdateBatch, r.m.Apply)
}

// Scratch implements Projection: the same model over an empty memory
// store, swapped into this one's.
func (r *ReadModel[Tx, S, PS]) Scratch() Scratch {
	mem := r.m.Memory()
	return NewMemoryScratch[S, PS](r.Over(mem), mem, r.store)
}

// Over returns the same model over another store: a rebuild's scratch
// copy, or a test's store that fails on purpose.
func (r *ReadModel[Tx, S, PS]) Over(store CheckpointedStore[Tx, S]) BatchProjection {
	return NewReadModel[Tx, S, PS](r.m, store)
}

// Store returns the store r applies events to.
func (r *ReadModel[Tx, S, PS]) Store() CheckpointedStore[Tx, S] { return r.store }

// Stamp is an event's time as every store keeps it: UTC, to the
// microsecond (PostgreSQL's precision). Without it a rebuild in memory
// would keep nanoseconds that the same events applied in SQL lose, and the
// two could differ (a response-time breach at the target's edge).
func Stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// UniqueIDs is what a snapshot's Validate checks of a list it holds: no
// item without an id or twice (what names the items in the error). It
// returns the ids it saw.
func UniqueIDs[T any](what string, items []T, id func(T) string) (map[string]bool, error) {
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		k := id(it)
		if k == "" || seen[k] {
			return nil, fmt.Errorf("snapshot: %s %q empty or twice", what, k)
		}
		seen[k] = true
	}
	return seen, nil
}

// NonEmpty returns a copy of s, or nil when s is empty: every store reads
// an empty list back as nil.
func NonEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}

// SealedCopy returns a copy of s that shares no memory with it, or the
// zero Sealed when s holds nothing: every store reads an empty sealed
// field back as the zero value.
func SealedCopy(s events.Sealed) events.Sealed {
	if s.KeyID == "" && len(s.Data) == 0 {
		return events.Sealed{}
	}
	var data []byte
	if len(s.Data) > 0 {
		data = slices.Clone(s.Data)
	}
	return events.Sealed{KeyID: s.KeyID, Data: data}
}
