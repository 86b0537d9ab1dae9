package projectiontest

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
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

// Fixture is one projection as the shared test drivers see it: its
// stores, the projection over one, and its scenario (the events, the
// types it reads, the check that a projection holds exactly what they
// make). A projection's tests declare one and run its Stores suite and its
// CrashThenReplay.
type Fixture[Tx, Snap any, S Checkpointer, P Model[Tx, Snap]] struct {
	// Name is the projection's checkpoint name.
	Name     string
	Backends []Backend[S]
	// New makes the projection over a store.
	New      func(S) P
	Events   func(t testing.TB) []events.Envelope
	Relevant map[string]bool
	Assert   func(t testing.TB, p P)
}

// Model is a projection as the drivers see it: a read model's type, which
// embeds a projections.ReadModel, is one. Over makes the crash test's
// projection over a store that dies when told.
type Model[Tx, Snap any] interface {
	projections.BatchProjection
	Over(store projections.CheckpointedStore[Tx, Snap]) projections.BatchProjection
	Store() projections.CheckpointedStore[Tx, Snap]
}

// Cases are a store suite's cases by name, each run on an empty store.
type Cases[S any] map[string]func(t *testing.T, s S)

// Stores runs the store suite against each backend: the cases every
// projection shares and its own, each in parallel, on an empty store of
// its own.
func (f Fixture[Tx, Snap, S, P]) Stores(t *testing.T, own Cases[S]) {
	t.Helper()
	cases := Cases[S]{
		"the scenario is exact":                                    func(t *testing.T, s S) { f.Assert(t, f.Scenario(t, s)) },
		"applying an event twice changes nothing":                  func(t *testing.T, s S) { f.applyTwice(t, f.New(s)) },
		"a batch overlapping the checkpoint applies the rest once": func(t *testing.T, s S) { f.batchOverlap(t, f.New(s)) },
		"rebuild from the log equals one pass":                     func(t *testing.T, s S) { f.rebuildEqualsOnePass(t, f.New(s)) },
	}
	for name, c := range own {
		if cases[name] != nil {
			t.Fatalf("case %q is one of the shared cases", name)
		}
		cases[name] = c
	}
	for _, b := range f.Backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			for _, name := range slices.Sorted(maps.Keys(cases)) {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					cases[name](t, b.Make(t))
				})
			}
		})
	}
}

// ApplyAll applies envs to p one at a time, each of them applied exactly
// when the projection reads its type.
func (f Fixture[Tx, Snap, S, P]) ApplyAll(t testing.TB, p P, envs []events.Envelope) {
	t.Helper()
	ApplyAll(t, p, envs, f.Relevant)
}

// Scenario returns the projection over s with the whole scenario applied.
func (f Fixture[Tx, Snap, S, P]) Scenario(t testing.TB, s S) P {
	t.Helper()
	p := f.New(s)
	f.ApplyAll(t, p, f.Events(t))
	return p
}

// Reset opens a store case on reset: the scenario applied, then the
// projection reset, whose checkpoint must be back to 0; it returns the
// projection for the case to check that its rows went too.
func (f Fixture[Tx, Snap, S, P]) Reset(t *testing.T, s S) P {
	t.Helper()
	p := f.Scenario(t, s)
	r, ok := any(p).(interface{ Reset(context.Context) error })
	if !ok {
		t.Fatalf("%T has no Reset", p)
	}
	ctx := context.Background()
	Must(t, r.Reset(ctx))
	if cp, err := p.Checkpoint(ctx); err != nil || cp != 0 {
		t.Fatalf("checkpoint %d, %v after reset", cp, err)
	}
	return p
}

// CrashThenReplay runs the crash-then-replay test (the function of that
// name) over the scenario appended to a real JetStream log, at points;
// the first runner's store dies when a Crasher says.
func (f Fixture[Tx, Snap, S, P]) CrashThenReplay(t *testing.T, points ...CrashPoint) {
	t.Helper()
	log, envs := LogWith(t, f.Events(t))
	crashing := func(p P, c *Crasher) projections.BatchProjection {
		return p.Over(crashingStore[Tx, Snap]{p.Store(), c})
	}
	CrashThenReplay(t, log, envs[len(envs)-1].Sequence, Crash[S, P]{
		Name: f.Name, Backends: f.Backends, Points: points, Crashing: crashing, New: f.New, Assert: f.Assert})
}

// applyTwice applies each event, then again, then the one before it
// again: the repeats change nothing and report false.
func (f Fixture[Tx, Snap, S, P]) applyTwice(t *testing.T, p P) {
	t.Helper()
	ctx := context.Background()
	envs := f.Events(t)
	for i, e := range envs {
		ApplyAll(t, p, envs[i:i+1], f.Relevant)
		if ok, err := p.Apply(ctx, e); err != nil || ok {
			t.Fatalf("second apply of seq %d: applied %v, %v", e.Sequence, ok, err)
		}
		if i > 0 {
			if ok, err := p.Apply(ctx, envs[i-1]); err != nil || ok {
				t.Fatalf("stale apply of seq %d: applied %v, %v", envs[i-1].Sequence, ok, err)
			}
		}
	}
	f.Assert(t, p)
}

