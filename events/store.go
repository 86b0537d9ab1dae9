package events

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/transient"
)

// Store errors callers act on.
var (
	// ErrConcurrency means the aggregate changed since the caller loaded
	// it: reload, re-decide, and try again (or tell the user).
	ErrConcurrency = errors.New("concurrent modification")
	// ErrUnavailable means the log did not accept the write, or answer
	// the read, in time, or answered "not now": the caller must not report
	// success (a webhook answers 503), and may try again later.
	ErrUnavailable = transient.ErrUnavailable
	// ErrPermanent means the log refused the write for a reason no retry
	// fixes (an event over the size limit, a subject no stream takes): a
	// webhook answers 500, a handler dead-letters the event.
	ErrPermanent = transient.ErrPermanent
)

// StoreConfig configures the streams. The zero value plus SetDefaults is
// the embedded default.
type StoreConfig struct {
	// Stream holds domain events, subjects helpline.events.>.
	Stream string
	// AuditStream holds the audit trail, subjects helpline.audit.>.
	AuditStream string
	// DeadLetterStream holds messages handlers gave up on, subjects
	// helpline.dlq.>, for operators to inspect and replay.
	DeadLetterStream string
	// Replicas is 1 for the embedded server, 3 for a cluster.
	Replicas int
	// Duplicates is JetStream's message-id dedupe window:
	// DefaultDuplicatesWindow unless set, at least MinDuplicatesWindow.
	Duplicates time.Duration
	// Storage is file storage unless a test asks for memory.
	Storage jetstream.StorageType
	// UnavailableRetries is how often an append is retried when the
	// log is unavailable ("temporarily unavailable" 10163, no response
	// from the stream while its leader moves, a lost request). Default 10:
	// with RetryWait doubling to at most a second between tries, about
	// 6.5 s of waiting besides the tries themselves, enough for a stream
	// leader election after a node dies (5 retries, about 1.5 s, were not:
	// TestClusterKeepsAppendingWithOneNodeDown failed once in CI with "no
	// response from stream").
	UnavailableRetries int
	// RetryWait is the first wait between those retries; it doubles, up to
	// a second.
	RetryWait time.Duration
	// AttemptTimeout bounds one publish attempt, so a request lost while
	// a cluster fails over is retried instead of waiting out the caller's
	// whole deadline. Default 4s.
	AttemptTimeout time.Duration
}

// Stream and subject names used by default.
const (
	DefaultStream           = "HELPLINE_EVENTS"
	DefaultAuditStream      = "HELPLINE_AUDIT"
	DefaultDeadLetterStream = "HELPLINE_DLQ"
	DeadLetterSubjectPrefix = "helpline.dlq"
)

// The message-id dedupe window (StoreConfig.Duplicates). What it covers:
// a publish the store sends again because its answer was lost (Append's
// retries of one append end within about 50 s: UnavailableRetries
// attempts of up to AttemptTimeout and the waits between), the watermill
// publisher's resends (seconds), and a provider's callback brought again
// within its own retries (Twilio's end within its webhook's 15 s total
// timeout): a delivery status, recorded without deciding anything, is the
// one event only the window keeps once, and it changes nothing twice.
// What it need not cover: a message sent again however long after (a
// conversation's record of its messages refuses it, events/recall.go,
// and the ingestion index once the client's entry moved on), and every
// other decision (its command records nothing its state shows made
// already, and the expected sequence refuses a stale state). It costs
// about 125 bytes of the server's heap per event appended within it
// (measured, nats-server 2.15.2: the id, its map entry and its ddentry):
// at 500 texts a second, about 2.2 events a text, 15 minutes held about
// 120 MB, 2 minutes about 16 MB.
const (
	DefaultDuplicatesWindow = 2 * time.Minute
	MinDuplicatesWindow     = time.Minute
)

// SetDefaults fills unset fields.
func (c *StoreConfig) SetDefaults() {
	c.Stream = cmp.Or(c.Stream, DefaultStream)
	c.AuditStream = cmp.Or(c.AuditStream, DefaultAuditStream)
	c.DeadLetterStream = cmp.Or(c.DeadLetterStream, DefaultDeadLetterStream)
	c.Replicas = cmp.Or(c.Replicas, 1)
	c.Duplicates = cmp.Or(c.Duplicates, DefaultDuplicatesWindow)
	c.UnavailableRetries = cmp.Or(c.UnavailableRetries, 10)
	c.RetryWait = cmp.Or(c.RetryWait, 50*time.Millisecond)
	c.AttemptTimeout = cmp.Or(c.AttemptTimeout, 4*time.Second)
}

