package kv

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/natstest"
)

// lostAnswers is a bucket whose first write of each kind lands but whose
// answer is lost, as when the NATS node a process is connected to dies.
type lostAnswers struct {
	jetstream.KeyValue
	lost map[string]bool
}

func (l *lostAnswers) lose(op string, err error) error {
	if err == nil && !l.lost[op] {
		l.lost[op] = true
		return nats.ErrTimeout
	}
	return err
}

func (l *lostAnswers) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	rev, err := l.KeyValue.Create(ctx, key, value, opts...)
	return rev, l.lose("create", err)
}

func (l *lostAnswers) Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error {
	return l.lose("delete", l.KeyValue.Delete(ctx, key, opts...))
}

// TestRetriedWriteThatLandedSucceeds: a conditional write retried after a
// lost answer finds its own first try, not a conflict.
func TestRetriedWriteThatLandedSucceeds(t *testing.T) {
	t.Parallel()
	js := natstest.JetStream(t)
	ctx := context.Background()
	b, err := Open(ctx, js, jetstream.KeyValueConfig{Bucket: "kv_lost"})
	if err != nil {
		t.Fatal(err)
	}
	b.kv = &lostAnswers{KeyValue: b.kv, lost: map[string]bool{}}
	rev, err := b.Create(ctx, "k", []byte("mine"))
	if err != nil {
		t.Fatalf("create whose first answer was lost: %v", err)
	}
	if _, err := b.Create(ctx, "k", []byte("theirs")); !errors.Is(err, ErrExists) {
		t.Fatalf("a second create: %v, want ErrExists", err)
	}
	if err := b.Delete(ctx, "k", rev); err != nil {
		t.Fatalf("conditional delete whose first answer was lost: %v", err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after the delete: %v", err)
	}
}
