package app

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// ReadingInterval is how long a background refresh that shows what was
// already recorded goes without a new audit record.
const ReadingInterval = 15 * time.Minute

// maxReadings bounds the readings remembered: past it, those older than
// ReadingInterval are forgotten (a forgotten one is recorded again).
const maxReadings = 4096

// The audit rule for content readings: every reading is recorded, once
// per view. A reading the person asks for (opening a page, a call to the
// API) is always recorded. A reading the page makes by itself (a live
// refresh, auth.Background) is recorded only when what it shows differs
// from what the last recorded reading of the same thing (by the same
// person, through the same port) showed, or when that record is older
// than ReadingInterval: an open screen that keeps showing the same words
// adds one record a quarter of an hour instead of one a refresh, and a
// new message shown by a refresh is recorded as it appears. The memory is
// per process and only ever saves records: a restart, or a refresh served
// by another replica, records again.

// reading is one showing of content to a person: what the audit rule
// compares.
type reading struct {
	actor            Actor
	conversationID   string
	via              string
	breakGlassReason string
	// subject is what was read: "" for the conversation's messages, an
	// escalation's id for its matched terms.
	subject string
	// disclosed is how many messages' content it shows; shown names it
	// (message ids, or the terms), to compare with the last reading.
	disclosed  int
	shown      []string
	background bool
}

type readingKey struct{ staff, conversation, via, subject string }

type recorded struct {
	shown [sha256.Size]byte
	at    time.Time
}

// readings remembers each person's last recorded reading of each thing.
type readings struct {
	mu   sync.Mutex
	last map[readingKey]recorded
}

// record appends the audit record of r unless the rule above says a
// record of it is already there. Nothing disclosed, nothing recorded.
func (d *deps) record(ctx context.Context, r reading) error {
	if r.disclosed == 0 {
		return nil
	}
	k := readingKey{r.actor.ID, r.conversationID, r.via, r.subject}
	h := sha256.New()
	for _, s := range r.shown {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	now := d.Now()
	if r.background && d.reads.seen(k, sum, now) {
		return nil
	}
	if err := d.auditRead(ctx, r.actor, r.conversationID, r.via, r.breakGlassReason, r.disclosed); err != nil {
		return err
	}
	d.reads.remember(k, sum, now)
	return nil
}

// seen reports whether k's last recorded reading showed sum less than
// ReadingInterval before now.
func (rs *readings) seen(k readingKey, sum [sha256.Size]byte, now time.Time) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	last, ok := rs.last[k]
	return ok && last.shown == sum && now.Sub(last.at) < ReadingInterval
}

// remember notes k's reading recorded at now.
func (rs *readings) remember(k readingKey, sum [sha256.Size]byte, now time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.last == nil {
		rs.last = map[readingKey]recorded{}
	}
	if len(rs.last) >= maxReadings {
		for key, r := range rs.last {
			if now.Sub(r.at) >= ReadingInterval {
				delete(rs.last, key)
			}
		}
	}
	rs.last[k] = recorded{shown: sum, at: now}
}
