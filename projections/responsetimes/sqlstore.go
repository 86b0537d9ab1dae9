package responsetimes

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

// SQLStore is the Store on PostgreSQL or CockroachDB: the public schema's rt_ tables
// of deploy/migrations under a projections.SQLShell.
type SQLStore struct {
	projections.SQLShell[Tx, Snapshot, *Snapshot]
}

// NewSQLStore returns a store over pool; the caller owns the pool.
func NewSQLStore(pool *pgxpool.Pool) *SQLStore {
	return &SQLStore{projections.NewSQLShell[Tx, Snapshot](pool, projections.SQLHooks[Tx, Snapshot]{
		Wrap: func(tx pgx.Tx) Tx { return sqlTx{tx} }, Tables: tables, Export: export, Rows: rows})}
}

// tables are the response-times tables.
var tables = []projections.Table{
	{Name: pgx.Identifier{"rt_hours"}, Columns: []string{"line_id", "hour", "received", "out_of_hours", "breaches", "exhausted", "next_breaches"}},
	{Name: pgx.Identifier{"rt_histograms"}, Columns: []string{"line_id", "hour", "metric", "bucket", "n"}},
	{Name: pgx.Identifier{"rt_conversations"}, Columns: convColumns},
	{Name: pgx.Identifier{"rt_pending_acks"}, Columns: []string{"escalation_id", "line_id", "paged_at"}},
}

// Hours implements Store.
func (s *SQLStore) Hours(ctx context.Context, lineID string, from, to time.Time) ([]Hour, error) {
	hours, err := readHours(ctx, s.Pool(), `WHERE line_id = $1 AND hour >= $2 AND hour < $3`, lineID, from, to)
	if err != nil {
		return nil, err
	}
	sortHours(hours)
	return hours, nil
}

// convColumns are rt_conversations' columns, in the order scanConv and
// convRow list them.
var convColumns = []string{"conversation_id", "line_id", "opened_at", "last_in_at", "replied", "first_reply_ns", "next_since",
	"messages_in", "messages_out", "escalated", "exhausted", "closed", "closed_at", "outcome", "categories", "survey", "first_from", "next_from"}

// convSelect selects convColumns.
var convSelect = `SELECT ` + strings.Join(convColumns, ", ") + ` FROM rt_conversations `

// Conversations implements Store.
func (s *SQLStore) Conversations(ctx context.Context, lineID string, from, to time.Time) ([]Conversation, error) {
	var out []Conversation
	err := eachConversation(ctx, s.Pool(), func(_ string, c Conversation) { out = append(out, c) },
		`WHERE line_id = $1 AND opened_at >= $2 AND opened_at < $3 ORDER BY opened_at, conversation_id`, lineID, from, to)
	return out, err
}

// eachConversation calls fn with each row of rt_conversations that where
// selects.
func eachConversation(ctx context.Context, q projections.Querier, fn func(id string, c Conversation), where string, args ...any) error {
	var (
		id         string
		c          Conversation
		wait       int64
		next, shut *time.Time
		firstFrom  *time.Time
		nextFrom   *time.Time
	)
	dest := []any{&id, &c.LineID, &c.OpenedAt, &c.LastInAt, &c.Replied, &wait, &next,
		&c.MessagesIn, &c.MessagesOut, &c.Escalated, &c.Exhausted, &c.Closed, &shut, &c.Outcome, &c.Categories, &c.Survey, &firstFrom, &nextFrom}
	return projections.QueryEach(ctx, q, "read conversations", dest, func() error {
		v := c
		v.OpenedAt, v.LastInAt, v.FirstReplyWait = c.OpenedAt.UTC(), c.LastInAt.UTC(), time.Duration(wait)
		v.NextSince, v.ClosedAt = utcOrZero(next), utcOrZero(shut)
		v.FirstFrom, v.NextFrom = utcOrZero(firstFrom), utcOrZero(nextFrom)
		if len(v.Categories) == 0 {
			v.Categories = nil
		}
		if len(v.Survey) == 0 {
			v.Survey = nil
		}
		fn(id, v)
		return nil
	}, convSelect+where, args...)
}

