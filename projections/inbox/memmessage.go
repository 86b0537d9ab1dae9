package inbox

import (
	"slices"
	"time"
	"unique"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections"
)

// memMessage is how the memory store keeps a message. The inbox of
// `helpline run` keeps every message of the process's life (issue 17), so
// each costs what it must and no more: its ids, its time and its sealed
// body's ciphertext are its own; what messages share (the id of the key
// that sealed the body, one per client; direction, kind, status, reason
// and risk, a handful of values) is interned and held by a handle of one
// pointer; what only some messages have (a reply's or a note's staff, an
// SMS's provider id, a verdict's sealed terms) sits behind a pointer that
// is nil for the others. 112 bytes and its ids' and ciphertext's, where a
// Message is 264 bytes and its decoded strings besides
// (TestMemoryStoreBytesPerMessage). message gives back the Message that
// was put, with fresh copies of the sealed bytes.
type memMessage struct {
	id, eventID string
	at          time.Time
	body        events.Sealed // its Data only: its KeyID is among the facts
	facts       unique.Handle[messageFacts]
	rare        *rareFields
}

// messageFacts are the fields of a message that take few values.
type messageFacts struct{ direction, kind, status, reason, risk, bodyKey string }

// rareFields are the fields of a message that most messages leave empty.
type rareFields struct {
	staffID, senderName, providerMessageID string
	terms                                  events.Sealed
}

// keep is m as the store keeps it.
func keep(m Message) memMessage {
	k := memMessage{id: m.ID, eventID: m.EventID, at: m.At, facts: unique.Make(messageFacts{m.Direction, m.Kind, m.Status, m.Reason, m.Risk, m.Body.KeyID})}
	if len(m.Body.Data) > 0 {
		k.body.Data = slices.Clone(m.Body.Data)
	}
	if m.StaffID != "" || m.SenderName != "" || m.ProviderMessageID != "" || m.Terms.KeyID != "" || len(m.Terms.Data) > 0 {
		k.rare = &rareFields{staffID: m.StaffID, senderName: m.SenderName, providerMessageID: m.ProviderMessageID,
			terms: projections.SealedCopy(m.Terms)}
	}
	return k
}

// message is the Message k keeps, its sealed bytes copied.
func (k memMessage) message() Message {
	f := k.facts.Value()
	m := Message{ID: k.id, EventID: k.eventID, Direction: f.direction, Kind: f.kind, At: k.at,
		Status: f.status, Reason: f.reason, Risk: f.risk}
	if f.bodyKey != "" || len(k.body.Data) > 0 {
		m.Body.KeyID = f.bodyKey
		if len(k.body.Data) > 0 {
			m.Body.Data = slices.Clone(k.body.Data)
		}
	}
	if r := k.rare; r != nil {
		m.StaffID, m.SenderName, m.ProviderMessageID, m.Terms = r.staffID, r.senderName, r.providerMessageID, projections.SealedCopy(r.terms)
	}
	return m
}

// messagesOf is a list as the store keeps it.
func messagesOf(ks []memMessage) []Message {
	if len(ks) == 0 {
		return nil
	}
	out := make([]Message, len(ks))
	for i, k := range ks {
		out[i] = k.message()
	}
	return out
}

// keepAll is a list of messages as the store keeps it.
func keepAll(ms []Message) []memMessage {
	out := make([]memMessage, len(ms))
	for i, m := range ms {
		out[i] = keep(m)
	}
	return out
}
