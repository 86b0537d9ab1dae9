package notification

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/helpline-org/helpline/internal/config"
)

// Page is what a page SMS says.
type Page struct {
	Line config.Line
	// Language is the paged person's (config staff[].language).
	Language string
	// Pseudonym is the client's, when the paged person's role may see it
	// (events.PageClient); else empty and the page does not name them.
	Pseudonym    string
	EscalationID string
	Reason       string
	Categories   []string
	Step         Step
	// Ref is the page attempt's reference (events.AttemptRef), which the
	// pager looks for among the messages sent to the person when it does
	// not know whether the page left (pageonce.go); empty: none.
	Ref string
}

// defaultPageReply is how to answer a page, where the line configures no
// text (page_reply) for the language.
var defaultPageReply = map[string]string{
	"en": "Reply 1 to acknowledge, 2 if you cannot take it.",
	"es": "Responde 1 para aceptarlo, 2 si no puedes atenderlo.",
	"fr": "Répondez 1 pour le prendre, 2 si vous ne pouvez pas.",
}

// PageText is the SMS a paged person's phone receives. It names the line
// and the reason, the client's pseudonym only when given (for a role that
// may see it), links to that escalation in the console (its id only: no
// number, no content) and says how to answer by SMS; never the client's
// number or words.
func PageText(p Page, consoleURL string) string {
	why := p.Reason
	if len(p.Categories) > 0 {
		why += ": " + strings.ReplaceAll(strings.Join(p.Categories, ", "), "_", " ")
	}
	again := ""
	if p.Step.Round > 1 || p.Step.Level > 0 {
		again = " (not yet acknowledged)"
	}
	if p.Pseudonym != "" {
		why += ", client " + p.Pseudonym
	}
	text := fmt.Sprintf("Helpline page%s. %s: %s. %s %s", again, p.Line.Name, why,
		EscalationLink(consoleURL, p.EscalationID), PageReplyText(p.Line, p.Language))
	if p.Ref != "" {
		text += " Ref " + p.Ref
	}
	return text
}

// EscalationLink is the console's page for one escalation.
func EscalationLink(consoleURL, escalationID string) string {
	return strings.TrimRight(consoleURL, "/") + "/queue/" + url.PathEscape(escalationID)
}

// PageReplyText says how to answer a page, in the line's text for the
// language, else the built-in one.
func PageReplyText(l config.Line, lang string) string {
	if t := config.PickText(l.PageReply, lang); t != "" {
		return t
	}
	return config.PickText(defaultPageReply, lang)
}

// Notice is what an urgent notice SMS says: the client of a conversation
// the worker took on wrote again, in crisis words.
type Notice struct {
	Line config.Line
	// Language is the worker's; Pseudonym the client's when their role may
	// see it (events.PageClient).
	Language, Pseudonym string
	Categories          []string
	ConversationID      string
	// Window is how long they have to answer before the rota is paged.
	Window time.Duration
}

// NoticeText is the SMS an urgent notice sends to the worker who took the
// conversation's crisis on: the line, the signals, the client's pseudonym
// (for a role that may see it), the conversation's link and how long
// before others are paged; never the client's number or words. It is in
// English: the pages' built-in answers are translated, but no line
// configures this text yet.
func NoticeText(n Notice, consoleURL string) string {
	why := "crisis"
	if len(n.Categories) > 0 {
		why += ": " + strings.ReplaceAll(strings.Join(n.Categories, ", "), "_", " ")
	}
	who := "The client you are answering"
	if n.Pseudonym != "" {
		who = "Client " + n.Pseudonym + ", whom you are answering,"
	}
	return fmt.Sprintf("Helpline URGENT. %s: %s wrote again (%s). Please answer now: %s If nobody replies within %s, the on-call rota is paged.",
		n.Line.Name, who, why, ConversationLink(consoleURL, n.ConversationID), minutes(n.Window))
}

// ConversationLink is the console's page for one conversation.
func ConversationLink(consoleURL, conversationID string) string {
	return strings.TrimRight(consoleURL, "/") + "/conversations/" + url.PathEscape(conversationID)
}

// minutes says a duration the way a person reads it on a phone: "5 min",
// or "90 s" under two minutes.
func minutes(d time.Duration) string {
	if d < 2*time.Minute {
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	}
	return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
}
