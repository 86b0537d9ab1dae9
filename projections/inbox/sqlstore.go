package inbox

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/helpline-org/helpline/projections"
)

// SQLStore is the Store on PostgreSQL or CockroachDB: the inbox schema
// of deploy/migrations under a projections.SQLShell.
type SQLStore struct {
	projections.SQLShell[Tx, Snapshot, *Snapshot]
}

// NewSQLStore returns a store over pool; the caller owns the pool.
func NewSQLStore(pool *pgxpool.Pool) *SQLStore {
	return &SQLStore{projections.NewSQLShell[Tx, Snapshot](pool, projections.SQLHooks[Tx, Snapshot]{
		Wrap: func(tx pgx.Tx) Tx { return sqlTx{tx} }, Tables: tables, Export: export, Rows: rows})}
}

// tables are the inbox's tables.
var tables = []projections.Table{
	{Name: pgx.Identifier{"inbox", "conversations"}, Columns: columns(conversationColumns)},
	{Name: pgx.Identifier{"inbox", "messages"}, Columns: append([]string{"conversation_id", "position"}, columns(messageColumns)...)},
	{Name: pgx.Identifier{"inbox", "clients"}, Columns: []string{"client_id", "consent", "erased", "client_flags"}},
	{Name: pgx.Identifier{"inbox", "deliveries"}, Columns: []string{"conversation_id", "provider_message_id", "status", "reason"}},
}

// export reads every table but the checkpoint.
func export(ctx context.Context, tx pgx.Tx) (Snapshot, error) {
	var (
		snap         Snapshot
		err          error
		id, provider string
		cl           Client
		clFlags      []string
		d            Delivery
	)
	if snap.Conversations, err = projections.QueryAll(ctx, tx, "read conversations", collectConversation,
		`SELECT `+conversationColumns+` FROM inbox.conversations ORDER BY conversation_id`); err != nil {
		return Snapshot{}, err
	}
	if snap.Messages, err = allMessages(ctx, tx); err != nil {
		return Snapshot{}, err
	}
	if err := projections.QueryEach(ctx, tx, "read clients", []any{&id, &cl.Consent, &cl.Erased, &clFlags},
		func() error {
			cl.Flags, err = decodeClientFlags(clFlags)
			projections.SetIn(&snap.Clients, id, cl)
			return err
		},
		`SELECT client_id, consent, erased, client_flags FROM inbox.clients`); err != nil {
		return Snapshot{}, err
	}
	err = projections.QueryEach(ctx, tx, "read deliveries", []any{&id, &provider, &d.Status, &d.Reason}, func() error {
		byProvider := snap.Deliveries[id]
		projections.SetIn(&byProvider, provider, d)
		projections.SetIn(&snap.Deliveries, id, byProvider)
		return nil
	}, `SELECT conversation_id, provider_message_id, status, reason FROM inbox.deliveries`)
	return snap, err
}

// allMessages reads every message, in one scan, by conversation, in log
// order; nil when there are none.
func allMessages(ctx context.Context, tx pgx.Tx) (map[string][]Message, error) {
	var out map[string][]Message
	_, err := projections.QueryAll(ctx, tx, "read messages", func(r pgx.CollectableRow) (struct{}, error) {
		var conv string
		m, err := scanMessage(r, &conv)
		if err == nil {
			projections.SetIn(&out, conv, append(out[conv], m))
		}
		return struct{}{}, err
	}, `SELECT conversation_id, `+messageColumns+` FROM inbox.messages ORDER BY conversation_id, position`)
	return out, err
}

// rows are the rows of each of tables that hold snap. A message's
// position is its place in the snapshot's list (1, 2, ...); messages
// written after the import take the next ones.
func rows(snap Snapshot) [][][]any {
	var convs, msgs, clients, deliveries [][]any
	for _, c := range snap.Conversations {
		convs = append(convs, []any{c.ID, c.LineID, c.ClientID, c.Pseudonym, c.Channel, c.TeamID, c.AssigneeID, c.Open,
			c.StartedAt.UTC(), c.LastActivityAt.UTC(), projections.NullTime(c.ClosedAt), int32(c.Unread), c.Risk,
			projections.NotNullList(c.Flags), projections.NotNullList(c.Categories), c.Consent, c.Erased,
			encodeClientFlags(c.ClientFlags), int64(c.LastInboundSeq), c.Outcome})
	}
	for conv, ms := range snap.Messages {
		for i, m := range ms {
			msgs = append(msgs, []any{conv, int64(i + 1), m.ID, m.EventID, m.Direction, m.Kind, m.At.UTC(), m.StaffID, m.SenderName,
				m.Body.KeyID, projections.SealedBytes(m.Body), m.Status, m.Reason, m.Risk, m.Terms.KeyID, projections.SealedBytes(m.Terms), m.ProviderMessageID})
		}
	}
	for id, cl := range snap.Clients {
		clients = append(clients, []any{id, cl.Consent, cl.Erased, encodeClientFlags(cl.Flags)})
	}
	for conv, ds := range snap.Deliveries {
		for provider, d := range ds {
			deliveries = append(deliveries, []any{conv, provider, d.Status, d.Reason})
		}
	}
	return [][][]any{convs, msgs, clients, deliveries}
}

// columns splits a comma-separated column list.
func columns(list string) []string { return strings.Fields(strings.ReplaceAll(list, ",", " ")) }

const conversationColumns = `conversation_id, line_id, client_id, pseudonym, channel, team_id, assignee_id, is_open,
	started_at, last_activity_at, closed_at, unread, risk, flags, categories, consent, erased, client_flags,
	last_inbound_seq, outcome`

// collectConversation is scanConversation for a list of rows.
func collectConversation(r pgx.CollectableRow) (Conversation, error) { return scanConversation(r) }

// scanConversation reads one row of conversationColumns.
func scanConversation(row pgx.Row) (Conversation, error) {
	var (
		c             Conversation
		started, last time.Time
		closed        *time.Time
		unread        int32
		flags, cats   []string
		clientFlags   []string
		inbound       int64
	)
	if err := row.Scan(&c.ID, &c.LineID, &c.ClientID, &c.Pseudonym, &c.Channel, &c.TeamID, &c.AssigneeID, &c.Open,
		&started, &last, &closed, &unread, &c.Risk, &flags, &cats, &c.Consent, &c.Erased, &clientFlags, &inbound, &c.Outcome); err != nil {
		return Conversation{}, err
	}
	cf, err := decodeClientFlags(clientFlags)
	if err != nil {
		return Conversation{}, err
	}
	c.ClientFlags = cf
	c.LastInboundSeq = uint64(inbound)
	c.StartedAt, c.LastActivityAt, c.Unread = started.UTC(), last.UTC(), int(unread)
	if closed != nil {
		c.ClosedAt = closed.UTC()
	}
	c.Flags, c.Categories = projections.NonEmpty(flags), projections.NonEmpty(cats)
	return c, nil
}

func conversationIn(ctx context.Context, q projections.Querier, id string) (Conversation, bool, error) {
	c, err := scanConversation(q.QueryRow(ctx, `SELECT `+conversationColumns+` FROM inbox.conversations WHERE conversation_id = $1`, id))
	ok, err := projections.Found(err, "conversation "+id)
	return c, ok, err
}

// List implements Store.
func (s *SQLStore) List(ctx context.Context, q Query) ([]Conversation, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("limit %d: want at least 1", q.Limit)
	}
	sql := `SELECT ` + conversationColumns + ` FROM inbox.conversations WHERE true`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if !q.IncludeClosed {
		sql += ` AND is_open`
	}
	if q.OnlyClosed {
		sql += ` AND NOT is_open`
	}
	if len(q.LineIDs) > 0 {
		sql += ` AND line_id = ANY(` + arg(q.LineIDs) + `)`
	}
	if q.TeamID != "" {
		sql += ` AND team_id = ` + arg(q.TeamID)
	}
	if q.AssigneeID != "" {
		sql += ` AND assignee_id = ` + arg(q.AssigneeID)
	}
	if q.Unassigned {
		sql += ` AND assignee_id = ''`
	}
	if !q.After.IsZero() {
		sql += ` AND (last_activity_at, conversation_id) < (` + arg(q.After.At.UTC()) + `, ` + arg(q.After.ID) + `)`
	}
	sql += ` ORDER BY last_activity_at DESC, conversation_id DESC LIMIT ` + arg(q.Limit)
	return projections.QueryAll(ctx, s.Pool(), "list conversations", collectConversation, sql, args...)
}

// Get implements Store.
func (s *SQLStore) Get(ctx context.Context, id string) (Conversation, error) {
	c, ok, err := conversationIn(ctx, s.Pool(), id)
	return projections.One(c, ok, err, "conversation", id, ErrNotFound)
}

