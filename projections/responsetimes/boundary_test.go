package responsetimes_test

import (
	"reflect"
	"regexp"
	"testing"

	"github.com/helpline-org/helpline/projections/projectiontest"
	"github.com/helpline-org/helpline/projections/responsetimes"
)

// forbidden matches names that would hold content or identify a client.
// The projection is the managers' view: it must not be able to hold them.
var forbidden = regexp.MustCompile(`(?i)body|number|phone|pseudonym|client|text|content`)

// exportedTypes is every exported type of the package; the test below
// checks the list is complete.
var exportedTypes = []reflect.Type{
	reflect.TypeFor[responsetimes.Counts](), reflect.TypeFor[responsetimes.DayFigures](), reflect.TypeFor[responsetimes.Figures](),
	reflect.TypeFor[responsetimes.Histogram](), reflect.TypeFor[responsetimes.Hour](), reflect.TypeFor[responsetimes.MemoryStore](),
	reflect.TypeFor[responsetimes.Metric](), reflect.TypeFor[responsetimes.PendingAck](), reflect.TypeFor[responsetimes.Conversation](), reflect.TypeFor[responsetimes.Targets](),
	reflect.TypeFor[responsetimes.Quantiles](), reflect.TypeFor[responsetimes.Report](), reflect.TypeFor[responsetimes.View](),
	reflect.TypeFor[responsetimes.SQLStore](), reflect.TypeFor[responsetimes.Store](), reflect.TypeFor[responsetimes.Tx](),
	reflect.TypeFor[responsetimes.Snapshot](),
}

// boundary is what the managers' figures must not be able to hold.
var boundary = projectiontest.Boundary{Forbidden: forbidden, What: "content or a client identifier"}

// TestNoContent checks the package's types and the rt_ tables' columns.
func TestNoContent(t *testing.T) { boundary.Check(t, exportedTypes, "", 17) }