// batchOverlap applies the first half of the events one at a time, then
// all of them as one batch: only those after the checkpoint apply, and
// the same batch again applies none.
func (f Fixture[Tx, Snap, S, P]) batchOverlap(t *testing.T, p P) {
	t.Helper()
	ctx := context.Background()
	envs := f.Events(t)
	half := len(envs) / 2
	ApplyAll(t, p, envs[:half], f.Relevant)
	want := 0
	for _, e := range envs[half:] {
		if f.Relevant[e.Type] {
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
	f.Assert(t, p)
}

// rebuildEqualsOnePass rebuilds p from the events twice, each time equal
// to one pass; a replay after the rebuild applies nothing.
func (f Fixture[Tx, Snap, S, P]) rebuildEqualsOnePass(t *testing.T, p P) {
	t.Helper()
	ctx := context.Background()
	r := projections.NewRunner(SliceLog(f.Events(t)), p, zerolog.Nop())
	for range 2 {
		if _, err := r.Rebuild(ctx, nil); err != nil {
			t.Fatal(err)
		}
		f.Assert(t, p)
	}
	if n, err := r.Replay(ctx); err != nil || n != 0 {
		t.Fatalf("replay after rebuild applied %d, %v", n, err)
	}
}

// ImportScenario is the import half of a store suite: it exports the
// scenario as one pass over an empty memory store makes it, and imports
// that snapshot into s expecting checkpoint expect (whatever s held is
// replaced); the projection over s must then pass Assert, and s must
// export exactly the snapshot. It returns the projection over s and the
// snapshot.
func ImportScenario[Snap, Tx any, S interface {
	Checkpointer
	projections.SnapshotStore[Snap]
}, P Model[Tx, Snap]](t *testing.T, f Fixture[Tx, Snap, S, P], s S, expect uint64) (P, Snap) {
	t.Helper()
	ctx := context.Background()
	i := slices.IndexFunc(f.Backends, func(b Backend[S]) bool { return b.Name == "memory" })
	if i < 0 {
		t.Fatal("no memory backend to make the snapshot in")
	}
	src := f.Backends[i].Make(t)
	f.ApplyAll(t, f.New(src), f.Events(t))
	snap, err := src.Export(ctx, f.Name)
	Must(t, err)
	Must(t, s.Import(ctx, f.Name, snap, expect))
	p := f.New(s)
	f.Assert(t, p)
	got, err := s.Export(ctx, f.Name)
	Must(t, err)
	if !reflect.DeepEqual(got, snap) {
		t.Fatalf("export after import\n got %+v\nwant %+v", got, snap)
	}
	return p, snap
}

// Updater is what FailedUpdate needs of a projection's store.
type Updater[Tx any] interface {
	Checkpoint(ctx context.Context, name string) (uint64, error)
	Update(ctx context.Context, name string, seq uint64, fn func(tx Tx) error) (applied bool, err error)
}

// FailedUpdate runs an update of name at sequence 1 that makes write's
// writes and then fails: Update must return that failure and leave the
// checkpoint at 0. The caller then checks that none of the writes reads
// back.
func FailedUpdate[Tx any](t *testing.T, s Updater[Tx], name string, write func(tx Tx)) {
	t.Helper()
	ctx := context.Background()
	boom := errors.New("boom")
	_, err := s.Update(ctx, name, 1, func(tx Tx) error {
		write(tx)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	if cp, err := s.Checkpoint(ctx, name); err != nil || cp != 0 {
		t.Fatalf("checkpoint %d, %v after failure", cp, err)
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

// Paging checks a listing paged through at sizes 1, 5, 7, 23 and 100:
// each size gives the ids of want, in order, without duplicates or gaps,
// and no page longer than asked. page returns the rows after a cursor
// (the zero cursor: from the start); id names a row. The cursor after a
// page goes through its string form, as a URL carries it.
func Paging[R interface{ After() projections.Cursor }](t *testing.T, want []string, page func(size int, after projections.Cursor) []R, id func(R) string) {
	t.Helper()
	for _, size := range []int{1, 5, 7, 23, 100} {
		var got []string
		var cursor projections.Cursor
		for range 30 {
			rows := page(size, cursor)
			if len(rows) > size {
				t.Fatalf("page of %d with limit %d", len(rows), size)
			}
			if len(rows) == 0 {
				break
			}
			for _, r := range rows {
				got = append(got, id(r))
			}
			c, err := projections.ParseCursor(rows[len(rows)-1].After().String())
			Must(t, err)
			cursor = c
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("limit %d:\n got %v\nwant %v", size, got, want)
		}
	}
}
