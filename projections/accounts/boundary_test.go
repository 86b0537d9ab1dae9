package accounts

import (
	"reflect"
	"regexp"
	"testing"

	"github.com/helpline-org/helpline/projections/projectiontest"
)

// forbidden matches names that would hold a client's identity or content.
// Staff names and password hashes are this projection's business; a
// password itself never is.
var forbidden = regexp.MustCompile(`(?i)body|number|phone|text|content|client|pseudonym|^password$`)

// exportedTypes is every exported type of the package; the test below
// checks the list is complete.
var exportedTypes = []reflect.Type{
	reflect.TypeFor[Account](), reflect.TypeFor[MemoryStore](), reflect.TypeFor[SQLStore](), reflect.TypeFor[Snapshot](),
	reflect.TypeFor[Store](), reflect.TypeFor[Tx](), reflect.TypeFor[View](),
}

var boundary = projectiontest.Boundary{Forbidden: forbidden, What: "a client's identity, content or a password"}

// TestNoClientData checks the package's types and the accounts schema's
// columns.
func TestNoClientData(t *testing.T) { boundary.Check(t, exportedTypes, "accounts", 5) }
