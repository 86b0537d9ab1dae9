package projectiontest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections"
)

// ApplyAll applies envs to p one at a time, each of them applied exactly
// when relevant lists its type.
func ApplyAll(t testing.TB, p projections.Projection, envs []events.Envelope, relevant map[string]bool) {
	t.Helper()
	for _, e := range envs {
		ok, err := p.Apply(context.Background(), e)
		if err != nil {
			t.Fatal(err)
		}
		if ok != relevant[e.Type] {
			t.Fatalf("apply seq %d (%s): applied %v", e.Sequence, e.Type, ok)
		}
	}
}

// Scenario is a projection's scenario for the store-suite cases every
// projection shares: its events, the event types it reads, and the check
// that a projection holds exactly what the scenario makes.
type Scenario[P projections.BatchProjection] struct {
	Events   func(t testing.TB) []events.Envelope
	Relevant map[string]bool
	Assert   func(t testing.TB, p P)
}

// ApplyTwice applies each event, then again, then the one before it
// again: the repeats change nothing and report false.
func (sc Scenario[P]) ApplyTwice(t *testing.T, p P) {
	t.Helper()
	ctx := context.Background()
	envs := sc.Events(t)
	for i, e := range envs {
		ApplyAll(t, p, envs[i:i+1], sc.Relevant)
		if ok, err := p.Apply(ctx, e); err != nil || ok {
			t.Fatalf("second apply of seq %d: applied %v, %v", e.Sequence, ok, err)
		}
		if i > 0 {
			if ok, err := p.Apply(ctx, envs[i-1]); err != nil || ok {
				t.Fatalf("stale apply of seq %d: applied %v, %v", envs[i-1].Sequence, ok, err)
			}
		}
	}
	sc.Assert(t, p)
}

// BatchOverlap applies the first half of the events one at a time, then
// all of them as one batch: only those after the checkpoint apply, and
// the same batch again applies none.
func (sc Scenario[P]) BatchOverlap(t *testing.T, p P) {
	t.Helper()
	ctx := context.Background()
	envs := sc.Events(t)
	half := len(envs) / 2
	ApplyAll(t, p, envs[:half], sc.Relevant)
	want := 0
	for _, e := range envs[half:] {
		if sc.Relevant[e.Type] {
			want++
		}
	}
	n, err := p.ApplyBatch(ctx, envs)
	if err != nil || n != want {
		t.Fatalf("batch over the whole log applied %d, %v; want the %d after the checkpoint", n, err, want)
	}
	if n, err := p.ApplyBatch(ctx, envs); err != nil || n != 0 {
		t.Fatalf("the same batch again applied %d, %v", n, err)
	}
	sc.Assert(t, p)
}

// RebuildEqualsOnePass rebuilds p from the events twice, each time equal
// to one pass; a replay after the rebuild applies nothing.
func (sc Scenario[P]) RebuildEqualsOnePass(t *testing.T, p P) {
	t.Helper()
	ctx := context.Background()
	r := projections.NewRunner(SliceLog(sc.Events(t)), p, zerolog.Nop())
	for range 2 {
		if _, err := r.Rebuild(ctx, nil); err != nil {
			t.Fatal(err)
		}
		sc.Assert(t, p)
	}
	if n, err := r.Replay(ctx); err != nil || n != 0 {
		t.Fatalf("replay after rebuild applied %d, %v", n, err)
	}
}

// RejectedImports checks that s, holding before (its export under name,
// at checkpoint cp), refuses each of invalid, and refuses behind (a
// snapshot before cp) with projections.ErrMovedOn when the rebuild
// expected checkpoint 1; after them the state is exactly before.
func RejectedImports[S any](t *testing.T, s projections.SnapshotStore[S], name string, before S, cp uint64, invalid []S, behind S) {
	t.Helper()
	ctx := context.Background()
	for _, bad := range invalid {
		if err := s.Import(ctx, name, bad, cp); err == nil {
			t.Fatal("an invalid snapshot was imported")
		}
	}
	if err := s.Import(ctx, name, behind, 1); !errors.Is(err, projections.ErrMovedOn) {
		t.Fatalf("import behind the checkpoint: %v, want ErrMovedOn", err)
	}
	got, err := s.Export(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, before) {
		t.Fatalf("after rejected imports\n got %+v\nwant %+v", got, before)
	}
}
