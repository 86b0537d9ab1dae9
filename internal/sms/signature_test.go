package sms

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/twilio/twilio-go/client"
)

const vectorURL = "https://mycompany.com/myapp.php?foo=1&bar=2"

func TestSignKnownVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{
			// The example of twilio.com/docs/usage/security as widely quoted. Note:
			// this signature belongs to Caller/From +14158675310, not +12349013030.
			name: "docs example",
			form: url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675310"}, "Digits": {"1234"}, "From": {"+14158675310"}, "To": {"+18005551212"}},
			want: "GvWf1cFY/Q7PnoempGyD5oXAezc=",
		},
		{
			// The same fields with +12349013030 (the number in the current docs'
			// code samples); computed independently with Python's hmac module.
			name: "docs fields with +12349013030",
			form: url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"}, "From": {"+12349013030"}, "To": {"+18005551212"}},
			want: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
		},
		{
			// twilio-python, twilio-php and twilio-csharp's RequestValidator tests.
			name: "helper libraries' vector",
			form: url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"}, "From": {"+14158675309"}, "To": {"+18005551212"}},
			want: "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
		},
		{
			// twilio-go v1.31.0 client/request_validator_test.go.
			name: "twilio-go's vector",
			form: url.Values{"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"}, "Caller": {"+14158675309"}, "From": {"+14158675309"}, "ReasonConferenceEnded": {"test"}, "Reason": {"Participant"}},
			want: "vOEb5UThFn24KEfnOFLQY2AE5FY=",
		},
		{
			// twilio-python and twilio-php: repeated keys, values sorted and deduplicated.
			name: "repeated key",
			form: url.Values{"Sid": {"CA123"}, "SidAccount": {"AC123"}, "Digits": {"5678", "1234", "1234"}},
			want: "IK+Dwps556ElfBT0I3Rgjkr1wJU=",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Sign("12345", vectorURL, tt.form); got != tt.want {
				t.Errorf("Sign = %q, want %q", got, tt.want)
			}
			if !Valid("12345", vectorURL, tt.form, tt.want) {
				t.Errorf("Valid rejected the vector")
			}
		})
	}
}

// TestSignAgreesWithTwilioGo checks both directions: twilio-go's validator accepts
// what Sign produces, and Valid (which calls twilio-go) accepts it too, for forms
// shaped like an inbound SMS webhook.
func TestSignAgreesWithTwilioGo(t *testing.T) {
	t.Parallel()
	forms := []url.Values{
		{},
		{"Body": {"hello+world & <b>ünïcödé</b> 🙂"}, "From": {"+447700900123"}, "To": {"+447700900001"}},
		{"MessageSid": {"SM0123"}, "Body": {""}, "NumMedia": {"0"}, "a": {"1"}, "B": {"2"}, "_": {"3"}},
	}
	urls := []string{
		"https://helpline.example/twilio/sms",
		"http://127.0.0.1:8080/twilio/sms?line=a%20b",
		"https://helpline.example:443/hook",
	}
	for _, u := range urls {
		for _, form := range forms {
			sig := Sign("s3cr3tToken", u, form)
			params := map[string]string{}
			for k := range form {
				params[k] = form.Get(k)
			}
			v := client.NewRequestValidator("s3cr3tToken")
			if !v.Validate(u, params, sig) {
				t.Errorf("twilio-go Validate rejected Sign(%q, %v)", u, form)
			}
			if !v.ValidateBody(u, []byte(form.Encode()), sig) {
				t.Errorf("twilio-go ValidateBody rejected Sign(%q, %v)", u, form)
			}
			if !Valid("s3cr3tToken", u, form, sig) {
				t.Errorf("Valid rejected Sign(%q, %v)", u, form)
			}
		}
	}
}

