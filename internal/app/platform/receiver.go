package platform

import (
	"context"
	"time"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/services/ingestion"
)

// Receiver builds ingestion's receiver on the platform, for the lines of
// file: what the SMS webhook brings messages in through, and test beds
// with it.
func (p *Platform) Receiver(ctx context.Context, file *config.File, now func() time.Time) (*ingestion.Receiver, error) {
	keys, pseudo, err := p.Keys(ctx)
	if err != nil {
		return nil, err
	}
	index, err := ingestion.NewKVIndex(ctx, p.JS, p.Env.Replicas)
	if err != nil {
		return nil, err
	}
	ids := ingestion.KeyringIdentities{Keys: keys, Pseudo: pseudo}
	// Staff work phones are known by their keyed hash only; the pages they
	// were sent come from the log (the receiver's Specs).
	duty := ingestion.NewDuty(file.Staff, pseudo.StaffPhone, p.Store, now, p.Log)
	return ingestion.NewReceiver(file, ids, keys, p.Store, p.Conversations(), index, duty, now, p.Log), nil
}
