package accounts

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/helpline-org/helpline/projections"
)

// SQLStore is the Store on PostgreSQL or CockroachDB: the accounts schema
// of deploy/migrations under a projections.SQLShell.
type SQLStore struct {
	projections.SQLShell[Tx, Snapshot, *Snapshot]
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore returns a store over pool; the caller owns the pool.
func NewSQLStore(pool *pgxpool.Pool) *SQLStore {
	return &SQLStore{projections.NewSQLShell[Tx, Snapshot](pool, projections.SQLHooks[Tx, Snapshot]{
		Wrap: func(tx pgx.Tx) Tx { return sqlTx{tx} }, Tables: tables, Export: export, Rows: rows})}
}

const columns = `staff_id, name, roles, disabled, password_hash`

// tables are the projection's one table.
var tables = []projections.Table{{Name: pgx.Identifier{"accounts", "accounts"}, Columns: strings.Fields(strings.ReplaceAll(columns, ",", " "))}}

// export reads every account.
func export(ctx context.Context, tx pgx.Tx) (Snapshot, error) {
	all, err := list(ctx, tx)
	return Snapshot{Accounts: all}, err
}

// rows are the rows that hold snap.
func rows(snap Snapshot) [][][]any {
	out := make([][]any, 0, len(snap.Accounts))
	for _, a := range snap.Accounts {
		out = append(out, []any{a.ID, a.Name, projections.NotNullList(a.Roles), a.Disabled, a.PasswordHash})
	}
	return [][][]any{out}
}

// Get implements Store.
func (s *SQLStore) Get(ctx context.Context, id string) (Account, error) {
	a, ok, err := get(ctx, s.Pool(), id)
	return projections.One(a, ok, err, "account", id, ErrNotFound)
}

// List implements Store.
func (s *SQLStore) List(ctx context.Context) ([]Account, error) { return list(ctx, s.Pool()) }

func get(ctx context.Context, q projections.Querier, id string) (Account, bool, error) {
	var a Account
	ok, err := projections.Found(q.QueryRow(ctx, `SELECT `+columns+` FROM accounts.accounts WHERE staff_id = $1`, id).
		Scan(&a.ID, &a.Name, &a.Roles, &a.Disabled, &a.PasswordHash), "account "+id)
	return clone(a), ok, err
}

func list(ctx context.Context, q projections.Querier) ([]Account, error) {
	return projections.QueryAll(ctx, q, "read accounts", func(r pgx.CollectableRow) (Account, error) {
		var a Account
		err := r.Scan(&a.ID, &a.Name, &a.Roles, &a.Disabled, &a.PasswordHash)
		return clone(a), err
	}, `SELECT `+columns+` FROM accounts.accounts ORDER BY staff_id`)
}

// sqlTx is Tx inside one database transaction.
type sqlTx struct{ tx pgx.Tx }

func (t sqlTx) Account(ctx context.Context, id string) (Account, bool, error) {
	return get(ctx, t.tx, id)
}

func (t sqlTx) PutAccount(ctx context.Context, a Account) error {
	return projections.Exec(ctx, t.tx, "write account "+a.ID, `INSERT INTO accounts.accounts (`+columns+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (staff_id) DO UPDATE SET name = excluded.name, roles = excluded.roles, disabled = excluded.disabled,
			password_hash = excluded.password_hash`,
		a.ID, a.Name, projections.NotNullList(a.Roles), a.Disabled, a.PasswordHash)
}
