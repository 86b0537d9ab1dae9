package wmjetstream

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/natstest"
)

// fakeMsg is a received JetStream message without a server behind it.
type fakeMsg struct {
	jetstream.Msg // nil: calling anything else panics
	header        nats.Header
	data          []byte
	meta          *jetstream.MsgMetadata
}

func (m fakeMsg) Headers() nats.Header                      { return m.header }
func (m fakeMsg) Data() []byte                              { return m.data }
func (m fakeMsg) Metadata() (*jetstream.MsgMetadata, error) { return m.meta, nil }

// wire sends h through a NATS server and returns the headers received.
func wire(t *testing.T, nc *nats.Conn, h nats.Header) nats.Header {
	t.Helper()
	sub, err := nc.SubscribeSync("wire")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := nc.PublishMsg(&nats.Msg{Subject: "wire", Header: h}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	got, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return got.Header
}

func TestHeaderMarshalerRoundTrip(t *testing.T) {
	t.Parallel()
	nc, _ := natstest.Connect(t, startServer(t, "", -1).ClientURL())
	tests := []struct {
		name     string
		uuid     string
		metadata message.Metadata
		payload  string
	}{
		{"plain", "4b8c7a52-8b1b-4d5e-9a55-3b8d1c7e9f10", message.Metadata{"correlation_id": "c-1", "Mixed-Case": "v"}, "body"},
		{"empty", "id", message.Metadata{}, ""},
		{"empty value", "id", message.Metadata{"k": ""}, "x"},
		{"multi-line value", "id", message.Metadata{"reason_poisoned": "panic occurred: stacktrace: \ngoroutine 1\n\tmain.go:1"}, "x"},
		{"surrounding blanks", "id", message.Metadata{"k": "  padded\t"}, "x"},
		{"control characters", "id", message.Metadata{"k": "a\x00b\rc\x7f"}, "x"},
		{"looks encoded", "id", message.Metadata{"k": encodedPrefix + "aGk="}, "x"},
		{"unicode", "id", message.Metadata{"k": "ünïcode ✓"}, "x"},
		{"odd uuid", " id\n", message.Metadata{}, "x"},
		{"js metadata from an earlier delivery", "id", message.Metadata{MetadataStreamSeq: "7"}, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := message.NewMessage(tt.uuid, []byte(tt.payload))
			in.Metadata = maps.Clone(tt.metadata)
			nm, err := HeaderMarshaler{}.Marshal("subj", in)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if nm.Subject != "subj" || string(nm.Data) != tt.payload {
				t.Fatalf("Marshal = subject %q data %q", nm.Subject, nm.Data)
			}
			received := wire(t, nc, nm.Header)
			received.Set("Nats-Msg-Id", "subj:"+tt.uuid) // added by the publisher, ignored on receipt
			out, err := HeaderMarshaler{}.Unmarshal(fakeMsg{header: received, data: nm.Data})
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if out.UUID != tt.uuid || string(out.Payload) != tt.payload {
				t.Errorf("round trip = %q %q, want %q %q", out.UUID, out.Payload, tt.uuid, tt.payload)
			}
			if !maps.Equal(out.Metadata, tt.metadata) {
				t.Errorf("round trip metadata = %q, want %q", out.Metadata, tt.metadata)
			}
		})
	}
}

func TestHeaderMarshalerPlainValuesStayReadable(t *testing.T) {
	in := message.NewMessage("id-1", nil)
	in.Metadata.Set("correlation_id", "c-1")
	nm, err := HeaderMarshaler{}.Marshal("s", in)
	if err != nil {
		t.Fatal(err)
	}
	if got := nm.Header.Get("correlation_id"); got != "c-1" {
		t.Errorf("header correlation_id = %q, want c-1", got)
	}
	if got := nm.Header.Get(UUIDHeader); got != "id-1" {
		t.Errorf("header %s = %q, want id-1", UUIDHeader, got)
	}
}

func TestHeaderMarshalerRejectsKeys(t *testing.T) {
	for _, key := range []string{"", "a b", "a:b", "ü", "Nats-Msg-Id", "nats-expected-last-sequence", UUIDHeader, "line\nbreak"} {
		in := message.NewMessage("id", nil)
		in.Metadata.Set(key, "v")
		if _, err := (HeaderMarshaler{}).Marshal("s", in); err == nil {
			t.Errorf("Marshal accepted metadata key %q", key)
		}
	}
}

func TestHeaderMarshalerUnmarshalForeignMessage(t *testing.T) {
	tests := []struct {
		name     string
		header   nats.Header
		wantUUID string
		wantMeta message.Metadata
	}{
		{"no headers", nil, "EVENTS-42", message.Metadata{}},
		{"nats headers only", nats.Header{"Nats-Msg-Id": {"x"}, "Nats-Expected-Stream": {"EVENTS"}}, "EVENTS-42", message.Metadata{}},
		{"repeated header keeps the first", nats.Header{"k": {"first", "second"}}, "EVENTS-42", message.Metadata{"k": "first"}},
		{"bad encoding kept as is", nats.Header{"k": {encodedPrefix + "not base64!"}}, "EVENTS-42", message.Metadata{"k": encodedPrefix + "not base64!"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			meta := &jetstream.MsgMetadata{Stream: "EVENTS", Sequence: jetstream.SequencePair{Stream: 42}}
			out, err := HeaderMarshaler{}.Unmarshal(fakeMsg{header: tt.header, data: []byte("x"), meta: meta})
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if out.UUID != tt.wantUUID {
				t.Errorf("UUID = %q, want %q", out.UUID, tt.wantUUID)
			}
			if !maps.Equal(out.Metadata, tt.wantMeta) {
				t.Errorf("metadata = %q, want %q", out.Metadata, tt.wantMeta)
			}
		})
	}
}

func TestEncodeValueOnlyWhenNeeded(t *testing.T) {
	tests := []struct {
		in      string
		encoded bool
	}{
		{"", false},
		{"plain", false},
		{"inner space and\ttab", false},
		{"ünïcode", false},
		{" lead", true},
		{"trail\t", true},
		{"new\nline", true},
		{"bell\a", true},
		{encodedPrefix, true},
	}
	for _, tt := range tests {
		got := encodeValue(tt.in)
		if enc := strings.HasPrefix(got, encodedPrefix); enc != tt.encoded {
			t.Errorf("encodeValue(%q) = %q, encoded %v, want %v", tt.in, got, enc, tt.encoded)
		}
		if back := decodeValue(got); back != tt.in {
			t.Errorf("decodeValue(encodeValue(%q)) = %q", tt.in, back)
		}
	}
}