// utcOrZero is a nullable timestamp in UTC, zero for NULL.
func utcOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// convRow is c as a row of rt_conversations.
func convRow(id string, c Conversation) []any {
	return []any{id, c.LineID, c.OpenedAt.UTC(), c.LastInAt.UTC(), c.Replied, int64(c.FirstReplyWait), projections.NullTime(c.NextSince),
		c.MessagesIn, c.MessagesOut, c.Escalated, c.Exhausted, c.Closed, projections.NullTime(c.ClosedAt), c.Outcome, projections.NotNullList(c.Categories),
		projections.NotNullList(c.Survey), projections.NullTime(c.FirstFrom), projections.NullTime(c.NextFrom)}
}

// readHours reads the figures of the rows that where selects from both
// tables, merged per line and hour, in no particular order.
func readHours(ctx context.Context, q projections.Querier, where string, args ...any) ([]Hour, error) {
	byKey := map[hourKey]*Hour{}
	var order []*Hour
	get := func(line string, t time.Time) *Hour {
		t = t.UTC()
		k := hourKey{line, t.Unix()}
		h := byKey[k]
		if h == nil {
			h = &Hour{LineID: line, Start: t}
			byKey[k] = h
			order = append(order, h)
		}
		return h
	}
	var (
		line   string
		at     time.Time
		c      Counts
		metric string
		bucket int32
		n      int64
	)
	if err := projections.QueryEach(ctx, q, "read hours", []any{&line, &at, &c.Received, &c.OutOfHours, &c.Breaches, &c.Exhausted, &c.NextBreaches},
		func() error { get(line, at).Counts.Add(c); return nil },
		`SELECT line_id, hour, received, out_of_hours, breaches, exhausted, next_breaches FROM rt_hours `+where, args...); err != nil {
		return nil, err
	}
	if err := projections.QueryEach(ctx, q, "read histograms", []any{&line, &at, &metric, &bucket, &n}, func() error {
		if bucket < 0 || int(bucket) >= NumBuckets {
			return fmt.Errorf("bucket %d out of range", bucket)
		}
		if hist := get(line, at).histogram(Metric(metric)); hist != nil {
			hist[bucket] += n
		}
		return nil
	}, `SELECT line_id, hour, metric, bucket, n FROM rt_histograms `+where, args...); err != nil {
		return nil, err
	}
	out := make([]Hour, 0, len(order))
	for _, h := range order {
		out = append(out, *h)
	}
	return out, nil
}

// export reads every table but the checkpoint.
func export(ctx context.Context, tx pgx.Tx) (Snapshot, error) {
	var snap Snapshot
	var err error
	if snap.Hours, err = readHours(ctx, tx, ""); err != nil {
		return Snapshot{}, err
	}
	if len(snap.Hours) == 0 {
		snap.Hours = nil
	}
	sortHoursByLine(snap.Hours)
	if err := eachConversation(ctx, tx, func(id string, c Conversation) { projections.SetIn(&snap.Conversations, id, c) }, ""); err != nil {
		return Snapshot{}, err
	}
	var (
		id, line string
		at       *time.Time
	)
	err = projections.QueryEach(ctx, tx, "read pending acks", []any{&id, &line, &at}, func() error {
		p := PendingAck{LineID: line}
		if at != nil {
			p.PagedAt = at.UTC()
		}
		projections.SetIn(&snap.Acks, id, p)
		return nil
	}, `SELECT escalation_id, line_id, paged_at FROM rt_pending_acks`)
	return snap, err
}

// rows are the rows of each of tables that hold snap.
func rows(snap Snapshot) [][][]any {
	var hours, hists, convs, acks [][]any
	for _, h := range snap.Hours {
		start := h.Start.UTC()
		c := h.Counts
		hours = append(hours, []any{h.LineID, start, c.Received, c.OutOfHours, c.Breaches, c.Exhausted, c.NextBreaches})
		for _, m := range metrics {
			for b, n := range h.histogram(m) {
				if n != 0 {
					hists = append(hists, []any{h.LineID, start, string(m), int32(b), n})
				}
			}
		}
	}
	for id, c := range snap.Conversations {
		convs = append(convs, convRow(id, c))
	}
	for id, p := range snap.Acks {
		acks = append(acks, []any{id, p.LineID, projections.NullTime(p.PagedAt)})
	}
	return [][][]any{hours, hists, convs, acks}
}