// Messages implements Store. The conversation and its messages are read
// in one transaction, so they agree.
func (s *SQLStore) Messages(ctx context.Context, id string) ([]Message, error) {
	var out []Message
	err := projections.SerializableTx(ctx, s.Pool(), func(tx pgx.Tx) error {
		_, ok, err := conversationIn(ctx, tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("conversation %s: %w", id, ErrNotFound)
		}
		out, err = messagesIn(ctx, tx, id, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const messageColumns = `message_id, event_id, direction, kind, occurred_at, staff_id, sender_name, body_key_id, body,
	status, reason, risk, terms_key_id, terms, provider_message_id`

// messagesIn reads a conversation's messages in log order: all of them, or
// the one with messageID.
func messagesIn(ctx context.Context, q projections.Querier, convID, messageID string) ([]Message, error) {
	sql := `SELECT ` + messageColumns + ` FROM inbox.messages WHERE conversation_id = $1`
	args := []any{convID}
	if messageID != "" {
		sql += ` AND message_id = $2`
		args = append(args, messageID)
	}
	return projections.QueryAll(ctx, q, "read messages of "+convID,
		func(r pgx.CollectableRow) (Message, error) { return scanMessage(r, nil) }, sql+` ORDER BY position`, args...)
}

// scanMessage reads one row of messageColumns, preceded by the
// conversation id when conv is not nil.
func scanMessage(row pgx.Row, conv *string) (Message, error) {
	var (
		m  Message
		at time.Time
	)
	dest := []any{&m.ID, &m.EventID, &m.Direction, &m.Kind, &at, &m.StaffID, &m.SenderName, &m.Body.KeyID, &m.Body.Data,
		&m.Status, &m.Reason, &m.Risk, &m.Terms.KeyID, &m.Terms.Data, &m.ProviderMessageID}
	if conv != nil {
		dest = append([]any{conv}, dest...)
	}
	if err := row.Scan(dest...); err != nil {
		return Message{}, err
	}
	m.At, m.Terms, m.Body = at.UTC(), projections.SealedCopy(m.Terms), projections.SealedCopy(m.Body)
	return m, nil
}

var _ Store = (*SQLStore)(nil)

// sqlTx is Tx inside one database transaction.
type sqlTx struct{ tx pgx.Tx }

func (t sqlTx) Conversation(ctx context.Context, id string) (Conversation, bool, error) {
	return conversationIn(ctx, t.tx, id)
}

func (t sqlTx) PutConversation(ctx context.Context, c Conversation) error {
	return projections.Exec(ctx, t.tx, "write conversation "+c.ID, `INSERT INTO inbox.conversations (`+conversationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		ON CONFLICT (conversation_id) DO UPDATE SET line_id = excluded.line_id, client_id = excluded.client_id,
			pseudonym = excluded.pseudonym, channel = excluded.channel, team_id = excluded.team_id,
			assignee_id = excluded.assignee_id, is_open = excluded.is_open, started_at = excluded.started_at,
			last_activity_at = excluded.last_activity_at, closed_at = excluded.closed_at, unread = excluded.unread,
			risk = excluded.risk, flags = excluded.flags, categories = excluded.categories,
			consent = excluded.consent, erased = excluded.erased, client_flags = excluded.client_flags,
			last_inbound_seq = excluded.last_inbound_seq, outcome = excluded.outcome`,
		c.ID, c.LineID, c.ClientID, c.Pseudonym, c.Channel, c.TeamID, c.AssigneeID, c.Open,
		c.StartedAt.UTC(), c.LastActivityAt.UTC(), projections.NullTime(c.ClosedAt), int32(c.Unread), c.Risk,
		projections.NotNullList(c.Flags), projections.NotNullList(c.Categories), c.Consent, c.Erased,
		encodeClientFlags(c.ClientFlags), int64(c.LastInboundSeq), c.Outcome)
}

func (t sqlTx) ClientConversations(ctx context.Context, clientID string) ([]string, error) {
	rows, err := t.tx.Query(ctx, `SELECT conversation_id FROM inbox.conversations WHERE client_id = $1 ORDER BY conversation_id`, clientID)
	if err != nil {
		return nil, fmt.Errorf("read conversations of a client: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read conversations of a client: %w", err)
	}
	return ids, nil
}

func (t sqlTx) Client(ctx context.Context, id string) (Client, bool, error) {
	var c Client
	var flags []string
	ok, err := projections.Found(t.tx.QueryRow(ctx, `SELECT consent, erased, client_flags FROM inbox.clients WHERE client_id = $1`, id).
		Scan(&c.Consent, &c.Erased, &flags), "client")
	if err == nil {
		c.Flags, err = decodeClientFlags(flags)
	}
	return c, ok, err
}

func (t sqlTx) PutClient(ctx context.Context, id string, c Client) error {
	return projections.Exec(ctx, t.tx, "write client", `INSERT INTO inbox.clients (client_id, consent, erased, client_flags) VALUES ($1, $2, $3, $4)
		ON CONFLICT (client_id) DO UPDATE SET consent = excluded.consent, erased = excluded.erased, client_flags = excluded.client_flags`,
		id, c.Consent, c.Erased, encodeClientFlags(c.Flags))
}

// encodeClientFlags writes flags for a TEXT[] column, each as its kind and
// its end (RFC 3339, UTC) separated by a space.
func encodeClientFlags(fs []ClientFlag) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Kind+" "+f.Until.UTC().Format(time.RFC3339Nano))
	}
	return out
}

// decodeClientFlags reads what encodeClientFlags wrote; nil for none.
func decodeClientFlags(ss []string) ([]ClientFlag, error) {
	var out []ClientFlag
	for _, s := range ss {
		kind, until, ok := strings.Cut(s, " ")
		t, err := time.Parse(time.RFC3339Nano, until)
		if !ok || err != nil {
			return nil, fmt.Errorf("client flag %q: want a kind and a time", s)
		}
		out = append(out, ClientFlag{Kind: kind, Until: t.UTC()})
	}
	return out, nil
}

func (t sqlTx) Messages(ctx context.Context, convID string) ([]Message, error) {
	return messagesIn(ctx, t.tx, convID, "")
}

func (t sqlTx) Message(ctx context.Context, convID, id string) (Message, bool, error) {
	ms, err := messagesIn(ctx, t.tx, convID, id)
	if err != nil || len(ms) == 0 {
		return Message{}, false, err
	}
	return ms[0], true, nil
}

// PutMessage implements Tx: a new message takes the next position in its
// conversation; an existing one keeps its position.
func (t sqlTx) PutMessage(ctx context.Context, convID string, m Message) error {
	body := projections.SealedBytes(m.Body)
	return projections.Exec(ctx, t.tx, "write message "+m.ID, `INSERT INTO inbox.messages (conversation_id, position, `+messageColumns+`)
		VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM inbox.messages WHERE conversation_id = $1),
			$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (conversation_id, message_id) DO UPDATE SET event_id = excluded.event_id, direction = excluded.direction,
			kind = excluded.kind, occurred_at = excluded.occurred_at, staff_id = excluded.staff_id,
			sender_name = excluded.sender_name, body_key_id = excluded.body_key_id, body = excluded.body,
			status = excluded.status, reason = excluded.reason, risk = excluded.risk, terms_key_id = excluded.terms_key_id, terms = excluded.terms,
			provider_message_id = excluded.provider_message_id`,
		convID, m.ID, m.EventID, m.Direction, m.Kind, m.At.UTC(), m.StaffID, m.SenderName, m.Body.KeyID, body,
		m.Status, m.Reason, m.Risk, m.Terms.KeyID, projections.SealedBytes(m.Terms), m.ProviderMessageID)
}

func (t sqlTx) Delivery(ctx context.Context, convID, providerID string) (Delivery, bool, error) {
	var d Delivery
	ok, err := projections.Found(t.tx.QueryRow(ctx, `SELECT status, reason FROM inbox.deliveries WHERE conversation_id = $1 AND provider_message_id = $2`,
		convID, providerID).Scan(&d.Status, &d.Reason), "delivery")
	return d, ok, err
}

func (t sqlTx) PutDelivery(ctx context.Context, convID, providerID string, d Delivery) error {
	return projections.Exec(ctx, t.tx, "write delivery", `INSERT INTO inbox.deliveries (conversation_id, provider_message_id, status, reason)
		VALUES ($1, $2, $3, $4) ON CONFLICT (conversation_id, provider_message_id) DO UPDATE SET status = excluded.status, reason = excluded.reason`,
		convID, providerID, d.Status, d.Reason)
}
