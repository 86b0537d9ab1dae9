package inbox

import (
	"context"
	"fmt"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/keyring"
)

// Opener decrypts content sealed with one client's data key: it is
// implemented by *keyring.Keyring.
type Opener interface {
	Open(ctx context.Context, clientID string, ciphertext, aad []byte) ([]byte, error)
}

var _ Opener = (*keyring.Keyring)(nil)

// Open decrypts one message's body for a reader the caller has already
// authorised (and audited: every reading of content is an audit event).
// The plaintext lives only in the returned string; nothing is stored or
// logged. The body is opened with the conversation's client key and the
// additional data it was sealed with, events.BodyAAD of the event that
// carried it, exactly as ingestion and the SMS bridge seal and open it.
//
// It returns keyring.ErrErased (wrapped) for an erased client, ErrNoBody
// for a message without a body (an auto-reply), and the keyring's error
// (wrapped) when the body does not open.
func Open(ctx context.Context, o Opener, c Conversation, m Message) (string, error) {
	if c.Erased {
		return "", fmt.Errorf("conversation %s: %w", c.ID, keyring.ErrErased)
	}
	if len(m.Body.Data) == 0 {
		return "", fmt.Errorf("message %s: %w", m.ID, ErrNoBody)
	}
	if m.Body.KeyID != "" && m.Body.KeyID != c.ClientID {
		// Sealed with another client's key: not this conversation's.
		return "", fmt.Errorf("message %s is sealed for another client: %w", m.ID, keyring.ErrDecrypt)
	}
	plain, err := o.Open(ctx, c.ClientID, m.Body.Data, events.BodyAAD(m.EventID))
	if err != nil {
		return "", fmt.Errorf("open message %s: %w", m.ID, err)
	}
	return string(plain), nil
}
