package natsauth

import (
	"maps"
	"slices"

	"github.com/helpline-org/helpline/events"
)

// Subjects is an allow list and a deny list of subjects (wildcards
// allowed); deny wins.
type Subjects struct {
	Allow, Deny []string
}

// Permissions are what a user may publish (which includes every JetStream
// API request) and subscribe to.
type Permissions struct {
	Publish, Subscribe Subjects
}

const jsAPI = "$JS.API."

// PermissionsOf returns the role's permissions, computed from the matrix.
func PermissionsOf(r Role) (Permissions, error) {
	g, err := grantOf(r)
	if err != nil {
		return Permissions{}, err
	}
	var p perms
	// Replies: JetStream API answers, publish acknowledgements, consumer
	// deliveries, key-value watches, all to the role's own inbox.
	p.sub(r.InboxPrefix() + ".>")
	if g.readLog {
		p.readStream(streamEvents)
		// Ephemeral ordered readers are free to create; durable consumers
		// are not: another role's durable may be neither created (nor
		// redefined), nor fetched from (stealing its events), nor
		// deleted (losing its position).
		for _, d := range allDurables() {
			if !slices.Contains(g.durables, d) {
				p.deny(consumerSubjects(streamEvents, d)...)
			}
			p.deny(jsAPI + "CONSUMER.DELETE." + streamEvents + "." + d)
		}
	}
	for _, agg := range g.appends {
		p.pub(events.Subject(agg, "*"))
	}
	for _, d := range g.durables {
		p.pub(consumerSubjects(streamEvents, d)...)
		p.pub("$JS.ACK."+streamEvents+"."+d+".>", events.DeadLetterSubjectPrefix+"."+d)
	}
	if g.writeAudit {
		p.pub(events.AuditSubjectPrefix + ".*")
	}
	if g.readAudit {
		p.readStream(streamAudit)
	}
	if g.readDeadLetters {
		p.readStream(streamDLQ)
	}
	for _, b := range slices.Sorted(maps.Keys(g.buckets)) {
		p.bucket(b, g.buckets[b])
	}
	if g.eraseKeys {
		p.pub(jsAPI + "STREAM.MSG.DELETE." + kvStream(bucketKeys))
	}
	if g.inspect {
		p.pub(jsAPI+"INFO", jsAPI+"STREAM.NAMES", jsAPI+"STREAM.LIST", jsAPI+"STREAM.INFO.*",
			jsAPI+"CONSUMER.NAMES.*", jsAPI+"CONSUMER.LIST.*", jsAPI+"CONSUMER.INFO.*.*")
	}
	if g.provision {
		p.pub(jsAPI+"INFO", jsAPI+"STREAM.NAMES", jsAPI+"STREAM.LIST")
		for _, s := range []string{streamEvents, streamAudit, streamDLQ, kvStream(bucketKeys)} {
			p.pub(jsAPI+"STREAM.CREATE."+s, jsAPI+"STREAM.UPDATE."+s, jsAPI+"STREAM.INFO."+s)
		}
	}
	return p.done(), nil
}

// perms collects subjects.
type perms struct{ Permissions }

func (p *perms) pub(s ...string)  { p.Publish.Allow = append(p.Publish.Allow, s...) }
func (p *perms) deny(s ...string) { p.Publish.Deny = append(p.Publish.Deny, s...) }
func (p *perms) sub(s ...string)  { p.Subscribe.Allow = append(p.Subscribe.Allow, s...) }

// readStream allows reading a stream: its info, the leader's message gets,
// and ephemeral ordered readers (created, read, looked at, deleted).
func (p *perms) readStream(stream string) {
	p.pub(jsAPI+"STREAM.INFO."+stream, jsAPI+"STREAM.MSG.GET."+stream)
	p.pub(consumerSubjects(stream, "*")...)
	p.pub(jsAPI+"CONSUMER.INFO."+stream+".*", jsAPI+"CONSUMER.DELETE."+stream+".*")
}

// consumerSubjects are the API subjects that create a consumer (with or
// without its filter in the subject) and fetch from it.
func consumerSubjects(stream, name string) []string {
	return []string{
		jsAPI + "CONSUMER.CREATE." + stream + "." + name,
		jsAPI + "CONSUMER.CREATE." + stream + "." + name + ".>",
		jsAPI + "CONSUMER.MSG.NEXT." + stream + "." + name,
	}
}

// bucket allows what acc says on a key-value bucket. Reads go through the
// stream leader or a direct get; watches and key listings are ordered
// push consumers, which answer flow control.
func (p *perms) bucket(b string, acc access) {
	s := kvStream(b)
	p.readStream(s)
	p.pub(jsAPI+"DIRECT.GET."+s, jsAPI+"DIRECT.GET."+s+".>", jsAPI+"CONSUMER.CREATE."+s, "$JS.FC."+s+".>")
	if acc >= write {
		p.pub("$KV." + b + ".>")
	}
	if acc >= own {
		// Creating a bucket reads the account's limits first.
		p.pub(jsAPI+"INFO", jsAPI+"STREAM.CREATE."+s, jsAPI+"STREAM.UPDATE."+s)
	}
}

// done sorts and deduplicates the lists.
func (p *perms) done() Permissions {
	for _, l := range []*[]string{&p.Publish.Allow, &p.Publish.Deny, &p.Subscribe.Allow, &p.Subscribe.Deny} {
		slices.Sort(*l)
		*l = slices.Compact(*l)
	}
	return p.Permissions
}

func kvStream(bucket string) string { return "KV_" + bucket }
