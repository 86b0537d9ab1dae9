package natsauth

import (
	"testing"

	"github.com/helpline-org/helpline/projections/accounts"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/projections/responsetimes"
	"github.com/helpline-org/helpline/services/console/auth"
	"github.com/helpline-org/helpline/services/ingestion"
	"github.com/helpline-org/helpline/services/notification"
)

// TestBucketNamesMatchTheirOwners: the matrix names buckets and durable
// consumers as the code that declares them does.
func TestBucketNamesMatchTheirOwners(t *testing.T) {
	for _, c := range []struct{ matrix, code string }{
		{bucketIngestionIndex, ingestion.IndexBucket},
		{bucketIngestionMessages, ingestion.MessageBucket},
		{bucketChatSessions, ingestion.ChatSessionBucket},
		{bucketConsoleSessions, auth.SessionBucket},
		{durableResponseTimes, responsetimes.Name},
		{durableEscalations, escalations.Name},
		{durableInbox, inbox.Name},
		{durableAccounts, accounts.Name},
		{durableNotification, notification.BridgeConsumer},
		{durablePages, notification.PagerConsumer},
	} {
		if c.matrix != c.code {
			t.Errorf("the matrix says %q, the code %q", c.matrix, c.code)
		}
	}
}
