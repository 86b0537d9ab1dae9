package sms

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "t0k3n"
)

func newTestSender(t *testing.T, apiURL string, timeout time.Duration) *Sender {
	t.Helper()
	s, err := NewSender(Config{AccountSID: testSID, AuthToken: testToken, APIURL: apiURL, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	ok := Config{AccountSID: testSID, AuthToken: testToken}
	tests := []struct {
		name   string
		mutate func(*Config)
		valid  bool
	}{
		{"ok", func(*Config) {}, true},
		{"fake URL", func(c *Config) { c.APIURL = "http://127.0.0.1:9999" }, true},
		{"fake URL with prefix", func(c *Config) { c.APIURL = "http://localhost:8080/twilio/" }, true},
		{"no SID", func(c *Config) { c.AccountSID = "" }, false},
		{"short SID", func(c *Config) { c.AccountSID = "AC123" }, false},
		{"API key SID", func(c *Config) { c.AccountSID = "SK0123456789abcdef0123456789abcdef" }, false},
		{"no token", func(c *Config) { c.AuthToken = "" }, false},
		{"token with symbols", func(c *Config) { c.AuthToken = "a:b" }, false},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, false},
		{"URL without host", func(c *Config) { c.APIURL = "http://" }, false},
		{"URL with other scheme", func(c *Config) { c.APIURL = "ftp://x" }, false},
		{"URL with query", func(c *Config) { c.APIURL = "http://x/?a=1" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ok
			tt.mutate(&c)
			if err := c.Validate(); (err == nil) != tt.valid {
				t.Errorf("Validate() = %v, want valid %v", err, tt.valid)
			}
		})
	}
}

// captureAPI is a Twilio API that keeps each request (form parsed) and
// answers 201 with answer.
func captureAPI(t *testing.T, answer string) (string, <-chan *http.Request) {
	t.Helper()
	got := make(chan *http.Request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		got <- r
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(answer))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, got
}

// checkCreate checks what twilio-go puts on the wire to create a resource
// ("Messages", "Calls") through our transport, with the "/twilio/" prefix
// of captureAPI's URL, and the form's fields.
func checkCreate(t *testing.T, r *http.Request, resource string, fields map[string]string) {
	t.Helper()
	if want := "/twilio/2010-04-01/Accounts/" + testSID + "/" + resource + ".json"; r.Method != http.MethodPost || r.URL.Path != want {
		t.Errorf("%s %s, want POST %s", r.Method, r.URL.Path, want)
	}
	if u, p, ok := r.BasicAuth(); !ok || u != testSID || p != testToken {
		t.Errorf("basic auth = %q, %q, %v", u, p, ok)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("content type %q", ct)
	}
	if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "twilio-go/") {
		t.Errorf("user agent %q", ua)
	}
	for k, want := range fields {
		if v := r.PostForm.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
}

// TestSendRequestShape checks what twilio-go puts on the wire through our
// transport, including an APIURL path prefix.
func TestSendRequestShape(t *testing.T) {
	t.Parallel()
	api, got := captureAPI(t, `{"sid":"SM00000000000000000000000000000001","status":"queued"}`)
	s := newTestSender(t, api+"/twilio/", 0)
	sid, err := s.Send(context.Background(), Message{From: "+447700900001", To: "+447700900123", Body: "hi & bye", StatusCallback: "https://h.example/status"})
	if err != nil {
		t.Fatal(err)
	}
	if sid != "SM00000000000000000000000000000001" {
		t.Errorf("sid = %q", sid)
	}
	checkCreate(t, <-got, "Messages", map[string]string{"From": "+447700900001", "To": "+447700900123", "Body": "hi & bye", "StatusCallback": "https://h.example/status"})
}

func TestSendRejectsIncompleteMessage(t *testing.T) {
	t.Parallel()
	s := newTestSender(t, "http://127.0.0.1:1", 0)
	for _, m := range []Message{{To: "+1", Body: "x"}, {From: "+1", Body: "x"}, {From: "+1", To: "+2", Body: " "}} {
		if _, err := s.Send(context.Background(), m); !errors.Is(err, ErrInvalidMessage) || IsRetryable(err) {
			t.Errorf("Send(%+v) = %v", m, err)
		}
	}
}

// hangingServer answers nothing until the client goes away.
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices a closed connection only once the body is read.
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv
}

