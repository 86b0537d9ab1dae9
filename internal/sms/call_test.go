package sms

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

const pageTwiML = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Say>hi</Say></Response>`

// TestCallRequestShape checks what twilio-go puts on the wire for a call
// through our transport, including an APIURL path prefix.
func TestCallRequestShape(t *testing.T) {
	t.Parallel()
	api, got := captureAPI(t, `{"sid":"CA00000000000000000000000000000001","status":"queued"}`)
	s := newTestSender(t, api+"/twilio/", 0)
	sid, err := s.Call(context.Background(), Call{From: "+447700900001", To: "+447700900555", TwiML: pageTwiML, StatusCallback: "https://h.example/twilio/voice/status?c=x"})
	if err != nil {
		t.Fatal(err)
	}
	if sid != "CA00000000000000000000000000000001" {
		t.Errorf("sid = %q", sid)
	}
	r := <-got
	checkCreate(t, r, "Calls", map[string]string{"From": "+447700900001", "To": "+447700900555", "Twiml": pageTwiML, "Url": "",
		"StatusCallback": "https://h.example/twilio/voice/status?c=x", "Timeout": "25"})
	if ev := r.PostForm["StatusCallbackEvent"]; !slices.Equal(ev, DefaultCallEvents) {
		t.Errorf("StatusCallbackEvent = %q, want %q", ev, DefaultCallEvents)
	}
}

func TestCallByURLWithoutCallback(t *testing.T) {
	t.Parallel()
	api, got := captureAPI(t, `{"sid":"CA00000000000000000000000000000002"}`)
	c := Call{From: "+1", To: "+2", URL: "https://h.example/twiml?page=p", RingTimeout: 40 * time.Second}
	if _, err := newTestSender(t, api+"/twilio", 0).Call(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	r := <-got
	checkCreate(t, r, "Calls", map[string]string{"Url": c.URL, "Twiml": "", "Timeout": "40"})
	if _, ok := r.PostForm["StatusCallback"]; ok || r.PostForm["StatusCallbackEvent"] != nil {
		t.Errorf("status callback fields without a StatusCallback: %v", r.PostForm)
	}
}

func TestCallRejectsIncompleteCall(t *testing.T) {
	t.Parallel()
	s := newTestSender(t, "http://127.0.0.1:1", 0)
	ok := Call{From: "+1", To: "+2", TwiML: pageTwiML}
	tests := []struct {
		name   string
		mutate func(*Call)
	}{
		{"no from", func(c *Call) { c.From = "" }},
		{"no to", func(c *Call) { c.To = "" }},
		{"neither TwiML nor URL", func(c *Call) { c.TwiML = "" }},
		{"both TwiML and URL", func(c *Call) { c.URL = "https://h.example/x" }},
		{"TwiML too long", func(c *Call) { c.TwiML = strings.Repeat("é", MaxTwiML+1) }},
		{"negative ring", func(c *Call) { c.RingTimeout = -time.Second }},
		{"ring too long", func(c *Call) { c.RingTimeout = MaxRingTimeout + time.Second }},
		{"ring not whole seconds", func(c *Call) { c.RingTimeout = 1500 * time.Millisecond }},
		{"unknown event", func(c *Call) { c.StatusCallback, c.StatusCallbackEvents = "https://h.example/s", []string{"hung-up"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ok
			tt.mutate(&c)
			if _, err := s.Call(context.Background(), c); !errors.Is(err, ErrInvalidCall) || IsRetryable(err) {
				t.Errorf("Call = %v, want ErrInvalidCall", err)
			}
		})
	}
}
