package sms

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/twilio/twilio-go/client"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	rest := func(status, code int) error {
		return &client.TwilioRestError{Status: status, Code: code, Message: "The 'To' number +447700900123 is not valid"}
	}
	netErr := &url.Error{Op: "Post", URL: "https://api.twilio.com/x", Err: context.DeadlineExceeded}
	tests := []struct {
		name          string
		err           error
		status        int
		wantStatus    int
		wantCode      int
		wantRetryable bool
		wantIs        error
	}{
		{"opted out", rest(400, 21610), 400, 400, 21610, false, ErrOptedOut},
		{"invalid number", rest(400, 21211), 400, 400, 21211, false, ErrInvalidNumber},
		{"not mobile", rest(400, 21614), 400, 400, 21614, false, ErrNotMobile},
		{"unauthorized", rest(401, 20003), 401, 401, 20003, false, ErrUnauthorized},
		{"other 4xx", rest(400, 21617), 400, 400, 21617, false, nil},
		{"not found", rest(404, 20404), 404, 404, 20404, false, nil},
		{"throttled", rest(429, 20429), 429, 429, 20429, true, nil},
		{"server error", rest(500, 20500), 500, 500, 20500, true, nil},
		{"unavailable", rest(503, 0), 503, 503, 0, true, nil},
		{"status only from transport", rest(0, 20500), 502, 502, 20500, true, nil},
		{"twilio-go credential check", rest(0, 21222), 0, 400, 21222, false, nil},
		{"v1 error", &client.RestErrorV1{HttpStatusCode: 429, Code: 20429}, 429, 429, 20429, true, nil},
		{"non-JSON 502", errors.New("error decoding the response for an HTTP error code: 502"), 502, 502, 0, true, nil},
		{"non-JSON 400", errors.New("error decoding the response for an HTTP error code: 400"), 400, 400, 0, false, nil},
		{"accepted but unreadable", errors.New("unexpected EOF"), 201, 201, 0, false, nil},
		{"network", netErr, 0, 0, 0, true, context.DeadlineExceeded},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), 0, 0, 0, true, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := error(classify(tt.err, tt.status))
			var se *SendError
			if !errors.As(err, &se) {
				t.Fatalf("not a *SendError: %v", err)
			}
			if se.Status != tt.wantStatus || se.Code != tt.wantCode {
				t.Errorf("status, code = %d, %d; want %d, %d", se.Status, se.Code, tt.wantStatus, tt.wantCode)
			}
			if got := IsRetryable(err); got != tt.wantRetryable {
				t.Errorf("IsRetryable = %v, want %v", got, tt.wantRetryable)
			}
			if se.Permanent == tt.wantRetryable {
				t.Errorf("Permanent = %v with retryable %v", se.Permanent, tt.wantRetryable)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v) = false", tt.wantIs)
			}
			if !errors.Is(err, tt.err) {
				t.Error("does not wrap the original error")
			}
			if strings.Contains(err.Error(), "+447700900123") {
				t.Errorf("error text leaks the phone number: %q", err)
			}
		})
	}
}

func TestSentinelsDoNotCrossMatch(t *testing.T) {
	t.Parallel()
	err := error(classify(&client.TwilioRestError{Status: 400, Code: 21610}, 400))
	for _, other := range []error{ErrInvalidNumber, ErrNotMobile, ErrUnauthorized, ErrInvalidMessage} {
		if errors.Is(err, other) {
			t.Errorf("opted-out error matches %v", other)
		}
	}
}

func TestIsRetryableOnOtherErrors(t *testing.T) {
	t.Parallel()
	for _, err := range []error{nil, errors.New("x"), ErrInvalidMessage, context.Canceled} {
		if IsRetryable(err) {
			t.Errorf("IsRetryable(%v) = true", err)
		}
	}
}
