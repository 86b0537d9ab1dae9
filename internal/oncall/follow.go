package oncall

import (
	"context"
	"math"
	"sync"

	"github.com/helpline-org/helpline/events"
)

// Log reads the events of one aggregate after a sequence (*events.Store).
type Log interface {
	Since(ctx context.Context, aggregateType, aggregateID string, after uint64, max int) ([]events.Envelope, uint64, error)
}

// folded is an aggregate that follow keeps: it folds stored events and
// copies itself.
type folded[A any] interface {
	Apply(e events.Envelope) error
	Clone() A
}

// follow keeps aggregates of one type folded, each as of its last event,
// and reads from the log only what followed (one message get when nothing
// did): what was recorded a moment ago, by any process, is seen at the
// next question, and nothing is lost on a restart.
type follow[A folded[A]] struct {
	log       Log
	aggregate string
	empty     func(id string) A
	version   func(A) uint64

	mu   sync.Mutex
	byID map[string]A
}

func newFollow[A folded[A]](log Log, aggregate string, empty func(string) A, version func(A) uint64) *follow[A] {
	return &follow[A]{log: log, aggregate: aggregate, empty: empty, version: version, byID: map[string]A{}}
}

// latest returns aggregate id as the log has it now, as a private copy.
func (f *follow[A]) latest(ctx context.Context, id string) (A, error) {
	f.mu.Lock()
	cached, ok := f.byID[id]
	f.mu.Unlock()
	if !ok {
		cached = f.empty(id)
	}
	next := cached.Clone()
	tail, _, err := f.log.Since(ctx, f.aggregate, id, f.version(cached), math.MaxInt)
	if err != nil {
		var zero A
		return zero, err
	}
	for _, e := range tail {
		if err := next.Apply(e); err != nil {
			var zero A
			return zero, err
		}
	}
	f.mu.Lock()
	if cur, ok := f.byID[id]; !ok || f.version(cur) < f.version(next) {
		f.byID[id] = next.Clone()
	}
	f.mu.Unlock()
	return next, nil
}
