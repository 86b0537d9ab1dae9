package events

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Staff accounts are events of the worker aggregate, subject
// helpline.events.worker.<staff id>: never a name in a subject. The staff
// id is the configuration's staff[].id when the account belongs to someone
// the rota knows, so the duty worker who is paged is the one who signs in.

// Staff roles an account can hold.
const (
	RoleWorker  = "worker"
	RoleDuty    = "duty"
	RoleManager = "manager"
	RoleAdmin   = "admin"
)

// WorkerRegistered records a new staff account. PasswordHash is an
// argon2id hash in its PHC string form; the password itself is never
// recorded.
type WorkerRegistered struct {
	// Name is shown to staff; a client sees the first name at most.
	Name         string `json:"name"`
	PasswordHash string `json:"password_hash"`
	ByStaffID    string `json:"by_staff_id,omitempty"`
}

// WorkerPasswordChanged records a new password hash for an account.
type WorkerPasswordChanged struct {
	PasswordHash string `json:"password_hash"`
	ByStaffID    string `json:"by_staff_id,omitempty"`
}

// WorkerRoleGranted records a role given to an account.
type WorkerRoleGranted struct {
	Role      string `json:"role"`
	ByStaffID string `json:"by_staff_id,omitempty"`
}

// WorkerRoleRevoked records a role taken from an account.
type WorkerRoleRevoked struct {
	Role      string `json:"role"`
	ByStaffID string `json:"by_staff_id,omitempty"`
}

