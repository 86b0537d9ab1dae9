package events

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Headers set on every stored event. They carry only ids and type names, so
// operators can filter without decoding, and never content.
const (
	HeaderType          = "Helpline-Type"
	HeaderVersion       = "Helpline-Version"
	HeaderCorrelationID = "Helpline-Correlation-Id"
)

// MaxEnvelopeBytes bounds one encoded event. SMS bodies are at most 1,600
// characters; the rest is small. Anything larger is a bug or an attack.
const MaxEnvelopeBytes = 64 << 10

// Marshal encodes an envelope as the message stored in the log.
func Marshal(e Envelope) (*nats.Msg, error) {
	// The payload is scanned once, by json.Marshal, which refuses a raw
	// message that is not JSON; Validate's own scan would be a second.
	if err := e.validateFields(); err != nil {
		return nil, err
	}
	data, err := json.Marshal(e)
	if err != nil && !json.Valid(e.Payload) {
		return nil, fmt.Errorf("%w: payload is not JSON", ErrInvalidEnvelope)
	}
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", e.Type, err)
	}
	if len(data) > MaxEnvelopeBytes {
		return nil, fmt.Errorf("%w: %s is %d bytes, more than %d", ErrInvalidEnvelope, e.Type, len(data), MaxEnvelopeBytes)
	}
	m := nats.NewMsg(e.Subject())
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, e.ID)
	m.Header.Set(HeaderType, e.Type)
	m.Header.Set(HeaderVersion, strconv.Itoa(e.Version))
	if e.CorrelationID != "" {
		m.Header.Set(HeaderCorrelationID, e.CorrelationID)
	}
	return m, nil
}

// Unmarshal decodes a stored message into an envelope and checks it. seq is
// the message's stream sequence.
func Unmarshal(data []byte, seq uint64) (Envelope, error) {
	var e Envelope
	if len(data) > MaxEnvelopeBytes {
		return e, fmt.Errorf("%w: %d bytes", ErrInvalidEnvelope, len(data))
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return e, fmt.Errorf("%w: %w", ErrInvalidEnvelope, err)
	}
	// json.Unmarshal checked the whole document, the payload in it.
	if err := e.validateFields(); err != nil {
		return e, err
	}
	e.Sequence = seq
	return e, nil
}

// FromJetStream decodes a consumed JetStream message.
func FromJetStream(m jetstream.Msg) (Envelope, error) {
	md, err := m.Metadata()
	if err != nil {
		return Envelope{}, fmt.Errorf("metadata: %w", err)
	}
	return Unmarshal(m.Data(), md.Sequence.Stream)
}
