package wmjetstream

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// UUIDHeader is the NATS header holding the watermill message UUID. The name
// is the one watermill-nats uses, so either side can read the other's
// messages.
const UUIDHeader = "_watermill_message_uuid"

// encodedPrefix marks a metadata value that NATS headers cannot carry as is
// (line breaks, control characters, leading or trailing blanks, which
// nats.go would replace or trim): such a value is written as this prefix and
// its base64 (standard encoding). A value that itself starts with the
// prefix is encoded too, so every value round-trips.
const encodedPrefix = "=?b64?"

// reservedPrefix starts the header names NATS and JetStream interpret
// (Nats-Msg-Id, Nats-Expected-Last-Sequence, ...). Metadata may not use it;
// such headers on a received message are not copied into metadata.
const reservedPrefix = "Nats-"

// Marshaler turns a watermill message into the NATS message published on
// subject.
type Marshaler interface {
	Marshal(subject string, msg *message.Message) (*nats.Msg, error)
}

// Unmarshaler turns a received JetStream message into a watermill message.
// It must not ack the message.
type Unmarshaler interface {
	Unmarshal(msg jetstream.Msg) (*message.Message, error)
}

// HeaderMarshaler is the default Marshaler and Unmarshaler. The payload is
// the NATS message body, unchanged. The UUID goes in UUIDHeader; every
// metadata entry becomes a header of the same name (case kept) whose value
// is the metadata value, or, when the value cannot travel in a header,
// "=?b64?" followed by its base64.
//
// Marshal refuses metadata keys that are not valid header names, keys
// starting with "Nats-" (any case) and a key equal to UUIDHeader. Unmarshal
// ignores headers starting with "Nats-", keeps the first value of a header
// given several times, and when UUIDHeader is missing (a message published
// without watermill) uses "<stream>-<stream sequence>" as the UUID.
type HeaderMarshaler struct{}

var (
	_ Marshaler   = HeaderMarshaler{}
	_ Unmarshaler = HeaderMarshaler{}
)

// Marshal implements Marshaler.
func (HeaderMarshaler) Marshal(subject string, msg *message.Message) (*nats.Msg, error) {
	h := make(nats.Header, len(msg.Metadata)+1)
	for k, v := range msg.Metadata {
		if err := checkMetadataKey(k); err != nil {
			return nil, err
		}
		h.Set(k, encodeValue(v))
	}
	h.Set(UUIDHeader, encodeValue(msg.UUID))
	return &nats.Msg{Subject: subject, Header: h, Data: msg.Payload}, nil
}

// Unmarshal implements Unmarshaler.
func (HeaderMarshaler) Unmarshal(jm jetstream.Msg) (*message.Message, error) {
	h := jm.Headers()
	md := make(message.Metadata, len(h))
	var id string
	for k, vs := range h {
		if len(vs) == 0 || hasReservedPrefix(k) {
			continue
		}
		v := decodeValue(vs[0])
		if k == UUIDHeader {
			id = v
			continue
		}
		md[k] = v
	}
	if id == "" {
		meta, err := jm.Metadata()
		if err != nil {
			return nil, fmt.Errorf("no %s header and no metadata: %w", UUIDHeader, err)
		}
		id = meta.Stream + "-" + strconv.FormatUint(meta.Sequence.Stream, 10)
	}
	msg := message.NewMessage(id, jm.Data())
	msg.Metadata = md
	return msg, nil
}

func checkMetadataKey(k string) error {
	if k == UUIDHeader || hasReservedPrefix(k) {
		return fmt.Errorf("metadata key %q is reserved", k)
	}
	if k == "" {
		return errors.New("empty metadata key")
	}
	for i := 0; i < len(k); i++ {
		// Header names are printable ASCII without the colon (RFC 7230 is
		// stricter; nats.go accepts this range).
		if c := k[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return fmt.Errorf("metadata key %q is not a valid NATS header name", k)
		}
	}
	return nil
}

func hasReservedPrefix(k string) bool {
	return len(k) >= len(reservedPrefix) && strings.EqualFold(k[:len(reservedPrefix)], reservedPrefix)
}

func encodeValue(v string) string {
	if headerSafe(v) && !strings.HasPrefix(v, encodedPrefix) {
		return v
	}
	return encodedPrefix + base64.StdEncoding.EncodeToString([]byte(v))
}

// decodeValue reverses encodeValue. A value that only looks encoded (from a
// publisher that is not this package) is kept as it is.
func decodeValue(v string) string {
	rest, ok := strings.CutPrefix(v, encodedPrefix)
	if !ok {
		return v
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return v
	}
	return string(b)
}

// headerSafe reports whether nats.go sends v unchanged: no control
// characters (it turns CR and LF into spaces) and no blanks at either end
// (it trims them).
func headerSafe(v string) bool {
	if v == "" {
		return true
	}
	if isBlank(v[0]) || isBlank(v[len(v)-1]) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }
