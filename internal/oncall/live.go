package oncall

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
)

// Log reads the events of one aggregate after a sequence (*events.Store).
type Log interface {
	Since(ctx context.Context, aggregateType, aggregateID string, after uint64, max int) ([]events.Envelope, uint64, error)
}

// Live is the configured rota with each line's changes read from the log
// at every question: a change made a moment ago, by any process, counts
// at once, and nothing is lost on a restart. It keeps each line's changes
// folded and asks the log only for what followed (one message get when
// nothing did).
type Live struct {
	*Rota
	log Log

	mu    sync.Mutex
	lines map[string]*events.Rota
}

// NewLive returns the rota r with its changes read from log.
func NewLive(r *Rota, log Log) *Live {
	return &Live{Rota: r, log: log, lines: map[string]*events.Rota{}}
}

// Changes returns the line's rota changes as the log has them now, as a
// private copy.
func (l *Live) Changes(ctx context.Context, lineID string) (*events.Rota, error) {
	l.mu.Lock()
	cached, ok := l.lines[lineID]
	l.mu.Unlock()
	if !ok {
		cached = events.NewRota(lineID)
	}
	next := cached.Clone()
	tail, _, err := l.log.Since(ctx, events.AggregateRota, lineID, cached.Version, math.MaxInt)
	if err != nil {
		return nil, err
	}
	for _, e := range tail {
		if err := next.Apply(e); err != nil {
			return nil, err
		}
	}
	l.mu.Lock()
	if cur, ok := l.lines[lineID]; !ok || cur.Version < next.Version {
		l.lines[lineID] = next.Clone()
	}
	l.mu.Unlock()
	return next, nil
}

// OnCall returns who is on call at a level of a line at an instant, the
// changes recorded so far applied. An error reading the log is returned,
// never taken for nobody on call: the pager must not skip a level for it.
func (l *Live) OnCall(ctx context.Context, lineID, level string, at time.Time) ([]config.Staff, error) {
	ch, err := l.Changes(ctx, lineID)
	if err != nil {
		return nil, err
	}
	return l.Rota.OnCall(ch, lineID, level, at), nil
}
