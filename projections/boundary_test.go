package projections_test

import (
	"reflect"
	"regexp"
	"testing"

	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// forbidden matches names that would hold content or identify a client.
// The projection is the managers' view: it must not be able to hold them.
var forbidden = regexp.MustCompile(`(?i)body|number|phone|pseudonym|client|text|content`)

// exportedTypes is every exported type of the package; the test below
// checks the list is complete.
var exportedTypes = []reflect.Type{
	reflect.TypeFor[projections.Counts](), reflect.TypeFor[projections.DayFigures](), reflect.TypeFor[projections.Figures](),
	reflect.TypeFor[projections.Histogram](), reflect.TypeFor[projections.Hour](), reflect.TypeFor[projections.MemoryStore](),
	reflect.TypeFor[projections.Metric](), reflect.TypeFor[projections.PendingAck](), reflect.TypeFor[projections.PendingReply](),
	reflect.TypeFor[projections.Progress](), reflect.TypeFor[projections.Projection](), reflect.TypeFor[projections.Quantiles](),
	reflect.TypeFor[projections.Report](), reflect.TypeFor[projections.ResponseTimes](), reflect.TypeFor[projections.Runner](),
	reflect.TypeFor[projections.SQLStore](), reflect.TypeFor[projections.Store](), reflect.TypeFor[projections.Tx](),
	reflect.TypeFor[projections.Log](), reflect.TypeFor[projections.Querier](), reflect.TypeFor[projections.Snapshot](), reflect.TypeFor[projections.Scratch](),
	reflect.TypeFor[projections.Batcher](), reflect.TypeFor[projections.Decoded](),
	reflect.TypeFor[projections.BatchProjection](), reflect.TypeFor[projections.MemoryCheckpoints](), reflect.TypeFor[projections.MemoryUpdates[projections.Tx]](), reflect.TypeFor[projections.SQLCheckpoints[projections.Tx]](), reflect.TypeFor[projections.CheckpointedStore[projections.Tx, projections.Snapshot]](),
	reflect.TypeFor[projections.BatchUpdate[projections.Tx]](),
	reflect.TypeFor[projections.MemoryScratch[projections.Snapshot]](), reflect.TypeFor[projections.SnapshotStore[projections.Snapshot]](),
}

// boundary is what the managers' figures must not be able to hold.
var boundary = projectiontest.Boundary{Forbidden: forbidden, What: "content or a client identifier"}

func TestNoContentFields(t *testing.T) {
	t.Parallel()
	boundary.CheckTypes(t, exportedTypes)
}

func TestNoContentColumns(t *testing.T) {
	t.Parallel()
	boundary.CheckColumns(t, projectiontest.MigratedPool(t), "", 15)
}
