package escalations

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/helpline-org/helpline/projections"
)

// SQLStore is the Store on PostgreSQL or CockroachDB: the escalations schema
// of deploy/migrations under a projections.SQLShell.
type SQLStore struct {
	projections.SQLShell[Tx, Snapshot, *Snapshot]
}

// NewSQLStore returns a store over pool; the caller owns the pool.
func NewSQLStore(pool *pgxpool.Pool) *SQLStore {
	return &SQLStore{projections.NewSQLShell[Tx, Snapshot](pool, projections.SQLHooks[Tx, Snapshot]{
		Wrap: func(tx pgx.Tx) Tx { return sqlTx{tx} }, Tables: tables, Export: export, Rows: rows})}
}

// tables are the queue's tables.
var tables = []projections.Table{
	{Name: pgx.Identifier{"escalations", "queue"}, Columns: strings.Fields(strings.ReplaceAll(escalationColumns, ",", " "))},
	{Name: pgx.Identifier{"escalations", "pages"}, Columns: []string{"escalation_id", "seq", "staff_id", "policy_level", "level_name", "policy_round", "paged_at",
		"channel", "provider_id", "delivery", "error_code"}},
	{Name: pgx.Identifier{"escalations", "conversations"}, Columns: strings.Fields(strings.ReplaceAll(conversationColumns, ",", " "))},
}

// export reads every table but the checkpoint.
func export(ctx context.Context, tx pgx.Tx) (Snapshot, error) {
	var (
		snap Snapshot
		err  error
		id   string
		c    Conversation
	)
	if snap.Escalations, err = projections.QueryAll(ctx, tx, "read escalations", collectEscalation,
		`SELECT `+escalationColumns+` FROM escalations.queue ORDER BY escalation_id`); err != nil {
		return Snapshot{}, err
	}
	if err := allPages(ctx, tx, snap.Escalations); err != nil {
		return Snapshot{}, err
	}
	err = projections.QueryEach(ctx, tx, "read conversations", []any{&id, &c.LineID, &c.Pseudonym, &c.ClientID, &c.Erased},
		func() error { projections.SetIn(&snap.Conversations, id, c); return nil },
		`SELECT `+conversationColumns+` FROM escalations.conversations`)
	return snap, err
}

// allPages reads every page, in one scan, onto es (sorted by id).
func allPages(ctx context.Context, tx pgx.Tx, es []Escalation) error {
	return readPages(ctx, tx, es, ``)
}

// readPages reads the pages that where selects onto those of es they
// belong to, in log order.
func readPages(ctx context.Context, q projections.Querier, es []Escalation, where string, args ...any) error {
	byID := make(map[string]*Escalation, len(es))
	for i := range es {
		byID[es[i].ID] = &es[i]
	}
	var (
		id           string
		p            Page
		level, round int32
		code         int32
	)
	return projections.QueryEach(ctx, q, "read pages", []any{&id, &p.StaffID, &level, &p.LevelName, &round, &p.At,
		&p.Channel, &p.ProviderID, &p.Delivery, &code}, func() error {
		p.Level, p.Round, p.At, p.ErrorCode = int(level), int(round), p.At.UTC(), int(code)
		if e := byID[id]; e != nil {
			e.Pages = append(e.Pages, p)
		}
		return nil
	}, `SELECT escalation_id, staff_id, policy_level, level_name, policy_round, paged_at, channel, provider_id, delivery, error_code
		FROM escalations.pages `+where+` ORDER BY escalation_id, seq`, args...)
}

// rows are the rows of each of tables that hold snap.
//
// A page's seq column is its event's stream sequence when applied live;
// an imported page gets its place among the escalation's pages (1, 2, ...)
// instead, since a snapshot keeps the order, not the sequences. Pages
// applied after the import have stream sequences above the checkpoint,
// which is at least the number of events ever applied, so they still sort
// after the imported ones and never collide with them.
func rows(snap Snapshot) [][][]any {
	var queue, pages, convs [][]any
	for _, e := range snap.Escalations {
		queue = append(queue, escalationRow(e))
		for i, p := range e.Pages {
			pages = append(pages, []any{e.ID, int64(i + 1), p.StaffID, int32(p.Level), p.LevelName, int32(p.Round), p.At.UTC(),
				p.Channel, p.ProviderID, p.Delivery, int32(p.ErrorCode)})
		}
	}
	for id, c := range snap.Conversations {
		convs = append(convs, []any{id, c.LineID, c.Pseudonym, c.ClientID, c.Erased})
	}
	return [][][]any{queue, pages, convs}
}

