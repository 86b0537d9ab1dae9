package ingestion_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/helpline-org/helpline/internal/browsertest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/services/ingestion"
)

// TestChatQuickExitInTheBrowser: a client chatting in Chromium presses
// Escape. The page is replaced by the line's neutral site; Back leads to
// the page before the chat, never to the transcript; opening and
// reloading the chat shows the start, not the conversation; the server
// refuses the old session token and has closed its stream. The button
// does the same.
func TestChatQuickExitInTheBrowser(t *testing.T) {
	t.Parallel()
	neutral := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>Weather</title><h1 id=\"neutral\">" + r.URL.Path + "</h1>"))
	}))
	t.Cleanup(neutral.Close)
	h := newChatHarness(t, chatOptions{quickExit: neutral.URL + "/weather", http: ingestion.ChatHTTPConfig{PublicURL: "http://127.0.0.1"}})
	chatURL := h.srv.URL + ingestion.ChatPagePath

	for _, how := range []struct {
		name  string
		press chromedp.Action[chromedp.Void]
	}{
		{"escape key", chromedp.KeyEvent("\x1b")}, // kb.Escape, from the message box
		{"button", chromedp.Click(chromedp.CSS(`#quick-exit`))},
	} {
		t.Run(how.name, func(t *testing.T) {
			ctx := browsertest.Start(t, 412, 915)
			words := "my partner checks my phone " + how.name
			browsertest.Step(t, ctx, "chat",
				chromedp.Navigate(neutral.URL+"/before"),
				chromedp.Navigate(chatURL),
				chromedp.WaitVisible(chromedp.CSS(`#quick-exit`)),
				chromedp.Click(chromedp.CSS(`#start-button`)),
				chromedp.WaitVisible(chromedp.CSS(`#body`)),
				chromedp.SendKeys(chromedp.CSS(`#body`), words),
				chromedp.Click(chromedp.CSS(`#send`)),
				chromedp.WaitVisible(chromedp.CSS(`#messages li.msg-you`)),
			)
			token := chatToken(t, ctx, h.srv.URL)
			if r := h.do(t, http.MethodGet, ingestion.ChatSessionPath, token, ""); r.code != http.StatusOK {
				t.Fatalf("the session before quick exit: %d", r.code)
			}
			poll.Until(t, 20*time.Second, func() error { return streams(h, 1) })

			browsertest.Step(t, ctx, "quick exit", chromedp.Focus(chromedp.CSS(`#body`)), how.press, chromedp.WaitVisible(chromedp.CSS(`#neutral`)))
			if loc := browsertest.Value(t, ctx, "location", chromedp.Location()); loc != neutral.URL+"/weather" {
				t.Fatalf("quick exit went to %s, want the line's neutral site", loc)
			}
			// The server ends the session: the old token is refused and
			// the stream is closed.
			poll.Until(t, 20*time.Second, func() error {
				if c := h.do(t, http.MethodGet, ingestion.ChatSessionPath, token, "").code; c != http.StatusUnauthorized {
					return fmt.Errorf("the old session token is answered %d after quick exit, want 401", c)
				}
				return nil
			})
			if r := h.send(t, token, "", "still there?"); r.code != http.StatusUnauthorized {
				t.Fatalf("a message with the old token: %d, want 401", r.code)
			}
			poll.Until(t, 20*time.Second, func() error { return streams(h, 0) })

			// Back leads to the page before the chat, with no transcript.
			// (history.back rather than NavigateBack: a page restored from
			// the back-forward cache fires no load event to wait for.)
			browsertest.Step(t, ctx, "back", chromedp.Evaluate[chromedp.Void](`history.back()`))
			poll.Until(t, 20*time.Second, func() error {
				loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === "complete" ? location.href : ""`))
				if err != nil || loc != neutral.URL+"/before" {
					return fmt.Errorf("after Back the browser is at %q (%v), want the page before the chat", loc, err)
				}
				return nil
			})
			// Opening the chat again, and reloading it, shows the start.
			for _, a := range []chromedp.Action[chromedp.Void]{chromedp.Navigate(chatURL), chromedp.Reload()} {
				browsertest.Step(t, ctx, "chat again", a, chromedp.WaitVisible(chromedp.CSS(`#start-button`)))
				text := browsertest.Value(t, ctx, "page", chromedp.Evaluate[string](`document.documentElement.outerHTML`))
				if strings.Contains(text, words) || !browsertest.Value(t, ctx, "hidden", chromedp.Evaluate[bool](`document.getElementById('conversation').hidden`)) {
					t.Fatal("the chat page shows the conversation after quick exit")
				}
			}
		})
	}
}

func streams(h *chatHarness, want int) error {
	if n := h.web.OpenStreams(); n != want {
		return fmt.Errorf("%d chat streams open, want %d", n, want)
	}
	return nil
}

// chatToken is the chat's session cookie in the browser (HttpOnly: read
// through the DevTools protocol).
func chatToken(t *testing.T, ctx context.Context, base string) string {
	t.Helper()
	cookies := browsertest.Value(t, ctx, "cookies", func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		r, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{base + ingestion.ChatAPIPrefix + "/session"}})
		return r.Cookies, err
	})
	for _, c := range cookies {
		if c.Name == ingestion.ChatCookieName && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("no chat cookie in the browser: %d cookies", len(cookies))
	return ""
}
