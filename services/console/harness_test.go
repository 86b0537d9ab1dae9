package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/app"
	"github.com/helpline-org/helpline/internal/app/apptest"
	"github.com/helpline-org/helpline/internal/logtest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/services/console"
	consoleapp "github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/ingestion"
)

const (
	lineNumber = "+442079460000"
	dutyPhone  = "+447700900101"
	dutyPhone2 = "+447700900102"
	adminPhone = "+447700900104"
	password   = testbed.Password
)

const worldConfig = `
lines:
  - {id: main, name: Test Line, number: "` + lineNumber + `", timezone: Europe/London, always_open: true, first_response_target: 1h, send_rate: 1000, admin_contacts: [ada]}
staff:
  - {id: dana, name: Dana Duty, role: duty, work_phone: "` + dutyPhone + `", teams: [day]}
  - {id: bo, name: Bo Backup, role: duty, work_phone: "` + dutyPhone2 + `", teams: [day]}
  - {id: wes, name: Wes Worker, role: worker, teams: [day]}
  - {id: nia, name: Nia Night, role: worker, teams: [night]}
  - {id: mia, name: Mia Manager, role: manager}
  - {id: ada, name: Ada Admin, role: admin, work_phone: "` + adminPhone + `"}
rota:
  - {line: main, level: duty, staff: dana}
  - {line: main, level: backup, staff: bo}
policies:
  - {id: default, levels: [duty, backup], ack_timeout: 1h, rounds: 1}
`

// accounts are the staff accounts every world has: id to role.
var accounts = map[string]string{"dana": "duty", "bo": "duty", "wes": "worker", "nia": "worker", "mia": "manager", "ada": "admin"}

var names = map[string]string{"dana": "Dana Duty", "bo": "Bo Backup", "wes": "Wes Worker", "nia": "Nia Night", "mia": "Mia Manager", "ada": "Ada Admin"}

// world is the console in a whole helpline process built by internal/app,
// as `helpline run` builds it, on a test bed's platform and clock: the
// real ingestion webhook, triage, notification (sending to the
// Twilio-compatible fake) and projections on memory stores.
type world struct {
	*testbed.Bed
	svc   *console.Service
	srv   *httptest.Server
	queue *escalations.Queue
	fake  *twiliofake.Fake
	logs  logtest.Buffer
	inbox *inbox.View
	// notify is notification's timers, opened on first use (notifyTimer).
	notifyOnce sync.Once
	notify     *timers.Store
}

// worldStart is the instant a world's clock starts at when its test sets
// none: a fixed Monday morning (UTC, and London's time in December), so
// that no test depends on the hour it runs at. From the wall clock, a test
// that moved the clock on past midnight, or asked for the figures of the
// last day, failed every evening (66b26d8 pinned one). A test whose story
// needs a particular day or hour sets its own (worldOpts.at).
var worldStart = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// worldOpts change a world: its configuration (worldConfig when empty)
// and the time its clock starts at (worldStart when zero).
type worldOpts struct {
	config string
	at     time.Time
}

const twilioToken = "consoletoken0123456789"

// notifyTimer waits until notification's timer key is as want says (nil
// when it is, given the timer and whether it is set) and returns the
// timer. The bucket is opened at the first call, for the test that made
// the world.
func (w *world) notifyTimer(t testing.TB, key string, want func(tr timers.Timer, set bool) error) timers.Timer {
	t.Helper()
	w.notifyOnce.Do(func() { w.notify = w.Timers(t, app.NotificationTimers) })
	var tr timers.Timer
	poll.Until(t, 20*time.Second, func() error {
		var set bool
		var err error
		if tr, set, err = w.notify.Get(context.Background(), key); err != nil {
			return err
		}
		return want(tr, set)
	})
	return tr
}

// waitTimerGone waits until an escalation's acknowledgement timer is
// gone.
func (w *world) waitTimerGone(t testing.TB, esc string) {
	t.Helper()
	w.notifyTimer(t, "ack-"+esc, func(_ timers.Timer, set bool) error {
		if set {
			return fmt.Errorf("the acknowledgement timer of %s is still set", esc)
		}
		return nil
	})
}

