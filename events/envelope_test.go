package events_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/helpline-org/helpline/events"
)

func TestValidateID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id string
		ok bool
	}{
		{"conv-1_A", true},
		{strings.Repeat("a", 64), true},
		{"", false},
		{strings.Repeat("a", 65), false},
		{"a.b", false}, // would split the subject
		{"a*", false},
		{"a>", false},
		{"a b", false},
		{"+447700900123", false}, // a number is never an id
	}
	for _, tt := range tests {
		if err := events.ValidateID(tt.id); (err == nil) != tt.ok {
			t.Errorf("ValidateID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
		}
	}
}

// FuzzValidateID: ValidateID accepts exactly what the pattern of ids says,
// ^[A-Za-z0-9_-]{1,64}$.
func FuzzValidateID(f *testing.F) {
	for _, id := range []string{"conv-1_A", strings.Repeat("a", 64), strings.Repeat("a", 65), "", "a.b", "a\nb", "é", "+447700900123", "Z9_-"} {
		f.Add(id)
	}
	pattern := regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	f.Fuzz(func(t *testing.T, id string) {
		if got, want := events.ValidateID(id) == nil, pattern.MatchString(id); got != want {
			t.Fatalf("ValidateID(%q) ok=%v, the pattern says %v", id, got, want)
		}
	})
}

func TestNewRejectsWhatTheLogMustNotHold(t *testing.T) {
	t.Parallel()
	m := events.Meta{OccurredAt: t0}
	if _, err := events.New("a.b", events.ConversationClosed{ByStaffID: "x"}, m); !errors.Is(err, events.ErrInvalidEnvelope) {
		t.Errorf("dotted aggregate id: %v", err)
	}
	type notCatalogued struct{ X int }
	if _, err := events.New("c1", notCatalogued{}, m); !errors.Is(err, events.ErrUnknownType) {
		t.Errorf("uncatalogued payload: %v", err)
	}
	if _, err := events.New("c1", events.ConversationClosed{}, events.Meta{}); err == nil {
		t.Error("event without time accepted")
	}
}

func TestCausedCarriesCorrelation(t *testing.T) {
	t.Parallel()
	first, err := events.New("c1", events.ConversationClosed{ByStaffID: "x"}, events.Meta{OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if first.CorrelationID != first.ID {
		t.Errorf("a first event correlates with itself: %+v", first)
	}
	second, err := events.New("c1", events.ConversationClosed{ByStaffID: "y"}, first.Caused(t0))
	if err != nil {
		t.Fatal(err)
	}
	if second.CorrelationID != first.ID || second.CausationID != first.ID {
		t.Errorf("caused event: %+v", second)
	}
}

// stored returns e as the log gives it back at sequence 7 (encoded,
// decoded and checked), and its payload as handlers read it.
func stored(t testing.TB, e events.Envelope) (events.Envelope, events.Payload) {
	t.Helper()
	msg, err := events.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	back, err := events.Unmarshal(msg.Data, 7)
	if err != nil {
		t.Fatal(err)
	}
	p, err := back.Decode()
	if err != nil {
		t.Fatal(err)
	}
	return back, p
}

func TestCodecRoundTripEveryType(t *testing.T) {
	t.Parallel()
	for _, d := range events.Catalogue() {
		e, err := events.New("agg-1", d.Example(), events.Meta{OccurredAt: t0})
		if err != nil {
			t.Fatalf("%s: %v", d.Type, err)
		}
		msg, err := events.Marshal(e)
		if err != nil {
			t.Fatalf("%s: %v", d.Type, err)
		}
		if msg.Header.Get("Nats-Msg-Id") != e.ID || msg.Header.Get(events.HeaderType) != d.Type {
			t.Errorf("%s headers: %v", d.Type, msg.Header)
		}
		back, err := events.Unmarshal(msg.Data, 7)
		if err != nil {
			t.Fatalf("%s: %v", d.Type, err)
		}
		p, err := back.Decode()
		if err != nil {
			t.Fatalf("%s: %v", d.Type, err)
		}
		again, err := events.New("agg-1", p, events.Meta{OccurredAt: t0})
		if err == nil && again.Type == d.Type && again.Version > d.Version {
			continue // an older version, read as the current one (upcast): TestAcknowledgedV1ReadsAsConsole
		}
		if err != nil || string(again.Payload) != string(e.Payload) || back.Sequence != 7 {
			t.Errorf("%s did not round-trip: %s vs %s", d.Type, again.Payload, e.Payload)
		}
	}
}

// TestDecodeIfDecodesOnlyTheTypesAsked: an event of one of the types asked
// decodes as Decode does; another comes back nil without an error, even
// one whose payload would not decode.
func TestDecodeIfDecodesOnlyTheTypesAsked(t *testing.T) {
	t.Parallel()
	e, err := events.New("conv-1", events.ConversationClosed{Outcome: "resolved", ByStaffID: "wes"}, events.Meta{OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.DecodeIf(events.TypeMessageReceived, events.TypeConversationClosed)
	if c, ok := p.(events.ConversationClosed); err != nil || !ok || c.Outcome != "resolved" {
		t.Fatalf("asked for: %#v, %v", p, err)
	}
	if p, err := e.DecodeIf(events.TypeMessageReceived); p != nil || err != nil {
		t.Fatalf("not asked for: %#v, %v", p, err)
	}
	e.Payload = []byte(`{"outcome": 7}`)
	if p, err := e.DecodeIf(events.TypeMessageReceived); p != nil || err != nil {
		t.Fatalf("not asked for, undecodable: %#v, %v", p, err)
	}
	if _, err := e.DecodeIf(events.TypeConversationClosed); err == nil {
		t.Fatal("asked for, undecodable: no error")
	}
}

// FuzzUnmarshal feeds arbitrary bytes to the decoder: it never panics, and
// whatever it accepts re-encodes and decodes to the same envelope.
func FuzzUnmarshal(f *testing.F) {
	for _, d := range events.Catalogue() {
		e, _ := events.New("agg-1", d.Example(), events.Meta{OccurredAt: t0})
		msg, _ := events.Marshal(e)
		f.Add(msg.Data)
	}
	f.Add([]byte(`{"id":"a","type":"conversation.closed","version":1}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := events.Unmarshal(data, 1)
		if err != nil {
			return
		}
		// Unmarshal leaves the payload's own scan to json.Unmarshal.
		if err := e.Validate(); err != nil {
			t.Fatalf("accepted an envelope Validate refuses: %v", err)
		}
		if _, err := e.Decode(); err != nil {
			return // valid envelope, payload of the wrong shape: rejected by handlers
		}
		msg, err := events.Marshal(e)
		if err != nil {
			t.Fatalf("accepted envelope does not re-marshal: %v", err)
		}
		back, err := events.Unmarshal(msg.Data, 1)
		if err != nil || back.ID != e.ID || back.Type != e.Type || back.Subject() != e.Subject() {
			t.Fatalf("round trip: %v %+v %+v", err, back, e)
		}
		if strings.ContainsAny(e.Subject()[len(events.SubjectPrefix)+1:], " *>") {
			t.Fatalf("subject with wildcard: %s", e.Subject())
		}
	})
}