// Validate reports a configuration that would lose or duplicate events.
func (c StoreConfig) Validate() error {
	if c.Replicas < 1 || c.Replicas > 5 {
		return fmt.Errorf("replicas %d: must be 1 to 5", c.Replicas)
	}
	if c.Duplicates < MinDuplicatesWindow {
		return fmt.Errorf("duplicates window %s: must be at least %s to cover the log's own retries", c.Duplicates, MinDuplicatesWindow)
	}
	return nil
}

// Store appends events to JetStream and reads them back.
type Store struct {
	js  jetstream.JetStream
	cfg StoreConfig
	log zerolog.Logger
	// getsOnly: reads never switch to a consumer (see WithoutConsumers).
	getsOnly bool
}

// WithoutConsumers returns a view of the store whose reads never create a
// consumer, however long: one message get per event. The paths anonymous
// traffic can start (the web chat) read through it, so they never spend
// the stream's consumer limit, which triage, notification and the console
// need (nats-server gives each stream 1,000 by default).
func (s *Store) WithoutConsumers() *Store {
	v := *s
	v.getsOnly = true
	return &v
}

// NewStore creates or updates the streams (idempotently) and returns a
// store over them.
func NewStore(ctx context.Context, js jetstream.JetStream, cfg StoreConfig, log zerolog.Logger) (*Store, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("store config: %w", err)
	}
	s := &Store{js: js, cfg: cfg, log: log.With().Str("component", "eventstore").Logger()}
	for _, sc := range s.streamConfigs() {
		if _, err := s.ensureStream(ctx, sc); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ErrNoStreams means the log's streams have not been created: on an
// external NATS, `helpline migrate` creates them (its setup user is the
// only one allowed to).
var ErrNoStreams = errors.New("the log's streams do not exist (create them with 'helpline migrate')")

// OpenStore returns a store over streams that exist, changing nothing:
// services and administrative commands open the log this way (their NATS
// users may neither create nor reconfigure streams, nor look at the ones
// they do not use). It looks up the domain events stream, which is made
// with the others, and fails with ErrNoStreams when it is missing.
func OpenStore(ctx context.Context, js jetstream.JetStream, cfg StoreConfig, log zerolog.Logger) (*Store, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("store config: %w", err)
	}
	// A new cluster has no meta leader for a few seconds: wait for it; a
	// missing stream is not retried.
	err := transient.Do(ctx, transient.Setup, func(ctx context.Context) error {
		_, err := js.Stream(ctx, cfg.Stream)
		return err
	})
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("stream %s: %w", cfg.Stream, ErrNoStreams)
	}
	if err != nil {
		return nil, fmt.Errorf("look up stream %s: %w", cfg.Stream, err)
	}
	return &Store{js: js, cfg: cfg, log: log.With().Str("component", "eventstore").Logger()}, nil
}

func (s *Store) streamConfigs() []jetstream.StreamConfig {
	base := func(name, subjects, desc string) jetstream.StreamConfig {
		return jetstream.StreamConfig{
			Name:        name,
			Description: desc,
			Subjects:    []string{subjects},
			Retention:   jetstream.LimitsPolicy,
			Storage:     s.cfg.Storage,
			Replicas:    s.cfg.Replicas,
			Duplicates:  s.cfg.Duplicates,
			Discard:     jetstream.DiscardOld,
			// The log is the system of record: no age or size limits. It is
			// append-only; erasure is by destroying keys, not messages.
			// MaxMsgsPerSubject is no limit either (no aggregate reaches
			// 2^62 events): it is set because nats-server 2.15 then gives
			// the stream 4 MB blocks instead of 8 MB
			// (autoTuneFileStorageBlockSize; nothing else sets a stream's
			// block size), and a read by subject of an event not in memory
			// loads, and holds for seconds, the whole block it lies in. A
			// stream created without it keeps 8 MB blocks until the server
			// restarts with the new configuration.
			MaxMsgsPerSubject: 1 << 62,
			DenyDelete:        true,
			DenyPurge:         true,
			AllowDirect:       true,
		}
	}
	dlq := base(s.cfg.DeadLetterStream, DeadLetterSubjectPrefix+".>", "Helpline: messages handlers gave up on")
	// Dead letters are operational, not the record: operators may purge
	// them once replayed.
	dlq.DenyDelete, dlq.DenyPurge = false, false
	dlq.Duplicates = 2 * time.Minute
	domain := base(s.cfg.Stream, SubjectPrefix+".>", "Helpline: domain events")
	// Atomic batches let GroupCommit share one write (one fsync) between
	// the appends of many conversations.
	domain.AllowAtomicPublish = true
	return []jetstream.StreamConfig{
		domain,
		base(s.cfg.AuditStream, AuditSubjectPrefix+".>", "Helpline: audit trail"),
		dlq,
	}
}

