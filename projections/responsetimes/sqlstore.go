package responsetimes

import (
	"context"
	"fmt"
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
	{Name: pgx.Identifier{"rt_hours"}, Columns: []string{"line_id", "hour", "received", "out_of_hours", "breaches", "exhausted"}},
	{Name: pgx.Identifier{"rt_histograms"}, Columns: []string{"line_id", "hour", "metric", "bucket", "n"}},
	{Name: pgx.Identifier{"rt_pending_replies"}, Columns: []string{"conversation_id", "line_id", "received_at", "replied"}},
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

// Waiting implements Store.
func (s *SQLStore) Waiting(ctx context.Context, lineID string, from, to time.Time) ([]time.Time, error) {
	var (
		out []time.Time
		at  time.Time
	)
	err := projections.QueryEach(ctx, s.Pool(), "read waiting", []any{&at}, func() error { out = append(out, at.UTC()); return nil },
		`SELECT received_at FROM rt_pending_replies WHERE line_id = $1 AND NOT replied AND received_at >= $2 AND received_at < $3`,
		lineID, from, to)
	return out, err
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
	if err := projections.QueryEach(ctx, q, "read hours", []any{&line, &at, &c.Received, &c.OutOfHours, &c.Breaches, &c.Exhausted},
		func() error { get(line, at).Counts.Add(c); return nil },
		`SELECT line_id, hour, received, out_of_hours, breaches, exhausted FROM rt_hours `+where, args...); err != nil {
		return nil, err
	}
	if err := projections.QueryEach(ctx, q, "read histograms", []any{&line, &at, &metric, &bucket, &n}, func() error {
		if bucket < 0 || int(bucket) >= NumBuckets {
			return fmt.Errorf("bucket %d out of range", bucket)
		}
		h := get(line, at)
		switch Metric(metric) {
		case MetricFirstReply:
			h.FirstReply[bucket] += n
		case MetricAck:
			h.Ack[bucket] += n
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
	var (
		id, line string
		pr       PendingReply
		at       *time.Time
	)
	if err := projections.QueryEach(ctx, tx, "read pending replies", []any{&id, &pr.LineID, &at, &pr.Replied}, func() error {
		p := pr
		if at != nil {
			p.ReceivedAt = at.UTC()
		}
		projections.SetIn(&snap.Replies, id, p)
		return nil
	}, `SELECT conversation_id, line_id, received_at, replied FROM rt_pending_replies`); err != nil {
		return Snapshot{}, err
	}
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
	var hours, hists, replies, acks [][]any
	for _, h := range snap.Hours {
		start := h.Start.UTC()
		hours = append(hours, []any{h.LineID, start, h.Counts.Received, h.Counts.OutOfHours, h.Counts.Breaches, h.Counts.Exhausted})
		for _, m := range []struct {
			metric Metric
			h      Histogram
		}{{MetricFirstReply, h.FirstReply}, {MetricAck, h.Ack}} {
			for b, n := range m.h {
				if n != 0 {
					hists = append(hists, []any{h.LineID, start, string(m.metric), int32(b), n})
				}
			}
		}
	}
	for id, p := range snap.Replies {
		replies = append(replies, []any{id, p.LineID, projections.NullTime(p.ReceivedAt), p.Replied})
	}
	for id, p := range snap.Acks {
		acks = append(acks, []any{id, p.LineID, projections.NullTime(p.PagedAt)})
	}
	return [][][]any{hours, hists, replies, acks}
}

var _ Store = (*SQLStore)(nil)

// sqlTx is Tx inside one database transaction.
type sqlTx struct{ tx pgx.Tx }

func (t sqlTx) PendingReply(ctx context.Context, id string) (PendingReply, bool, error) {
	var (
		p  PendingReply
		at *time.Time
	)
	ok, err := projections.Found(t.tx.QueryRow(ctx, `SELECT line_id, received_at, replied FROM rt_pending_replies WHERE conversation_id = $1`, id).
		Scan(&p.LineID, &at, &p.Replied), "pending reply")
	if at != nil {
		p.ReceivedAt = at.UTC()
	}
	return p, ok, err
}

func (t sqlTx) PutPendingReply(ctx context.Context, id string, p PendingReply) error {
	return projections.Exec(ctx, t.tx, "write pending reply", `INSERT INTO rt_pending_replies (conversation_id, line_id, received_at, replied)
		VALUES ($1, $2, $3, $4) ON CONFLICT (conversation_id) DO UPDATE
		SET line_id = excluded.line_id, received_at = excluded.received_at, replied = excluded.replied`,
		id, p.LineID, projections.NullTime(p.ReceivedAt), p.Replied)
}

func (t sqlTx) DeletePendingReply(ctx context.Context, id string) error {
	return projections.Exec(ctx, t.tx, "delete pending reply", `DELETE FROM rt_pending_replies WHERE conversation_id = $1`, id)
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
	return projections.Exec(ctx, t.tx, "add counts", `INSERT INTO rt_hours (line_id, hour, received, out_of_hours, breaches, exhausted)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (line_id, hour) DO UPDATE SET received = rt_hours.received + excluded.received,
			out_of_hours = rt_hours.out_of_hours + excluded.out_of_hours, breaches = rt_hours.breaches + excluded.breaches,
			exhausted = rt_hours.exhausted + excluded.exhausted`,
		lineID, hourOf(hour), c.Received, c.OutOfHours, c.Breaches, c.Exhausted)
}

func (t sqlTx) Observe(ctx context.Context, lineID string, hour time.Time, m Metric, bucket int) error {
	if bucket < 0 || bucket >= NumBuckets {
		return fmt.Errorf("bucket %d out of range", bucket)
	}
	return projections.Exec(ctx, t.tx, "observe "+string(m), `INSERT INTO rt_histograms (line_id, hour, metric, bucket, n)
		VALUES ($1, $2, $3, $4, 1) ON CONFLICT (line_id, hour, metric, bucket) DO UPDATE SET n = rt_histograms.n + 1`,
		lineID, hourOf(hour), string(m), int32(bucket))
}
