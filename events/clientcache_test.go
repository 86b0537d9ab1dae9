package events_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/helpline-org/helpline/events"
)

func clientEvent(t *testing.T, id, eventID string, p events.Payload) events.Envelope {
	t.Helper()
	e, err := events.NewWithID(eventID, id, p, events.Meta{OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestClientCacheReadsOnlyWhatFollowed(t *testing.T) {
	t.Parallel()
	const id = "k-cache"
	s := newStoreOnFreshServer(t)
	log := &countingLog{Store: s}
	c, err := events.NewClientCache(log, 16)
	if err != nil {
		t.Fatal(err)
	}
	load := func() *events.Client {
		t.Helper()
		cl, err := c.Load(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		want, err := events.LoadClient(context.Background(), s, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(cl, want) {
			t.Fatalf("cached load:\n%+v\nwant\n%+v", cl, want)
		}
		return cl
	}
	if cl := load(); cl.Registered {
		t.Fatalf("a client with no events came back registered: %+v", cl)
	}
	mustAppend(t, s, events.ExpectNew, clientEvent(t, id, "reg-"+id, events.ClientRegistered{LineID: "main", Pseudonym: "C-AB12",
		Channel: events.ChannelSMS, Contact: events.Sealed{KeyID: id, Data: []byte{1, 2}}}))
	cl := load()
	if !cl.Registered || cl.Version == 0 {
		t.Fatalf("registration missing: %+v", cl)
	}
	cl.Contact.Data[0] = 99 // a caller's change stays its own
	cl.OptedOut = true
	load()
	loads := log.loads.Load()
	// Another process records an opt-out: the next load sees it, reading
	// only the tail.
	mustAppend(t, s, events.ExpectSeq(cl.Version), clientEvent(t, id, "consent-m1", events.ConsentChanged{LineID: "main",
		Consent: events.ConsentOptedOut, Keyword: events.NoWords(), MessageID: "m1"}))
	if cl := load(); !cl.OptedOut {
		t.Fatalf("the opt-out appended before the load is missing: %+v", cl)
	}
	mustAppend(t, s, events.ExpectAny, clientEvent(t, id, "erased-"+id, events.ClientErased{ByStaffID: "sam", Reason: "asked"}))
	if cl := load(); !cl.Erased {
		t.Fatalf("the erasure appended before the load is missing: %+v", cl)
	}
	if n := log.loads.Load(); n != loads {
		t.Errorf("%d whole loads of a cached client, want none (only its tail)", n-loads)
	}
}
