package oncall

import (
	"context"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
)

// Live is the configured rota with each line's changes read from the log
// at every question: a change made a moment ago, by any process, counts
// at once, and nothing is lost on a restart.
type Live struct {
	*Rota
	lines *follow[*events.Rota]
}

// NewLive returns the rota r with its changes read from log.
func NewLive(r *Rota, log Log) *Live {
	return &Live{Rota: r, lines: newFollow(log, events.AggregateRota, events.NewRota, func(r *events.Rota) uint64 { return r.Version })}
}

// Changes returns the line's rota changes as the log has them now, as a
// private copy.
func (l *Live) Changes(ctx context.Context, lineID string) (*events.Rota, error) {
	return l.lines.latest(ctx, lineID)
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
