package sms

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/twilio/twilio-go/client"
)

// SignatureHeader is the header Twilio signs webhooks with.
const SignatureHeader = "X-Twilio-Signature"

// NewWebhook is a POST of form to target as Twilio posts a webhook: form
// encoded, signed with authToken for signedURL, the public URL Twilio was
// given (target differs from it behind a proxy, and in tests). The Twilio
// fake and the tests post webhooks through it.
func NewWebhook(ctx context.Context, target, signedURL, authToken string, form url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	req.Header.Set(SignatureHeader, Sign(authToken, signedURL, form))
	return req, nil
}

// Sign computes X-Twilio-Signature as Twilio does for a form-encoded POST:
// base64(HMAC-SHA1(authToken, url + each key and value)), keys sorted; a key given
// several times contributes each distinct value once, values sorted (as Twilio's
// Python and PHP libraries compute it). url is the exact URL Twilio calls.
func Sign(authToken, url string, form url.Values) string {
	var b strings.Builder
	b.WriteString(url)
	for _, k := range slices.Sorted(maps.Keys(form)) {
		for _, v := range slices.Compact(slices.Sorted(slices.Values(form[k]))) {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Valid reports whether signature is Twilio's signature of form posted to url.
// url must be the public URL configured at Twilio, never one rebuilt from the
// Host header. It uses twilio-go's RequestValidator, which also accepts the URL
// with or without its default port. twilio-go's validator takes one value per
// key, so a form with a repeated key (Twilio's SMS webhooks have none) is checked
// with Sign against the exact url instead.
func Valid(authToken, url string, form url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	params := make(map[string]string, len(form))
	for k, vs := range form {
		if len(vs) != 1 {
			return hmac.Equal([]byte(Sign(authToken, url, form)), []byte(signature))
		}
		params[k] = vs[0]
	}
	v := client.NewRequestValidator(authToken)
	return v.Validate(url, params, signature)
}
