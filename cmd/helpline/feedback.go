package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app/platform"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/logging"
	"github.com/helpline-org/helpline/projections/inbox"
)

const feedbackUsage = "usage: helpline triage feedback [--break-glass-reason TEXT --by ADMIN]"

// feedbackLine is one marked verdict as `helpline triage feedback` prints
// it: what lexicon authors learn from. Without break-glass it holds no
// text, matched terms, pseudonym, number or conversation id: the terms are
// derived from the client's words and sealed with the client's key, so
// they are opened, like the text, only by an admin's audited break-glass
// reading (TermsNote says "(sealed)" otherwise, "(erased)" once the
// client's key is gone).
type feedbackLine struct {
	At             time.Time `json:"at"`
	Feedback       string    `json:"feedback"`
	MarkedBy       string    `json:"marked_by"`
	Risk           string    `json:"risk"`
	Rule           string    `json:"rule"`
	LexiconVersion string    `json:"lexicon_version"`
	Signals        []string  `json:"signals"`
	Terms          []string  `json:"terms,omitempty"`
	TermsNote      string    `json:"terms_note,omitempty"`
	// Text is the message itself, only with break-glass (audited).
	Text string `json:"text,omitempty"`
	// Unavailable says why the text could not be given (the client was
	// erased).
	Unavailable string `json:"unavailable,omitempty"`
}

// cmdTriageFeedback runs `helpline triage feedback`: every message a staff
// member marked "triage missed this" or "false alarm", with the verdict it
// had (signals, rule, lexicon version), one JSON object per line. The
// message text and its matched terms (sealed with the client's key) are
// added only for an admin who states a break-glass reason; each reading is
// recorded in the audit stream like a reading in the console.
func cmdTriageFeedback(ctx context.Context, args []string, io stdio, lookup lookupFunc) error {
	fs := newFlags("triage feedback", io)
	reason := fs.String("break-glass-reason", "", "why the messages' text is needed (an admin only; audited)")
	by := fs.String("by", "", "the admin's staff id (with --break-glass-reason)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{feedbackUsage}
	}
	glass := strings.TrimSpace(*reason)
	if (glass == "") != (*by == "") {
		return usageError{"--break-glass-reason and --by go together: " + feedbackUsage}
	}
	if *by != "" {
		if err := events.ValidateID(*by); err != nil {
			return usageError{"--by: " + err.Error()}
		}
	}
	env, err := loadEnv(lookup)
	if err != nil {
		return err
	}
	log := logging.New(io.err, env.LogLevel, env.LogFormat).With().Str("svc", "triage-feedback").Logger()
	p, err := platform.Open(ctx, platform.Config{Env: env, Name: "helpline-triage-feedback"}, log)
	if err != nil {
		return fmt.Errorf("%w (in embedded mode stop 'helpline run' first, or run it with %s and point %s at it, with %s=1)",
			err, config.VarNATSListen, config.VarNATSURL, config.VarReplicas)
	}
	defer p.Close()

	var reader *textReader
	if glass != "" {
		admin, err := events.NewWorkers(p.Store).Load(ctx, *by)
		if err != nil {
			return err
		}
		if !admin.Registered || admin.Disabled || !admin.Has(events.RoleAdmin) {
			return fmt.Errorf("%s is not an active admin: only an admin may read messages by break-glass", *by)
		}
		keys, _, err := p.Keys(ctx)
		if err != nil {
			return err
		}
		defer keys.Close()
		reader = &textReader{store: p.Store, keys: keys, by: *by, reason: glass, log: log}
	}

	out := bufio.NewWriter(io.out)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	n := 0
	_, err = p.Store.Read(ctx, events.AggregateSubjects(events.AggregateConversation), 0, func(e events.Envelope) error {
		if e.Type != events.TypeTriageFeedbackRecorded {
			return nil
		}
		pl, err := e.Decode()
		if err != nil {
			return err
		}
		fb := pl.(events.TriageFeedbackRecorded)
		line := feedbackLine{At: e.OccurredAt, Feedback: fb.Feedback, MarkedBy: fb.StaffID, Risk: fb.Risk, Rule: fb.Rule,
			LexiconVersion: fb.LexiconVersion, Signals: fb.Signals}
		if !fb.Terms.Empty() {
			line.TermsNote = "(sealed)"
		}
		if reader != nil {
			if err := reader.read(ctx, e.AggregateID, fb, &line); err != nil {
				return err
			}
		}
		n++
		return enc.Encode(line)
	})
	if err != nil {
		return err
	}
	log.Info().Int("marked", n).Bool("break_glass", reader != nil).Msg("triage feedback exported")
	return nil
}

// textReader reads a marked message's text and matched terms for an
// admin's break-glass export, recording each reading in the audit stream
// before they are given.
type textReader struct {
	store      *events.Store
	keys       *keyring.Keyring
	by, reason string
	log        zerolog.Logger
}

// read fills line's text and terms for the marked message, or says why it
// cannot (the client was erased: "(erased)" terms).
func (r *textReader) read(ctx context.Context, conversationID string, fb events.TriageFeedbackRecorded, line *feedbackLine) error {
	text, unavailable, err := r.text(ctx, conversationID, fb.MessageID)
	if err != nil {
		return err
	}
	terms, err := inbox.OpenTerms(ctx, r.keys, fb.MessageID, fb.Terms)
	switch {
	case inbox.Erased(err):
		line.TermsNote, unavailable = "(erased)", "the client was erased"
	case err != nil:
		return err
	case len(terms) > 0:
		line.Terms, line.TermsNote = terms, ""
	}
	if text != "" || len(terms) > 0 {
		if err := events.RecordContentRead(ctx, r.store, r.by, events.ContentRead{ConversationID: conversationID, Role: events.RoleAdmin, Via: "cli",
			BreakGlassReason: r.reason, MessagesDisclosed: 1}, events.Meta{OccurredAt: time.Now()}); err != nil {
			return err
		}
	}
	line.Text, line.Unavailable = text, unavailable
	return nil
}

// text opens a marked message's body: its text, or why it cannot be given.
func (r *textReader) text(ctx context.Context, conversationID, messageID string) (text, unavailable string, err error) {
	var body *events.MessageReceived
	var bodyEventID string
	envs, _, err := r.store.Load(ctx, events.AggregateConversation, conversationID)
	if err != nil {
		return "", "", err
	}
	for _, e := range envs {
		if e.Type != events.TypeMessageReceived {
			continue
		}
		pl, err := e.Decode()
		if err != nil {
			return "", "", err
		}
		if m := pl.(events.MessageReceived); m.MessageID == messageID {
			body, bodyEventID = &m, e.ID
			break
		}
	}
	if body == nil {
		return "", "the message is not in the log", nil
	}
	plain, err := r.keys.Open(ctx, body.ClientID, body.Body.Data, events.BodyAAD(bodyEventID))
	if errors.Is(err, keyring.ErrErased) || errors.Is(err, keyring.ErrNoKey) {
		return "", "the client was erased", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("open message %s: %w", messageID, err)
	}
	return string(plain), "", nil
}
