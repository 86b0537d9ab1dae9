// Package events owns Helpline's event log: the envelope every fact travels
// in, the catalogue of event types and their versioned payloads, the codec,
// the conversation aggregate folded from its events, and the JetStream store
// that appends and loads them.
//
// Subjects, ids and headers never contain a phone number, a name or any
// message content: those travel only inside payloads, and only encrypted.
package events

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Aggregate types. Each is the third token of an event subject.
const (
	AggregateConversation = "conversation"
	AggregateClient       = "client"
	AggregateWorker       = "worker"
	AggregateLine         = "line"
	AggregateRota         = "rota"
	// AggregateReplies is a line's saved replies.
	AggregateReplies = "replies"
)

// SubjectPrefix is the common prefix of every domain event subject.
const SubjectPrefix = "helpline.events"

// AuditSubjectPrefix is the common prefix of audit trail subjects.
const AuditSubjectPrefix = "helpline.audit"

// Envelope is the small, stable wrapper around every event. The payload is
// versioned JSON whose shape is fixed by (Type, Version); a published shape
// never changes, a new version is added instead.
type Envelope struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	Version       int             `json:"version"`
	AggregateType string          `json:"aggregate_type"`
	AggregateID   string          `json:"aggregate_id"`
	OccurredAt    time.Time       `json:"occurred_at"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	CausationID   string          `json:"causation_id,omitempty"`
	Payload       json.RawMessage `json:"payload"`

	// Sequence is the event's stream sequence, set when it is read from the
	// log. It is not part of the stored envelope.
	Sequence uint64 `json:"-"`
}

// Errors returned when an envelope or id is not acceptable.
var (
	ErrInvalidID       = errors.New("invalid id")
	ErrUnknownType     = errors.New("unknown event type")
	ErrInvalidEnvelope = errors.New("invalid envelope")
)

// maxIDLen bounds ids, so subjects stay short.
const maxIDLen = 64

// ValidateID reports whether id can be used as an aggregate or event id:
// 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-'. An id becomes a subject
// token, so no dots, wildcards or spaces. (A loop, not a regular
// expression: every event's ids are checked when it is made, stored and
// read.)
func ValidateID(id string) error {
	if !validID(id) {
		return fmt.Errorf("%w: %q must be 1-%d characters of A-Z, a-z, 0-9, '_' or '-'", ErrInvalidID, truncate(id, 80), maxIDLen)
	}
	return nil
}

func validID(id string) bool {
	if len(id) == 0 || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Subject returns the subject an aggregate's events are stored under. It is
// the only place subject names are made.
func Subject(aggregateType, aggregateID string) string {
	return SubjectPrefix + "." + aggregateType + "." + aggregateID
}

// AggregateOf returns the aggregate type and id of subject, a domain event
// subject made by Subject; ok is false for any other subject.
func AggregateOf(subject string) (aggregateType, aggregateID string, ok bool) {
	rest, ok := strings.CutPrefix(subject, SubjectPrefix+".")
	if !ok {
		return "", "", false
	}
	aggregateType, aggregateID, ok = strings.Cut(rest, ".")
	if !ok || aggregateType == "" || !validID(aggregateID) {
		return "", "", false
	}
	return aggregateType, aggregateID, true
}

// AggregateSubjects returns the filter subject for every event of one
// aggregate type.
func AggregateSubjects(aggregateType string) string {
	return SubjectPrefix + "." + aggregateType + ".>"
}

// AuditSubject returns the subject an audit record about an actor is stored
// under.
func AuditSubject(kind string) string {
	return AuditSubjectPrefix + "." + kind
}

// DerivedID returns a deterministic id of 26 lowercase base32 characters
// for a decision identified by parts (for example a message, a staff member
// and a mark): the same parts give the same id, so the log's dedupe keeps
// one event however often the decision is recorded, and the id stays a
// valid id (ValidateID) however long the parts are.
func DerivedID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return strings.ToLower(idEncoding.EncodeToString(h[:16]))
}

// NewID returns a new random, time-ordered-free identifier of 26 lowercase
// base32 characters (130 bits of entropy, a valid id: ValidateID).
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand never fails on supported platforms; a failure here
		// means the process cannot make ids safely at all.
		panic(fmt.Sprintf("events: read random: %v", err))
	}
	return strings.ToLower(idEncoding.EncodeToString(b[:]))
}

// Validate checks the envelope's fixed fields: ids usable in subjects, a
// catalogued type and version, a known aggregate type, a time, and a
// payload that is JSON.
func (e Envelope) Validate() error {
	if err := e.validateFields(); err != nil {
		return err
	}
	if !json.Valid(e.Payload) {
		return fmt.Errorf("%w: payload is not JSON", ErrInvalidEnvelope)
	}
	return nil
}

// validateFields is Validate without scanning the payload: for an envelope
// whose payload json.Marshal just made (NewWithID) or json.Unmarshal just
// read as part of a valid document (Unmarshal), so is JSON already.
func (e Envelope) validateFields() error {
	if err := ValidateID(e.ID); err != nil {
		return fmt.Errorf("%w: event id: %w", ErrInvalidEnvelope, err)
	}
	if err := ValidateID(e.AggregateID); err != nil {
		return fmt.Errorf("%w: aggregate id: %w", ErrInvalidEnvelope, err)
	}
	def, ok := Lookup(e.Type, e.Version)
	if !ok {
		return fmt.Errorf("%w: %w: %s v%d", ErrInvalidEnvelope, ErrUnknownType, e.Type, e.Version)
	}
	if def.Aggregate != e.AggregateType {
		return fmt.Errorf("%w: %s belongs to aggregate %q, not %q", ErrInvalidEnvelope, e.Type, def.Aggregate, e.AggregateType)
	}
	if e.OccurredAt.IsZero() {
		return fmt.Errorf("%w: occurred_at is zero", ErrInvalidEnvelope)
	}
	if len(e.Payload) == 0 {
		return fmt.Errorf("%w: payload is not JSON", ErrInvalidEnvelope)
	}
	for _, id := range [...]string{e.CorrelationID, e.CausationID} {
		if id != "" {
			if err := ValidateID(id); err != nil {
				return fmt.Errorf("%w: correlation or causation id: %w", ErrInvalidEnvelope, err)
			}
		}
	}
	return nil
}

// Subject returns the subject this envelope is stored under.
func (e Envelope) Subject() string { return Subject(e.AggregateType, e.AggregateID) }

// Meta carries what a new event inherits from its cause: correlation and
// causation ids, and the time.
type Meta struct {
	CorrelationID string
	CausationID   string
	OccurredAt    time.Time
}

// Caused returns the Meta for an event caused by e: same correlation id, e
// as the cause, at the given time.
func (e Envelope) Caused(at time.Time) Meta {
	corr := e.CorrelationID
	if corr == "" {
		corr = e.ID
	}
	return Meta{CorrelationID: corr, CausationID: e.ID, OccurredAt: at}
}

// New wraps a catalogued payload in an envelope with a new random id.
func New(aggregateID string, p Payload, m Meta) (Envelope, error) {
	return NewWithID(NewID(), aggregateID, p, m)
}

// NewWithID wraps a catalogued payload in an envelope with the given id. Use
// a deterministic id (derived from a provider's message id, or from the
// causing event) when the same fact may be recorded twice: the log's dedupe
// window then keeps one.
func NewWithID(id, aggregateID string, p Payload, m Meta) (Envelope, error) {
	def, ok := definitionOf(p)
	if !ok {
		return Envelope{}, fmt.Errorf("%w: %T", ErrUnknownType, p)
	}
	data, err := json.Marshal(p)
	if err != nil {
		return Envelope{}, fmt.Errorf("marshal %s: %w", def.Type, err)
	}
	at := m.OccurredAt
	if at.IsZero() {
		return Envelope{}, fmt.Errorf("%w: %s has no occurred_at", ErrInvalidEnvelope, def.Type)
	}
	env := Envelope{
		ID:            id,
		Type:          def.Type,
		Version:       def.Version,
		AggregateType: def.Aggregate,
		AggregateID:   aggregateID,
		OccurredAt:    at.UTC(),
		CorrelationID: m.CorrelationID,
		CausationID:   m.CausationID,
		Payload:       data,
	}
	if env.CorrelationID == "" {
		env.CorrelationID = id
	}
	return env, env.validateFields() // the payload is json.Marshal's
}

// Decode returns the envelope's payload as its catalogued Go type; an
// older version of a type comes back as its current version's Go type.
func (e Envelope) Decode() (Payload, error) {
	def, ok := Lookup(e.Type, e.Version)
	if !ok {
		return nil, fmt.Errorf("%w: %s v%d", ErrUnknownType, e.Type, e.Version)
	}
	p := def.New()
	if err := json.Unmarshal(e.Payload, p); err != nil {
		return nil, fmt.Errorf("decode %s v%d: %w", e.Type, e.Version, err)
	}
	if def.upcast != nil {
		return def.upcast(derefPayload(p)), nil
	}
	return derefPayload(p), nil
}

// DecodeIf returns the envelope's payload (Decode) when its type is one of
// types, and nil, without an error, for any other type: a reader that acts
// on a few types decodes only those.
func (e Envelope) DecodeIf(types ...string) (Payload, error) {
	if !slices.Contains(types, e.Type) {
		return nil, nil
	}
	return e.Decode()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
