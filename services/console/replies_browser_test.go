package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/projections/inbox"
)

// TestWorkerInsertsSavedReplyWithTheKeyboard: an admin adds a saved reply
// on the console's page; a worker opens a conversation and, with the
// keyboard only, types "/" in the reply box, a few letters of the
// shortcut, Enter, edits the inserted text, and sends it with Tab and
// Enter; the client's phone gets it from the line's number. Escape gives
// back what was typed, and "/" inside a word stays a slash.
func TestWorkerInsertsSavedReplyWithTheKeyboard(t *testing.T) {
	w := newWorld(t, worldOpts{config: repliesConfig})
	dir := artifacts(t)
	base := w.srv.URL

	ada := signedIn(t, base, "ada", 1024, 900)
	step(t, ada, "add a saved reply",
		chromedp.Navigate(base+"/admin/replies"),
		chromedp.WaitVisible(chromedp.CSS(`#add-reply summary`)),
		chromedp.Click(chromedp.CSS(`#add-reply summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-shortcut`)),
		chromedp.SendKeys(chromedp.CSS(`#new-shortcut`), "breathe"),
		chromedp.SendKeys(chromedp.CSS(`#new-title`), "Breathing together"),
		chromedp.SendKeys(chromedp.CSS(`#new-text`), "Let's breathe together: in for four, hold for four, out for four."),
		chromedp.Submit(chromedp.CSS(`#new-text`)),
		chromedp.WaitVisible(chromedp.CSS(`#done`)))
	screenshot(t, ada, dir, "30-admin-saved-replies")

	// A client writes; the duty worker gives the conversation to wes.
	w.text(t, clientA, "hello, I can't stop panicking")
	c := w.waitConversation(t, func(inbox.Conversation) bool { return true })
	if code, body := w.signIn(t, "dana").do("POST", "/api/conversations/"+c.ID+"/assign", map[string]string{"assignee_id": "wes", "team_id": "day"}); code != http.StatusNoContent {
		t.Fatalf("assign: %d %s", code, body)
	}
	w.waitConversation(t, func(x inbox.Conversation) bool { return x.ID == c.ID && x.AssigneeID == "wes" })

	wes := signedIn(t, base, "wes", 412, 915)
	bodyValue := func(name string) string {
		return value(t, wes, name, chromedp.Evaluate[string](`document.getElementById('body').value`))
	}
	focused := func(name string) string {
		return value(t, wes, name, chromedp.Evaluate[string](`document.activeElement.id || document.activeElement.tagName`))
	}
	step(t, wes, "open the conversation",
		chromedp.Navigate(base+"/conversations/"+c.ID),
		chromedp.WaitVisible(chromedp.CSS(`#body`)),
		chromedp.Focus(chromedp.CSS(`#body`)))

	// "/" inside a word is a slash; Escape from the list gives back "/" and
	// what was typed after it.
	step(t, wes, "a slash in a word", chromedp.KeyEvent("and/or"))
	if got := bodyValue("after and/or"); got != "and/or" {
		t.Fatalf("reply box %q after typing and/or", got)
	}
	step(t, wes, "clear", chromedp.KeyEvent(strings.Repeat("\b", 6)), chromedp.KeyEvent("/bre"))
	if f := focused("focus in the list"); f != "saved-filter" {
		t.Fatalf("after / the focus is on %s, want the list's filter", f)
	}
	step(t, wes, "escape", chromedp.KeyEvent("\x1b"))
	if got, f := bodyValue("after escape"), focused("focus after escape"); got != "/bre" || f != "body" {
		t.Fatalf("after Escape: reply %q, focus %s; want /bre back in the reply box", got, f)
	}

	// The keyboard only: "/", part of the shortcut, arrows, Enter.
	step(t, wes, "choose a saved reply",
		chromedp.KeyEvent(strings.Repeat("\b", 4)),
		chromedp.KeyEvent("/"),
		chromedp.KeyEvent("saf"),
		chromedp.KeyEvent("\x1b"), // back: "/saf" in the box
		chromedp.KeyEvent(strings.Repeat("\b", 4)),
		chromedp.KeyEvent("/"),
		chromedp.KeyEvent("brea"))
	active := value(t, wes, "active option", chromedp.Evaluate[string](`document.querySelector('#saved-list [aria-selected=true]').dataset.shortcut`))
	if active != "breathe" {
		t.Fatalf("typing brea chose /%s, want /breathe", active)
	}
	step(t, wes, "down and up", chromedp.KeyEvent("\ue015"), chromedp.KeyEvent("\ue013")) // kb.ArrowDown, kb.ArrowUp
	screenshot(t, wes, dir, "31-worker-saved-reply-list")
	step(t, wes, "insert", chromedp.KeyEvent("\r"))
	inserted := "Let's breathe together: in for four, hold for four, out for four."
	if got, f := bodyValue("inserted"), focused("focus after insert"); got != inserted || f != "body" {
		t.Fatalf("after Enter: reply %q, focus %s; want the saved reply in the reply box, focused", got, f)
	}
	// It is editable: the worker adds their own words, then sends it
	// from the keyboard (Tab past the list's button to Send, Enter).
	step(t, wes, "edit", chromedp.KeyEvent(" I'm Wes, I'm with you."))
	screenshot(t, wes, dir, "32-worker-saved-reply-inserted")
	step(t, wes, "tab to send", chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"))
	if f := value(t, wes, "focus on send", chromedp.Evaluate[string](`document.activeElement.textContent.trim()`)); f != "Send reply" {
		t.Fatalf("two Tabs from the reply box reach %q, want Send reply", f)
	}
	step(t, wes, "send", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(`#sent`)))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sms, err := w.fake.WaitFor(ctx, func(m twiliofake.SentMessage) bool {
		return m.To == clientA && strings.Contains(m.Body, inserted+" I'm Wes, I'm with you.")
	})
	if err != nil {
		t.Fatalf("the saved reply never reached the client: %v", err)
	}
	if sms.From != lineNumber {
		t.Fatalf("sent from %s, want the line's number", sms.From)
	}

	// Alt+/ opens the list anywhere; a reply that would pass the box's
	// 1,600 characters is refused with a word, and nothing is cut or lost.
	long := strings.Repeat("x", 1590)
	step(t, wes, "a long reply",
		chromedp.WaitVisible(chromedp.CSS(`#body`)),
		chromedp.Focus(chromedp.CSS(`#body`)),
		chromedp.KeyEvent("xx"),
		chromedp.Evaluate[chromedp.Void](`(() => { const b = document.getElementById('body'); b.value = '`+long+`'; b.setSelectionRange(1590, 1590); })()`),
		chromedp.KeyEvent("/", chromedp.KeyModifiers(chromedp.ModifierAlt)),
		chromedp.KeyEvent("brea"),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`#saved-status`)))
	if got := bodyValue("after a refused insertion"); got != long {
		t.Fatalf("a refused insertion changed the reply (%d characters)", len(got))
	}
}
