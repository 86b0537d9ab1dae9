package sms

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"
)

const (
	gatherToken  = "gatherToken0123"
	gatherPublic = "https://helpline.example"
	gatherCall   = "CA0123456789abcdef0123456789abcdef"
)

// gatherForm is what Twilio posts when the callee presses digits.
func gatherForm(digits string) url.Values {
	return url.Values{
		"AccountSid": {testSID}, "ApiVersion": {"2010-04-01"}, "CallSid": {gatherCall}, "CallStatus": {"in-progress"},
		"Called": {"+447700900555"}, "Caller": {"+447700900001"}, "Direction": {"outbound-api"},
		"Digits": {digits}, "FinishedOnKey": {""}, "From": {"+447700900001"}, "To": {"+447700900555"}, "msg": {"Gather End"},
	}
}

func gatherURL(t testing.TB, pageID string) string {
	t.Helper()
	u, err := GatherURL(gatherPublic, pageID)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestVerifyGather(t *testing.T) {
	t.Parallel()
	u := gatherURL(t, "esc-1.r1l0.sam")
	form := gatherForm("1")
	sig := Sign(gatherToken, u, form)
	g, err := VerifyGather(gatherToken, u, form, sig)
	if err != nil {
		t.Fatal(err)
	}
	want := Gather{PageID: "esc-1.r1l0.sam", Digits: "1", CallSid: gatherCall, From: "+447700900001", To: "+447700900555", CallStatus: CallInProgress}
	if g != want || g.Reply() != ReplyAcknowledge {
		t.Errorf("VerifyGather = %+v, want %+v", g, want)
	}

	tampered := func(k, v string) url.Values {
		f := gatherForm("1")
		f.Set(k, v)
		return f
	}
	refused := []struct {
		name string
		url  string
		form url.Values
		sig  string
	}{
		{"digit changed", u, tampered("Digits", "2"), sig},
		{"call changed", u, tampered("CallSid", "CA0123456789abcdef0123456789abcdee"), sig},
		{"field added", u, tampered("Extra", ""), sig},
		{"other page", gatherURL(t, "esc-2.r1l0.sam"), form, sig},
		{"page added to", u + "&page=esc-2", form, sig},
		{"other host", "https://evil.example/twilio/voice/gather?page=esc-1.r1l0.sam", form, sig},
		{"other token", u, form, Sign("otherToken", u, form)},
		{"no signature", u, form, ""},
	}
	for _, tt := range refused {
		if _, err := VerifyGather(gatherToken, tt.url, tt.form, tt.sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: err = %v, want ErrBadSignature", tt.name, err)
		}
	}
}

func TestParseGatherRefusesMalformed(t *testing.T) {
	t.Parallel()
	page := url.Values{"page": {"p1"}}
	with := func(k string, vs ...string) url.Values {
		f := gatherForm("1")
		f[k] = vs
		return f
	}
	tests := []struct {
		name  string
		query url.Values
		form  url.Values
	}{
		{"no page", url.Values{}, gatherForm("1")},
		{"two pages", url.Values{"page": {"p1", "p2"}}, gatherForm("1")},
		{"page with a space", url.Values{"page": {"p 1"}}, gatherForm("1")},
		{"letters for digits", page, with("Digits", "yes")},
		{"two digits fields", page, with("Digits", "1", "2")},
		{"no call", page, with("CallSid", "")},
		{"message sid for a call", page, with("CallSid", "SM0123456789abcdef0123456789abcdef")},
		{"national from", page, with("From", "07700900001")},
		{"no to", page, with("To", "")},
		{"unknown status", page, with("CallStatus", "answered")},
	}
	for _, tt := range tests {
		if g, err := ParseGather(tt.query, tt.form); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: ParseGather = %+v, %v; want ErrMalformed", tt.name, g, err)
		}
	}
	// No key pressed is a gather too (Twilio posts it with actionOnEmptyResult).
	if g, err := ParseGather(page, gatherForm("")); err != nil || g.Reply() != ReplyNone {
		t.Errorf("empty Digits: %+v, %v", g, err)
	}
}

func TestReplyOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Reply{
		"1": ReplyAcknowledge, " 1\n": ReplyAcknowledge, "2": ReplyDecline, "": ReplyNone, "  ": ReplyNone,
		"12": ReplyOther, "#": ReplyOther, "yes": ReplyOther, "１": ReplyOther,
	} {
		if got := ReplyOf(in); got != want {
			t.Errorf("ReplyOf(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSignedURL(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("POST", "http://10.0.0.7:8080/twilio/voice/gather?page=a.b&x=%2B1", nil)
	r.Host = "internal.proxy"
	if got, want := SignedURL("https://helpline.example/", GatherPath, r), "https://helpline.example/twilio/voice/gather?page=a.b&x=%2B1"; got != want {
		t.Errorf("SignedURL = %q, want %q", got, want)
	}
	r = httptest.NewRequest("POST", "/twilio/sms", nil)
	if got := SignedURL("https://helpline.example", "/twilio/sms", r); got != "https://helpline.example/twilio/sms" {
		t.Errorf("SignedURL without query = %q", got)
	}
}

var (
	fuzzPageID = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,128}$`)
	fuzzE164   = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// FuzzGather drives VerifyGather with fuzzer-chosen queries, forms and
// signatures: it never panics; a gather signed with the token over the URL
// it came to is never refused for its signature; one not so signed never
// passes; what passes has the shapes the handler relies on; and changing
// the digits of a gather that passed makes it fail.
func FuzzGather(f *testing.F) {
	f.Add("page=esc-1.r1l0.sam", gatherForm("1").Encode(), true, "")
	f.Add("page=esc-1.r1l0.sam", gatherForm("2").Encode(), true, "")
	f.Add("page=esc-1.r1l0.sam", gatherForm("").Encode(), true, "")
	f.Add("page=p&page=q", gatherForm("1").Encode(), true, "")
	f.Add("page=%zz", gatherForm("1").Encode(), true, "")
	f.Add("page=esc-1", gatherForm("1").Encode(), false, "GvWf1cFY/Q7PnoempGyD5oXAezc=")
	f.Add("page=esc-1", "Digits=1&Digits=2&CallSid="+gatherCall, true, "")
	f.Add("", "", false, "")
	f.Add("page=a\x00b", "Digits=%FF&From=%2B1&To=+447700900555", true, "")
	f.Fuzz(func(t *testing.T, rawQuery, body string, sign bool, signature string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			t.Skip() // net/http refuses such a body before any handler
		}
		signed := gatherPublic + GatherPath + "?" + rawQuery
		real := Sign(gatherToken, signed, form)
		if sign {
			signature = real
		}
		g, err := VerifyGather(gatherToken, signed, form, signature)
		if signature != real {
			if err == nil {
				t.Fatalf("accepted a gather not signed with the token: %+v", g)
			}
			return
		}
		if errors.Is(err, ErrBadSignature) {
			t.Fatalf("refused a gather signed with the token over %q", signed)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is neither ErrBadSignature nor ErrMalformed", err)
			}
			return
		}
		q, _ := url.ParseQuery(rawQuery)
		if g.PageID != q.Get("page") || !fuzzPageID.MatchString(g.PageID) || !fuzzE164.MatchString(g.From) || !fuzzE164.MatchString(g.To) ||
			!callSidPattern.MatchString(g.CallSid) || !g.CallStatus.Known() || len(g.Digits) > 32 {
			t.Fatalf("accepted a malformed gather: %+v", g)
		}
		if u, err := GatherURL(gatherPublic, g.PageID); err != nil || u != gatherPublic+GatherPath+"?page="+g.PageID {
			t.Fatalf("the page id does not make its own gather URL: %q, %v", u, err)
		}
		other := "1"
		if g.Digits == "1" {
			other = "2"
		}
		form.Set("Digits", other)
		if _, err := VerifyGather(gatherToken, signed, form, signature); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("a gather with its digits changed was not refused: %v", err)
		}
	})
}
