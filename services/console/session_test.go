package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

func TestIdleSessionSignsOut(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	s := w.signIn(t, "dana")
	if code, body := s.do("GET", "/api/session", nil); code != http.StatusOK {
		t.Fatalf("fresh session: %d %s", code, body)
	}
	// Used within the idle timeout, it lives on.
	w.Clock.Add(14 * time.Minute)
	if code, _ := s.do("GET", "/api/session", nil); code != http.StatusOK {
		t.Fatalf("after 14 minutes in use: %d, want 200", code)
	}
	w.Clock.Add(14 * time.Minute)
	if code, _ := s.do("GET", "/api/queue", nil); code != http.StatusOK {
		t.Fatalf("14 minutes after the last use: %d, want 200", code)
	}
	// Idle for longer than 15 minutes: signed out, on every route.
	w.Clock.Add(16 * time.Minute)
	if code, _ := s.do("GET", "/api/queue", nil); code != http.StatusUnauthorized {
		t.Fatalf("after 16 idle minutes: %d, want 401", code)
	}
	if code, _ := s.do("GET", "/queue", nil); code != http.StatusSeeOther {
		t.Fatalf("page after the timeout: %d, want 303 to /login", code)
	}
	// The session is gone for good, not just refused once.
	w.Clock.Add(-30 * time.Minute)
	if code, _ := s.do("GET", "/api/session", nil); code != http.StatusUnauthorized {
		t.Fatalf("the expired session came back: %d", code)
	}
}

// TestLiveRefreshesAreNotActivity: what a live page fetches by itself
// (console.js marks it) and its event stream do not keep the session
// alive: an unattended queue signs out after 15 idle minutes.
func TestLiveRefreshesAreNotActivity(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	s := w.signIn(t, "dana")
	if code, _ := s.do("GET", "/queue", nil); code != http.StatusOK {
		t.Fatalf("queue: %d", code)
	}
	for range 2 {
		w.Clock.Add(7 * time.Minute)
		if code, _ := s.do("GET", "/queue", nil, "X-Helpline-Refresh", "background"); code != http.StatusOK {
			t.Fatalf("live refresh within the idle timeout: %d, want 200", code)
		}
		if code, _ := s.do("GET", "/api/session", nil, "Accept", "text/event-stream"); code != http.StatusOK {
			t.Fatalf("stream-like request within the idle timeout: %d, want 200", code)
		}
	}
	w.Clock.Add(2 * time.Minute) // 16 minutes since the person did anything
	if code, _ := s.do("GET", "/queue", nil, "X-Helpline-Refresh", "background"); code != http.StatusSeeOther {
		t.Fatalf("live refresh after 16 unattended minutes: %d, want 303 to /login", code)
	}
	if code, _ := s.do("GET", "/api/session", nil); code != http.StatusUnauthorized {
		t.Fatalf("session after 16 unattended minutes: %d, want 401", code)
	}
	// The page's script marks its refreshes.
	code, js := w.anonymous(t).do("GET", "/assets/console.js", nil)
	if code != http.StatusOK || !strings.Contains(string(js), `"X-Helpline-Refresh": "background"`) {
		t.Fatalf("console.js does not mark its refreshes: %d", code)
	}
}

