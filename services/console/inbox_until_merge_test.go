package console_test

import (
	"testing"

	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/services/console"
)

type inboxParts struct {
	projection projections.Projection
	view       console.Inbox
}

// newInbox builds the worker inbox projection; replaced at the merge.
func newInbox(t testing.TB, b *testbed.Bed) inboxParts { return inboxParts{} }
