package inbox

import (
	"context"
	"encoding/json"
	"errors"
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

// OpenTerms opens the sealed list of terms triage matched in a message
// (events.TermsAAD of messageID), for a reader the caller has already
// authorised and audits. An empty sealed field opens to no terms. It
// returns keyring.ErrErased or keyring.ErrNoKey (wrapped) once the
// client's key is gone: the words were erased with the client.
func OpenTerms(ctx context.Context, o Opener, messageID string, s events.Sealed) ([]string, error) {
	if s.Empty() {
		return nil, nil
	}
	plain, err := o.Open(ctx, s.KeyID, s.Data, events.TermsAAD(messageID))
	if err != nil {
		return nil, fmt.Errorf("open terms of message %s: %w", messageID, err)
	}
	var terms []string
	if err := json.Unmarshal(plain, &terms); err != nil {
		return nil, fmt.Errorf("terms of message %s: %w", messageID, err)
	}
	return terms, nil
}

// Erased reports whether err says a client's key is gone (erased, or
// never there): what was sealed with it can no longer be read.
func Erased(err error) bool {
	return errors.Is(err, keyring.ErrErased) || errors.Is(err, keyring.ErrNoKey)
}
