package accounts

import (
	"context"
	"slices"
	"strings"

	"github.com/helpline-org/helpline/projections"
)

// MemoryStore is the embedded default Store: a map under a
// projections.MemoryShell, which holds it behind one lock.
type MemoryStore struct {
	projections.MemoryShell[Tx, Snapshot, *Snapshot] // Checkpoint, Update, UpdateBatch, Reset, Export, Import
	accounts                                         map[string]Account
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	s := &MemoryStore{}
	s.Init(projections.MemoryHooks[Tx, Snapshot]{Begin: s.begin, Clear: s.clear, Export: s.export, Import: s.load})
	return s
}

func (s *MemoryStore) clear() { s.accounts = map[string]Account{} }

// begin stages one update's writes, to commit with the checkpoint.
func (s *MemoryStore) begin() (Tx, func()) {
	tx := memTx{projections.Stage(s.accounts)}
	return tx, tx.accounts.Commit
}

func (s *MemoryStore) export() Snapshot { return Snapshot{Accounts: s.sorted()} }

func (s *MemoryStore) load(snap Snapshot) {
	for _, a := range snap.Accounts {
		s.accounts[a.ID] = clone(a)
	}
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, id string) (Account, error) {
	s.RLock()
	defer s.RUnlock()
	a, ok := s.accounts[id]
	return projections.One(clone(a), ok, nil, "account", id, ErrNotFound)
}

// List implements Store.
func (s *MemoryStore) List(context.Context) ([]Account, error) {
	s.RLock()
	defer s.RUnlock()
	return s.sorted(), nil
}

// sorted copies every account, by id (nil for none); the caller holds a
// lock.
func (s *MemoryStore) sorted() []Account {
	var out []Account
	for _, a := range s.accounts {
		out = append(out, clone(a))
	}
	slices.SortFunc(out, func(a, b Account) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// memTx stages one update's writes.
type memTx struct {
	accounts *projections.Staged[string, Account]
}

func (t memTx) Account(_ context.Context, id string) (Account, bool, error) {
	a, ok, err := t.accounts.Get(id)
	return clone(a), ok, err
}

func (t memTx) PutAccount(_ context.Context, a Account) error { return t.accounts.Put(a.ID, clone(a)) }
