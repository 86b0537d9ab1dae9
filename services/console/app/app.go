// Package app is the console's application layer, arranged as in the
// wild-workouts example: one use case per file, as commands (which change
// the log, through the Conversations and Workers repositories) and
// queries (which read the projections and build the view models of
// package views). It holds the console's rules: who may read a
// conversation (the content rule), that no content leaves without its
// audit record, what a reply, an assignment and an admin's change must
// satisfy. It knows nothing of HTTP: the pages and the JSON API are thin
// ports over it, and its errors are sentinels the ports map to statuses
// in one place.
package app

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/oncall"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/projections/responsetimes"
)

// Application is every use case of the console.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands change conversations and staff accounts.
type Commands struct {
	Acknowledge  AcknowledgeHandler
	Assign       AssignHandler
	Reply        ReplyHandler
	AddStaff     AddStaffHandler
	ChangeRole   ChangeRoleHandler
	DisableStaff DisableStaffHandler
	// EscalateByHand and MarkVerdict are a worker's say over triage.
	EscalateByHand EscalateByHandHandler
	MarkVerdict    MarkVerdictHandler
	ChangeRota     ChangeRotaHandler
	CancelRota     CancelRotaChangeHandler
	SetNotify      SetNotifyRulesHandler
	// FlagClient is a worker's flag on a client; it never silences triage.
	FlagClient FlagClientHandler
	// Close and HandOver end a conversation with a wrap-up and give it to
	// someone else with a note.
	Close    CloseHandler
	HandOver HandOverHandler
	// ChangeSavedReply is an admin's change to a line's saved replies.
	ChangeSavedReply ChangeSavedReplyHandler
}

// Queries read the projections (and, for content, the keyring).
type Queries struct {
	Inbox            InboxHandler
	Queue            QueueHandler
	Escalation       EscalationHandler
	ReadConversation ReadConversationHandler
	Figures          FiguresHandler
	Staff            StaffHandler
	Audit            AuditHandler
	Config           ConfigHandler
	Assignees        AssigneesHandler
	Rota             RotaHandler
	RotaGaps         RotaGapsHandler
	Notify           NotifyRulesHandler
	Taxonomy         TaxonomyHandler
	SavedReplies     SavedRepliesHandler
}

// Actor is who a command or query is for: a signed-in staff member, and
// the one role their session acts in.
type Actor struct {
	ID   string
	Name string
	Role string
}

// FirstName is what a client may see of the actor's name.
func (a Actor) FirstName() string {
	for i, r := range a.Name {
		if r == ' ' {
			return a.Name[:i]
		}
	}
	return a.Name
}

// Conversations is the one way to change a conversation
// (*events.Conversations).
type Conversations interface {
	Update(ctx context.Context, id string, decide func(*events.Conversation) error) (events.Saved[*events.Conversation], error)
}

// AuditLog is the audit trail of content readings (*events.Store).
type AuditLog interface {
	AppendAudit(ctx context.Context, kind string, e events.Envelope) (events.Appended, error)
	ReadAudit(ctx context.Context, from uint64, fn func(events.Envelope) error) (uint64, error)
}

// Keys seals replies and opens message bodies (*keyring.Keyring).
type Keys interface {
	inbox.Opener
	Seal(ctx context.Context, clientID string, plaintext, aad []byte) ([]byte, error)
}

// InboxView is the worker inbox projection (*inbox.View).
type InboxView interface {
	List(ctx context.Context, q inbox.Query) ([]inbox.Conversation, error)
	Get(ctx context.Context, id string) (inbox.Conversation, error)
	Messages(ctx context.Context, id string) ([]inbox.Message, error)
}

// QueueView is the escalation queue projection (*escalations.Queue).
type QueueView interface {
	Open(ctx context.Context, lineIDs []string, limit int, after escalations.Cursor) ([]escalations.Escalation, error)
	Get(ctx context.Context, escalationID string) (escalations.Escalation, error)
}

// FiguresView is the response-times projection (*responsetimes.View).
// Figures are read at now: a conversation still waiting past its target
// is a breach already.
type FiguresView interface {
	Figures(ctx context.Context, lineID string, from, to, now time.Time) (responsetimes.Report, error)
	Conversations(ctx context.Context, lineID string, from, to time.Time) ([]responsetimes.Conversation, error)
}

// Deps are the application's collaborators.
type Deps struct {
	Conversations Conversations
	// Clients is the one way to change a client (flags).
	Clients Clients
	Audit   AuditLog
	Keys    Keys
	Inbox   InboxView
	Queue   QueueView
	Figures FiguresView
	// Projected tells when the inbox and the queue have applied a
	// sequence: commands wait for it (settle); nil, they do not.
	Projected Projected
	Staff     *Staff
	// Rota is who is on call, with the changes in the log; Rotas the one
	// way to change it.
	Rota  *oncall.Live
	Rotas Rotas
	// Replies are the lines' saved replies.
	Replies ReplyBooks
	File    *config.File
	Now     func() time.Time
	Logger  zerolog.Logger
}

// deps is what every handler shares.
type deps struct {
	Deps
	log   zerolog.Logger
	reads *readings
}

// meta is the Meta of an event a staff member causes now.
func (d *deps) meta() events.Meta { return events.Meta{OccurredAt: d.Now()} }

// New returns the application over d.
func New(d Deps) Application {
	s := &deps{Deps: d, log: d.Logger.With().Str("svc", "console").Logger(), reads: &readings{}}
	// Every command changes conversations and clients through these, and
	// so reads its own write on the page it lands on (settle).
	if d.Conversations != nil {
		s.Conversations = settled[*events.Conversation]{update: d.Conversations.Update, d: s}
	}
	if d.Clients != nil {
		s.Clients = settled[*events.Client]{update: d.Clients.Update, d: s}
	}
	return Application{
		Commands: Commands{
			Acknowledge:      AcknowledgeHandler{s},
			Assign:           AssignHandler{s},
			Reply:            ReplyHandler{s},
			AddStaff:         AddStaffHandler{s},
			ChangeRole:       ChangeRoleHandler{s},
			DisableStaff:     DisableStaffHandler{s},
			EscalateByHand:   EscalateByHandHandler{s},
			MarkVerdict:      MarkVerdictHandler{s},
			ChangeRota:       ChangeRotaHandler{s},
			CancelRota:       CancelRotaChangeHandler{s},
			SetNotify:        SetNotifyRulesHandler{s},
			FlagClient:       FlagClientHandler{s},
			Close:            CloseHandler{s},
			HandOver:         HandOverHandler{s},
			ChangeSavedReply: ChangeSavedReplyHandler{s},
		},
		Queries: Queries{
			Inbox:            InboxHandler{s},
			Queue:            QueueHandler{s},
			Escalation:       EscalationHandler{s},
			ReadConversation: ReadConversationHandler{s},
			Figures:          FiguresHandler{s},
			Staff:            StaffHandler{s},
			Audit:            AuditHandler{s},
			Config:           ConfigHandler{s},
			Assignees:        AssigneesHandler{s},
			Rota:             RotaHandler{s},
			RotaGaps:         RotaGapsHandler{s},
			Notify:           NotifyRulesHandler{s},
			Taxonomy:         TaxonomyHandler{s},
			SavedReplies:     SavedRepliesHandler{s},
		},
	}
}
