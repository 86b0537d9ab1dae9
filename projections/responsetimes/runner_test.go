package responsetimes

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// growingLog is a projections.Log that a test can append to while a runner reads it.
type growingLog struct{ envs []events.Envelope }

func (l *growingLog) Read(ctx context.Context, subject string, from uint64, fn func(events.Envelope) error) (uint64, error) {
	return projectiontest.SliceLog(l.envs).Read(ctx, subject, from, fn)
}

// liveMeanwhile is a response-times projection whose scratch, on its first
// swap, lets a "live runner" in another process append the rest of the
// log and apply it to the target store first: the swap must then be
// refused, the scratch catch up, and the second swap win.
type liveMeanwhile struct {
	*View
	log  *growingLog
	rest []events.Envelope
	live *projections.Runner
}

func (p *liveMeanwhile) Scratch() projections.Scratch {
	return &liveScratch{inner: p.View.Scratch(), p: p}
}

type liveScratch struct {
	inner projections.Scratch
	p     *liveMeanwhile
	swaps int
}

func (s *liveScratch) Name() string                                   { return s.inner.Name() }
func (s *liveScratch) Filter() string                                 { return s.inner.Filter() }
func (s *liveScratch) Checkpoint(ctx context.Context) (uint64, error) { return s.inner.Checkpoint(ctx) }
func (s *liveScratch) Scratch() projections.Scratch                   { return s.inner.Scratch() }
func (s *liveScratch) Apply(ctx context.Context, e events.Envelope) (bool, error) {
	return s.inner.Apply(ctx, e)
}

func (s *liveScratch) Swap(ctx context.Context, seq, expect uint64) error {
	s.swaps++
	if s.swaps == 1 {
		s.p.log.envs = append(s.p.log.envs, s.p.rest...)
		if _, err := s.p.live.Replay(ctx); err != nil {
			return err
		}
	}
	err := s.inner.Swap(ctx, seq, expect)
	if s.swaps == 1 && !errors.Is(err, projections.ErrMovedOn) {
		return errors.New("first swap was not refused")
	}
	return err
}

// TestRebuildWhileLiveRunnerMovesOn: a rebuild never moves a projection
// back past events a live runner applied while it ran. Both stores.
func TestRebuildWhileLiveRunnerMovesOn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, s := range fixture.Backends {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			envs := scenario(t)
			half := len(envs) / 2
			log := &growingLog{envs: envs[:half]}
			st := s.Make(t)
			rt := NewView(st, scenarioTargets)
			p := &liveMeanwhile{View: rt, log: log, rest: envs[half:], live: projections.NewRunner(log, rt, zerolog.Nop())}
			if _, err := projections.NewRunner(log, p, zerolog.Nop()).Rebuild(ctx, nil); err != nil {
				t.Fatal(err)
			}
			assertReport(t, rt, scenarioReport())
			if cp, _ := rt.Checkpoint(ctx); cp != envs[len(envs)-1].Sequence {
				t.Fatalf("checkpoint %d, want %d", cp, envs[len(envs)-1].Sequence)
			}
		})
	}
}

// TestAwaitSeesThisRunnerAndOtherReplicas: Runner.Await returns once the
// projection has applied a sequence, whether this runner applied it or
// another replica's did (its checkpoint), and not before: it waits, then
// ends with the context. A command's last event may be one the
// projection does not read (a triage mark here), which moves no
// checkpoint: a replica whose runner was not handed it still sees the
// projection as at that sequence, instead of waiting for its deadline.
// Both stores.
func TestAwaitSeesThisRunnerAndOtherReplicas(t *testing.T) {
	t.Parallel()
	for _, s := range fixture.Backends {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			envs := scenario(t)
			last := envs[len(envs)-1].Sequence
			rt := NewView(s.Make(t), scenarioTargets)
			log := projectiontest.SliceLog(envs)
			here, replica := projections.NewRunner(log, rt, zerolog.Nop()), projections.NewRunner(log, rt, zerolog.Nop())
			short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			if err := here.Await(short, last); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("await before anything applied: %v, want the deadline", err)
			}
			done := make(chan error, 2)
			go func() { done <- here.Await(ctx, last) }()
			go func() { done <- replica.Await(ctx, last) }()
			if _, err := here.Replay(ctx); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
				case <-time.After(30 * time.Second):
					t.Fatal("await did not return once the projection applied the sequence")
				}
			}

			mark, err := events.New(envs[len(envs)-1].AggregateID, events.TriageFeedbackRecorded{MessageID: "m1", StaffID: "alex",
				Feedback: events.FeedbackMissed}, events.Meta{OccurredAt: envs[len(envs)-1].OccurredAt})
			if err != nil {
				t.Fatal(err)
			}
			mark.Sequence = last + 1
			marked := projectiontest.SliceLog(append(envs, mark))
			if _, err := projections.NewRunner(marked, rt, zerolog.Nop()).Replay(ctx); err != nil {
				t.Fatal(err)
			}
			if cp, _ := rt.Checkpoint(ctx); cp != last {
				t.Fatalf("checkpoint %d, want %d: the mark is not one the figures read", cp, last)
			}
			wait, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if err := projections.NewRunner(marked, rt, zerolog.Nop()).Await(wait, mark.Sequence); err != nil {
				t.Fatalf("another replica awaiting the mark: %v", err)
			}
		})
	}
}