// WorkerDisabled records that an account may no longer sign in; its open
// sessions end at their next request.
type WorkerDisabled struct {
	ByStaffID string `json:"by_staff_id,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// ContentRead is an audit record (stream HELPLINE_AUDIT, subject
// helpline.audit.content_read; aggregate id: the reader's staff id): one
// reading of a conversation's content. A break-glass reading by an admin
// carries the stated reason.
type ContentRead struct {
	ConversationID string `json:"conversation_id"`
	Role           string `json:"role"`
	// Via is "page" or "api".
	Via               string `json:"via"`
	BreakGlassReason  string `json:"break_glass_reason,omitempty"`
	MessagesDisclosed int    `json:"messages_disclosed"`
}

// AuditContentRead is the audit kind (last subject token) of ContentRead.
const AuditContentRead = "content_read"

// AuditAppender appends to the audit trail (*Store).
type AuditAppender interface {
	AppendAudit(ctx context.Context, kind string, e Envelope) (Appended, error)
}

// RecordContentRead appends the audit record of one reading of a
// conversation's content by staffID: the one way a reading is recorded,
// by the console and the command line alike, before the content is shown.
func RecordContentRead(ctx context.Context, log AuditAppender, staffID string, r ContentRead, m Meta) error {
	e, err := New(staffID, r, m)
	if err != nil {
		return err
	}
	if _, err := log.AppendAudit(ctx, AuditContentRead, e); err != nil {
		return fmt.Errorf("audit %s: %w", AuditContentRead, err)
	}
	return nil
}

var _ = []bool{
	register(AggregateWorker, TypeWorkerRegistered, 1, "A staff account was created (argon2id password hash, never the password).",
		func() Payload {
			return WorkerRegistered{Name: "Sam Okafor", PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2g", ByStaffID: "ada"}
		}),
	register(AggregateWorker, TypeWorkerPasswordChanged, 1, "A staff account's password was replaced.",
		func() Payload {
			return WorkerPasswordChanged{PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2g", ByStaffID: "ada"}
		}),
	register(AggregateWorker, TypeWorkerRoleGranted, 1, "A role was granted to a staff account.",
		func() Payload { return WorkerRoleGranted{Role: RoleDuty, ByStaffID: "ada"} }),
	register(AggregateWorker, TypeWorkerRoleRevoked, 1, "A role was revoked from a staff account.",
		func() Payload { return WorkerRoleRevoked{Role: RoleDuty, ByStaffID: "ada"} }),
	register(AggregateWorker, TypeWorkerDisabled, 1, "A staff account may no longer sign in.",
		func() Payload { return WorkerDisabled{ByStaffID: "ada", Reason: "left the team"} }),
	register(AggregateWorker, TypeContentRead, 1, "Audit: a staff member read a conversation's content (stream HELPLINE_AUDIT).",
		func() Payload {
			return ContentRead{ConversationID: "c1", Role: RoleDuty, Via: "page", MessagesDisclosed: 3}
		}),
}

// Errors from worker commands.
var (
	ErrWorkerExists = errors.New("account already exists")
	ErrUnknownRole  = errors.New("unknown role")
	// ErrSelfGrant means a staff member tried to give themselves a role
	// that reads clients' words: another admin must grant it (an admin
	// reads content without one only by break-glass, with a reason).
	ErrSelfGrant = errors.New("another admin must grant you a role that reads conversations; to read one now, use break-glass with a reason")
)

// ReadsContent reports whether a role reads clients' conversations, and so
// sees their pseudonyms: worker and duty. Managers see figures, never
// content or who a client is; admins read content only by break-glass,
// with a stated reason. The console's routes and every page sent to a
// staff member's phone follow it (PageClient).
func ReadsContent(role string) bool { return role == RoleWorker || role == RoleDuty }

// PageClient is how a page, a page call or an answer to a staff
// member's SMS names the client to someone of role: by pseudonym when
// the role reads content (the console would show it to them), else not
// at all (""): they act on the line, the reason and the level. No page
// names a client's number or words, whatever the role.
func PageClient(role, pseudonym string) string {
	if ReadsContent(role) {
		return pseudonym
	}
	return ""
}

// ValidRole reports whether r is a staff role.
func ValidRole(r string) bool {
	switch r {
	case RoleWorker, RoleDuty, RoleManager, RoleAdmin:
		return true
	}
	return false
}

// Worker is one staff account, folded from its events. Like Conversation,
// Apply only changes state; command methods validate, then record events
// that the Workers repository appends with Version as the expected
// sequence.
type Worker struct {
	ID           string
	Name         string
	PasswordHash string
	Roles        []string
	Registered   bool
	Disabled     bool
	// Notify are the rules the person set in the console (NotifySet);
	// until then the configuration's apply.
	Notify    []NotifyRule
	NotifySet bool

	recording
}

// NewWorker returns an empty account with the given id.
func NewWorker(id string) *Worker { return &Worker{ID: id} }

// Apply folds one stored event into the state.
func (w *Worker) Apply(e Envelope) error { return w.applyStored(e, w.apply) }

func (w *Worker) apply(p Payload, _ Envelope) {
	switch p := p.(type) {
	case WorkerRegistered:
		w.Registered, w.Name, w.PasswordHash = true, p.Name, p.PasswordHash
	case WorkerPasswordChanged:
		w.PasswordHash = p.PasswordHash
	case WorkerRoleGranted:
		if !w.Has(p.Role) {
			w.Roles = append(w.Roles, p.Role)
		}
	case WorkerRoleRevoked:
		w.Roles = slices.DeleteFunc(w.Roles, func(r string) bool { return r == p.Role })
	case WorkerDisabled:
		w.Disabled = true
	case WorkerNotifyRulesSet:
		w.Notify, w.NotifySet = slices.Clone(p.Rules), true
	}
}

// Clone returns a copy that shares no memory with w.
func (w *Worker) Clone() *Worker {
	c := *w
	c.Roles = slices.Clone(w.Roles)
	c.Notify = slices.Clone(w.Notify)
	c.recording = w.recording.clone()
	return &c
}

// Has reports whether the account holds role r.
func (w *Worker) Has(r string) bool { return slices.Contains(w.Roles, r) }

func (w *Worker) record(p Payload, m Meta) error {
	return w.recording.record(NewID(), w.ID, p, m, w.apply)
}

// Register records a new account holding one role. passwordHash is the
// argon2id hash, never the password. An id is registered once.
func (w *Worker) Register(name, passwordHash, role, byStaffID string, m Meta) error {
	if err := ValidateID(w.ID); err != nil {
		return fmt.Errorf("staff id: %w", err)
	}
	if w.Registered {
		return fmt.Errorf("%s: %w", w.ID, ErrWorkerExists)
	}
	if name == "" || passwordHash == "" {
		return fmt.Errorf("%w: an account needs a name and a password", ErrInvalidEnvelope)
	}
	if !ValidRole(role) {
		return fmt.Errorf("%w %q: want worker, duty, manager or admin", ErrUnknownRole, role)
	}
	if err := w.record(WorkerRegistered{Name: name, PasswordHash: passwordHash, ByStaffID: byStaffID}, m); err != nil {
		return err
	}
	return w.record(WorkerRoleGranted{Role: role, ByStaffID: byStaffID}, m)
}

// ChangePassword records a new password hash.
func (w *Worker) ChangePassword(passwordHash, byStaffID string, m Meta) error {
	if err := w.mustExist(); err != nil {
		return err
	}
	if passwordHash == "" {
		return fmt.Errorf("%w: empty password hash", ErrInvalidEnvelope)
	}
	return w.record(WorkerPasswordChanged{PasswordHash: passwordHash, ByStaffID: byStaffID}, m)
}

// Grant records a role given to the account; granting a role it holds
// records nothing.
func (w *Worker) Grant(role, byStaffID string, m Meta) error {
	if err := w.mustExist(); err != nil {
		return err
	}
	if !ValidRole(role) {
		return fmt.Errorf("%w %q: want worker, duty, manager or admin", ErrUnknownRole, role)
	}
	if w.Has(role) {
		return nil
	}
	// Nobody gives themselves a role that reads content (worker, duty):
	// that would be a reading of clients' words no second person agreed
	// to and no break-glass reason explains.
	if byStaffID == w.ID && ReadsContent(role) {
		return ErrSelfGrant
	}
	return w.record(WorkerRoleGranted{Role: role, ByStaffID: byStaffID}, m)
}

// Revoke records a role taken from the account; revoking a role it does
// not hold records nothing.
func (w *Worker) Revoke(role, byStaffID string, m Meta) error {
	if err := w.mustExist(); err != nil {
		return err
	}
	if !w.Has(role) {
		return nil
	}
	return w.record(WorkerRoleRevoked{Role: role, ByStaffID: byStaffID}, m)
}

// Disable records that the account may no longer sign in; disabling a
// disabled account records nothing.
func (w *Worker) Disable(byStaffID, reason string, m Meta) error {
	if err := w.mustExist(); err != nil {
		return err
	}
	if w.Disabled {
		return nil
	}
	return w.record(WorkerDisabled{ByStaffID: byStaffID, Reason: reason}, m)
}

func (w *Worker) mustExist() error {
	if !w.Registered {
		return fmt.Errorf("account %s: %w", w.ID, ErrNotFound)
	}
	return nil
}
