// Package natsauth owns who may do what on Helpline's NATS: one user per
// service (and one for the administrative commands, one for provisioning
// streams and buckets), each with least-privilege publish and subscribe
// permissions on exactly the subjects, streams, consumers and key-value
// buckets it uses. The matrix below is the only place those permissions
// are written; from it this package renders the server's `authorization`
// block for the shipped cluster configuration, the users of the embedded
// server, nkey seed files, and the client options every connection uses.
//
// Users authenticate with nkeys (ed25519 challenge-response: the server
// holds public keys only, and no secret crosses the wire). All users share
// the server's global account; a user's replies come to an inbox prefix of
// its own (_INBOX_<role>), so no user can read another's replies.
package natsauth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/keyring"
)

// Role names a NATS user: a service, the administrative commands, or the
// provisioning of streams and buckets.
type Role string

// The roles. A process connects as exactly one.
const (
	// Setup creates and updates the streams and the shared key-value
	// bucket (helpline migrate). It reads and writes no data.
	Setup Role = "setup"
	// Admin is the administrative commands (users add, clients erase,
	// projections rebuild) and an operator's nats CLI. It never changes
	// stream or bucket configuration.
	Admin        Role = "admin"
	Ingestion    Role = "ingestion"
	Triage       Role = "triage"
	Notification Role = "notification"
	Projector    Role = "projector"
	Console      Role = "console"
	// Run is every service in one process (helpline run) against an
	// external NATS: the union of the five services' grants.
	Run Role = "run"
)

// Roles are the users an operator creates for a deployment (Run is only
// for `helpline run` against an external server).
func Roles() []Role {
	return []Role{Setup, Admin, Ingestion, Triage, Notification, Projector, Console}
}

// ServiceRoles are the roles of `helpline serve <service>`.
func ServiceRoles() []Role { return []Role{Ingestion, Triage, Notification, Projector, Console} }

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if r == Run || slices.Contains(Roles(), r) {
		return r, nil
	}
	names := make([]string, 0, len(Roles()))
	for _, r := range Roles() {
		names = append(names, string(r))
	}
	return "", fmt.Errorf("no NATS role %q (roles: %s)", s, strings.Join(names, ", "))
}

// InboxPrefix is where the role's replies come: its own, so that no user
// can subscribe to another's.
func (r Role) InboxPrefix() string { return "_INBOX_" + string(r) }

// The log's streams.
const (
	streamEvents = events.DefaultStream
	streamAudit  = events.DefaultAuditStream
	streamDLQ    = events.DefaultDeadLetterStream
)

// The key-value buckets, by the name their owners declare them under
// (TestBucketNamesMatchTheirOwners checks these against the code).
const (
	bucketKeys               = keyring.DefaultBucket         // wrapped per-client data keys
	bucketIngestionIndex     = "helpline_ingestion"          // ingestion.IndexBucket
	bucketIngestionMessages  = "helpline_ingestion_messages" // ingestion.MessageBucket
	bucketChatSessions       = "helpline_chat"               // ingestion.ChatSessionBucket
	bucketConsoleSessions    = "helpline_console_sessions"
	bucketTriageTimers       = "helpline_triage_timers"
	bucketNotificationTimers = "helpline_notification_timers"
)

// The durable consumers on the events stream, by the handler names their
// services register (consume.Shared.Name; projections' Name()).
const (
	durableTriage        = "triage"
	durableNotification  = "notification"
	durablePages         = "notification-pages"
	durableResponseTimes = "projection-response-times"
	durableEscalations   = "projection-escalations"
	durableInbox         = "projection-inbox"
	durableAccounts      = "projection-accounts"
)

var projectionDurables = []string{durableResponseTimes, durableEscalations, durableInbox, durableAccounts}

// access is what a role may do with a key-value bucket.
type access int

const (
	// read: look the bucket up, get keys, watch and list them.
	read access = iota + 1
	// write: read, and put, create, update, delete and purge keys.
	write
	// own: write, and create the bucket or update its configuration
	// (a service's own buckets, which it declares at start).
	own
)

// grant is one row of the matrix: everything a role may do.
type grant struct {
	// readLog: read the events stream (its info, message gets, and
	// short-lived ordered readers; never another role's durable
	// consumer).
	readLog bool
	// appends: the aggregates whose events the role may append
	// (helpline.events.<aggregate>.<id>).
	appends []string
	// durables: the durable consumers on the events stream the role
	// creates, fetches from and acknowledges; their dead letters go to
	// helpline.dlq.<name>.
	durables []string
	// writeAudit, readAudit: the audit trail, helpline.audit.<kind>.
	writeAudit, readAudit bool
	// buckets: key-value buckets and what the role may do with each.
	buckets map[string]access
	// eraseKeys: overwrite a data key's stored bytes (the keyring's
	// secure delete), for crypto-shredding.
	eraseKeys bool
	// readDeadLetters: inspect the dead-letter stream.
	readDeadLetters bool
	// inspect: list streams and consumers and read their info (the
	// operator's nats CLI); changes nothing.
	inspect bool
	// provision: create and update the three streams and the shared
	// keys bucket; no data.
	provision bool
}

