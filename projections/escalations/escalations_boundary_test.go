package escalations

import (
	"reflect"
	"regexp"
	"testing"

	"github.com/helpline-org/helpline/projections/projectiontest"
)

// forbidden matches names that would hold content or contact details.
// Duty workers may see a client's pseudonym, so unlike the managers' view
// this projection may hold one; never a body, a number or a message text.
var forbidden = regexp.MustCompile(`(?i)body|number|phone|text|content`)

// exportedTypes is every exported type of the package; the test below
// checks the list is complete.
var exportedTypes = []reflect.Type{
	reflect.TypeFor[Conversation](), reflect.TypeFor[Cursor](), reflect.TypeFor[Escalation](),
	reflect.TypeFor[MemoryStore](), reflect.TypeFor[Page](), reflect.TypeFor[Queue](),
	reflect.TypeFor[SQLStore](), reflect.TypeFor[Store](), reflect.TypeFor[Tx](), reflect.TypeFor[Snapshot](),
}

// boundary is what the duty workers' queue must not be able to hold.
var boundary = projectiontest.Boundary{Forbidden: forbidden, What: "content or a phone number"}

// TestNoContent checks the package's types and the escalations schema's
// columns. The managers' schema is checked by package responsetimes,
// which also keeps the pseudonym out of it.
func TestNoContent(t *testing.T) { boundary.Check(t, exportedTypes, "escalations", 20) }
