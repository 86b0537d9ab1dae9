package ingestion

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/oncall"
	"github.com/helpline-org/helpline/internal/sms"
)

// Duty is the use case "a staff member answers a page by SMS". A text
// from a staff work phone to a line's number is staff's, never a client's:
// it starts no conversation and registers no client. "1" acknowledges the
// newest page to that person still unacknowledged, "2" declines it (the
// pager moves to the next level at once when everyone paged at the step
// declined); "1 C-7Q2KX3" or "2 C-7Q2KX3" answers the page about that
// client instead. Anything else is answered with how to answer. Staff are
// recognised by a keyed hash of the number (keyring.Pseudonymizer's
// StaffPhone): Duty holds no number, and logs none.
type Duty struct {
	byPhone map[string]config.Staff // keyed hash of the work phone -> staff
	byID    map[string]config.Staff
	hash    func(e164 string) string
	pages   *PageIndex
	people  *oncall.People
	convs   *events.Conversations
	now     func() time.Time
	logger  zerolog.Logger
}

// NewDuty recognises the staff with a work phone. hash is the keyed hash
// of a number. The pages each person was sent come from the log: run
// Specs.
func NewDuty(staff []config.Staff, hash func(e164 string) string, log Log, now func() time.Time, logger zerolog.Logger) *Duty {
	d := &Duty{byPhone: map[string]config.Staff{}, byID: map[string]config.Staff{}, hash: hash, pages: NewPageIndex(), now: now,
		logger: logger.With().Str("svc", "ingestion").Str("use", "duty").Logger()}
	d.convs, _ = events.NewConversations(log, events.DefaultConversationCacheSize) // size > 0: cannot fail
	d.people = oncall.NewPeople(staff, log)
	for _, st := range staff {
		d.byID[st.ID] = st
		if st.WorkPhone != "" {
			d.byPhone[hash(st.WorkPhone)] = st
		}
	}
	return d
}

// Specs is what keeps the pages staff were sent from the log.
func (d *Duty) Specs() []consume.Spec { return d.pages.Specs() }

// Staff returns the staff member whose work phone e164 is, if any.
func (d *Duty) Staff(e164 string) (config.Staff, bool) {
	st, ok := d.byPhone[d.hash(e164)]
	return st, ok
}

// target is the page a reply answers, as the conversation has it now.
type target struct {
	conv *events.Conversation
	esc  *events.Escalation
}

// Answer acts on a staff member's text to line and returns what to text
// back. An error means nothing was decided (the log is unavailable): the
// provider should try again.
func (d *Duty) Answer(ctx context.Context, st config.Staff, line config.Line, in InboundSMS) (string, error) {
	st, err := d.people.Refresh(ctx, st) // their role as the console knows it now
	if err != nil {
		return "", err
	}
	t := dutyTextsFor(line, st.Language)
	log := d.logger.With().Str("staff", st.ID).Str("line", line.ID).Logger()
	if _, consent, ok := ConsentKeyword(in.Body); ok && consent == events.ConsentOptedOut {
		// The provider stops every SMS from the line to this phone: pages
		// to them will fail until they text START.
		log.Error().Msg("a staff work phone opted out of the line's messages: pages to it will fail")
	}
	reply, client := parseDutyReply(in.Body)
	if reply != sms.ReplyAcknowledge && reply != sms.ReplyDecline {
		log.Info().Msg("staff text is not an answer to a page: help sent")
		return t.help, nil
	}
	tg, found, err := d.choose(ctx, st.ID, client)
	if err != nil {
		return "", err
	}
	if !found {
		log.Info().Str("reply", reply.String()).Msg("staff answered no page")
		return t.noPage + " " + t.help, nil
	}
	log = log.With().Str("escalation", tg.esc.ID).Str("conversation", tg.conv.ID).Str("reply", reply.String()).Logger()
	meta := events.Meta{CorrelationID: tg.esc.ID, CausationID: "sms-" + strings.ToLower(in.MessageSid), OccurredAt: d.now()}
	// The answer names the client only to a role the console would show
	// them to (events.PageClient): a manager acts on the line and reason.
	named := t.client(events.PageClient(st.Role, tg.conv.Pseudonym))
	var saved events.Saved[*events.Conversation]
	if reply == sms.ReplyAcknowledge {
		saved, err = d.convs.Update(ctx, tg.conv.ID, func(c *events.Conversation) error { return c.AcknowledgeVia(tg.esc.ID, st.ID, events.AckSMS, meta) })
	} else {
		saved, err = d.convs.Update(ctx, tg.conv.ID, func(c *events.Conversation) error { return c.Decline(tg.esc.ID, st.ID, events.AckSMS, meta) })
	}
	var already *events.AlreadyAcknowledgedError
	switch {
	case errors.As(err, &already) && already.StaffID == st.ID:
		return fill(t.acknowledged, named, ""), nil // their own, again (a retried webhook)
	case errors.As(err, &already):
		log.Info().Str("acknowledged_by", already.StaffID).Msg("staff answered a page someone else acknowledged")
		return fill(t.already, named, d.firstName(already.StaffID)+" "+t.ago(d.now().Sub(already.At))) + d.stillOpen(ctx, t, st, tg.esc.ID), nil
	case err != nil:
		return "", err
	}
	if reply == sms.ReplyDecline {
		log.Info().Msg("page declined by SMS")
		if esc := saved.State.Escalations[tg.esc.ID]; esc != nil && esc.StepRefused(esc.Round, esc.Level) {
			return fill(t.declinedNext, named, ""), nil
		}
		return fill(t.declinedOthers, named, ""), nil
	}
	log.Info().Msg("page acknowledged by SMS")
	// Like an acknowledgement in the console: whoever takes the page on
	// answers the conversation, unless someone already does.
	if _, err := d.convs.Update(ctx, tg.conv.ID, func(c *events.Conversation) error {
		if c.AssigneeID != "" || c.Closed {
			return nil
		}
		return c.Assign(st.ID, c.TeamID, st.ID, meta)
	}); err != nil {
		log.Warn().Err(err).Msg("acknowledged; the conversation could not be assigned to them")
	}
	return fill(t.acknowledged, named, ""), nil
}

