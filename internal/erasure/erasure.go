// Package erasure crypto-shreds clients: the one erasure (the client's
// data key destroyed, then client.erased recorded) that `helpline clients
// erase` and the retention job both run, and the retention rule: a
// client is due once every conversation of theirs has been closed longer
// than its line's retention period. Figures stay: the managers'
// projection holds no personal data.
package erasure

import (
	"context"
	"fmt"
	"time"

	"github.com/helpline-org/helpline/events"
)

// ReasonRetention is the reason recorded for a client erased because
// their line's retention period ran out.
const ReasonRetention = "retention"

// Keys is what erasure needs of the keyring (*keyring.Keyring).
type Keys interface {
	// Erase destroys the client's data key; erasing again succeeds.
	Erase(ctx context.Context, clientID string) error
}

// Eraser erases clients.
type Eraser struct {
	keys    Keys
	clients *events.Clients
	now     func() time.Time
}

// NewEraser returns an Eraser over the keyring and the client repository;
// now stamps the events it records.
func NewEraser(keys Keys, clients *events.Clients, now func() time.Time) *Eraser {
	return &Eraser{keys: keys, clients: clients, now: now}
}

// Erase destroys the client's data key, then records client.erased (by
// whom, why). The key goes first: once it is gone the client's content is
// unreadable whatever happens next, and each step is safe to repeat after
// an error (erasing an erased client records nothing).
func (e *Eraser) Erase(ctx context.Context, clientID, by, reason string) error {
	if err := e.keys.Erase(ctx, clientID); err != nil {
		return fmt.Errorf("erase key of %s: %w", clientID, err)
	}
	if _, err := e.clients.Update(ctx, clientID, func(c *events.Client) error {
		return c.Erase(by, reason, events.Meta{OccurredAt: e.now()})
	}); err != nil {
		return fmt.Errorf("record erasure of %s: %w", clientID, err)
	}
	return nil
}
