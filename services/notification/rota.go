package notification

import (
	"context"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/oncall"
)

// Rota tells who is on call (*oncall.Live): the configured rota with the
// changes staff recorded in the log, read at each question, so an
// override made a moment ago in the console decides the next page, on
// every replica, with no restart.
type Rota interface {
	// OnCall is who to page at a level of a line now; an error reading
	// the log is returned, never taken for nobody on call.
	OnCall(ctx context.Context, lineID, level string, at time.Time) ([]config.Staff, error)
	// Changes are the line's rota changes as the log has them now.
	Changes(ctx context.Context, lineID string) (*events.Rota, error)
	// Gaps are the spans with nobody on call at a level of the line.
	Gaps(changes *events.Rota, lineID string, from, to time.Time) []oncall.Gap
}

var _ Rota = (*oncall.Live)(nil)

// NewRota returns the rota the pager and the gap warning read: the
// configuration's, with the changes recorded in log.
func NewRota(f *config.File, log oncall.Log) (*oncall.Live, error) {
	r, err := oncall.New(f)
	if err != nil {
		return nil, err
	}
	return oncall.NewLive(r, log), nil
}
