package ingestion

import (
	"context"

	"github.com/helpline-org/helpline/internal/keyring"
)

// KeyringIdentities derives client ids and pseudonyms with the keyring: a
// keyed hash of line and number (a fresh one after the client was erased).
type KeyringIdentities struct {
	Keys   *keyring.Keyring
	Pseudo *keyring.Pseudonymizer
}

var _ Identities = KeyringIdentities{}

// ClientID returns the client's current id.
func (k KeyringIdentities) ClientID(ctx context.Context, lineID, e164 string) (string, error) {
	return k.Keys.ActiveClientID(ctx, k.Pseudo, lineID, e164)
}

// Pseudonym returns what staff see: "C-" and six characters.
func (k KeyringIdentities) Pseudonym(clientID string) string {
	return k.Pseudo.Display(clientID, keyring.DefaultDisplayLen)
}
