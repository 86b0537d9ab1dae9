package apptest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"
)

// Staff is a client of the console's HTTP surface as one member of staff
// uses it: a cookie jar, and once signed in the session's CSRF token,
// sent with every request. It does not follow redirects, so a test sees
// the console's 303s.
type Staff struct {
	T    testing.TB
	Base string
	HTTP *http.Client
	CSRF string
}

// NewStaff is a client of the console at base (a URL without a trailing
// slash) with no session yet. A request that gets no answer within two
// minutes fails: a bound for a hung console, not a guess at its speed (a
// sign-in, its 64 MiB password hash racing other tests' for two cores
// under -race, took more than 30 s in a full run at load 36).
func NewStaff(t testing.TB, base string) *Staff {
	jar, _ := cookiejar.New(nil)
	return &Staff{T: t, Base: base, HTTP: &http.Client{Jar: jar, Timeout: 2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// SignIn signs id in with password through the API (POST /api/session)
// and returns the client holding the session; the test fails unless the
// console answers 201 with a CSRF token.
func SignIn(t testing.TB, base, id, password string) *Staff {
	t.Helper()
	s := NewStaff(t, base)
	code, body := s.Do(http.MethodPost, "/api/session", map[string]string{"staff_id": id, "password": password})
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if code != http.StatusCreated || json.Unmarshal(body, &out) != nil || out.CSRF == "" {
		t.Fatalf("sign in %s: %d %s", id, code, body)
	}
	s.CSRF = out.CSRF
	return s
}

// Do sends a request to path, with body as JSON when it is not nil, the
// session's CSRF token and the header pairs hdr (name, value, ...), and
// returns the status and the body (none for an event stream, which it
// does not read). A request that gets no answer is a test error and
// returns status 0, so Do may be called from any goroutine.
func (s *Staff) Do(method, path string, body any, hdr ...string) (int, []byte) {
	s.T.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.T.Errorf("%s %s: %v", method, path, err)
			return 0, nil
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.Base+path, rd)
	if err != nil {
		s.T.Errorf("%s %s: %v", method, path, err)
		return 0, nil
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.CSRF != "" {
		req.Header.Set("X-CSRF-Token", s.CSRF)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		s.T.Errorf("%s %s: %v", method, path, err)
		return 0, nil
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, nil
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