const (
	escalationColumns = `escalation_id, conversation_id, line_id, pseudonym, reason, risk, categories,
	message_id, terms_key_id, terms, policy_level, policy_round, raised_at, acknowledged_by, acknowledged_at, exhausted, client_id, terms_erased`
	conversationColumns = `conversation_id, line_id, pseudonym, client_id, erased`
)

// escalationRow is e's values in the order of escalationColumns (its
// pages apart).
func escalationRow(e Escalation) []any {
	var ackBy *string
	if e.AcknowledgedBy != "" {
		ackBy = &e.AcknowledgedBy
	}
	return []any{e.ID, e.ConversationID, e.LineID, e.Pseudonym, e.Reason, e.Risk, projections.NotNullList(e.Categories),
		e.MessageID, e.Terms.KeyID, projections.SealedBytes(e.Terms), int32(e.Level), int32(e.Round), e.RaisedAt.UTC(), ackBy,
		projections.NullTime(e.AcknowledgedAt), e.Exhausted, e.ClientID, e.TermsErased}
}

// collectEscalation is scanEscalation for a list of rows.
func collectEscalation(r pgx.CollectableRow) (Escalation, error) { return scanEscalation(r) }

// scanEscalation reads one row of escalationColumns.
func scanEscalation(row pgx.Row) (Escalation, error) {
	var (
		e      Escalation
		level  int32
		round  int32
		ackBy  *string
		ackAt  *time.Time
		raised time.Time
		cats   []string
	)
	if err := row.Scan(&e.ID, &e.ConversationID, &e.LineID, &e.Pseudonym, &e.Reason, &e.Risk, &cats,
		&e.MessageID, &e.Terms.KeyID, &e.Terms.Data, &level, &round, &raised, &ackBy, &ackAt, &e.Exhausted, &e.ClientID, &e.TermsErased); err != nil {
		return Escalation{}, err
	}
	e.Categories, e.Terms = projections.NonEmpty(cats), projections.SealedCopy(e.Terms)
	e.Level, e.Round, e.RaisedAt = int(level), int(round), raised.UTC()
	if ackBy != nil {
		e.AcknowledgedBy = *ackBy
	}
	if ackAt != nil {
		e.AcknowledgedAt = ackAt.UTC()
	}
	return e, nil
}

// withPages reads the pages of es (in place), in log order.
func withPages(ctx context.Context, q projections.Querier, es []Escalation) error {
	if len(es) == 0 {
		return nil
	}
	ids := make([]string, len(es))
	for i := range es {
		ids[i] = es[i].ID
	}
	return readPages(ctx, q, es, `WHERE escalation_id = ANY($1)`, ids)
}

// getIn reads one escalation with its pages.
func getIn(ctx context.Context, q projections.Querier, id string) (Escalation, bool, error) {
	e, err := scanEscalation(q.QueryRow(ctx, `SELECT `+escalationColumns+` FROM escalations.queue WHERE escalation_id = $1`, id))
	if ok, err := projections.Found(err, "escalation "+id); !ok {
		return Escalation{}, false, err
	}
	es := []Escalation{e}
	if err := withPages(ctx, q, es); err != nil {
		return Escalation{}, false, err
	}
	return es[0], true, nil
}

// Open implements Store.
func (s *SQLStore) Open(ctx context.Context, lineIDs []string, limit int, after Cursor) ([]Escalation, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("limit %d: want at least 1", limit)
	}
	if len(lineIDs) == 0 {
		return nil, nil
	}
	q := `SELECT ` + escalationColumns + ` FROM escalations.queue
		WHERE acknowledged_at IS NULL AND NOT exhausted AND line_id = ANY($1)`
	args := []any{lineIDs, limit}
	if !after.IsZero() {
		q += ` AND (raised_at, escalation_id) > ($3, $4)`
		args = append(args, after.At.UTC(), after.ID)
	}
	q += ` ORDER BY raised_at, escalation_id LIMIT $2`
	out, err := projections.QueryAll(ctx, s.Pool(), "read open escalations", collectEscalation, q, args...)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	if err := withPages(ctx, s.Pool(), out); err != nil {
		return nil, err
	}
	return out, nil
}

