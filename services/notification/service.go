package notification

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/oncall"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/internal/transient"
)

// Sender sends one SMS, or places one voice call, through the provider
// and returns its id; FindMessage looks among the messages sent from one
// number to another since a time for one whose body contains ref (a page
// whose fate the pager does not know: pageonce.go).
type Sender interface {
	Send(ctx context.Context, m sms.Message) (string, error)
	Call(ctx context.Context, c sms.Call) (string, error)
	FindMessage(ctx context.Context, from, to string, since time.Time, ref string) (sid string, found bool, err error)
}

// Opener decrypts content sealed with a client's data key.
type Opener interface {
	Open(ctx context.Context, clientID string, ciphertext, aad []byte) ([]byte, error)
}

// Log is the event log.
type Log = events.AppendLog

// Timers hold the acknowledgement deadlines, the notification rules'
// delays and the rota gap check.
type Timers interface {
	Set(ctx context.Context, t timers.Timer) error
	SetIfAbsent(ctx context.Context, t timers.Timer) (bool, error)
	Get(ctx context.Context, key string) (timers.Timer, bool, error)
	Cancel(ctx context.Context, key string) error
}

// Config configures the service.
type Config struct {
	// PublicURL is where the console and the status callback live.
	PublicURL string
	// SendRate, when set, overrides every line's send_rate (tests and
	// load tests); otherwise each line's number keeps to its own rate.
	SendRate float64
	// SendAttempts is how often a send is tried in one handling before the
	// event is handed back for redelivery; default 3.
	SendAttempts int
	// StepGrace is how long a re-escalation may wait for its page before a
	// timer assumes the replica that recorded it died and pages instead;
	// default 30s.
	StepGrace time.Duration
	// AttemptGrace is how long after a page's attempt another process
	// may still be sending it (a send tries up to SendAttempts times, each
	// bounded by the provider's timeout): a page attempted elsewhere and
	// younger is left to it for now (pageonce.go); default 30s.
	AttemptGrace time.Duration
	// GapCheck is how often the rota is checked for levels with nobody
	// on call in the next day; default 1m.
	GapCheck time.Duration
	// PagesFirst has the pager's consumer hand over first, behind a
	// backlog, the conversations holding an event it pages on (Urgent).
	// Off by default: measured after a restart on one node
	// (BenchmarkPagerBacklog, loadtest/README.md), it did not bring the
	// pages earlier.
	PagesFirst bool
}

// Service is the SMS bridge and the pager.
type Service struct {
	cfg      Config
	file     *config.File
	policies Policies
	rota     Rota
	people   *oncall.People
	send     Sender
	keys     Opener
	log      Log
	convs    *events.Conversations
	// clients keeps the clients this process sends to folded: each send
	// reads only what a client gained since (client).
	clients *events.ClientCache
	rotas   *events.Rotas
	timers  Timers
	now     func() time.Time
	logger  zerolog.Logger

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	// waits are each line's recent first-reply waits (waits.go), in this
	// process's memory.
	waits map[string][]firstReply
	// reconciled counts the pages whose fate the pager had to ask the
	// provider about, by outcome (pageonce.go).
	reconciled *prometheus.CounterVec
	// attempts are the pages this process is sending (true) or sent and
	// saw fail (false), by attempt reference (pageonce.go).
	attempts map[string]bool
}

// New builds the service on log and convs, the process's conversation
// repository (its cache kept current by consume.FollowConversations).
func New(cfg Config, file *config.File, rota Rota, send Sender, keys Opener, log Log, convs *events.Conversations, tm Timers, now func() time.Time, logger zerolog.Logger) *Service {
	cfg.SendAttempts = cmp.Or(cfg.SendAttempts, 3)
	cfg.StepGrace = cmp.Or(cfg.StepGrace, 30*time.Second)
	cfg.AttemptGrace = cmp.Or(cfg.AttemptGrace, 30*time.Second)
	cfg.GapCheck = cmp.Or(cfg.GapCheck, time.Minute)
	clients, _ := events.NewClientCache(log, events.DefaultConversationCacheSize) // size > 0: cannot fail
	return &Service{cfg: cfg, file: file, policies: NewPolicies(file), rota: rota, people: oncall.NewPeople(file.Staff, log), send: send, keys: keys, log: log, convs: convs, clients: clients, rotas: events.NewRotas(log), timers: tm,
		now: now, logger: logger.With().Str("svc", "notification").Logger(), limiters: map[string]*rate.Limiter{}, waits: map[string][]firstReply{},
		reconciled: newReconciled(), attempts: map[string]bool{}}
}

// Specs are the service's event handlers, one durable consumer each, both
// handling conversations in parallel and each conversation's events in
// order (consume.PerAggregate). Crisis first: the pager has a consumer
// of its own, so a page never waits behind replies, out-of-hours
// auto-replies or delivery callbacks (which wait on the provider and on
// the line's send rate); the bridge has the other. With
// Config.PagesFirst, behind a backlog (a restart after a crash), the
// conversations holding an event the pager pages on (Urgent) among the
// pager's next consume.Config.LookAhead events go first, their earlier
// events in order before it.
func (s *Service) Specs() []consume.Spec {
	all := events.AggregateSubjects(events.AggregateConversation)
	pages := consume.PerAggregate{}
	if s.cfg.PagesFirst {
		pages.Urgent = Urgent
	}
	return []consume.Spec{
		consume.Shared{Name: PagerConsumer, Filter: all, Handler: s.HandlePages, Order: pages},
		consume.Shared{Name: BridgeConsumer, Filter: all, Handler: s.HandleBridge, Order: consume.PerAggregate{}},
	}
}

// The service's durable consumers' names (stable: renaming one replays
// the log to it).
const (
	PagerConsumer  = "notification-pages"
	BridgeConsumer = "notification"
)

// Handle dispatches one conversation event to the pager and the bridge,
// as their two consumers do.
func (s *Service) Handle(ctx context.Context, e events.Envelope) error {
	if err := s.HandlePages(ctx, e); err != nil {
		return err
	}
	return s.HandleBridge(ctx, e)
}

// decodeOf returns e's payload when its type is one of types, and nil for
// any other type; a payload that does not decode is a permanent failure
// (no redelivery will decode it).
func decodeOf(e events.Envelope, types ...string) (events.Payload, error) {
	p, err := e.DecodeIf(types...)
	if err != nil {
		return nil, consume.Permanent(err)
	}
	return p, nil
}

// Urgent reports whether e is an event HandlePages pages on, from the
// event alone (no read of the log or of the conversation): an escalation
// raised (its first page; also the one a pager that died between a
// page's attempt and its record is handed again), an urgent notice, a
// decline, and an SMS not delivered or a call refused (the next step at
// once). It only orders the work: every event is handled as before, in
// its conversation's order, and one that turns out to page nobody
// (acknowledged meanwhile, paged before, the status of a client's SMS)
// costs no more than its turn. An acknowledgement is not urgent: it pages
// nobody, and the timer it cancels checks the state before it pages.
func Urgent(_ context.Context, e events.Envelope) bool {
	switch e.Type {
	case events.TypeEscalationRaised, events.TypeUrgentNoticeRaised, events.TypeEscalationDeclined:
		return true
	case events.TypeDeliveryStatusChanged, events.TypeCallStatusChanged:
		p, err := e.Decode()
		if err != nil {
			return false // its handling dead-letters it
		}
		switch p := p.(type) {
		case events.DeliveryStatusChanged:
			return events.PageUndelivered(p.Status)
		case events.CallStatusChanged:
			return events.CallRefused(p.Status)
		}
	}
	return false
}

// HandlePages handles what pages: an escalation raised (the first page),
// acknowledged (no further page), declined, or a page not delivered or a
// call refused (the next step at once), and an urgent notice (notice.go).
func (s *Service) HandlePages(ctx context.Context, e events.Envelope) error {
	p, err := decodeOf(e, events.TypeEscalationRaised, events.TypeEscalationAcknowledged, events.TypeDeliveryStatusChanged,
		events.TypeEscalationDeclined, events.TypeCallStatusChanged, events.TypeUrgentNoticeRaised)
	if p == nil || err != nil {
		return err
	}
	switch p := p.(type) {
	case events.EscalationRaised:
		return s.pageFirst(ctx, e.AggregateID, p.EscalationID, e)
	case events.UrgentNoticeRaised:
		return s.sendNotice(ctx, e, p)
	case events.EscalationAcknowledged:
		// Acknowledged: no further page. The timer handler checks the
		// state too, so a lost cancel only costs a no-op firing.
		return s.timers.Cancel(ctx, ackTimerKey(p.EscalationID))
	case events.DeliveryStatusChanged:
		if !events.PageUndelivered(p.Status) {
			return nil
		}
		if err := s.noticeUndelivered(ctx, e.AggregateID, p.ProviderMessageID, e.Sequence, e.Caused(s.now())); err != nil {
			return err
		}
		return s.moveRefused(ctx, e.AggregateID, e.Sequence, e.Caused(s.now()))
	case events.CallStatusChanged:
		if !events.CallRefused(p.Status) {
			return nil
		}
		return s.moveRefused(ctx, e.AggregateID, e.Sequence, e.Caused(s.now()))
	case events.EscalationDeclined:
		return s.moveRefused(ctx, e.AggregateID, e.Sequence, e.Caused(s.now()))
	}
	return nil
}

