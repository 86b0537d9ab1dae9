package app

import (
	"context"
	"time"

	"github.com/helpline-org/helpline/events"
)

// Projected tells when the projections the console's pages read (the
// inbox and the escalation queue) have applied the log up to a sequence
// (*internal/app.Views).
type Projected interface {
	Await(ctx context.Context, seq uint64) error
}

// settlePatience bounds how long a command waits for the pages'
// projections to show what it recorded.
const settlePatience = 2 * time.Second

// settle is the step after every command that changes a conversation or
// a client: the page a person lands on next (or the API's next read) is
// built from projections that follow the log a moment behind, and must
// not show their own change undone (a conversation they just closed still
// "open", their reply missing, an escalation they took still waiting). It
// waits, at most settlePatience of wall time, until those projections
// have applied seq, the last sequence the command appended; past the
// bound (a projection far behind) the command still succeeds and the page
// shows what the projections have. Nothing recorded (seq 0): no wait.
func (d *deps) settle(ctx context.Context, seq uint64) {
	if seq == 0 || d.Projected == nil {
		return
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, settlePatience)
	defer cancel()
	if err := d.Projected.Await(ctx, seq); err != nil {
		d.log.Warn().Err(err).Uint64("seq", seq).Dur("waited", time.Since(start)).Msg("pages not caught up with a command: showing them as they are")
	}
}

// settled is a repository whose every recorded decision is settled
// before Update returns: every command of the application changes
// conversations and clients through one, so none can skip the step.
type settled[A any] struct {
	update func(ctx context.Context, id string, decide func(A) error) (events.Saved[A], error)
	d      *deps
}

// Update implements Conversations and Clients.
func (s settled[A]) Update(ctx context.Context, id string, decide func(A) error) (events.Saved[A], error) {
	saved, err := s.update(ctx, id, decide)
	if err == nil {
		s.d.settle(ctx, saved.Seq())
	}
	return saved, err
}

var (
	_ Conversations = settled[*events.Conversation]{}
	_ Clients       = settled[*events.Client]{}
)
