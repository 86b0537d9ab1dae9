package events

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

var _ = []bool{
	register(AggregateWorker, "worker.registered", 1, "A staff account was created (argon2id password hash, never the password).",
		func() Payload {
			return WorkerRegistered{Name: "Sam Okafor", PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2g", ByStaffID: "ada"}
		}),
	register(AggregateWorker, "worker.password_changed", 1, "A staff account's password was replaced.",
		func() Payload {
			return WorkerPasswordChanged{PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2g", ByStaffID: "ada"}
		}),
	register(AggregateWorker, "worker.role_granted", 1, "A role was granted to a staff account.",
		func() Payload { return WorkerRoleGranted{Role: RoleDuty, ByStaffID: "ada"} }),
	register(AggregateWorker, "worker.role_revoked", 1, "A role was revoked from a staff account.",
		func() Payload { return WorkerRoleRevoked{Role: RoleDuty, ByStaffID: "ada"} }),
	register(AggregateWorker, "worker.disabled", 1, "A staff account may no longer sign in.",
		func() Payload { return WorkerDisabled{ByStaffID: "ada", Reason: "left the team"} }),
	register(AggregateWorker, "worker.content_read", 1, "Audit: a staff member read a conversation's content (stream HELPLINE_AUDIT).",
		func() Payload {
			return ContentRead{ConversationID: "c1", Role: RoleDuty, Via: "page", MessagesDisclosed: 3}
		}),
}