func TestValidRejects(t *testing.T) {
	t.Parallel()
	form := url.Values{"Body": {"hi"}, "From": {"+447700900123"}}
	const u = "https://helpline.example/twilio/sms"
	sig := Sign("tok", u, form)
	tests := []struct {
		name  string
		token string
		url   string
		form  url.Values
		sig   string
	}{
		{"wrong token", "other", u, form, sig},
		{"empty token", "", u, form, Sign("", u, form)},
		{"other path", "tok", "https://helpline.example/twilio/other", form, sig},
		{"other host", "tok", "https://evil.example/twilio/sms", form, sig},
		{"http instead of https", "tok", "http://helpline.example/twilio/sms", form, sig},
		{"tampered body", "tok", u, url.Values{"Body": {"hi!"}, "From": {"+447700900123"}}, sig},
		{"extra field", "tok", u, url.Values{"Body": {"hi"}, "From": {"+447700900123"}, "X": {""}}, sig},
		{"empty signature", "tok", u, form, ""},
		{"garbage signature", "tok", u, form, "not base64 at all"},
		{"repeated key tampered", "tok", u, url.Values{"Body": {"hi", "ho"}}, Sign("tok", u, url.Values{"Body": {"hi", "hu"}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if Valid(tt.token, tt.url, tt.form, tt.sig) {
				t.Error("Valid accepted a bad signature")
			}
		})
	}
}

func TestValidAcceptsDefaultPortEitherWay(t *testing.T) {
	t.Parallel()
	form := url.Values{"Body": {"hi"}}
	signedWithout := Sign("tok", "https://helpline.example/hook", form)
	if !Valid("tok", "https://helpline.example:443/hook", form, signedWithout) {
		t.Error("configured URL with :443 rejected a signature made without the port")
	}
	signedWith := Sign("tok", "https://helpline.example:443/hook", form)
	if !Valid("tok", "https://helpline.example/hook", form, signedWith) {
		t.Error("configured URL without port rejected a signature made with :443")
	}
}

// TestNewWebhookIsValidForTheSignedURL: a webhook posted to one address
// and signed for the public URL carries the form and validates against
// the public URL only.
func TestNewWebhookIsValidForTheSignedURL(t *testing.T) {
	t.Parallel()
	const token, public = "12345", "https://helpline.example/twilio/sms"
	form := url.Values{"MessageSid": {"SM1"}, "From": {"+447700900555"}, "Body": {"hello & more"}}
	req, err := NewWebhook(context.Background(), "http://127.0.0.1:9/twilio/sms", public, token, form)
	if err != nil {
		t.Fatal(err)
	}
	if err := req.ParseForm(); err != nil || req.Method != http.MethodPost || req.PostForm.Encode() != form.Encode() {
		t.Fatalf("%s with form %v (%v), want POST of %v", req.Method, req.PostForm, err, form)
	}
	sig := req.Header.Get(SignatureHeader)
	if !Valid(token, public, req.PostForm, sig) {
		t.Fatal("the signature does not validate for the public URL")
	}
	if Valid(token, req.URL.String(), req.PostForm, sig) {
		t.Fatal("the signature validates for the address posted to as well")
	}
}

// FuzzValidAgreesWithTwilioGo: for forms of one value per key, Valid accepts
// exactly what twilio-go's RequestValidator accepts, whatever the URL (with
// a port or without, one that does not parse) and whether the signature was
// made for the URL as given, for it with the other port, or for another URL.
func FuzzValidAgreesWithTwilioGo(f *testing.F) {
	f.Add("https://helpline.example/twilio/sms", "https://helpline.example:443/twilio/sms", "Body", "hi", "From", "+447700900123")
	f.Add("https://helpline.example:443/twilio/sms", "https://helpline.example/twilio/sms", "Body", "hi", "From", "+447700900123")
	f.Add("http://127.0.0.1:8080/twilio/sms?line=a%20b", "http://127.0.0.1/twilio/sms?line=a%20b", "a", "", "B", "2")
	f.Add("http://helpline.example/hook", "http://helpline.example:80/hook", "Body", "ünïcödé 🙂", "To", "+447700900001")
	f.Add("https://h.example:8443/x?c=1", "https://h.example/x?c=1", "k", "v", "k", "w")
	f.Add("http://[::1]:8080/x", "http://[/x", "k", "v", "l", "w")
	f.Add("%zz://bad", "%zz://bad", "k", "v", "l", "w")
	f.Add("https://h.example/a b", "https://h.example:443/a%20b", "k", "v", "l", "w")
	f.Fuzz(func(t *testing.T, u, signedFor, k1, v1, k2, v2 string) {
		form := url.Values{k1: {v1}, k2: {v2}}
		if k1 == k2 {
			form[k1] = []string{v1}
		}
		params := map[string]string{}
		for k := range form {
			params[k] = form.Get(k)
		}
		v := client.NewRequestValidator("tok")
		for _, sig := range []string{Sign("tok", u, form), Sign("tok", signedFor, form), Sign("other", u, form), "x" + Sign("tok", u, form)[1:]} {
			if got, want := Valid("tok", u, form, sig), v.Validate(u, params, sig); got != want {
				t.Errorf("Valid(%q, %v, %q) = %v, twilio-go says %v", u, form, sig, got, want)
			}
		}
	})
}