// choose finds the page a reply answers among the staff member's latest:
// the newest still unacknowledged (about client, when named); else the
// newest (someone else acknowledged it: the reply is told who).
func (d *Duty) choose(ctx context.Context, staffID, client string) (target, bool, error) {
	refs := d.pages.Recent(staffID)
	var newest target
	for _, ref := range refs {
		conv, err := d.convs.Load(ctx, ref.ConversationID)
		if errors.Is(err, events.ErrNotFound) {
			continue
		}
		if err != nil {
			return target{}, false, err
		}
		esc := conv.Escalations[ref.EscalationID]
		if esc == nil || client != "" && !strings.EqualFold(conv.Pseudonym, client) {
			continue
		}
		if !esc.Acknowledged {
			return target{conv: conv, esc: esc}, true, nil
		}
		if newest.esc == nil {
			newest = target{conv: conv, esc: esc}
		}
	}
	return newest, newest.esc != nil, nil
}

// stillOpen names another page to st still waiting for someone, if any,
// and how to take it: by its client's pseudonym for a role that may see
// it, else as their newest open page ("1" alone takes it).
func (d *Duty) stillOpen(ctx context.Context, t dutyTexts, st config.Staff, except string) string {
	for _, ref := range d.pages.Recent(st.ID) {
		if ref.EscalationID == except {
			continue
		}
		conv, err := d.convs.Load(ctx, ref.ConversationID)
		if err != nil {
			continue
		}
		if esc := conv.Escalations[ref.EscalationID]; esc != nil && !esc.Acknowledged {
			if client := events.PageClient(st.Role, conv.Pseudonym); client != "" {
				return " " + strings.ReplaceAll(t.stillOpen, "{client}", client)
			}
			return " " + t.stillOpenAny
		}
	}
	return ""
}

// firstName is what a staff member is called in a text to a colleague.
func (d *Duty) firstName(staffID string) string {
	st, ok := d.byID[staffID]
	if !ok || st.Name == "" {
		return staffID
	}
	return strings.Fields(st.Name)[0]
}

// parseDutyReply reads "1", "2", "1 C-7Q2KX3" or "2 7q2kx3": the answer
// and, when given, the client's pseudonym (as staff see it: "C-" and
// upper case).
func parseDutyReply(body string) (sms.Reply, string) {
	fields := strings.Fields(body)
	if len(fields) == 0 || len(fields) > 2 {
		return sms.ReplyOf(body), ""
	}
	reply := sms.ReplyOf(fields[0])
	if len(fields) == 1 {
		return reply, ""
	}
	client := strings.ToUpper(fields[1])
	if !strings.HasPrefix(client, "C-") {
		client = "C-" + client
	}
	if events.ValidateID(client) != nil {
		return sms.ReplyOther, ""
	}
	return reply, client
}

