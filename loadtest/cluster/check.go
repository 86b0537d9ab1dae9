package cluster

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/services/ingestion"
)

// Texter posts inbound-SMS webhooks signed as Twilio signs them (for
// PublicURL) to the ingestion replicas. Like Twilio with a fallback URL,
// it tries one replica and, when that fails or answers 5xx, the next,
// with the same MessageSid.
type Texter struct {
	AccountSID, AuthToken string
	// Replicas are the ingestion replicas' base URLs.
	Replicas []string
	Client   *http.Client
}

// Text posts one message to replica first (modulo the replicas), failing
// over to the others, and returns the last status (0: no answer).
func (t *Texter) Text(ctx context.Context, first int, sid, from, body string) (int, error) {
	d, err := t.Send(ctx, first, sid, from, body)
	return d.Code, err
}

// Delivery is how a webhook was answered: the last status (0: no
// answer), the index of the replica that gave it, and how many replicas
// were asked.
type Delivery struct{ Code, Replica, Tries int }

// Send is Text saying which replica answered, after how many tries.
func (t *Texter) Send(ctx context.Context, first int, sid, from, body string) (Delivery, error) {
	form := url.Values{"MessageSid": {sid}, "AccountSid": {t.AccountSID}, "From": {from}, "To": {LineNumber}, "Body": {body}}
	var (
		d       Delivery
		lastErr error
	)
	for i := range len(t.Replicas) {
		d.Replica, d.Tries = (first+i)%len(t.Replicas), i+1
		req, err := sms.NewWebhook(ctx, t.Replicas[d.Replica]+ingestion.SMSPath, PublicURL+ingestion.SMSPath, t.AuthToken, form)
		if err != nil {
			return Delivery{}, err
		}
		resp, err := t.Client.Do(req)
		if err != nil {
			d.Code, lastErr = 0, err
			continue
		}
		resp.Body.Close()
		d.Code, lastErr = resp.StatusCode, nil
		if d.Code < 500 {
			return d, nil
		}
	}
	return d, lastErr
}

// SID makes a Twilio-shaped message sid from a number.
func SID(n int64) string { return fmt.Sprintf("SM%032x", n) }

// LogCounts is what the event log holds, by Twilio MessageSid.
type LogCounts struct {
	// Received counts message_received events per MessageSid: each
	// accepted webhook must be there exactly once.
	Received    map[string]int
	Escalations int
	Pages       int
	// PageSIDs maps the provider sid of every page recorded in the log
	// (escalation_paged) to its escalation.
	PageSIDs map[string]string
	LastSeq  uint64
}

// ReadLog reads the whole domain stream of the cluster, as its admin user.
func (c *Cluster) ReadLog(ctx context.Context) (LogCounts, error) {
	nc, err := c.Connect("helpline-audit")
	if err != nil {
		return LogCounts{}, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return LogCounts{}, err
	}
	store, err := events.OpenStore(ctx, js, events.StoreConfig{Replicas: 3}, zerolog.Nop())
	if err != nil {
		return LogCounts{}, err
	}
	out := LogCounts{Received: map[string]int{}, PageSIDs: map[string]string{}}
	out.LastSeq, err = store.Read(ctx, events.SubjectPrefix+".>", 0, func(e events.Envelope) error {
		p, err := e.DecodeIf(events.TypeMessageReceived, events.TypeEscalationRaised, events.TypeEscalationPaged)
		if p == nil || err != nil {
			return err
		}
		switch p := p.(type) {
		case events.MessageReceived:
			if p.ProviderMessageID != "" {
				out.Received[p.ProviderMessageID]++
			}
		case events.EscalationRaised:
			out.Escalations++
		case events.EscalationPaged:
			out.Pages++
			if p.ProviderMessageID != "" {
				out.PageSIDs[p.ProviderMessageID] = p.EscalationID
			}
		}
		return nil
	})
	return out, err
}

// Projected is what the SQL projections hold. They keep no message ids
// (the managers' figures are counts; the queue holds escalations), so
// messages are checked by count.
type Projected struct {
	Received    int64 // messages counted in the response-times figures
	Escalations int64 // rows of the escalation queue
	Exhausted   int64 // escalations whose policy ran out
	Pages       int64 // pages recorded in the queue
	// Acknowledged counts escalations someone took on (in the console, by
	// replying to the client, or by answering the page).
	Acknowledged int64
}

// ReadProjections reads the projections' figures from the database.
func ReadProjections(ctx context.Context, dbURL string) (Projected, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return Projected{}, err
	}
	defer conn.Close(context.Background())
	var p Projected
	err = conn.QueryRow(ctx, `SELECT
		(SELECT COALESCE(SUM(received), 0)::INT8 FROM rt_hours),
		(SELECT count(*) FROM escalations.queue),
		(SELECT count(*) FROM escalations.queue WHERE exhausted),
		(SELECT count(*) FROM escalations.pages),
		(SELECT count(*) FROM escalations.queue WHERE acknowledged_at IS NOT NULL)`).Scan(&p.Received, &p.Escalations, &p.Exhausted, &p.Pages, &p.Acknowledged)
	if err != nil {
		return Projected{}, fmt.Errorf("read projections: %w", err)
	}
	return p, nil
}

// Eventually calls fn until it returns nil or wait passes, and returns its
// last error then.
func Eventually(ctx context.Context, wait time.Duration, fn func() error) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	step := 20 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(step):
		}
		step = min(2*step, 500*time.Millisecond)
	}
}