// Get implements Store.
func (s *SQLStore) Get(ctx context.Context, id string) (Escalation, error) {
	e, ok, err := getIn(ctx, s.Pool(), id)
	return projections.One(e, ok, err, "escalation", id, ErrNotFound)
}

var _ Store = (*SQLStore)(nil)

// sqlTx is Tx inside one database transaction.
type sqlTx struct{ tx pgx.Tx }

func (t sqlTx) Conversation(ctx context.Context, id string) (Conversation, bool, error) {
	var c Conversation
	ok, err := projections.Found(t.tx.QueryRow(ctx, `SELECT line_id, pseudonym, client_id, erased FROM escalations.conversations WHERE conversation_id = $1`, id).
		Scan(&c.LineID, &c.Pseudonym, &c.ClientID, &c.Erased), "conversation")
	return c, ok, err
}

func (t sqlTx) PutConversation(ctx context.Context, id string, c Conversation) error {
	return projections.Exec(ctx, t.tx, "write conversation", `INSERT INTO escalations.conversations (`+conversationColumns+`)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (conversation_id) DO UPDATE SET line_id = excluded.line_id, pseudonym = excluded.pseudonym,
			client_id = excluded.client_id, erased = excluded.erased`,
		id, c.LineID, c.Pseudonym, c.ClientID, c.Erased)
}

func (t sqlTx) DeleteConversation(ctx context.Context, id string) error {
	return projections.Exec(ctx, t.tx, "delete conversation", `DELETE FROM escalations.conversations WHERE conversation_id = $1`, id)
}

func (t sqlTx) Escalation(ctx context.Context, id string) (Escalation, bool, error) {
	return getIn(ctx, t.tx, id)
}

func (t sqlTx) PutEscalation(ctx context.Context, e Escalation) error {
	return projections.Exec(ctx, t.tx, "write escalation "+e.ID, `INSERT INTO escalations.queue (`+escalationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
		ON CONFLICT (escalation_id) DO UPDATE SET conversation_id = excluded.conversation_id, line_id = excluded.line_id,
			pseudonym = excluded.pseudonym, reason = excluded.reason, risk = excluded.risk, categories = excluded.categories,
			message_id = excluded.message_id, terms_key_id = excluded.terms_key_id, terms = excluded.terms, policy_level = excluded.policy_level, policy_round = excluded.policy_round,
			raised_at = excluded.raised_at, acknowledged_by = excluded.acknowledged_by,
			acknowledged_at = excluded.acknowledged_at, exhausted = excluded.exhausted,
			client_id = excluded.client_id, terms_erased = excluded.terms_erased`,
		escalationRow(e)...)
}

func (t sqlTx) AddPage(ctx context.Context, id string, seq uint64, p Page) error {
	return projections.Exec(ctx, t.tx, "add page to "+id, `INSERT INTO escalations.pages
		(escalation_id, seq, staff_id, policy_level, level_name, policy_round, paged_at, channel, provider_id, delivery, error_code)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (escalation_id, seq) DO NOTHING`,
		id, int64(seq), p.StaffID, int32(p.Level), p.LevelName, int32(p.Round), p.At.UTC(), p.Channel, p.ProviderID, p.Delivery, int32(p.ErrorCode))
}

// SetDelivery moves the page forward only: the states it may move from
// are those ranked below state.
func (t sqlTx) SetDelivery(ctx context.Context, sid, state string, code int) error {
	var from []string
	for s := range deliveryRank {
		if moves(s, state) {
			from = append(from, s)
		}
	}
	return projections.Exec(ctx, t.tx, "set page delivery", `UPDATE escalations.pages SET delivery = $2, error_code = $3
		WHERE provider_id = $1 AND provider_id <> '' AND delivery = ANY($4)`, sid, state, int32(code), from)
}

// EraseClient clears the client's sealed terms (key id and ciphertext)
// and marks the client's open conversations erased.
func (t sqlTx) EraseClient(ctx context.Context, clientID string) error {
	if clientID == "" {
		return nil
	}
	if err := projections.Exec(ctx, t.tx, "erase client's terms", `UPDATE escalations.queue SET terms_key_id = '', terms = NULL, terms_erased = true
		WHERE client_id = $1 AND length(terms) > 0`, clientID); err != nil {
		return err
	}
	return projections.Exec(ctx, t.tx, "mark client's conversations erased", `UPDATE escalations.conversations SET erased = true
		WHERE client_id = $1`, clientID)
}