// TestAdminCannotGrantThemselvesAContentRole: an admin giving themselves
// worker or duty (roles that read clients' words) is refused and nothing
// is recorded; another admin may grant it, and a role without content
// (manager) is fine.
func TestAdminCannotGrantThemselvesAContentRole(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	ada := w.signIn(t, "ada")
	for _, role := range []string{"duty", "worker"} {
		code, body := ada.do("POST", "/api/users/ada/roles", map[string]any{"role": role, "grant": true})
		if code != http.StatusForbidden || !strings.Contains(string(body), "another admin") {
			t.Fatalf("self-grant of %s: %d %s", role, code, body)
		}
	}
	if code, body := ada.do("POST", "/api/users/ada/roles", map[string]any{"role": "manager", "grant": true}); code >= 300 {
		t.Fatalf("self-grant of manager: %d %s", code, body)
	}
	acc, err := w.svc.Accounts().Get(context.Background(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	if acc.Has("duty") || acc.Has("worker") {
		t.Fatalf("a refused self-grant was recorded: %v", acc.Roles)
	}
	// A second admin grants it.
	if err := w.svc.Accounts().Register(context.Background(), "ola", "Ola Admin", "admin", password, "test", events.Meta{OccurredAt: w.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	ola := w.signIn(t, "ola")
	if code, body := ola.do("POST", "/api/users/ada/roles", map[string]any{"role": "duty", "grant": true}); code >= 300 {
		t.Fatalf("another admin grants duty: %d %s", code, body)
	}
}

func TestSessionLifetimeEndsEvenInUse(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	s := w.signIn(t, "wes")
	for range 12 * 6 { // every 10 minutes for 12 hours
		w.Clock.Add(10 * time.Minute)
		s.do("GET", "/api/session", nil)
	}
	w.Clock.Add(10 * time.Minute)
	if code, _ := s.do("GET", "/api/session", nil); code != http.StatusUnauthorized {
		t.Fatalf("after 12h10m: %d, want 401", code)
	}
}

func TestForgedCrossSitePostIsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	s := w.signIn(t, "ada")
	body := map[string]any{"id": "eve", "name": "Eve Evil", "role": "admin", "password": "a long enough password"}
	// A page on another site posts with the victim's cookie: the browser
	// says so (Sec-Fetch-Site, Origin), and the token is missing.
	forged := *s
	forged.CSRF = ""
	code, _ := forged.do("POST", "/api/users", body, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	if code != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d, want 403", code)
	}
	// Even with the token (it cannot know it, but suppose), a cross-site
	// request is refused.
	if code, _ := s.do("POST", "/api/users", body, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"); code != http.StatusForbidden {
		t.Fatalf("cross-site POST with token: %d, want 403", code)
	}
	// Same-origin without the token (an old form, a script without it).
	if code, _ := forged.do("POST", "/api/users", body); code != http.StatusForbidden {
		t.Fatalf("POST without CSRF token: %d, want 403", code)
	}
	// A classic HTML form post from elsewhere, with the cookie.
	form := url.Values{"id": {"eve"}, "name": {"Eve"}, "role": {"admin"}, "password": {"a long enough password"}}
	if resp, _ := s.submit("POST", "/admin/users", form, "Origin", "https://evil.example"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site form: %d, want 403", resp.StatusCode)
	}
	if _, err := w.svc.Accounts().Get(context.Background(), "eve"); err == nil {
		t.Fatal("a forged request created an account")
	}
	// The genuine request works.
	if code, b := s.do("POST", "/api/users", body); code != http.StatusCreated {
		t.Fatalf("genuine POST: %d %s", code, b)
	}
}

func TestFiveWrongPasswordsLockTheAccount(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	a := w.anonymous(t)
	signIn := func(pw string) int {
		code, _ := a.do("POST", "/api/session", map[string]string{"staff_id": "dana", "password": pw})
		return code
	}
	for i := range 4 {
		if code := signIn("wrong password " + string(rune('a'+i))); code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i+1, code)
		}
	}
	if code := signIn("wrong password e"); code != http.StatusLocked {
		t.Fatalf("fifth wrong password: %d, want 423", code)
	}
	// The lock holds for the right password too.
	if code := signIn(password); code != http.StatusLocked {
		t.Fatalf("right password while locked: %d, want 423", code)
	}
	// Another account is not affected.
	if code, _ := a.do("POST", "/api/session", map[string]string{"staff_id": "bo", "password": password}); code != http.StatusCreated {
		t.Fatalf("another account: %d", code)
	}
	w.Clock.Add(14 * time.Minute)
	if code := signIn(password); code != http.StatusLocked {
		t.Fatalf("right password after 14 minutes: %d, want 423", code)
	}
	w.Clock.Add(2 * time.Minute)
	if code := signIn(password); code != http.StatusCreated {
		t.Fatalf("right password once the lock expired: %d, want 201", code)
	}
}

func TestUnknownAndDisabledAccountsCannotSignIn(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	a := w.anonymous(t)
	if code, _ := a.do("POST", "/api/session", map[string]string{"staff_id": "nobody", "password": password}); code != http.StatusUnauthorized {
		t.Fatalf("unknown id: %d", code)
	}
	wes := w.signIn(t, "wes")
	admin := w.signIn(t, "ada")
	if code, b := admin.do("POST", "/api/users/wes/disable", map[string]string{"reason": "left"}); code != http.StatusNoContent {
		t.Fatalf("disable: %d %s", code, b)
	}
	// The open session ends at once, and signing in again is refused.
	if code, _ := wes.do("GET", "/api/session", nil); code != http.StatusUnauthorized {
		t.Fatalf("disabled account's session: %d, want 401", code)
	}
	if code, _ := a.do("POST", "/api/session", map[string]string{"staff_id": "wes", "password": password}); code != http.StatusUnauthorized {
		t.Fatalf("disabled account signs in: %d", code)
	}
}

func TestSignInCookieIsHttpOnlyStrict(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	a := w.anonymous(t)
	req, _ := http.NewRequest("POST", w.srv.URL+"/api/session", strings.NewReader(`{"staff_id":"dana","password":"`+password+`"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sc := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"helpline_console=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %s", sc, want)
		}
	}
}