// fill puts the client (t.client's phrase, or nothing) and who (a name
// and when) into a text.
func fill(text, client, who string) string {
	return strings.NewReplacer("{client}", client, "{who}", who).Replace(text)
}

// dutyTexts are what a staff member's text is answered with, in one
// language. In the answers, {client} is where the client is named (the
// clientTag phrase, or nothing for a role that may not know who the
// client is), {who} who acknowledged and when ("Robin 2 min ago"). In
// stillOpen, {client} is the pseudonym itself; stillOpenAny is said
// instead to a role that may not see it.
type dutyTexts struct {
	help, noPage, acknowledged, already, declinedNext, declinedOthers string
	clientTag, stillOpen, stillOpenAny                                string
	minutes, justNow                                                  string
}

// client is how an answer names the client with pseudonym (nothing when
// the pseudonym is empty).
func (t dutyTexts) client(pseudonym string) string {
	if pseudonym == "" {
		return ""
	}
	return strings.ReplaceAll(t.clientTag, "{client}", pseudonym)
}

// ago says how long ago d was: "just now", "2 min ago".
func (t dutyTexts) ago(d time.Duration) string {
	if d < time.Minute {
		return t.justNow
	}
	return fmt.Sprintf(t.minutes, int(d/time.Minute))
}

var defaultDutyTexts = map[string]dutyTexts{
	"en": {
		help:           "Reply 1 to acknowledge your latest page, 2 if you cannot take it. For another page add its client, e.g. 1 C-7Q2KX3.",
		noPage:         "You have no page to answer.",
		acknowledged:   "Acknowledged{client}: it is yours. Nobody else will be paged.",
		already:        "Already acknowledged by {who}{client}. Nothing to do.",
		declinedNext:   "Declined{client}: the next level is being paged.",
		declinedOthers: "Declined{client}. Others on call are still being paged.",
		clientTag:      " (client {client})",
		stillOpen:      "Still open: client {client} (reply 1 {client}).",
		stillOpenAny:   "Another page to you is still open: reply 1 to take it.",
		minutes:        "%d min ago", justNow: "just now",
	},
	"es": {
		help:           "Responde 1 para aceptar tu último aviso, 2 si no puedes atenderlo. Para otro aviso añade su cliente, p. ej. 1 C-7Q2KX3.",
		noPage:         "No tienes ningún aviso que responder.",
		acknowledged:   "Aceptado{client}: es tuyo. No se avisará a nadie más.",
		already:        "Ya lo aceptó {who}{client}. No hay nada que hacer.",
		declinedNext:   "Rechazado{client}: se avisa al siguiente nivel.",
		declinedOthers: "Rechazado{client}. Se sigue avisando a otras personas de guardia.",
		clientTag:      " (cliente {client})",
		stillOpen:      "Sigue abierto: cliente {client} (responde 1 {client}).",
		stillOpenAny:   "Tienes otro aviso abierto: responde 1 para atenderlo.",
		minutes:        "hace %d min", justNow: "ahora mismo",
	},
	"fr": {
		help:           "Répondez 1 pour prendre votre dernière alerte, 2 si vous ne pouvez pas. Pour une autre alerte, ajoutez son client, p. ex. 1 C-7Q2KX3.",
		noPage:         "Vous n'avez aucune alerte à laquelle répondre.",
		acknowledged:   "Pris en charge{client} : il est à vous. Personne d'autre ne sera alerté.",
		already:        "Déjà pris en charge par {who}{client}. Rien à faire.",
		declinedNext:   "Refusé{client} : le niveau suivant est alerté.",
		declinedOthers: "Refusé{client}. D'autres personnes de garde sont encore alertées.",
		clientTag:      " (client {client})",
		stillOpen:      "Encore ouvert : client {client} (répondez 1 {client}).",
		stillOpenAny:   "Une autre alerte vous attend : répondez 1 pour la prendre.",
		minutes:        "il y a %d min", justNow: "à l'instant",
	},
}

// dutyTextsFor returns the texts in the staff member's language (English
// where there are none), with the line's own help text where it has one.
func dutyTextsFor(line config.Line, lang string) dutyTexts {
	if lang == "" {
		lang = "en"
	}
	t, known := defaultDutyTexts[lang]
	if !known {
		t = defaultDutyTexts["en"]
	}
	if h := line.PageHelpReply[lang]; h != "" {
		t.help = h
	} else if h := line.PageHelpReply["en"]; h != "" && (!known || lang == "en") {
		t.help = h
	}
	return t
}
