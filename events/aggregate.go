package events

import (
	"context"
	"slices"
)

// recording is what every aggregate (Conversation, Client, Worker) keeps
// besides its state: the version it was folded to, and the events its
// command methods recorded since, for the repository to append.
type recording struct {
	// Version is the stream sequence of the last applied event: the
	// expected sequence for the next append.
	Version uint64

	pending []Envelope
	// payloads are the pending events' payloads as recorded, so that
	// what the aggregate notes once they are saved (markSaved) needs no
	// decoding of what it just encoded.
	payloads []Payload
}

// clone returns a copy that shares no pending events with r.
func (r recording) clone() recording {
	r.pending, r.payloads = slices.Clone(r.pending), slices.Clone(r.payloads)
	return r
}

// Pending returns the events recorded by commands and not yet appended.
func (r *recording) Pending() []Envelope { return r.pending }

func (r *recording) version() uint64 { return r.Version }

// markSaved forgets the pending events once the log acknowledged them.
func (r *recording) markSaved(acks []Appended) {
	r.pending, r.payloads = nil, nil
	if n := len(acks); n > 0 && acks[n-1].Seq > r.Version {
		r.Version = acks[n-1].Seq
	}
}

// applyStored folds one stored event into the state with apply (which only
// changes state) and moves the version on.
func (r *recording) applyStored(e Envelope, apply func(Payload, Envelope)) error {
	p, err := e.Decode()
	if err != nil {
		return err
	}
	apply(p, e)
	if e.Sequence > r.Version {
		r.Version = e.Sequence
	}
	return nil
}

// record validates nothing: commands call it after validating. It wraps p
// in an event with the given id, applies it to the state and keeps it for
// appending.
func (r *recording) record(id, aggregateID string, p Payload, m Meta, apply func(Payload, Envelope)) error {
	env, err := NewWithID(id, aggregateID, p, m)
	if err != nil {
		return err
	}
	apply(p, env)
	r.pending, r.payloads = append(r.pending, env), append(r.payloads, p)
	return nil
}

// fold reads one aggregate's whole history and folds it into empty(id).
// An aggregate with no events comes back empty, not as an error.
func fold[A interface{ Apply(Envelope) error }](ctx context.Context, l Loader, aggregateType, id string, empty func(string) A) (A, []Envelope, error) {
	var zero A
	history, _, err := l.Load(ctx, aggregateType, id)
	if err != nil {
		return zero, nil, err
	}
	agg := empty(id)
	for _, e := range history {
		if err := agg.Apply(e); err != nil {
			return zero, nil, err
		}
	}
	return agg, history, nil
}
