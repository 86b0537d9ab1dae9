package projections

import (
	"context"
	"fmt"

	"github.com/helpline-org/helpline/events"
)

// BatchUpdate is a store's UpdateBatch: fn runs in one transaction with
// the checkpoint as read inside it, and the checkpoint becomes seq.
type BatchUpdate[Tx any] func(ctx context.Context, name string, seq uint64, fn func(tx Tx, checkpoint uint64) error) (applied bool, err error)

// ApplyBatch is every projection's Batcher.ApplyBatch: it decodes the
// events of es that relevant lists and, in one transaction of update
// under name, applies with apply those after the checkpoint read inside
// it, in log order. It returns how many it applied. A batch with nothing
// relevant opens no transaction.
func ApplyBatch[Tx any](ctx context.Context, es []events.Envelope, relevant map[string]bool, name string, update BatchUpdate[Tx],
	apply func(ctx context.Context, tx Tx, e events.Envelope, p events.Payload) error) (int, error) {
	batch, err := DecodeRelevant(es, relevant)
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	n := 0
	_, err = update(ctx, name, batch[len(batch)-1].Sequence, func(tx Tx, cp uint64) error {
		n = 0 // a retried transaction starts again
		for _, d := range batch {
			if d.Sequence <= cp {
				continue
			}
			if err := apply(ctx, tx, d.Envelope, d.Payload); err != nil {
				return fmt.Errorf("seq %d (%s): %w", d.Sequence, d.Type, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