// matrix is who may do what. Every permission of every user comes from
// here; README's operations section shows it as a table.
var matrix = map[Role]grant{
	// Provisioning (helpline migrate): the streams' and the keys bucket's
	// configuration, nothing else.
	Setup: {provision: true},
	// Administrative commands: a staff account (worker events), an
	// erasure (the client's key overwritten, client.erased), a projection
	// rebuild (reads), the audit trail and dead letters for inspection.
	Admin: {readLog: true, appends: []string{events.AggregateWorker, events.AggregateClient},
		readAudit: true, buckets: map[string]access{bucketKeys: write}, eraseKeys: true, readDeadLetters: true, inspect: true},
	// Ingestion: webhooks and web chat record conversations and clients,
	// and create each new client's data key; it keeps its index and the
	// chat sessions. It has no durable consumer (it follows the pages sent
	// to staff on an ordered reader of its own).
	Ingestion: {readLog: true, appends: []string{events.AggregateConversation, events.AggregateClient},
		buckets: map[string]access{bucketKeys: write, bucketIngestionIndex: own, bucketIngestionMessages: own, bucketChatSessions: own}},
	// Triage reads messages (opening bodies with the client's key) and
	// records verdicts and escalations on conversations.
	Triage: {readLog: true, appends: []string{events.AggregateConversation}, durables: []string{durableTriage},
		buckets: map[string]access{bucketKeys: read, bucketTriageTimers: own}},
	// Notification sends and pages, recording it on conversations; it
	// opens clients' numbers and bodies with their keys, and records the
	// rota gaps it warned of.
	Notification: {readLog: true, appends: []string{events.AggregateConversation, events.AggregateRota}, durables: []string{durableNotification, durablePages},
		buckets: map[string]access{bucketKeys: read, bucketNotificationTimers: own}},
	// The projector builds the SQL read models; it holds no key.
	Projector: {readLog: true, durables: projectionDurables},
	// The console: staff actions on conversations, staff flags on
	// clients, staff accounts, rota changes, saved replies, the audit trail of every reading of content, its sessions; it follows
	// the log into the SQL projections on the projector's consumers.
	Console: {readLog: true, appends: []string{events.AggregateConversation, events.AggregateClient, events.AggregateWorker, events.AggregateRota, events.AggregateReplies}, durables: projectionDurables,
		writeAudit: true, readAudit: true, buckets: map[string]access{bucketKeys: read, bucketConsoleSessions: own}},
}

// grantOf returns the role's grant; Run is the union of the services'.
func grantOf(r Role) (grant, error) {
	if r == Run {
		var u grant
		for _, s := range ServiceRoles() {
			u = union(u, matrix[s])
		}
		return u, nil
	}
	g, ok := matrix[r]
	if !ok {
		return grant{}, fmt.Errorf("no NATS role %q", r)
	}
	return g, nil
}

// union is everything a or b may do.
func union(a, b grant) grant {
	u := grant{
		readLog: a.readLog || b.readLog, writeAudit: a.writeAudit || b.writeAudit, readAudit: a.readAudit || b.readAudit,
		eraseKeys: a.eraseKeys || b.eraseKeys, readDeadLetters: a.readDeadLetters || b.readDeadLetters,
		inspect: a.inspect || b.inspect, provision: a.provision || b.provision,
		appends: mergeNames(a.appends, b.appends), durables: mergeNames(a.durables, b.durables),
		buckets: map[string]access{},
	}
	for _, m := range []map[string]access{a.buckets, b.buckets} {
		for name, acc := range m {
			u.buckets[name] = max(u.buckets[name], acc)
		}
	}
	return u
}

func mergeNames(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// allDurables are every durable consumer any role owns: a role may create,
// fetch from or acknowledge only its own.
func allDurables() []string {
	var out []string
	for _, g := range matrix {
		out = mergeNames(out, g.durables)
	}
	return out
}

// allBuckets are every bucket any role uses.
func allBuckets() []string {
	var out []string
	for _, g := range matrix {
		for b := range g.buckets {
			out = mergeNames(out, []string{b})
		}
	}
	return out
}