// waitTimerAt waits until an escalation's acknowledgement timer is set
// for the level (from 0) of its policy.
func (w *world) waitTimerAt(t testing.TB, esc string, level int) {
	t.Helper()
	w.notifyTimer(t, "ack-"+esc, func(tr timers.Timer, set bool) error {
		if !set || tr.Data["level"] != strconv.Itoa(level) {
			return fmt.Errorf("the acknowledgement timer of %s is not yet at level %d", esc, level)
		}
		return nil
	})
}

// text posts an SMS from a client's number to the line as Twilio would,
// signed, and waits for the 200.
func (w *world) text(t testing.TB, from, body string) {
	t.Helper()
	form := url.Values{"MessageSid": {testbed.SID()}, "AccountSid": {w.fake.AccountSID()}, "From": {from}, "To": {lineNumber}, "Body": {body}}
	if code := testbed.Webhook(t, w.srv.URL+ingestion.SMSPath, twilioToken, form); code != http.StatusOK {
		t.Fatalf("webhook: %d", code)
	}
}

func newWorld(t testing.TB, o worldOpts) *world {
	t.Helper()
	if o.config == "" {
		o.config = worldConfig
	}
	if o.at.IsZero() {
		o.at = worldStart
	}
	b := testbed.New(t, o.config, o.at)
	w := &world{Bed: b}
	p := apptest.Serve(t, b, twilioToken, app.Config{TimerTick: 100 * time.Millisecond, Console: console.Config{LivePoll: 50 * time.Millisecond, SignInBurst: 1000}},
		zerolog.New(&w.logs).Level(zerolog.DebugLevel))
	w.fake, w.srv = p.Fake, p.Server
	w.svc, w.queue, w.inbox = p.Console, p.Views.Queue, p.Views.Inbox
	ctx := context.Background()
	for id, role := range accounts {
		b.Register(t, id, names[id], role, testbed.PasswordHash(consoleapp.HashPassword))
	}
	if err := w.svc.Accounts().CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

// staff is one console client of the world's (cookie jar and CSRF
// token once signed in).
type staff struct{ apptest.Staff }

// anonymous is a client with no session.
func (w *world) anonymous(t testing.TB) *staff {
	s := &staff{*apptest.NewStaff(t, w.srv.URL)}
	s.HTTP.Timeout = 20 * time.Second
	return s
}

// signIn signs id in through the API and keeps its session.
func (w *world) signIn(t testing.TB, id string) *staff {
	t.Helper()
	s := &staff{*apptest.SignIn(t, w.srv.URL, id, password)}
	s.HTTP.Timeout = 20 * time.Second
	return s
}

// do sends a request (JSON body when body is not nil) with the session's
// CSRF token, and returns the status and body (apptest.Staff.Do).
func (s *staff) do(method, path string, body any, hdr ...string) (int, []byte) {
	s.T.Helper()
	return s.Do(method, path, body, hdr...)
}

// auditReads returns the content_read audit records, oldest first.
func (w *world) auditReads(t testing.TB) []testbed.Reading {
	t.Helper()
	return testbed.Readings(t, w.Store)
}

// send is do with a body that may be a form ("form:a=b&c=d", sent with
// the CSRF token as a field).
func (s *staff) send(method, path string, body any) (int, []byte) {
	s.T.Helper()
	f, ok := body.(string)
	if !ok || !strings.HasPrefix(f, "form:") {
		return s.do(method, path, body)
	}
	form, _ := url.ParseQuery(strings.TrimPrefix(f, "form:"))
	if s.CSRF != "" {
		form.Set("csrf", s.CSRF)
	}
	resp, b := s.submit(method, path, form)
	return resp.StatusCode, b
}

// submit sends form to path as a browser sends an HTML form (encoded as
// one, with nothing added: send and location add the CSRF token), with
// hdr as header name and value pairs, and returns the answer and its
// body, read and closed. A request that gets no answer fails the test.
func (s *staff) submit(method, path string, form url.Values, hdr ...string) (*http.Response, []byte) {
	s.T.Helper()
	req, _ := http.NewRequest(method, s.Base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		s.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}
