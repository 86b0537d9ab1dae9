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

// ErasedClientIDs returns the generations of the number's id before
// current: ActiveClientID passed over them because each was erased.
func (k KeyringIdentities) ErasedClientIDs(lineID, e164, current string) []string {
	var out []string
	for gen := uint32(0); ; gen++ {
		id := k.Pseudo.ClientIDGeneration(lineID, e164, gen)
		if id == current || gen >= 64 { // current came from ActiveClientID, which stops at 64
			return out
		}
		out = append(out, id)
	}
}

// Pseudonym returns what staff see: "C-" and six characters.
func (k KeyringIdentities) Pseudonym(clientID string) string {
	return k.Pseudo.Display(clientID, keyring.DefaultDisplayLen)
}