// ensureStream creates a stream or updates it to the wanted config,
// waiting (transient.Setup) while a new cluster elects its meta leader and
// its peers join.
func (s *Store) ensureStream(ctx context.Context, sc jetstream.StreamConfig) (jetstream.Stream, error) {
	var st jetstream.Stream
	err := transient.Do(ctx, transient.Setup, func(ctx context.Context) error {
		var err error
		if st, err = s.js.CreateOrUpdateStream(ctx, sc); err != nil {
			s.log.Warn().Err(err).Str("stream", sc.Name).Msg("create stream")
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create stream %s: %w", sc.Name, err)
	}
	return st, nil
}

// Config returns the store's effective configuration.
func (s *Store) Config() StoreConfig { return s.cfg }

// JetStream returns the underlying JetStream context, for key-value buckets
// and consumers that live next to the log.
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// Expect is the optimistic-concurrency condition of an append.
type Expect struct {
	seq uint64
	any bool
}

// ExpectAny appends whatever the aggregate's state: for facts that decide
// nothing about it (a message received, a delivery status).
var ExpectAny = Expect{any: true}

// ExpectNew appends only if the aggregate has no events yet.
var ExpectNew = Expect{}

// ExpectSeq appends only if the aggregate's last event is at seq.
func ExpectSeq(seq uint64) Expect { return Expect{seq: seq} }

// Appended is the result of appending one event.
type Appended struct {
	Seq uint64
	// Duplicate is true when the log already had an event with this id
	// (within the dedupe window); Seq is then the original's.
	Duplicate bool
}

// Append writes events of one aggregate in order. With an expected
// sequence, the first event is checked against it and each further event
// against the one before, so the whole batch applies to the state the
// caller decided on, or ErrConcurrency is returned. A returned nil error
// means every event is durable (fsynced, or on a quorum of replicas).
//
// JetStream has no multi-message transaction here: if the process dies
// mid-batch, a prefix is stored. Every event is a fact on its own, and
// retrying with the same event ids completes the batch without duplicates.
func (s *Store) Append(ctx context.Context, expect Expect, envs ...Envelope) ([]Appended, error) {
	out := make([]Appended, 0, len(envs))
	next := expect
	for i, e := range envs {
		if i > 0 && e.Subject() != envs[0].Subject() {
			return out, fmt.Errorf("%w: one append holds one aggregate's events", ErrInvalidEnvelope)
		}
		a, err := s.appendOne(ctx, next, e)
		if err != nil {
			return out, err
		}
		out = append(out, a)
		// A duplicate did not move the aggregate's last sequence: its
		// original may lie before events others appended since, so the
		// next event still expects what this one did (or the duplicate's
		// sequence, when it was found after the expectation).
		if !next.any {
			next = ExpectSeq(max(next.seq, a.Seq))
		}
	}
	return out, nil
}

func (s *Store) appendOne(ctx context.Context, expect Expect, e Envelope) (Appended, error) {
	msg, err := Marshal(e)
	if err != nil {
		// An event the codec refuses (over MaxEnvelopeBytes, say) is
		// refused for good, like one over the server's limit.
		return Appended{}, fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	opts := []jetstream.PublishOpt{jetstream.WithMsgID(e.ID), jetstream.WithExpectStream(s.cfg.Stream)}
	if !expect.any {
		opts = append(opts, jetstream.WithExpectLastSequencePerSubject(expect.seq))
	}
	ack, err := s.publish(ctx, msg, opts)
	if errors.Is(err, ErrConcurrency) {
		// A single-node server checks the expected sequence before its
		// dedupe window, so a retried append whose first try did land
		// looks like a conflict. Look for this event among those appended
		// since the expectation: if it is there, the retry is a duplicate.
		if seq, found, ferr := s.findSince(ctx, msg.Subject, expect.seq, e.ID); ferr == nil && found {
			return Appended{Seq: seq, Duplicate: true}, nil
		}
	}
	if err != nil {
		return Appended{}, fmt.Errorf("append %s to %s: %w", e.Type, msg.Subject, err)
	}
	return Appended{Seq: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

// errFound stops a read early.
var errFound = errors.New("found")

// findSince looks for the event with id on subject after sequence from.
func (s *Store) findSince(ctx context.Context, subject string, from uint64, id string) (uint64, bool, error) {
	var seq uint64
	_, err := s.read(ctx, s.cfg.Stream, subject, from, func(e Envelope) error {
		if e.ID == id {
			seq = e.Sequence
			return errFound
		}
		return nil
	})
	if errors.Is(err, errFound) {
		return seq, true, nil
	}
	return 0, false, err
}

// publish sends one message and maps JetStream's answers to the store's
// sentinels: a wrong last sequence is ErrConcurrency; what passes by
// itself is retried while the cluster is temporarily unavailable, then
// ErrUnavailable; a refusal no retry fixes is ErrPermanent at once (see
// transient.Classify). Retrying is safe: the message id makes a resend a
// duplicate, not a second event.
func (s *Store) publish(ctx context.Context, msg *nats.Msg, opts []jetstream.PublishOpt) (*jetstream.PubAck, error) {
	p := transient.Policy{Attempts: s.cfg.UnavailableRetries + 1, Attempt: s.cfg.AttemptTimeout, Wait: s.cfg.RetryWait, MaxWait: time.Second}
	var ack *jetstream.PubAck
	err := transient.Do(ctx, p, func(ctx context.Context) error {
		var err error
		ack, err = s.js.PublishMsg(ctx, msg, opts...)
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) {
			switch apiErr.ErrorCode {
			case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant:
				return fmt.Errorf("%w: %s", ErrConcurrency, apiErr.Description)
			}
		}
		return err
	})
	if err == nil {
		return ack, nil
	}
	if errors.Is(err, ErrConcurrency) {
		return nil, err
	}
	return nil, transient.Classify(err)
}

// AppendAudit writes one audit record. Audit records are envelopes too, so
// they share the codec and the contracts; kind becomes the subject's last
// token (e.g. "content_read").
func (s *Store) AppendAudit(ctx context.Context, kind string, e Envelope) (Appended, error) {
	if err := ValidateID(kind); err != nil {
		return Appended{}, fmt.Errorf("audit kind: %w", err)
	}
	msg, err := Marshal(e)
	if err != nil {
		// An event the codec refuses (over MaxEnvelopeBytes, say) is
		// refused for good, like one over the server's limit.
		return Appended{}, fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	msg.Subject = AuditSubject(kind)
	ack, err := s.publish(ctx, msg, []jetstream.PublishOpt{jetstream.WithMsgID(e.ID), jetstream.WithExpectStream(s.cfg.AuditStream)})
	if err != nil {
		return Appended{}, fmt.Errorf("audit %s: %w", kind, err)
	}
	return Appended{Seq: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

// Load returns one aggregate's events in order, and the sequence of the
// last one (0 when it has none: use it with ExpectSeq).
func (s *Store) Load(ctx context.Context, aggregateType, aggregateID string) ([]Envelope, uint64, error) {
	if err := ValidateID(aggregateID); err != nil {
		return nil, 0, err
	}
	subject := Subject(aggregateType, aggregateID)
	var out []Envelope
	last, err := s.read(ctx, s.cfg.Stream, subject, 0, func(e Envelope) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("load %s: %w", subject, err)
	}
	return out, last, nil
}

// ErrTooFarBehind is returned by Since when more events follow than the
// caller wanted to fetch one by one: load the aggregate whole instead.
var ErrTooFarBehind = errors.New("too many events to fetch one by one")

// Since returns one aggregate's events after sequence after, in order, and
// the sequence of its last event (after itself when nothing follows). It
// asks the stream leader for each next event on the subject, like the
// short reads of Load, so it is cheap for a caller that holds the
// aggregate's state up to after and is a few events behind (a cache).
// When more than max events follow it returns ErrTooFarBehind. With max
// below getReadLimit it never creates a consumer.
func (s *Store) Since(ctx context.Context, aggregateType, aggregateID string, after uint64, max int) ([]Envelope, uint64, error) {
	if err := ValidateID(aggregateID); err != nil {
		return nil, 0, err
	}
	subject := Subject(aggregateType, aggregateID)
	var out []Envelope
	last, err := s.read(ctx, s.cfg.Stream, subject, after, func(e Envelope) error {
		if len(out) == max {
			return fmt.Errorf("%s after %d: %w", subject, after, ErrTooFarBehind)
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, last, nil
}

// Read calls fn for every event on subject (wildcards allowed) in stream
// order, starting after sequence from, and returns the last sequence read.
func (s *Store) Read(ctx context.Context, subject string, from uint64, fn func(Envelope) error) (uint64, error) {
	return s.read(ctx, s.cfg.Stream, subject, from, fn)
}

// ReadAudit is Read over the audit stream.
func (s *Store) ReadAudit(ctx context.Context, from uint64, fn func(Envelope) error) (uint64, error) {
	return s.read(ctx, s.cfg.AuditStream, AuditSubjectPrefix+".>", from, fn)
}

// getReadLimit is how many events read fetches one by one before it
// switches to a consumer.
const getReadLimit = 64

// read calls fn for the events on subject after from. The short reads of
// the hot path (one aggregate's history, a projection's few new events)
// use the stream leader's message-get API, one request per event: no
// consumer is created, and in a cluster each consumer creation and
// deletion is a proposal to the meta layer, which under load falls behind
// and stops answering ("no responders"). Longer reads (a rebuild) switch
// to an ordered consumer after getReadLimit events.
func (s *Store) read(ctx context.Context, stream, subject string, from uint64, fn func(Envelope) error) (uint64, error) {
	last := from
	for i := 0; s.getsOnly || i < getReadLimit; i++ {
		e, ok, err := s.getNext(ctx, stream, subject, last+1)
		if err != nil || !ok {
			return last, err
		}
		if err := fn(e); err != nil {
			return last, err
		}
		last = e.Sequence
	}
	// A new ordered consumer in a cluster may not answer its first pulls
	// ("no responders"), and a leader may move mid-read: go on from the
	// last event read, with a fresh consumer, until five tries in a row
	// read nothing.
	stalled := 0
	err := transient.Do(ctx, resumeRead, func(ctx context.Context) error {
		l, err := s.readConsumer(ctx, stream, subject, last, fn)
		if l > last {
			last, stalled = l, 0
		}
		if err != nil && errors.Is(err, ErrUnavailable) {
			if stalled++; stalled >= 5 {
				return transient.Final(err)
			}
			s.log.Debug().Err(err).Str("subject", subject).Uint64("after", last).Msg("read interrupted; resuming")
		}
		return err
	})
	return last, err
}

// resumeRead is how read resumes an interrupted consumer: whatever the
// log could not serve (ErrUnavailable), after a short wait.
var resumeRead = transient.Policy{Wait: 100 * time.Millisecond, MaxWait: time.Second,
	Retry: func(err error) bool { return errors.Is(err, ErrUnavailable) }}

// msgGetResponse is the answer of $JS.API.STREAM.MSG.GET.
type msgGetResponse struct {
	Message *struct {
		Sequence uint64 `json:"seq"`
		Data     []byte `json:"data"`
	} `json:"message"`
	Error *jetstream.APIError `json:"error"`
}

// request sends one JetStream API request, retrying lost ones: a get is
// idempotent, and when the NATS node a process is connected to dies, a
// request in flight is never answered.
func (s *Store) request(ctx context.Context, subject string, data []byte) (*nats.Msg, error) {
	var msg *nats.Msg
	err := transient.Do(ctx, transient.Reads, func(ctx context.Context) error {
		var err error
		msg, err = s.js.Conn().RequestWithContext(ctx, subject, data)
		return err
	})
	return msg, err
}

// getNext returns the first event on subject at or after seq, asking the
// stream leader (not a direct get, which a lagging replica may answer: a
// handler must see the event it was handed).
func (s *Store) getNext(ctx context.Context, stream, subject string, seq uint64) (Envelope, bool, error) {
	req, _ := json.Marshal(map[string]any{"seq": seq, "next_by_subj": subject})
	msg, err := s.request(ctx, "$JS.API.STREAM.MSG.GET."+stream, req)
	if err != nil {
		return Envelope{}, false, fmt.Errorf("get %s after %d: %w", subject, seq, transient.Classify(err))
	}
	var resp msgGetResponse
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return Envelope{}, false, fmt.Errorf("%w: get %s: %w", ErrUnavailable, subject, err)
	}
	if resp.Error != nil {
		// Only "no message found" ends the read; any other 404 (the
		// stream missing, say) must not pass for an empty history.
		if resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound {
			return Envelope{}, false, nil
		}
		return Envelope{}, false, fmt.Errorf("get %s: %w", subject, transient.Classify(resp.Error))
	}
	if resp.Message == nil {
		return Envelope{}, false, fmt.Errorf("%w: get %s: empty answer", ErrUnavailable, subject)
	}
	e, err := Unmarshal(resp.Message.Data, resp.Message.Sequence)
	if err != nil {
		return Envelope{}, false, fmt.Errorf("seq %d: %w", resp.Message.Sequence, err)
	}
	return e, true, nil
}

// readConsumer uses an ordered consumer (client-side, ephemeral,
// gap-checked) and stops when the consumer reports nothing pending.
func (s *Store) readConsumer(ctx context.Context, stream, subject string, from uint64, fn func(Envelope) error) (uint64, error) {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}}
	if from > 0 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = from + 1
	}
	// The server would keep an idle reader for InactiveThreshold; at the
	// rate webhooks load conversations they would pile up to the consumer
	// limit, so each reader is deleted as soon as it is done.
	cfg.InactiveThreshold = 10 * time.Second
	cons, err := s.js.OrderedConsumer(ctx, stream, cfg)
	if err != nil {
		return from, fmt.Errorf("ordered consumer: %w", transient.Classify(err))
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return from, fmt.Errorf("consumer info: %w", transient.Classify(err))
	}
	// An ordered consumer re-creates its server-side consumer (under a
	// new name) when it starts fetching: delete whichever is current last.
	defer func() {
		if ci := cons.CachedInfo(); ci != nil {
			s.deleteReader(stream, ci.Name)
		}
	}()
	last := from
	if info.NumPending == 0 {
		return last, nil
	}
	for {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return last, fmt.Errorf("fetch: %w", transient.Classify(err))
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				return last, fmt.Errorf("metadata: %w", err)
			}
			e, err := Unmarshal(m.Data(), md.Sequence.Stream)
			if err != nil {
				return last, fmt.Errorf("seq %d: %w", md.Sequence.Stream, err)
			}
			if err := fn(e); err != nil {
				return last, err
			}
			last = md.Sequence.Stream
			if md.NumPending == 0 {
				return last, nil
			}
		}
		if err := batch.Error(); err != nil {
			return last, fmt.Errorf("fetch: %w", transient.Classify(err))
		}
		if n == 0 {
			if err := ctx.Err(); err != nil {
				return last, err
			}
		}
	}
}

func (s *Store) deleteReader(stream, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.js.DeleteConsumer(ctx, stream, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		s.log.Debug().Err(err).Str("consumer", name).Msg("delete reader; the server drops it when idle")
	}
}

// LastSequence returns the stream's last sequence: how far a projection
// must get to be caught up.
func (s *Store) LastSequence(ctx context.Context) (uint64, error) {
	st, err := s.js.Stream(ctx, s.cfg.Stream)
	if err != nil {
		return 0, transient.Classify(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, transient.Classify(err)
	}
	return info.State.LastSeq, nil
}

// Ping checks that the log answers: readiness.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.LastSequence(ctx)
	return err
}