var _ Store = (*SQLStore)(nil)

// sqlTx is Tx inside one database transaction.
type sqlTx struct{ tx pgx.Tx }

func (t sqlTx) Conversation(ctx context.Context, id string) (Conversation, bool, error) {
	var (
		out   Conversation
		found bool
	)
	err := eachConversation(ctx, t.tx, func(_ string, c Conversation) { out, found = c, true }, `WHERE conversation_id = $1`, id)
	return out, found, err
}

func (t sqlTx) PutConversation(ctx context.Context, id string, c Conversation) error {
	set := make([]string, 0, len(convColumns)-1)
	for _, col := range convColumns[1:] {
		set = append(set, col+" = excluded."+col)
	}
	params := make([]string, len(convColumns))
	for i := range params {
		params[i] = "$" + strconv.Itoa(i+1)
	}
	return projections.Exec(ctx, t.tx, "write conversation", `INSERT INTO rt_conversations (`+strings.Join(convColumns, ", ")+`)
		VALUES (`+strings.Join(params, ", ")+`)
		ON CONFLICT (conversation_id) DO UPDATE SET `+strings.Join(set, ", "), convRow(id, c)...)
}

func (t sqlTx) PendingAck(ctx context.Context, id string) (PendingAck, bool, error) {
	var (
		p  PendingAck
		at *time.Time
	)
	ok, err := projections.Found(t.tx.QueryRow(ctx, `SELECT line_id, paged_at FROM rt_pending_acks WHERE escalation_id = $1`, id).
		Scan(&p.LineID, &at), "pending ack")
	if at != nil {
		p.PagedAt = at.UTC()
	}
	return p, ok, err
}

func (t sqlTx) PutPendingAck(ctx context.Context, id string, p PendingAck) error {
	return projections.Exec(ctx, t.tx, "write pending ack", `INSERT INTO rt_pending_acks (escalation_id, line_id, paged_at)
		VALUES ($1, $2, $3) ON CONFLICT (escalation_id) DO UPDATE SET line_id = excluded.line_id, paged_at = excluded.paged_at`,
		id, p.LineID, projections.NullTime(p.PagedAt))
}

func (t sqlTx) DeletePendingAck(ctx context.Context, id string) error {
	return projections.Exec(ctx, t.tx, "delete pending ack", `DELETE FROM rt_pending_acks WHERE escalation_id = $1`, id)
}

func (t sqlTx) AddCounts(ctx context.Context, lineID string, hour time.Time, c Counts) error {
	return projections.Exec(ctx, t.tx, "add counts", `INSERT INTO rt_hours (line_id, hour, received, out_of_hours, breaches, exhausted, next_breaches)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (line_id, hour) DO UPDATE SET received = rt_hours.received + excluded.received,
			out_of_hours = rt_hours.out_of_hours + excluded.out_of_hours, breaches = rt_hours.breaches + excluded.breaches,
			exhausted = rt_hours.exhausted + excluded.exhausted, next_breaches = rt_hours.next_breaches + excluded.next_breaches`,
		lineID, hourOf(hour), c.Received, c.OutOfHours, c.Breaches, c.Exhausted, c.NextBreaches)
}

func (t sqlTx) Observe(ctx context.Context, lineID string, hour time.Time, m Metric, bucket int) error {
	if bucket < 0 || bucket >= NumBuckets {
		return fmt.Errorf("bucket %d out of range", bucket)
	}
	return projections.Exec(ctx, t.tx, "observe "+string(m), `INSERT INTO rt_histograms (line_id, hour, metric, bucket, n)
		VALUES ($1, $2, $3, $4, 1) ON CONFLICT (line_id, hour, metric, bucket) DO UPDATE SET n = rt_histograms.n + 1`,
		lineID, hourOf(hour), string(m), int32(bucket))
}
