// Package inbox is a TEMPORARY stand-in with the agreed API of the worker
// inbox projection (branch inbox), so the console compiles before the
// merge. It is deleted before `git merge inbox`.
package inbox

import (
	"context"
	"errors"
	"time"

	"github.com/helpline-org/helpline/events"
)

var ErrNotFound = errors.New("conversation not found")

type Conversation struct {
	ID, LineID, Pseudonym, Channel, ClientID, TeamID, AssigneeID string
	Open                                                         bool
	StartedAt, LastActivityAt, ClosedAt                          time.Time
	Unread                                                       int
	Risk                                                         string
	Flags                                                        []string
	Categories, Terms                                            []string
	Consent                                                      string
	Erased                                                       bool
}

type Message struct {
	ID, EventID, Direction string
	At                     time.Time
	StaffID, SenderName    string
	Body                   events.Sealed
	Status, Reason, Risk   string
	Terms                  []string
}

type Cursor struct {
	LastActivityAt time.Time
	ID             string
}

type Query struct {
	LineIDs                   []string
	TeamID, AssigneeID        string
	Unassigned, IncludeClosed bool
	After                     Cursor
	Limit                     int
}

type Opener interface {
	Open(ctx context.Context, clientID string, ciphertext, aad []byte) ([]byte, error)
}

func Open(ctx context.Context, o Opener, c Conversation, m Message) (string, error) {
	b, err := o.Open(ctx, c.ClientID, m.Body.Data, events.BodyAAD(m.EventID))
	return string(b), err
}