// requests are the two kinds of request a Sender makes, for tests that hold
// for both.
var requests = map[string]func(context.Context, *Sender) error{
	"send": func(ctx context.Context, s *Sender) error {
		_, err := s.Send(ctx, Message{From: "+1", To: "+2", Body: "x"})
		return err
	},
	"call": func(ctx context.Context, s *Sender) error {
		_, err := s.Call(ctx, Call{From: "+1", To: "+2", TwiML: pageTwiML})
		return err
	},
}

func TestSendHonoursContext(t *testing.T) {
	t.Parallel()
	for name, request := range requests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newTestSender(t, hangingServer(t).URL, time.Minute)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- request(ctx, s) }()
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) || !IsRetryable(err) {
					t.Errorf("err = %v, want a retryable error wrapping context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the request ignored the cancelled context")
			}
		})
	}
}

func TestSendHonoursTimeout(t *testing.T) {
	t.Parallel()
	for name, request := range requests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newTestSender(t, hangingServer(t).URL, 50*time.Millisecond)
			err := request(context.Background(), s)
			var se *SendError
			if !errors.As(err, &se) || se.Status != 0 || !IsRetryable(err) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want a retryable deadline error without status", err)
			}
		})
	}
}

// TestAnswersClassified: what Twilio (or a proxy in front of it) answers is
// classified alike for messages and calls.
func TestAnswersClassified(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		status        int
		body          string
		wantCode      int
		wantRetryable bool
		wantIs        error
	}{
		{"proxy 502 page", http.StatusBadGateway, "<html>bad gateway</html>", 0, true, nil},
		{"proxy 403 page", http.StatusForbidden, "<html>forbidden</html>", 0, false, nil},
		{"accepted, garbage body", http.StatusCreated, "{not json", 0, false, nil},
		{"accepted, no sid", http.StatusCreated, `{"status":"queued"}`, 0, false, nil},
		{"invalid number", 400, `{"code":21211,"message":"Invalid 'To' Phone Number","status":400}`, 21211, false, ErrInvalidNumber},
		{"throttled", 429, `{"code":20429,"message":"Too Many Requests","status":429}`, 20429, true, nil},
		{"unauthorized", 401, `{"code":20003,"message":"Authenticate","status":401}`, 20003, false, ErrUnauthorized},
	}
	for _, tt := range tests {
		for kind, request := range requests {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(tt.status)
					w.Write([]byte(tt.body))
				}))
				defer srv.Close()
				err := request(context.Background(), newTestSender(t, srv.URL, 0))
				var se *SendError
				if !errors.As(err, &se) || se.Status != tt.status || se.Code != tt.wantCode || IsRetryable(err) != tt.wantRetryable {
					t.Errorf("err = %#v, want status %d code %d retryable %v", err, tt.status, tt.wantCode, tt.wantRetryable)
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("errors.Is(%v) = false", tt.wantIs)
				}
			})
		}
	}
}

// TestSendIgnoresTwilioRegionEnv: twilio-go reads TWILIO_REGION/TWILIO_EDGE, which
// would send requests to api.<edge>.<region>.twilio.com; configuration is ours.
func TestSendIgnoresTwilioRegionEnv(t *testing.T) {
	t.Setenv("TWILIO_REGION", "ie1")
	t.Setenv("TWILIO_EDGE", "dublin")
	s := newTestSender(t, "", 0)
	rh := s.api(http.DefaultTransport).RequestHandler()
	u, err := rh.BuildUrl("https://api.twilio.com/2010-04-01/Accounts/x/Messages.json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, "https://api.twilio.com/") {
		t.Errorf("url = %s", u)
	}
}
