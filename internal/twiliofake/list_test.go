package twiliofake_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	twilioclient "github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/twiliofake"
)

// toFake sends twilio-go's requests for api.twilio.com to the fake.
type toFake struct{ base *url.URL }

func (t toFake) RoundTrip(r *http.Request) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.URL.Scheme, out.URL.Host, out.Host = t.base.Scheme, t.base.Host, ""
	return http.DefaultTransport.RoundTrip(out)
}

// twilioGo is twilio-go's own Api service, talking to the fake.
func twilioGo(t *testing.T, e *env) *openapi.ApiService {
	t.Helper()
	base, err := url.Parse(e.api.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := &twilioclient.Client{Credentials: twilioclient.NewCredentials(e.fake.AccountSID(), e.fake.AuthToken()),
		HTTPClient: &http.Client{Transport: toFake{base}}}
	c.SetAccountSid(e.fake.AccountSID())
	rh := twilioclient.NewRequestHandler(c)
	rh.Edge, rh.Region = "", ""
	return openapi.NewApiService(rh)
}

// sendN sends n messages from line to worker, numbered in their bodies,
// one second apart on the fake's clock, and returns their sids in order.
func sendN(t *testing.T, e *env, now *time.Time, n int, body string) []string {
	t.Helper()
	var sids []string
	for i := range n {
		*now = now.Add(time.Second)
		sid, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: worker, Body: fmt.Sprintf("%s %d", body, i)})
		if err != nil {
			t.Fatal(err)
		}
		sids = append(sids, sid)
	}
	return sids
}

// TestListMessagesAsTwilioGoReadsThem: twilio-go's ListMessage, with To,
// From and a page size, reads through the fake's pages every message to
// the number from the line and no other, newest first.
func TestListMessagesAsTwilioGoReadsThem(t *testing.T) {
	t.Parallel()
	now := fixedNow
	e := newEnv(t, twiliofake.Config{Now: func() time.Time { return now }})
	sids := sendN(t, e, &now, 120, "page")
	if _, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: client, Body: "not to the worker"}); err != nil {
		t.Fatal(err)
	}
	got, err := twilioGo(t, e).ListMessage((&openapi.ListMessageParams{}).SetTo(worker).SetFrom(line).SetPageSize(50))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(sids) {
		t.Fatalf("listed %d messages, want %d", len(got), len(sids))
	}
	for i, m := range got {
		if want := sids[len(sids)-1-i]; *m.Sid != want || *m.To != worker || *m.From != line {
			t.Fatalf("message %d: %s to %s from %s, want %s (newest first)", i, *m.Sid, *m.To, *m.From, want)
		}
	}
	if got, err := twilioGo(t, e).ListMessage((&openapi.ListMessageParams{}).SetTo(client)); err != nil || len(got) != 1 || *got[0].Body != "not to the worker" {
		t.Fatalf("to the client: %d messages (%v), want the one", len(got), err)
	}
}

// TestListMessagesPageShape: a page has Twilio's paging fields: the
// first page's uri, its next (PageToken PA and its last sid) and no
// previous; the last page's next is null.
func TestListMessagesPageShape(t *testing.T) {
	t.Parallel()
	now := fixedNow
	e := newEnv(t, twiliofake.Config{Now: func() time.Time { return now }})
	sids := sendN(t, e, &now, 3, "page")
	q := url.Values{"To": {worker}, "PageSize": {"2"}}
	code, first := getAPI(t, e, "/Messages.json?"+q.Encode())
	if code != http.StatusOK {
		t.Fatalf("GET the list: %d %v", code, first)
	}
	prefix := "/2010-04-01/Accounts/" + e.fake.AccountSID() + "/Messages.json?"
	next, _ := first["next_page_uri"].(string)
	if first["page"] != 0.0 || first["page_size"] != 2.0 || first["start"] != 0.0 || first["end"] != 1.0 || first["previous_page_uri"] != nil ||
		!strings.HasPrefix(next, prefix) || !strings.Contains(next, "PageToken=PA"+sids[1]) || !strings.HasPrefix(first["first_page_uri"].(string), prefix) {
		t.Fatalf("first page: %v", first)
	}
	msgs, _ := first["messages"].([]any)
	if len(msgs) != 2 || msgs[0].(map[string]any)["sid"] != sids[2] {
		t.Fatalf("first page's messages: %v", msgs)
	}
	code, last := getAPI(t, e, strings.TrimPrefix(next, "/2010-04-01/Accounts/"+e.fake.AccountSID()))
	msgs, _ = last["messages"].([]any)
	if code != http.StatusOK || last["next_page_uri"] != nil || last["page"] != 1.0 || len(msgs) != 1 || msgs[0].(map[string]any)["sid"] != sids[0] {
		t.Fatalf("last page: %d %v", code, last)
	}
	if code, _ := getAPI(t, e, "/Messages.json?PageToken=PAnope"); code != http.StatusBadRequest {
		t.Fatalf("an unknown page token: %d, want 400", code)
	}
}