// HandleBridge handles what goes to clients: workers' replies,
// out-of-hours auto-replies, the crisis reply to a crisis or elevated
// message while the line is closed (on its verdict), the post-contact
// survey (on the close, and on an answer), and follow-ups (their timers).
func (s *Service) HandleBridge(ctx context.Context, e events.Envelope) error {
	p, err := decodeOf(e, events.TypeReplyRequested, events.TypeOutOfHoursContactRecorded, events.TypeMessageTriaged,
		events.TypeConversationClosed, events.TypeSurveyAnswered, events.TypeFollowUpScheduled)
	if p == nil || err != nil {
		return err
	}
	switch p := p.(type) {
	case events.ReplyRequested:
		// A worker answering the client has taken the conversation on:
		// acknowledge what was open when the reply came (RequestReply
		// does so itself; this covers a reply appended otherwise).
		if err := s.update(ctx, e.AggregateID, func(c *events.Conversation) error { return c.AcknowledgeReplied(e.Caused(s.now())) }); err != nil {
			return err
		}
		if err := s.noteReply(ctx, e); err != nil {
			return err
		}
		return s.sendReply(ctx, e, p)
	case events.OutOfHoursContactRecorded:
		return s.sendAutoReply(ctx, e, p)
	case events.MessageTriaged:
		if err := s.armWait(ctx, e, p); err != nil {
			return err
		}
		return s.sendCrisisReply(ctx, e, p)
	case events.ConversationClosed:
		return s.armSurvey(ctx, e)
	case events.SurveyAnswered:
		return s.askNextSurvey(ctx, e, p)
	case events.FollowUpScheduled:
		return s.armFollowUp(ctx, e, p)
	}
	return nil
}

// conversation returns the conversation as the log has it now (a private
// copy): the cache reads only what was appended since this replica last
// saw it.
func (s *Service) conversation(ctx context.Context, id string) (*events.Conversation, error) {
	return s.convs.Load(ctx, id)
}

// conversationOf returns the conversation of event e as its handler reads
// it (a private copy, at least as new as e): from the process's followed
// copy without reading the log, unless e was handed over before
// (consume.Conversation).
func (s *Service) conversationOf(ctx context.Context, e events.Envelope) (*events.Conversation, error) {
	return consume.Conversation(ctx, s.convs, e)
}

// conversationAt is conversationOf at least as new as stream sequence seq:
// the last event the handler appended to it (consume.ConversationAt).
func (s *Service) conversationAt(ctx context.Context, id string, seq uint64) (*events.Conversation, error) {
	return consume.ConversationAt(ctx, s.convs, id, seq)
}

// client returns the client as the log has it now (a private copy): the
// cache reads only what was appended since this process last read it.
func (s *Service) client(ctx context.Context, id string) (*events.Client, error) {
	return s.clients.Load(ctx, id)
}

func (s *Service) line(id string) (config.Line, error) {
	l, ok := s.file.LineByID(id)
	if !ok {
		return l, consume.Permanent(fmt.Errorf("line %q is not configured", id))
	}
	return l, nil
}

// limiter keeps sends from one line number to the line's rate (burst 10).
func (s *Service) limiter(number string) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.limiters[number]
	if !ok {
		perSecond := s.cfg.SendRate
		if ln, found := s.file.LineByNumber(number); found && perSecond == 0 {
			perSecond = ln.SendRate
		}
		if perSecond == 0 {
			perSecond = 5
		}
		l = rate.NewLimiter(rate.Limit(perSecond), 10)
		s.limiters[number] = l
	}
	return l
}

// sendSMS sends one message, keeping to the per-number rate and retrying
// 429 and 5xx through the one retry policy, from 200 ms on. A permanent
// refusal comes back as a *sms.SendError with Permanent set; anything
// else is retryable.
func (s *Service) sendSMS(ctx context.Context, m sms.Message) (string, error) {
	return s.rated(ctx, m.From, false, func(ctx context.Context) (string, error) { return s.send.Send(ctx, m) })
}

// sendPage sends a page by SMS as provider does.
func (s *Service) sendPage(ctx context.Context, m sms.Message) (string, error) {
	return s.provider(ctx, m.From, func(ctx context.Context) (string, error) { return s.send.Send(ctx, m) })
}

// provider makes one request for a page to the provider from the line
// number from (a message or a call) as sendSMS does, retrying 429 and
// 5xx, except that it never waits for the number's rate: crisis first, a
// page does not queue behind the replies and auto-replies waiting for
// their turn. It still counts against the rate, so they wait for it
// instead.
func (s *Service) provider(ctx context.Context, from string, do func(context.Context) (string, error)) (string, error) {
	return s.rated(ctx, from, true, do)
}

// rated makes one request to the provider from the line number from,
// within the number's rate (a page without waiting for it), retrying 429
// and 5xx.
func (s *Service) rated(ctx context.Context, from string, page bool, do func(context.Context) (string, error)) (string, error) {
	var sid string
	p := transient.Policy{Attempts: s.cfg.SendAttempts, Wait: 200 * time.Millisecond, Retry: sms.IsRetryable}
	err := transient.Do(ctx, p, func(ctx context.Context) error {
		if page {
			s.limiter(from).Reserve() // counts, and is never waited for
		} else if err := s.limiter(from).Wait(ctx); err != nil {
			return transient.Final(err)
		}
		var err error
		sid, err = do(ctx)
		return err
	})
	return sid, err
}

// permanent reports a send the provider will never accept.
func permanent(err error) (*sms.SendError, bool) {
	var se *sms.SendError
	if errors.As(err, &se) && se.Permanent {
		return se, true
	}
	return nil, false
}

func (s *Service) statusCallback(conversationID string) string {
	return s.cfg.PublicURL + "/twilio/status?c=" + conversationID
}
