package keyring

import (
	"context"
	"errors"
	"fmt"
)

// maxGenerations bounds how many times one number can be erased and come
// back on one line.
const maxGenerations = 64

// ActiveClientID returns the id under which a message from e164 to line
// lineID should be recorded now: the client's first identity generation that
// has not been erased (generation 0 for almost everyone).
//
// This is the one explicit way to "start a fresh identity". Erasure is
// permanent for a client id: DataKey and Seal refuse an erased id with
// ErrErased and never re-create its key, so the erased conversation stays
// unreadable and a new one can never be mistaken for its continuation. But
// a crisis line must not turn away someone who asked to be forgotten and
// texts again; ingestion calls this function, and that person becomes a new
// client (new aggregate, new key, new display label) with no link to the old
// records in any projection.
//
// The limit of deterministic pseudonyms: whoever holds the master key and a
// phone number can still compute the erased id and find its events'
// metadata (times, assignment, triage flags) in the log, though not their
// content. Unlinking that too would need random ids and an encrypted
// number-to-id table.
func (k *Keyring) ActiveClientID(ctx context.Context, p *Pseudonymizer, lineID, e164 string) (string, error) {
	for gen := range uint32(maxGenerations) {
		id := p.ClientIDGeneration(lineID, e164, gen)
		_, _, err := k.lookup(ctx, id, false, false)
		switch {
		case err == nil, errors.Is(err, ErrNoKey):
			return id, nil
		case !errors.Is(err, ErrErased):
			return "", err
		}
	}
	return "", fmt.Errorf("client on line %s: more than %d erased identities", lineID, maxGenerations)
}