// TestListMessagesByDateSent: DateSent filters by the GMT date a message
// was sent, as twilio-go sends it; a message not sent yet (queued) has no
// date_sent and matches no DateSent filter.
func TestListMessagesByDateSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{DeliverStatus: true})
	sid, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: worker, Body: "delivered"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.WaitFor(ctxFor(t), func(m twiliofake.SentMessage) bool { return m.SID == sid && m.Status == "delivered" }); err != nil {
		t.Fatal(err)
	}
	api, day := twilioGo(t, e), fixedNow.Truncate(24*time.Hour)
	for name, tc := range map[string]struct {
		params *openapi.ListMessageParams
		want   int
	}{
		"on the day":            {(&openapi.ListMessageParams{}).SetDateSent(day), 1},
		"on or after the day":   {(&openapi.ListMessageParams{}).SetDateSentAfter(fixedNow), 1},
		"on or after the next":  {(&openapi.ListMessageParams{}).SetDateSentAfter(day.Add(24 * time.Hour)), 0},
		"on or before the last": {(&openapi.ListMessageParams{}).SetDateSentBefore(day.Add(-time.Hour)), 0},
	} {
		got, err := api.ListMessage(tc.params.SetTo(worker))
		if err != nil || len(got) != tc.want {
			t.Errorf("%s: %d messages (%v), want %d", name, len(got), err, tc.want)
		}
	}
	e2 := newEnv(t, twiliofake.Config{})
	if _, err := e2.sender.Send(ctxFor(t), sms.Message{From: line, To: worker, Body: "queued"}); err != nil {
		t.Fatal(err)
	}
	if got, err := twilioGo(t, e2).ListMessage((&openapi.ListMessageParams{}).SetDateSentAfter(day)); err != nil || len(got) != 0 {
		t.Fatalf("a queued message was listed by its date sent: %d (%v)", len(got), err)
	}
}

// TestFindMessage: the sender finds a message by a reference in its body
// among those from the line to the number, pages back; not among older
// ones than it was asked for, nor to another number.
func TestFindMessage(t *testing.T) {
	t.Parallel()
	now := fixedNow
	e := newEnv(t, twiliofake.Config{Now: func() time.Time { return now }})
	sids := sendN(t, e, &now, 10, "old")
	since := now.Add(5 * time.Minute)
	now = since
	wanted, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: worker, Body: "page ref PABCDEFGHI"})
	if err != nil {
		t.Fatal(err)
	}
	sendN(t, e, &now, 450, "newer") // the wanted one is on the third page of 200
	ctx := ctxFor(t)
	if sid, found, err := e.sender.FindMessage(ctx, line, worker, since, "PABCDEFGHI"); err != nil || !found || sid != wanted {
		t.Fatalf("FindMessage = %q %t %v, want %s", sid, found, err, wanted)
	}
	if _, found, err := e.sender.FindMessage(ctx, line, client, since, "PABCDEFGHI"); err != nil || found {
		t.Fatalf("found to another number (%v)", err)
	}
	if _, found, err := e.sender.FindMessage(ctx, line, worker, since, "old 3"); err != nil || found {
		t.Fatalf("found a message created before since less the margin (%v); sids %v", err, sids[:1])
	}
	if _, found, err := e.sender.FindMessage(ctx, line, worker, since, "PNOTSENT"); err != nil || found {
		t.Fatalf("found a reference never sent (%v)", err)
	}
}

// TestHeldAnswerIsStillListed: a message whose answer the fake holds is
// accepted; the sender sees no answer (no status), and finds it in the
// list by its reference.
func TestHeldAnswerIsStillListed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	e.fake.HoldAnswer(worker)
	ctx, cancel := context.WithTimeout(ctxFor(t), 300*time.Millisecond)
	defer cancel()
	_, err := e.sender.Send(ctx, sms.Message{From: line, To: worker, Body: "page Ref PHELD00001"})
	var se *sms.SendError
	if !errors.As(err, &se) || se.Status != 0 {
		t.Fatalf("Send with its answer held = %v, want a SendError without a status", err)
	}
	sid, found, err := e.sender.FindMessage(ctxFor(t), line, worker, fixedNow, "PHELD00001")
	if err != nil || !found || len(e.fake.Sent()) != 1 || e.fake.Sent()[0].SID != sid {
		t.Fatalf("FindMessage = %q %t %v; sent %v", sid, found, err, e.fake.Sent())
	}
	if _, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: worker, Body: "answered"}); err != nil {
		t.Fatalf("the next message's answer was held too: %v", err)
	}
}
